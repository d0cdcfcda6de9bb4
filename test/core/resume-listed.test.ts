/**
 * A streamed batch stopped after its listing ended, some copies still in flight: the jobs' own records bring the
 * copies back, but not what only the listing knew. Against a real Azurite (a fault proxy holds the last copies so the
 * listing ends before them), the batch's record now outlives its listing until the batch is done, and a resumed
 * batch still says what the run before knew:
 *   - a sync that was to delete extras: they were not deleted, so it ends partial (SyncInterrupted), never complete;
 *   - a folder copy whose listing refused a blob (archived): it ends partial and names it.
 * The same for a copy started from its whole plan (the extension's confirmed plans). Once the batch is done, its
 * record is gone. And a batch stopped while listing counts the blobs its listing refused
 * before its journaled position (a resume lists on after it and does not meet them again). A sync stopped while
 * deleting its extras (after its batch was done) is named by the start-up check and resumes partial, its copies counted.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, blobNames, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { stopFast } from '../helpers/engine';
import { A1, A2, directSource, MemoryLog, resolverThrough, waitFor } from '../helpers/proxiedEngine';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { CopyEngine, runSync, type BatchSummary, type CopyRequest } from '../../src/core';
import { FileJournal } from '../../src/core/copy/journal';
import { batchOutcome } from '../../src/shared/vocabulary';

const put = (c: ContainerClient, name: string, text: string) => c.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));



describe('a batch stopped after its listing ended resumes with what its listing knew', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  let tmp: string;

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-listed-test-'));
  });
  after(async () => {
    await proxy?.stop();
    await stopFast(azurite);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A source container with small blobs under `prefix` and one archived blob, `cold`, and an empty destination container. */
  async function seedWithArchived(container: string, prefix: string, names: readonly string[], cold: string, destination: string): Promise<void> {
    const src = dev.getContainerClient(container);
    await src.create();
    await acct2.createContainer(destination);
    for (const n of names) await put(src, `${prefix}${n}`, n);
    await put(src, `${prefix}${cold}`, 'archived');
    await src.getBlobClient(`${prefix}${cold}`).setAccessTier('Archive');
  }

  /** A sync's two containers: `sources` blobs n0.txt… in the first account's, the `extras` in the second's. */
  async function seedSync(srcName: string, dstName: string, sources: number, extras: readonly string[]): Promise<ContainerClient> {
    const src = dev.getContainerClient(srcName);
    const dst = acct2.getContainerClient(dstName);
    await src.create();
    await dst.create();
    for (let i = 0; i < sources; i++) await put(src, `n${i}.txt`, `v${i}`);
    for (const x of extras) await put(dst, x, 'extra');
    return dst;
  }

  /** A new engine on the same journal, straight to Azurite (a restart). */
  function resumedEngine(journalDir: string): { engine: CopyEngine; log: MemoryLog } {
    const log = new MemoryLog();
    return { engine: new CopyEngine({ resolve: resolverThrough(directSource(azurite.host, azurite.port), {}), log, journalDir }), log };
  }

  /**
   * Starts the request in an engine with a journal, holds the copies of `held` blobs at the proxy, waits until the
   * listing ended and the other copies succeeded, and stops that engine (a restart): its journal folder.
   */
  async function stoppedAfterListing(request: CopyRequest, held: RegExp, succeeded: number): Promise<{ journalDir: string; batchId: string; before: BatchSummary }> {
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    let release!: () => void;
    proxy.setRules({ match: (r) => r.method === 'PUT' && r.copySource !== undefined && held.test(r.path), holdUntil: new Promise<void>((r) => (release = r)) });
    const first = new CopyEngine({ resolve: resolverThrough(proxy, { retryOptions: { maxTries: 1 } }), log: new MemoryLog(), journalDir });
    try {
      const batchId = await first.startStreaming(request);
      await waitFor(() => {
        const b = first.batch(batchId);
        return b !== undefined && !b.listing && b.succeeded === succeeded;
      }, 20_000, 'the listing to end and the copies not held to succeed');
      const before = first.batch(batchId)!;
      assert.equal(before.done, false, 'the held copies are still in flight');
      assert.equal(new FileJournal(journalDir).listBatches().length, 1, 'the batch keeps its record after its listing');
      return { journalDir, batchId, before };
    } finally {
      first.dispose();
      release();
      proxy.setRules({});
    }
  }

  it('a sync that was to delete extras, stopped after its listing: resumed, its copies finish and it ends partial (SyncInterrupted), the extra kept', async () => {
    const dst = await seedSync('lsrc', 'ldst', 6, ['x1.txt']);
    const reportFile = path.join(tmp, 'report.ndjson');
    fs.writeFileSync(reportFile, '');
    const request: CopyRequest = {
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'lsrc', path: '' } }],
      destination: { connectionId: A2, container: 'ldst', path: '' },
      options: { sync: { compare: 'auto', reportFile, deleteExtras: true } },
    };
    const { journalDir, batchId } = await stoppedAfterListing(request, /\/ldst\/n[345]\.txt$/, 3);
    const { engine: resumed, log } = resumedEngine(journalDir);
    try {
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.equal(b.succeeded, 3, `the copies in flight at the stop resume: ${JSON.stringify(b)}`);
      assert.equal(b.error?.code, 'SyncInterrupted', JSON.stringify(b));
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      assert.equal(resumed.batch(batchId)?.error?.code, 'SyncInterrupted');
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes(`Batch ${batchId}: A sync interrupted by a restart`)), log.lines.join('\n'));
      assert.deepEqual(await blobNames(dst), ['n0.txt', 'n1.txt', 'n2.txt', 'n3.txt', 'n4.txt', 'n5.txt', 'x1.txt'], 'every copy arrived; the extra is kept');
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the batch is done: its record is gone');
    } finally {
      resumed.dispose();
    }
  });

  it('a copy started from its whole plan (as the extension starts a confirmed plan) that refused an archived blob, stopped mid-copy: resumed, it ends partial', async () => {
    await seedWithArchived('wsrc', 'w/', ['n0.txt', 'n1.txt', 'n2.txt', 'n3.txt'], 'cold.txt', 'wdst');
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    let release!: () => void;
    proxy.setRules({ match: (r) => r.method === 'PUT' && r.copySource !== undefined && /\/wdst\/n[23]\.txt$/.test(r.path), holdUntil: new Promise<void>((r) => (release = r)) });
    const stopped = new CopyEngine({ resolve: resolverThrough(proxy, { retryOptions: { maxTries: 1 } }), log: new MemoryLog(), journalDir });
    let batchId = '';
    try {
      const plan = await stopped.plan({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'wsrc', path: 'w/' } }], destination: { connectionId: A2, container: 'wdst', path: '' } });
      assert.equal(plan.refused?.count, 1, 'the plan refused the archived blob');
      batchId = stopped.start(plan);
      await waitFor(() => stopped.batch(batchId)?.succeeded === 2, 20_000, 'the copies not held');
      assert.equal(stopped.batch(batchId)?.unplanned, 1);
    } finally {
      stopped.dispose();
      release();
      proxy.setRules({});
    }
    const { engine: resumed } = resumedEngine(journalDir);
    try {
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.equal(b.succeeded, 2, JSON.stringify(b));
      assert.equal(b.unplanned, 1, `still partial after the restart: ${JSON.stringify(b)}`);
      assert.equal(b.refusedFirst?.[0]?.source, 'w/cold.txt');
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the batch is done: its record is gone');
    } finally {
      resumed.dispose();
    }
  });

  it('a folder copy stopped while listing, an archived blob behind its journaled position: resumed from there, it still counts the blob (partial)', async () => {
    const rel = (i: number) => `b${String(i).padStart(3, '0')}.txt`;
    await seedWithArchived('psrc', 'f/', Array.from({ length: 30 }, (_, i) => rel(i)), 'a-cold.txt', 'pdst');
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    // A window of 5: the listing waits while copies are held. b010–b019 are held until the feeder's position, saved
    // at most once a second while it admits copies, can be saved past the archived blob; b020 on stay held.
    let releaseFirst!: () => void;
    let releaseRest!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    const rest = new Promise<void>((r) => (releaseRest = r));
    const copyOf = (re: RegExp) => (r: { method: string; copySource?: string; path: string }) => r.method === 'PUT' && r.copySource !== undefined && re.test(r.path);
    proxy.setRules({ match: copyOf(/\/pdst\/b01\d\.txt$/), holdUntil: first });
    const stopped = new CopyEngine({ resolve: resolverThrough(proxy, { retryOptions: { maxTries: 1 } }), log: new MemoryLog(), journalDir, batchWindow: 5 });
    let batchId = '';
    try {
      const t0 = Date.now();
      batchId = await stopped.startStreaming({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'psrc', path: 'f/' } }],
        destination: { connectionId: A2, container: 'pdst', path: '' },
      });
      await waitFor(() => stopped.batch(batchId)?.succeeded === 10 && Date.now() - t0 > 1200, 20_000, 'b000–b009 copied, a second past the first position');
      proxy.setRules({ match: copyOf(/\/pdst\/b0[2-9]\d\.txt$/), holdUntil: rest });
      releaseFirst();
      await waitFor(() => stopped.batch(batchId)?.succeeded === 20, 20_000, 'b010–b019 copied');
      const record = new FileJournal(journalDir).listBatches()[0];
      assert.ok(record?.position.after !== undefined && record.position.after > 'f/a-cold.txt', `the position passed the archived blob: ${JSON.stringify(record?.position)}`);
      assert.equal(record.refused?.count, 1, 'the record counts the refused blob behind its position');
      const b = stopped.batch(batchId)!;
      assert.equal(b.listing, true, 'still listing');
      assert.equal(b.unplanned, 1);
    } finally {
      stopped.dispose();
      releaseFirst();
      releaseRest();
      proxy.setRules({});
    }
    const { engine: resumed } = resumedEngine(journalDir);
    try {
      // What the start-up check finds: the folder copy (its copies in flight had no record of their own).
      assert.deepEqual(await resumed.unfinished(), []);
      assert.deepEqual(await resumed.unfinishedBatches(), [{ batchId, sources: ['psrc/f/'], destination: 'pdst/' }]);
      assert.deepEqual(await resumed.resume(), [batchId]);
      assert.deepEqual(await resumed.unfinishedBatches(), [], 'running now');
      const b = await resumed.waitForBatch(batchId);
      assert.equal(b.failed, 0, JSON.stringify(b));
      assert.equal(b.unplanned, 1, `the archived blob is still counted after the resume: ${JSON.stringify(b)}`);
      assert.equal(b.refusedFirst?.[0]?.source, 'f/a-cold.txt');
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      assert.deepEqual(await blobNames(acct2.getContainerClient('pdst')), Array.from({ length: 30 }, (_, i) => rel(i)), 'every other blob arrived');
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the batch is done: its record is gone');
    } finally {
      resumed.dispose();
    }
  });

  it('a folder copy stopped while the service had done copies its client never heard of: resumed, those are not copied again', async () => {
    const rel = (i: number) => `i${String(i).padStart(3, '0')}.txt`;
    const src = dev.getContainerClient('isrc');
    await src.create();
    await acct2.createContainer('idst');
    for (let i = 0; i < 20; i++) await put(src, `f/${rel(i)}`, `content ${i}`);
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    const copyOf = (re: RegExp) => (r: { method: string; copySource?: string; path: string }) => r.method === 'PUT' && r.copySource !== undefined && re.test(r.path);
    // The copies the service did (the first copy of each engine also asks for an operation Azurite lacks: a 501).
    const copies = () => proxy.requestLog().filter((e) => copyOf(/\/idst\/i\d+\.txt$/)(e) && (e.upstreamStatus ?? e.status ?? 0) >= 200 && (e.upstreamStatus ?? e.status ?? 0) < 300);
    // A window of 5: i000–i004 copy; the service copies i005–i009 too, but their answers are held, so the listing
    // waits for room and the engine stops (a restart) never having heard of them.
    let release!: () => void;
    proxy.setRules({ match: copyOf(/\/idst\/i00[5-9]\.txt$/), holdResponseUntil: new Promise<void>((r) => (release = r)) });
    const stopped = new CopyEngine({ resolve: resolverThrough(proxy, { retryOptions: { maxTries: 1 } }), log: new MemoryLog(), journalDir, batchWindow: 5 });
    let batchId = '';
    try {
      batchId = await stopped.startStreaming({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'isrc', path: 'f/' } }],
        destination: { connectionId: A2, container: 'idst', path: '' },
      });
      await waitFor(() => stopped.batch(batchId)?.succeeded === 5 && copies().filter((e) => e.upstreamStatus !== undefined).length === 5, 20_000, 'i000–i004 copied, i005–i009 done by the service, unheard');
      assert.equal(stopped.batch(batchId)?.listing, true, 'still listing');
    } finally {
      stopped.dispose();
      release();
      proxy.setRules({});
    }
    assert.deepEqual(await blobNames(acct2.getContainerClient('idst')), Array.from({ length: 10 }, (_, i) => rel(i)));
    const log = new MemoryLog();
    const resumed = new CopyEngine({ resolve: resolverThrough(proxy, {}), log, journalDir });
    try {
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.equal(batchOutcome(b, b.error !== undefined), 'complete', JSON.stringify(b));
      assert.equal(b.succeeded, 15, 'i005–i019: five copied before the restart, ten now');
      assert.deepEqual(await blobNames(acct2.getContainerClient('idst')), Array.from({ length: 20 }, (_, i) => rel(i)));
      const perName = new Map<string, number>();
      for (const e of copies()) perName.set(e.path, (perName.get(e.path) ?? 0) + 1);
      assert.deepEqual([...perName.values()].filter((n) => n !== 1), [], `each blob copied once: ${JSON.stringify([...perName])}`);
      assert.equal(perName.size, 20);
      assert.equal(log.lines.filter((l) => l.includes('copied before the restart')).length, 5);
    } finally {
      resumed.dispose();
    }
  });

  it('a folder copy whose listing refused an archived blob, stopped after its listing: resumed, it ends partial and names the blob', async () => {
    await seedWithArchived('rsrc', 'f/', ['n0.txt', 'n1.txt', 'n2.txt', 'n3.txt', 'n4.txt'], 'cold.txt', 'rdst');
    const request: CopyRequest = {
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'rsrc', path: 'f/' } }],
      destination: { connectionId: A2, container: 'rdst', path: '' },
    };
    const { journalDir, batchId, before } = await stoppedAfterListing(request, /\/rdst\/n[34]\.txt$/, 3);
    assert.equal(before.unplanned, 1, 'the listing refused the archived blob');
    const { engine: resumed } = resumedEngine(journalDir);
    try {
      // Listed to the end: its copies in flight have their own records; nothing is listed again.
      assert.deepEqual((await resumed.unfinished()).map((j) => j.destination).sort(), ['rdst/n3.txt', 'rdst/n4.txt']);
      assert.deepEqual(await resumed.unfinishedBatches(), []);
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.equal(b.succeeded, 2, JSON.stringify(b));
      assert.equal(b.unplanned, 1, `still partial after the restart: ${JSON.stringify(b)}`);
      assert.equal(b.refusedFirst?.[0]?.source, 'f/cold.txt');
      assert.match(b.refusedFirst?.[0]?.reason ?? '', /Archive tier/);
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      assert.deepEqual(resumed.batchRefusals(batchId)?.first.map((r) => r.source), ['f/cold.txt']);
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the batch is done: its record is gone');
    } finally {
      resumed.dispose();
    }
  });
  it("a folder copy whose listing ended with an error (its second source is gone), stopped with copies in flight: resumed, it ends partial with the listing's error", async () => {
    const src = dev.getContainerClient('esrc');
    await src.create();
    await acct2.createContainer('edst');
    for (let i = 0; i < 5; i++) await put(src, `f/n${i}.txt`, `v${i}`);
    const request: CopyRequest = {
      sources: [
        { kind: 'location', location: { connectionId: A1, container: 'esrc', path: 'f/' } },
        { kind: 'location', location: { connectionId: A1, container: 'esrcgone', path: 'g/' } },
      ],
      destination: { connectionId: A2, container: 'edst', path: '' },
    };
    const { journalDir, batchId, before } = await stoppedAfterListing(request, /\/edst\/n[34]\.txt$/, 3);
    assert.match(before.error?.message ?? '', /esrcgone/, `the listing of the second source failed: ${JSON.stringify(before.error)}`);
    const { engine: resumed } = resumedEngine(journalDir);
    try {
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.equal(b.succeeded, 2, JSON.stringify(b));
      assert.equal(b.error?.message, before.error?.message, `the listing's error is still there after the restart: ${JSON.stringify(b)}`);
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      assert.deepEqual(await blobNames(acct2.getContainerClient('edst')), ['n0.txt', 'n1.txt', 'n2.txt', 'n3.txt', 'n4.txt']);
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the batch is done: its record is gone');
    } finally {
      resumed.dispose();
    }
  });

  /** A sync from `srcName` to `dstName` (both accounts' containers, whole), to delete extras. */
  const deletingSync = (srcName: string, dstName: string): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: srcName, path: '' } }],
    destination: { connectionId: A2, container: dstName, path: '' },
    options: { sync: { compare: 'auto' } },
  });

  it('a sync stopped while deleting its extras (its copies all ended): the start-up check names it, and resumed it ends partial with its copies counted, its extras not all deleted', async () => {
    const dst = await seedSync('dxsrc', 'dxdst', 3, ['x1.txt', 'x2.txt', 'x3.txt']);
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    let release!: () => void;
    proxy.setRules({ match: (r) => r.method === 'DELETE' && /\/dxdst\/x[23]\.txt$/.test(r.path), holdUntil: new Promise<void>((r) => (release = r)) });
    const resolve = resolverThrough(proxy, { retryOptions: { maxTries: 1 } });
    const first = new CopyEngine({ resolve, log: new MemoryLog(), journalDir });
    const stop = new AbortController();
    let batchId = '';
    const run = runSync(first, () => resolve(A2), deletingSync('dxsrc', 'dxdst'), { deleteDestination: true, tmpDir: tmp, signal: stop.signal, onStarted: (id) => (batchId = id) });
    try {
      // The copies are done and x1 is deleted; the deletes of x2 and x3 are held: the restart comes now.
      await waitFor(async () => first.batch(batchId)?.done === true && !(await blobNames(dst)).includes('x1.txt'), 20_000, 'the copies to end and the first extra to be deleted');
      const records = new FileJournal(journalDir).listBatches();
      assert.equal(records.length, 1, 'the batch keeps its record while its extras are deleted');
      assert.equal(records[0].listed?.copied?.succeeded, 3, `the record counts the copies: ${JSON.stringify(records[0].listed)}`);
    } finally {
      first.dispose(); // the restart: what runSync does after it changes no record
      stop.abort();
      release();
      await run.catch(() => undefined);
      proxy.setRules({});
    }
    assert.deepEqual(await blobNames(dst), ['n0.txt', 'n1.txt', 'n2.txt', 'x2.txt', 'x3.txt'], 'two extras were not deleted');
    const { engine: resumed, log } = resumedEngine(journalDir);
    try {
      assert.deepEqual(await resumed.unfinished(), [], 'no copy is left');
      assert.deepEqual(await resumed.unfinishedBatches(), [{ batchId, sources: ['dxsrc/'], destination: 'dxdst/', sync: true }], 'the start-up check names the sync');
      assert.deepEqual(await resumed.resume(), [batchId]);
      const b = await resumed.waitForBatch(batchId);
      assert.deepEqual([b.total, b.succeeded, b.failed], [3, 3, 0], `its copies are counted: ${JSON.stringify(b)}`);
      assert.equal(b.error?.code, 'SyncInterrupted', JSON.stringify(b));
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial');
      assert.match(b.error?.message ?? '', /^A sync interrupted by a restart after its copies: its extras at the destination were not all deleted\./);
      assert.ok(b.syncAgain, 'the sync to run again is named');
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes(`Batch ${batchId}: A sync interrupted by a restart after its copies`)), log.lines.join('\n'));
      await resumed.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'told once: its record is gone');
      assert.deepEqual(await resumed.unfinishedBatches(), []);
    } finally {
      resumed.dispose();
    }
  });

  it('a sync whose run ended (its extras deleted) leaves no record', async () => {
    const dst = await seedSync('desrc', 'dedst', 1, ['x1.txt']);
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    const resolve = resolverThrough(directSource(azurite.host, azurite.port), {});
    const engine = new CopyEngine({ resolve, log: new MemoryLog(), journalDir });
    try {
      const r = await runSync(engine, () => resolve(A2), deletingSync('desrc', 'dedst'), { deleteDestination: true, tmpDir: tmp });
      assert.deepEqual([r.outcome, r.copies.succeeded, r.deletion?.deleted], ['complete', 1, 1]);
      await engine.whenIdle();
      assert.deepEqual(new FileJournal(journalDir).listBatches(), [], 'the run ended: the record is gone');
    } finally {
      engine.dispose();
    }
    assert.deepEqual(await blobNames(dst), ['n0.txt']);
  });
});
