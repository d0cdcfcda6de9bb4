/**
 * The extension's engine in a worker thread (WorkerEngine), against Azurite: copies land with their bytes,
 * properties and metadata; the host thread's mirror (jobs(), batch()) follows the worker's events; errors cross as
 * CopyErrors; the worker's heap is bounded; dispose() leaves the journal on disk for a resume; a worker that dies
 * fails its calls clearly and the next call starts a new one; a plan that waits out an outage says so across the
 * threads. Entra ID tokens cross threads in workerEngineEntra.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { startAzurite, type AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyError, createAccountClient, ENGINE_HEAP_MB, ENGINE_YOUNG_MB, runSync, WorkerEngine, type BatchSummary, type ConnectionSpec, type JobSnapshot, type WorkerEngineOptions } from '../../src/core';
import { proxyOptions } from '../../src/core/worker/server';
import { A1, A2, blobMd5, data, md5, MemoryLog, stopFast } from '../helpers/engine';
import { waitFor } from '../helpers/wait';
import { startFaultProxy } from '../helpers/faultProxy';

/** Polls (at most 5 s) until cond holds: the worker writes its cache as its first batch ends. */
async function waitForFile(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(cond(), 'the code cache file');
}

describe('WorkerEngine: the engine in a worker thread', () => {
  let azurite: AzuriteInstance;
  const engines: WorkerEngine[] = [];
  const specCalls: string[] = [];
  /** Connections through a fault proxy (id → connection string). */
  const proxied = new Map<string, string>();
  const spec = async (id: string): Promise<ConnectionSpec> => {
    specCalls.push(id);
    const viaProxy = proxied.get(id);
    if (viaProxy) return { kind: 'connectionString', connectionString: viaProxy };
    const account = id === A1 ? DEV_ACCOUNT : id === A2 ? SECOND_ACCOUNT : undefined;
    if (!account) throw new Error(`Unknown connection "${id}": it was removed.`);
    return { kind: 'connectionString', connectionString: azurite.connectionString(account) };
  };
  const make = (extra: Partial<WorkerEngineOptions> = {}) => {
    const log = new MemoryLog();
    const engine = new WorkerEngine({ spec, log, ...extra });
    engines.push(engine);
    return { engine, log };
  };

  /** The source folder's contents, by index. */
  const bodies = Array.from({ length: 60 }, (_, i) => data(100 + i));
  before(async () => {
    azurite = await startAzurite();
    const src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst2');
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        src.getBlockBlobClient(`many/f${String(i).padStart(3, '0')}.txt`).upload(bodies[i], bodies[i].length, { metadata: { n: String(i) }, blobHTTPHeaders: { blobContentType: 'text/plain' } }),
      ),
    );
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await stopFast(azurite);
  });

  it('copies a folder across accounts from its own thread, with a heap limit, and the mirror follows', async () => {
    const { engine, log } = make({ retainFinished: 50 });
    const thread = engine.thread;
    assert.ok(thread && thread.threadId !== threadId, 'the engine runs in another thread');
    assert.equal(thread.resourceLimits?.maxOldGenerationSizeMb, ENGINE_HEAP_MB);
    // A small young generation, not the 192 MiB V8 derives for a worker from its old-space limit.
    assert.equal(thread.resourceLimits?.maxYoungGenerationSizeMb, ENGINE_YOUNG_MB);
    assert.ok(ENGINE_YOUNG_MB <= 32);
    // Below V8's 2,048 MiB step, where the old generation may grow to 4× its live size: the host's RSS budget.
    assert.ok(ENGINE_HEAP_MB < 2048);
    const jobs: JobSnapshot[] = [];
    const batches: BatchSummary[] = [];
    engine.onJob((j) => jobs.push(j));
    engine.onBatch((b) => batches.push(b));
    specCalls.length = 0;
    const batchId = await engine.startStreaming({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
      destination: { connectionId: A2, container: 'dst2', path: 'copied/' },
    });
    const summary = await engine.waitForBatch(batchId);
    assert.equal(summary.succeeded, 60, JSON.stringify({ summary, log: log.lines.slice(-10) }));
    // No concurrency set: small blobs adapt in the worker as in the CLI, and its log line crossed before the reply.
    assert.match(log.lines.find((l) => l.includes('Requests in flight settled at')) ?? log.lines.join('\n'), /settled at \d+ to http:.*small blobs capped at 256 in flight/);
    // Events came before the reply: the mirror already has the final summary and the jobs.
    assert.deepEqual(engine.batch(batchId), summary);
    assert.equal(batches.at(-1)?.done, true);
    const listed = engine.jobs();
    assert.equal(listed.length, 50, 'the mirror keeps retainFinished succeeded jobs, as the engine does');
    assert.ok(listed.every((j) => j.state === 'succeeded' && j.batchId === batchId));
    // A job crosses whole once, then as changes: the mirror's snapshots are whole.
    assert.ok(
      listed.every((j) => j.source.startsWith('src/many/f') && j.destinationLocation.container === 'dst2' && j.bytesDone === j.bytesTotal && j.finishedAt! >= j.startedAt!),
      JSON.stringify(listed[0]),
    );
    assert.equal(engine.liveJobs(batchId).length, 0);
    assert.equal(new Set(jobs.filter((j) => j.state === 'succeeded').map((j) => j.id)).size, 60, 'every job reached the host as succeeded');
    // Each connection's spec was asked for once, however many jobs used it.
    assert.deepEqual([...specCalls].sort(), [A1, A2]);
    // The bytes, properties and metadata arrived.
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2');
    for (const i of [0, 31, 59]) {
      const name = `f${String(i).padStart(3, '0')}.txt`;
      const b = dst.getBlobClient(`copied/${name}`);
      assert.equal(await blobMd5(b), md5(bodies[i]));
      const props = await b.getProperties();
      assert.equal(props.contentType, 'text/plain');
      assert.deepEqual(props.metadata, { n: String(i) });
    }
    // Clear Finished: the engine's removal events (jobs, then the batch it forgot) empty the mirror and tell listeners.
    const removed: string[] = [];
    const batchesGone: string[] = [];
    engine.onJobsRemoved((ids) => removed.push(...ids));
    engine.onBatchesRemoved((ids) => batchesGone.push(...ids));
    engine.clearFinished();
    const deadline = Date.now() + 10_000;
    while (batchesGone.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(engine.jobs().length, 0);
    assert.equal(removed.length, 50);
    assert.deepEqual(batchesGone, [batchId]);
    assert.equal(engine.batch(batchId), undefined);
  });

  it("past a batch's first jobs, only the jobs the host has a use for cross; the counters carry the rest", async () => {
    // 60 blobs, the first 20 jobs listed (1,000 by default), live jobs never long enough to cross here.
    const { engine, log } = make({ crossing: { listedPerBatch: 20, longJobMs: 60_000 } });
    const seen = new Set<string>();
    const batches: BatchSummary[] = [];
    engine.onJob((j) => seen.add(j.id));
    engine.onBatch((b) => batches.push(b));
    const batchId = await engine.startStreaming({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
      destination: { connectionId: A1, container: 'src', path: 'quiet/' },
    });
    const summary = await engine.waitForBatch(batchId);
    assert.equal(summary.succeeded, 60, JSON.stringify({ summary, log: log.lines.slice(-10) }));
    assert.equal(seen.size, 20, 'the host heard of the first 20 jobs only');
    assert.ok(engine.jobs().every((j) => j.state === 'succeeded' && seen.has(j.id)));
    assert.equal(engine.batch(batchId)?.unreported, undefined, 'done: no live job left unreported');
    assert.ok(batches.every((b) => (b.unreported ?? 0) <= 40 && (b.unreportedQueued ?? 0) <= (b.unreported ?? 0)));
    // Every blob was copied all the same.
    let n = 0;
    for await (const b of azurite.serviceClient().getContainerClient('src').listBlobsFlat({ prefix: 'quiet/' })) n += b.name.startsWith('quiet/f') ? 1 : 0;
    assert.equal(n, 60);
    // Clear Finished: removals cross for the jobs the host holds only.
    const removed: string[] = [];
    engine.onJobsRemoved((ids) => removed.push(...ids));
    const listed = engine.jobs().length;
    engine.clearFinished();
    await waitFor(() => engine.jobs().length === 0, 5_000, 'the mirror to empty');
    assert.ok(listed > 0);
    assert.equal(removed.length, listed);
    assert.ok(removed.every((id) => seen.has(id)));
  });

  it('plans and summarizes in the worker: pages stream back, errors cross as CopyError with their hint', async () => {
    const { engine } = make();
    const request = { sources: [{ kind: 'location' as const, location: { connectionId: A1, container: 'src', path: 'many/' } }], destination: { connectionId: A1, container: 'src', path: 'planned/' } };
    const plan = await engine.plan(request);
    assert.equal(plan.items.length, 60);
    let paged = 0;
    const s = await engine.summarize(request, undefined, (items) => (paged += items.length));
    assert.equal(s.totals.count, 60);
    assert.equal(paged, 60);
    // A caller that keeps no items (a plan of millions) is sent the counts alone.
    let counted = 0;
    let sent = 0;
    await engine.summarize(request, undefined, (items, count) => ((sent += items.length), (counted += count)), 0);
    assert.deepEqual({ counted, sent }, { counted: 60, sent: 0 });
    // A planned copy started from the host: the batch id is the host's, the copy lands.
    const batchId = engine.start(plan);
    const done = await engine.waitForBatch(batchId);
    assert.equal(done.batchId, batchId);
    assert.equal(done.succeeded, 60);
    assert.equal(await blobMd5(azurite.serviceClient().getContainerClient('src').getBlobClient('planned/f007.txt')), md5(bodies[7]));
    // A missing source container: a CopyError with its info, as in the host's own thread.
    await assert.rejects(
      engine.plan({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'nope', path: 'x/' } }], destination: { connectionId: A1, container: 'src', path: 'y/' } }),
      (e: unknown) => e instanceof CopyError && /nope/.test(e.message) && typeof e.info.message === 'string',
    );
    // An unknown connection: the host's error reaches the worker and comes back.
    await assert.rejects(
      engine.plan({ sources: [{ kind: 'location', location: { connectionId: 'gone', container: 'src', path: 'x/' } }], destination: { connectionId: A1, container: 'src', path: 'y/' } }),
      /Unknown connection "gone"/,
    );
    // retry() checks the job at once, on the mirror.
    assert.throws(() => engine.retry('no-such-job'), (e: unknown) => e instanceof CopyError && /No job no-such-job/.test(e.message));
    // An aborted signal cancels the call in the worker.
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.plan(request, controller.signal));
  });

  it('a plan that waits out an outage says so across the threads (its page listener hears why), then counts every blob', { timeout: 90_000 }, async () => {
    const src = azurite.serviceClient().getContainerClient('src');
    // Listing pages of 100, then 300: the outage meets the plan after its first page.
    await Promise.all(Array.from({ length: 150 }, (_, i) => src.getBlockBlobClient(`wait/w${String(i).padStart(3, '0')}.txt`).upload('w', 1)));
    const proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    proxied.set('via-proxy', proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key));
    let lists = 0;
    const hook = proxy.onRequest((r) => {
      if (r.comp === 'list' && r.query.includes('prefix=wait') && ++lists === 2) void proxy.setDown('refuse', { maxDownMs: 9_000 });
    });
    const heard: Array<{ count: number; waiting?: { reason: string; toleranceSeconds: number } }> = [];
    try {
      const { engine } = make();
      const s = await engine.summarize(
        { sources: [{ kind: 'location', location: { connectionId: 'via-proxy', container: 'src', path: 'wait/' } }], destination: { connectionId: A1, container: 'src', path: 'waited/' } },
        undefined,
        (_items, count, waiting) => heard.push({ count, waiting }),
        0,
      );
      assert.equal(s.totals.count, 150, 'every blob counted once');
    } finally {
      hook.dispose();
      await proxy.stop();
    }
    const at = heard.findIndex((h) => h.waiting);
    assert.ok(at > 0, `a page, then the wait: ${JSON.stringify(heard)}`);
    assert.deepEqual(heard[at], { count: 0, waiting: { reason: 'connection refused', toleranceSeconds: 300 } });
    assert.equal(heard.filter((h) => h.waiting).length, 1, 'told once per outage');
    assert.equal(heard.reduce((n, h) => n + h.count, 0), 150);
  });

  it('dispose() leaves unfinished jobs in the journal; a new worker resumes them and the copy completes', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-wj-'));
    // One blob at a time: most of the 60 are still to do when the engine goes.
    const first = make({ journalDir, tuning: { concurrency: 1, smallBlobConcurrency: 1 } });
    const batchId = await first.engine.startStreaming({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
      destination: { connectionId: A2, container: 'dst2', path: 'resumed/' },
    });
    first.engine.dispose();
    // The batch's record (while it lists) or its jobs' records are on disk when dispose() returns.
    const records = fs.readdirSync(journalDir).filter((n) => /^(job|batch)-.*\.json$/.test(n));
    assert.ok(records.length > 0);
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2');
    let before = 0;
    for await (const _ of dst.listBlobsFlat({ prefix: 'resumed/' })) before++;
    assert.ok(before < 60, `${before} of 60 copied before dispose()`);

    const second = make({ journalDir });
    // The start-up check's call crosses too: the batch, if it was still listing at dispose(), is named.
    const stopped = await second.engine.unfinishedBatches();
    assert.ok(stopped.every((b) => b.batchId === batchId && b.sources.join() === 'src/many/' && b.destination === 'dst2/resumed/'), JSON.stringify(stopped));
    const resumed = await second.engine.resume();
    assert.deepEqual(resumed, [batchId]);
    const summary = await second.engine.waitForBatch(batchId);
    assert.equal(summary.failed, 0, JSON.stringify(summary));
    // The resumed batch copied the rest (the blobs done before, per the journal, were not listed again as jobs).
    assert.ok(summary.succeeded + summary.skipped <= 60 && summary.succeeded >= 60 - before, JSON.stringify({ summary, before }));
    for (const i of [0, 30, 59]) assert.equal(await blobMd5(dst.getBlobClient(`resumed/f${String(i).padStart(3, '0')}.txt`)), md5(bodies[i]));
    let after = 0;
    for await (const _ of dst.listBlobsFlat({ prefix: 'resumed/' })) after++;
    assert.equal(after, 60);
    await second.engine.whenIdle();
    assert.deepEqual(fs.readdirSync(journalDir).filter((n) => n.startsWith('job-') || n.endsWith('.json')), [], 'a finished batch leaves no record');
  });

  it('a sync that deletes extras keeps its batch record until its run ends (runSync tells the worker), then none is left', async () => {
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-ws-'));
    const acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    const dst = acct2.getContainerClient('wsync');
    await dst.create();
    await dst.getBlockBlobClient('extra.txt').upload('x', 1);
    const { engine } = make({ journalDir });
    const destination = async () => createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(SECOND_ACCOUNT) });
    let recordsAtDone = -1;
    const request = { sources: [{ kind: 'location' as const, location: { connectionId: A1, container: 'src', path: 'many/' } }], destination: { connectionId: A2, container: 'wsync', path: '' }, options: { sync: { compare: 'auto' as const } } };
    const r = await runSync(engine, async () => {
      // The deletes start once the copies are done: the batch's record is still on disk then (a restart now reports it).
      await engine.whenIdle();
      recordsAtDone = fs.readdirSync(journalDir).filter((n) => n.startsWith('batch-')).length;
      return destination();
    }, request, { deleteDestination: true });
    assert.deepEqual([r.outcome, r.copies.succeeded, r.deletion?.deleted], ['complete', 60, 1]);
    assert.equal(recordsAtDone, 1, 'the record outlives the batch while the extras are deleted');
    await engine.whenIdle();
    assert.deepEqual(fs.readdirSync(journalDir).filter((n) => n.endsWith('.json')), [], 'the run ended: no record is left');
  });

  it('debug lines (one per blob) cross only while the host asks for them', async () => {
    const { engine, log } = make();
    const copyOne = (name: string) =>
      engine.copy({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/f001.txt' } }], destination: { connectionId: A1, container: 'src', path: `dbg/${name}` } });
    assert.equal((await copyOne('a.txt')).succeeded, 1);
    assert.deepEqual(log.lines.filter((l) => l.startsWith('debug')), []);
    engine.setDebugLog(true);
    assert.equal((await copyOne('b.txt')).succeeded, 1);
    // A log line is a message of its own: it may follow the reply.
    const done = () => log.lines.some((l) => /^debug Copy src\/many\/f001\.txt → src\/dbg\/b\.txt: done/.test(l));
    await waitFor(done, 10_000, 'the debug line').catch(() => undefined);
    assert.ok(done(), log.lines.join('\n'));
  });

  it('with a code cache folder: the first worker writes the V8 cache after its first batch, the next ones use it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-engine-cc-'));
    const copyOnce = async (to: string) => {
      const { engine } = make({ codeCacheDir: dir });
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A1, container: 'src', path: `${to}/` },
      });
      assert.equal(summary.succeeded, 60, JSON.stringify(summary));
      await engine.dispose();
      const dst = azurite.serviceClient().getContainerClient('src');
      for (const i of [0, 29, 59]) assert.equal(await blobMd5(dst.getBlobClient(`${to}/f${String(i).padStart(3, '0')}.txt`)), md5(bodies[i]));
    };
    const files = () => fs.readdirSync(dir).filter((f) => f.endsWith('.v8cache'));
    const older = 'engine-00000000000000000000000000000000.v8cache';
    fs.writeFileSync(path.join(dir, older), 'an older build');
    try {
      await copyOnce('cc1');
      await waitForFile(() => files().length === 1 && files()[0] !== older); // written, and the older build's cache removed
      const [file] = files();
      const full = path.join(dir, file);
      assert.ok(fs.statSync(full).size > 1000, `${file}: ${fs.statSync(full).size} bytes`); // out/: this module only; dist/core.js: the whole engine
      const first = fs.readFileSync(full);
      await copyOnce('cc2');
      assert.ok(fs.readFileSync(full).equals(first), 'V8 took it: not written again');
      const bad = Buffer.from(first);
      for (let i = 0; i < bad.length; i += 61) bad[i] ^= 0xff;
      fs.writeFileSync(full, bad);
      await copyOnce('cc3'); // V8 refuses it: the copy is still right, and the cache is written again
      await waitForFile(() => !fs.readFileSync(full).equals(bad));
      assert.deepEqual(files(), [file]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes http.proxy on as the SDK\'s proxy options', () => {
    assert.deepEqual(proxyOptions('http://user:p%40ss@proxy.example:3128'), { proxyOptions: { host: 'http://proxy.example', port: 3128, username: 'user', password: 'p@ss' } });
    assert.deepEqual(proxyOptions('https://proxy.example'), { proxyOptions: { host: 'https://proxy.example', port: 443, username: undefined, password: undefined } });
    assert.deepEqual(proxyOptions(undefined), {});
    assert.deepEqual(proxyOptions('not a url'), {});
  });

  it('a worker that runs out of memory fails its calls with an actionable message; the next call starts a new one', async () => {
    const { engine, log } = make({ heapMb: 2 });
    await assert.rejects(engine.unfinished(), (e: unknown) => e instanceof CopyError && /copy engine stopped unexpectedly/.test(e.message) && /Resume Unfinished Copies/.test(e.info.hint ?? ''));
    assert.ok(log.lines.some((l) => l.startsWith('error The copy engine stopped unexpectedly')));
    await assert.rejects(engine.unfinished()); // still 2 MiB: it fails again, from a new thread
    assert.equal(engine.starts, 2);
  });
});
