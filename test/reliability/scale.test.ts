/**
 * The mechanisms that let a copy of millions of blobs run in flat memory, at CI-friendly sizes (the
 * figures come from `npm run bench -- --scale`):
 *   - a streamed batch never holds more than its window of jobs that are not final;
 *   - finished jobs fold into the batch's counters (jobs() lists at most the retained ones, the counts are exact);
 *   - the journal stays bounded in bytes while the batch runs and is empty when it ends;
 *   - a process killed (SIGKILL) half-way through resumes in a new engine: every blob arrives, and no blob that the
 *     first process reported as copied is copied again.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { A1, fastRetries, makeEngine, tempDir, uploadMany } from '../helpers/proxiedEngine';

const COUNT = 2000;

async function countBlobs(c: ContainerClient, prefix?: string): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const page of c.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) for (const b of page.segment.blobItems) names.add(b.name);
  return names;
}

function journalBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    try {
      n += fs.statSync(path.join(dir, f)).size;
    } catch {
      /* replaced meanwhile */
    }
  }
  return n;
}

describe('millions of blobs: the mechanisms, at 2,000', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    const s = azurite.serviceClient();
    src = s.getContainerClient('src');
    await src.create();
    const body = Buffer.alloc(512, 1);
    await uploadMany(src, Array.from({ length: COUNT }, (_, i) => `many/f${String(i).padStart(5, '0')}.bin`), () => body, 64);
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('a streamed batch holds at most its window of jobs; finished jobs fold into counters; the journal stays bounded', { timeout: 120_000 }, async (t) => {
    const journalDir = tempDir('scale-window');
    const { engine } = makeEngine(proxy, { journalDir, batchWindow: 150, retainFinished: 300 });
    await azurite.serviceClient().createContainer('dst-window');
    let maxLive = 0;
    let maxJournal = 0;
    let batchId = '';
    const sub = engine.onJob(() => {
      if (batchId) maxLive = Math.max(maxLive, engine.liveJobs(batchId).length);
    });
    const sampler = setInterval(() => (maxJournal = Math.max(maxJournal, journalBytes(journalDir))), 25);
    try {
      batchId = await engine.startStreaming({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A1, container: 'dst-window', path: '' },
      });
      const summary = await engine.waitForBatch(batchId);
      assert.equal(summary.succeeded, COUNT, JSON.stringify(summary));
      assert.equal(summary.total, COUNT);
      assert.ok(maxLive > 0 && maxLive <= 150, `at most the window of jobs not final at a time (saw ${maxLive})`);
      assert.ok(engine.jobs().length <= 300, `jobs() lists the retained ones only (${engine.jobs().length})`);
      assert.equal((await countBlobs(azurite.serviceClient().getContainerClient('dst-window'))).size, COUNT, 'every blob arrived');
      // Bounded: a record is ~1–2 KiB; at most the window (plus succeeded ones not yet covered by the position) exist.
      assert.ok(maxJournal < 1024 * 1024, `journal peak ${maxJournal} bytes for ${COUNT} blobs`);
      assert.deepEqual(fs.readdirSync(journalDir).filter((f) => f.endsWith('.json')), [], 'the journal is empty when the batch ends');
      t.diagnostic(`${COUNT} blobs: at most ${maxLive} jobs not final, journal peak ${(maxJournal / 1024).toFixed(0)} KiB, jobs() ${engine.jobs().length}`);
    } finally {
      clearInterval(sampler);
      sub.dispose();
      engine.dispose();
    }
  });

  it('killed half-way (SIGKILL), a new engine resumes the streamed batch: all blobs arrive, none reported copied is copied again', { timeout: 180_000 }, async (t) => {
    const journalDir = tempDir('scale-resume');
    await azurite.serviceClient().createContainer('dst-resume');
    const CHILD = `
      const core = require(process.env.BC_CORE);
      const client = core.createAccountClient({ kind: 'connectionString', connectionString: process.env.BC_CS });
      const engine = new core.CopyEngine({ resolve: async () => client, journalDir: process.env.BC_JOURNAL });
      engine.onJob((j) => { if (j.state === 'succeeded') process.stdout.write(j.destinationLocation.path + '\\n'); });
      engine.copy({
        sources: [{ kind: 'location', location: { connectionId: process.env.BC_ID, container: 'src', path: 'many/' } }],
        destination: { connectionId: process.env.BC_ID, container: 'dst-resume', path: '' },
      }).then(() => process.exit(0), (e) => { process.stderr.write(String(e)); process.exit(2); });
    `;
    const child = spawn(process.execPath, ['-e', CHILD], {
      env: { ...process.env, BC_CORE: path.resolve(__dirname, '../../src/core/index.js'), BC_CS: proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key), BC_JOURNAL: journalDir, BC_ID: A1 },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (errText += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && child.exitCode === null && out.split('\n').length < COUNT / 2) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    const reported = new Set(out.split('\n').filter(Boolean));
    assert.ok(reported.size >= COUNT / 2 - 1 && reported.size < COUNT, `killed half-way: ${reported.size} reported copied; ${errText}`);
    // The resumed engine's copies, told by its user agent: requests the killed child had sent may still reach the
    // proxy after its exit, so "logged after the kill" would count some of the child's copies as the resume's.
    const RESUMED = 'blob-copy-resumed-engine';
    const recopied: string[] = [];
    const hook = proxy.onRequest((r) => {
      if (r.method === 'PUT' && r.copySource !== undefined && String(r.headers['user-agent'] ?? '').includes(RESUMED)) recopied.push(decodeURIComponent(r.path.split('/').slice(3).join('/')));
    });
    const { engine, log } = makeEngine(proxy, { journalDir, pipeline: { ...fastRetries(6), userAgentOptions: { userAgentPrefix: RESUMED } } });
    try {
      const ids = await engine.resume();
      assert.equal(ids.length, 1, `one batch to resume: ${log.lines.join('\n')}`);
      const summary = await engine.waitForBatch(ids[0]);
      assert.equal(summary.failed, 0, JSON.stringify(summary));
      const arrived = await countBlobs(azurite.serviceClient().getContainerClient('dst-resume'));
      const missing = Array.from({ length: COUNT }, (_, i) => `f${String(i).padStart(5, '0')}.bin`).filter((n) => !arrived.has(n));
      assert.equal(arrived.size, COUNT, `every blob arrived; missing ${missing.slice(0, 20).join(' ')}`);
      const twice = recopied.filter((p) => reported.has(p));
      assert.deepEqual(twice, [], 'no blob reported copied before the kill is copied again');
      assert.ok(recopied.length <= COUNT - reported.size, `${recopied.length} copies after the resume for ${COUNT - reported.size} blobs not reported`);
      const left = fs.readdirSync(journalDir).filter((f) => f.endsWith('.json'));
      assert.deepEqual(left, [], 'the journal is empty at the end');
      t.diagnostic(`killed after ${reported.size} reported copies; the resume copied ${recopied.length} (${COUNT - reported.size} not reported)`);
    } finally {
      hook.dispose();
      engine.dispose();
    }
  });
});
