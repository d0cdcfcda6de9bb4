/**
 * Resume after a crash: a child Node process copies a 256 MiB blob across accounts with 1 MiB blocks and is killed
 * (SIGKILL) once some blocks are staged; a new engine with the same journal folder stages only the missing blocks,
 * commits, and the destination is byte-identical (MD5 computed here by downloading, not by the engine).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine } from '../../src/core';
import { blobMd5, data, makeEngine, md5, MemoryLog, stopFast } from '../helpers/engine';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

const CHILD = `
const core = require(process.env.BC_CORE);
const clients = {
  a1: core.createAccountClient({ kind: 'connectionString', connectionString: process.env.BC_CS1 }),
  a2: core.createAccountClient({ kind: 'connectionString', connectionString: process.env.BC_CS2 }),
};
const engine = new core.CopyEngine({ resolve: async (id) => clients[id], journalDir: process.env.BC_JOURNAL, blockSizeBytes: 1024 * 1024, rangeConcurrency: 2, concurrency: 1 });
engine.copy({
  sources: [{ kind: 'location', location: { connectionId: 'a1', container: 'src', path: 'huge.bin' } }],
  destination: { connectionId: 'a2', container: 'far', path: 'resumed/huge.bin' },
  options: { strategy: 'put-block-from-url' },
}).then((s) => { process.stdout.write(JSON.stringify(s)); process.exit(0); }, (e) => { process.stderr.write(String(e)); process.exit(2); });
`;

function readJournal(dir: string): Array<{ state: string; progress: { staged?: number[]; blockCount?: number } }> {
  const out = [];
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    } catch {
      /* being replaced */
    }
  }
  return out;
}

describe('journal and resume after kill', () => {
  let azurite: AzuriteInstance;
  let engine: CopyEngine | undefined;
  let journalDir: string;
  let buf: Buffer;
  before(async () => {
    azurite = await startAzurite();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-resume-'));
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('far');
    buf = data(SIZE, 42);
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('huge.bin').uploadData(buf, { blockSize: 16 * MiB, concurrency: 8 });
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
    fs.rmSync(journalDir, { recursive: true, force: true });
  });

  it('a killed copy resumes in a new engine, stages only missing blocks, and is byte-identical', { timeout: 150_000 }, async () => {
    const child = spawn(process.execPath, ['-e', CHILD], {
      env: {
        ...process.env,
        BC_CORE: path.resolve(__dirname, '../../src/core/index.js'),
        BC_CS1: azurite.connectionString(DEV_ACCOUNT),
        BC_CS2: azurite.connectionString(SECOND_ACCOUNT),
        BC_JOURNAL: journalDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOut = '';
    child.stdout.on('data', (d) => (childOut += d));
    child.stderr.on('data', (d) => (childOut += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Wait (bounded) until the journal shows some staged blocks, then kill without warning.
    const deadline = Date.now() + 60_000;
    let staged = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      staged = Math.max(0, ...readJournal(journalDir).map((r) => r.progress?.staged?.length ?? 0));
      if (staged >= 24) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(staged >= 24, `the child staged blocks before the kill (saw ${staged}); output: ${childOut}`);
    assert.ok(staged < SIZE / MiB, 'killed mid-copy');
    assert.equal(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('resumed/huge.bin').exists(), false, 'nothing committed');

    // The journal holds progress but no secrets.
    const text = fs.readdirSync(journalDir).map((f) => fs.readFileSync(path.join(journalDir, f), 'utf8')).join('\n');
    for (const secret of [DEV_ACCOUNT.key, SECOND_ACCOUNT.key, 'sig=', 'AccountKey']) assert.ok(!text.includes(secret), `journal contains ${secret}`);

    let log: MemoryLog;
    ({ engine, log } = makeEngine(azurite, { journalDir, blockSizeBytes: 4 * MiB, rangeConcurrency: 4 }));
    const unfinished = await engine.unfinished();
    assert.equal(unfinished.length, 1);
    assert.equal(unfinished[0].state, 'running');
    assert.equal(unfinished[0].destination, 'far/resumed/huge.bin');
    const batches = await engine.resume();
    assert.equal(batches.length, 1);
    const s = await engine.waitForBatch(batches[0]);
    assert.equal(s.succeeded, 1, JSON.stringify({ s, jobs: engine.jobs(), log: log.lines }));
    const resumedLine = log.lines.find((l) => l.includes('resuming'));
    const m = /resuming, (\d+) of (\d+) blocks already staged/.exec(resumedLine ?? '');
    assert.ok(m, log.lines.join('\n'));
    assert.ok(Number(m[1]) >= staged, `the service still held the ${staged} staged blocks (${m[1]})`);
    assert.equal(Number(m[2]), SIZE / MiB, 'the journaled block size (1 MiB) wins over the new engine default');

    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlockBlobClient('resumed/huge.bin');
    const committed = await dst.getBlockList('committed');
    assert.equal(committed.committedBlocks?.length, SIZE / MiB);
    assert.equal(await blobMd5(dst), md5(buf));
    assert.deepEqual(await engine.unfinished(), []);
    assert.deepEqual(readJournal(journalDir), [], 'the finished job left the journal');
  });
});
