/**
 * The extension host killed mid-copy → the next start offers to resume → resuming completes it.
 * A child Node process runs the real engine with the extension's journal folder and is SIGKILLed once its journal
 * shows staged blocks (what a killed host leaves behind); the extension's start-up check then finds the job, asks
 * (prompt seam), resumes, and the destination is byte-identical (MD5 of both downloads). A folder copy stopped while
 * listing, whose small copies in flight have no record of their own, is offered and resumed from its position too.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobSnapshot } from '../../src/core';
import { revealJob } from '../../src/extension/extension';
import type { StorageNode } from '../../src/extension/tree/nodes';
import { createContainer, getEnv, installDefaultSeams, uniqueName, waitFor, waitForBatch, type Env } from './env';

const MiB = 1024 * 1024;

interface JournalFile {
  jobId: string;
  batchId: string;
  state: string;
  progress?: { staged?: number[]; blockCount?: number };
}

function journalOf(dir: string, batchId: string): JournalFile | undefined {
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!/^job-.*\.json$/.test(name)) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as JournalFile;
      if (r.batchId === batchId) return r;
    } catch {
      /* being replaced */
    }
  }
  return undefined;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('extension host killed mid-copy', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });
  afterEach(() => installDefaultSeams(env.api));

  it('the next start offers to resume the journaled copy; resuming completes it byte-identical', async function () {
    this.timeout(120_000);
    const size = 64 * MiB;
    const src = uniqueName('killsrc');
    const srcClient = await createContainer(env.dev, src);
    const data = randomBytes(size);
    await srcClient.getBlockBlobClient('big.bin').uploadData(data, { blockSize: 8 * MiB, concurrency: 8 });
    const dst = uniqueName('killdst');
    const dstClient = await createContainer(env.acct2, dst);
    const acct2 =
      env.api.connections.list().find((c) => c.accountName === 'acct2' && !c.container && c.kind === 'connectionString')?.id ??
      ((await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', label: 'Second account', connectionString: env.azurite.connectionString('acct2') })) as { id: string }).id;

    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'killedCopyChild.js')], {
      env: {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1',
        BLOB_COPY_CHILD: JSON.stringify({
          journalDir: env.api.journalDir,
          connections: { azurite: env.azurite.connectionString(), [acct2]: env.azurite.connectionString('acct2') },
          source: { connectionId: 'azurite', container: src, path: 'big.bin' },
          destination: { connectionId: acct2, container: dst, path: '' },
          blockSize: 256 * 1024,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    let staged = 0;
    let batchId = '';
    try {
      batchId = await waitFor('the child to start its batch', () => /"started":"([^"]+)"/.exec(out)?.[1] ?? (/"error"/.test(out) ? assert.fail(out) : undefined), 30_000);
      const record = await waitFor(
        'staged blocks in the journal',
        () => {
          const r = journalOf(env.api.journalDir, batchId);
          return r && (r.progress?.staged?.length ?? 0) >= 8 ? r : /"done"/.test(out) ? assert.fail(`the child finished before the kill: ${out}`) : undefined;
        },
        30_000,
      );
      staged = record.progress?.staged?.length ?? 0;
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');
    const left = journalOf(env.api.journalDir, batchId);
    assert.ok(left && left.state === 'running', `the killed process left a running job in the journal: ${JSON.stringify(left?.state)}`);
    assert.ok(left.progress?.blockCount && (left.progress.staged?.length ?? 0) < left.progress.blockCount, 'unfinished');
    assert.equal(await dstClient.getBlobClient('big.bin').exists(), false, 'nothing committed by the killed process');

    // The next start: the start-up check finds the job and offers to resume it.
    const offers: { message: string; jobs: readonly JobSnapshot[] }[] = [];
    env.api.prompts.resumeUnfinished = async (message, jobs) => {
      offers.push({ message, jobs });
      return 'resume';
    };
    const resumed = await env.api.checkUnfinished();
    assert.equal(offers.length, 1);
    assert.match(offers[0].message, /copy jobs? did not finish when VS Code last closed\. Resume (it|them)\?$/);
    assert.ok(offers[0].jobs.some((j) => j.batchId === batchId && j.destination === `${dst}/big.bin`));
    assert.ok(resumed.includes(batchId), `resumed ${JSON.stringify(resumed)}`);
    await waitForBatch(env.api, batchId, 90_000);
    const summary = env.api.engine.batch(batchId);
    assert.equal(summary?.succeeded, 1, JSON.stringify(summary));
    const copied = await dstClient.getBlobClient('big.bin').downloadToBuffer();
    assert.equal(copied.length, size);
    assert.equal(md5(copied), md5(data), 'byte-identical');
    assert.equal(journalOf(env.api.journalDir, batchId), undefined, 'the journal entry is gone once done');
    console.log(`[resume] killed after ${staged}/${left.progress.blockCount} staged blocks; resumed and completed, MD5 ${md5(copied)}`);
    // Reveal (the Copy Jobs panel's action) finds the destination of the resumed batch, started by another process.
    const job = env.api.engine.jobs().find((j) => j.batchId === batchId);
    assert.ok(job, 'the resumed job is listed');
    const revealed = (await revealJob(job)) as StorageNode | undefined;
    assert.equal(revealed?.kind, 'blob', 'Reveal found the destination blob');
    assert.deepEqual(revealed.copySource.location, { connectionId: acct2, container: dst, path: 'big.bin' });
    // Nothing unfinished is left: the check resumes nothing more.
    assert.deepEqual(await env.api.checkUnfinished(), []);
    assert.ok(offers.length <= 2 && !offers[1]?.jobs.some((j) => j.batchId === batchId));
  });

  it('a folder copy stopped while listing (its copies in flight had no record of their own) is offered too, named, and resumed from its position', async function () {
    this.timeout(60_000);
    const src = uniqueName('foldsrc');
    const srcClient = await createContainer(env.dev, src);
    for (let i = 0; i < 6; i++) await srcClient.getBlockBlobClient(`f/n${i}.txt`).upload(`v${i}`, 2);
    const dst = uniqueName('folddst');
    const dstClient = await createContainer(env.dev, dst);
    // What a host killed while a folder streams leaves: the batch's record at its position, no job record.
    const batchId = `fold-${Date.now()}`;
    const record = {
      version: 1,
      batchId,
      request: { sources: [{ kind: 'location', location: { connectionId: 'azurite', container: src, path: 'f/' } }], destination: { connectionId: 'azurite', container: dst, path: '' } },
      position: { source: 0, after: 'f/n2.txt' },
      updatedAt: new Date().toISOString(),
    };
    fs.mkdirSync(env.api.journalDir, { recursive: true });
    fs.writeFileSync(path.join(env.api.journalDir, `batch-${batchId}.json`), JSON.stringify(record));
    const offers: { message: string; jobs: readonly JobSnapshot[] }[] = [];
    env.api.prompts.resumeUnfinished = async (message, jobs) => {
      offers.push({ message, jobs });
      return 'resume';
    };
    const resumed = await env.api.checkUnfinished();
    assert.equal(offers.length, 1, 'the start-up check asks');
    assert.equal(offers[0].message, `Blob Copy: a folder copy (${src}/f/ → ${dst}/) did not finish when VS Code last closed. Resume it?`);
    assert.deepEqual(resumed, [batchId]);
    await waitForBatch(env.api, batchId, 30_000);
    assert.equal(env.api.engine.batch(batchId)?.succeeded, 3, JSON.stringify(env.api.engine.batch(batchId)));
    const names: string[] = [];
    for await (const b of dstClient.listBlobsFlat()) names.push(b.name);
    assert.deepEqual(names.sort(), ['n3.txt', 'n4.txt', 'n5.txt'], 'listed on after its position');
    assert.equal(fs.existsSync(path.join(env.api.journalDir, `batch-${batchId}.json`)), false, 'its record is gone once done');
  });
});
