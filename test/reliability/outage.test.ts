/**
 * Storage outages and throttling ridden out with DEFAULT settings (the SDK's default retries from
 * createAccountClient, the engine's default outage tolerance of 300 s), losing nothing.
 *
 * Path: engine → fault proxy (outages, 503 storms) → from-URL shim (Append Block / Put Page From URL, which Azurite
 * lacks) → Azurite. The service reads copy sources through the same proxy, so an outage takes the whole "storage"
 * away. Bytes are checked straight in Azurite.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ContainerClient, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { DownMode, FaultProxy, ProxyRequestInfo, startFaultProxy } from '../helpers/faultProxy';
import { FromUrlShim, startFromUrlShim } from '../shim/fromUrlShim';
import { CopyEngine, CopyEngineOptions, CopyRequest, createAccountClient, JobSnapshot } from '../../src/core';
import { gateFor, ACCOUNT_START_IN_FLIGHT } from '../../src/core/storage/throttle';
import { accountKey } from '../../src/core/base/urls';
import { A1, A2, blobMd5, data, fromSdk, md5, MemoryLog, MiB, resolverThrough, uploadMany, waitFor } from '../helpers/proxiedEngine';

/** No pipeline options: createAccountClient's default retries (5 tries, 0.5 … 10 s). */
const DEFAULTS = {};

describe('outages and throttling with default settings', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const engines: CopyEngine[] = [];
  /** Extra proxies, stopped in after() too (a test that times out never reaches its own finally). */
  const proxies: FaultProxy[] = [];
  const big = data(64 * MiB, 11);
  const mid = data(32 * MiB, 12);
  const appendParts = Array.from({ length: 6 }, (_, i) => data(4 * MiB - 1000 * i, 20 + i)); // 6 chunks of 4 MiB
  const appendAll = Buffer.concat(appendParts);
  const pageBytes = data(24 * MiB, 13);

  const engine = (options: Partial<CopyEngineOptions> = {}) => {
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, DEFAULTS), log, ...options });
    engines.push(e);
    return { engine: e, log };
  };
  const far = () => azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far');
  const copyOf = (path: string, to: string, strategy?: 'put-block-from-url'): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path } }],
    destination: { connectionId: A2, container: 'far', path: to },
    options: strategy ? { strategy } : undefined,
  });
  /** The n-th request of an operation (comp) the engine sends, with a copy source: the moment to go down. */
  const nth = (comp: string, n: number) => {
    let seen = 0;
    return (r: ProxyRequestInfo) => r.comp === comp && r.copySource !== undefined && fromSdk(r) && ++seen === n;
  };

  /** Storage refuses connections for downMs from the first request trigger() matches; end() brings it back. */
  const refuseAtFirst = (trigger: (r: ProxyRequestInfo) => boolean, downMs: number) => {
    const down = {
      at: 0,
      end: async () => {
        hook.dispose();
        await proxy.setDown(false);
      },
    };
    const hook = proxy.onRequest((r) => {
      if (down.at || !trigger(r)) return;
      down.at = Date.now();
      void proxy.setDown('refuse', { maxDownMs: downMs });
    });
    return down;
  };

  interface OutageRun {
    waits: JobSnapshot[];
    downAt: number;
    t0: number;
    elapsedMs: number;
    job: JobSnapshot;
    /** Whether the destination existed (straight in Azurite) while storage was down. */
    destDuringOutage?: boolean;
  }

  /** Copies with storage going down (mode) for downMs when trigger() first matches; storage comes back by itself. */
  async function copyThroughOutage(e: CopyEngine, request: CopyRequest, trigger: (r: ProxyRequestInfo) => boolean, mode: DownMode, downMs: number, destName: string): Promise<OutageRun> {
    const waits: JobSnapshot[] = [];
    const sub = e.onJob((j) => j.waiting && waits.push(j));
    let downAt = 0;
    let probe: Promise<boolean> | undefined;
    const hook = proxy.onRequest((r) => {
      if (downAt || !trigger(r)) return;
      downAt = Date.now();
      void proxy.setDown(mode, { maxDownMs: downMs });
      probe = new Promise((res) => setTimeout(res, 2000)).then(() => far().getBlobClient(destName).exists());
    });
    const t0 = Date.now();
    try {
      const plan = await e.plan(request);
      const summary = await e.waitForBatch(e.start(plan));
      const job = e.jobs().find((j) => j.batchId === summary.batchId)!;
      return { waits, downAt, t0, elapsedMs: Date.now() - t0, job, destDuringOutage: await probe };
    } finally {
      hook.dispose();
      sub.dispose();
      await proxy.setDown(false);
    }
  }

  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    proxy = await startFaultProxy({ host: '127.0.0.1', port: shim.port });
    src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    await far().create();
    await src.getBlockBlobClient('big.bin').uploadData(big, { blockSize: 8 * MiB });
    await src.getBlockBlobClient('mid.bin').uploadData(mid, { blockSize: 8 * MiB });
    await src.getBlockBlobClient('mid2.bin').uploadData(mid, { blockSize: 8 * MiB });
    const app = src.getAppendBlobClient('journal.log');
    await app.create();
    for (const p of appendParts) await app.appendBlock(p, p.length);
    const page = src.getPageBlobClient('disk.vhd');
    await page.create(pageBytes.length);
    for (let o = 0; o < pageBytes.length; o += 4 * MiB) await page.uploadPages(pageBytes.subarray(o, o + 4 * MiB), o, 4 * MiB);
  });
  after(async () => {
    for (const e of engines) e.dispose();
    for (const p of proxies) await p.stop();
    await proxy?.stop();
    await shim?.stop();
    await azurite?.stop();
  });

  it('a 25 s outage (connections refused) in the middle of a 64 MiB Put Block From URL copy: waited out, identical, nothing committed early', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine({ blockSizeBytes: 4 * MiB });
    proxy.resetStats();
    const r = await copyThroughOutage(e, copyOf('big.bin', 'big.bin', 'put-block-from-url'), nth('block', 5), 'refuse', 25_000, 'big.bin');
    assert.equal(r.job.state, 'succeeded', JSON.stringify({ job: r.job, log: log.lines.slice(-10) }));
    assert.ok(r.downAt > 0, 'the outage happened');
    assert.equal(r.destDuringOutage, false, 'no partial destination was committed during the outage');
    assert.ok(r.waits.length > 0, 'the job showed "waiting"');
    assert.match(r.waits[0].waiting!.reason, /connection (refused|reset)/);
    assert.ok(r.waits.every((w) => w.waiting!.nextTryAt >= w.waiting!.since));
    assert.equal(log.lines.filter((l) => /storage is not answering/.test(l)).length, 1, 'one warning per outage');
    const dst = far().getBlockBlobClient('big.bin');
    assert.equal(await blobMd5(dst), md5(big));
    assert.equal((await dst.getBlockList('committed')).committedBlocks?.length, 16);
    t.diagnostic(`block blob: outage 25 s (refuse), total ${r.elapsedMs} ms, recovered ${r.elapsedMs - (r.downAt - r.t0) - 25_000} ms after storage was back; ${r.waits.length} waiting snapshots (${r.waits[0].waiting!.reason})`);
  });

  it('a 20 s outage (connections reset) during an append-blob copy: waited out, bytes identical, no append duplicated', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine();
    proxy.resetStats();
    const r = await copyThroughOutage(e, copyOf('journal.log', 'journal.log'), nth('appendblock', 3), 'reset', 20_000, 'journal.log');
    assert.equal(r.job.state, 'succeeded', JSON.stringify({ job: r.job, log: log.lines.slice(-10) }));
    assert.equal(r.job.operation, 'append-block-from-url');
    assert.ok(r.waits.length > 0, 'the job showed "waiting"');
    assert.match(r.waits[0].waiting!.reason, /connection (refused|reset)/);
    const dst = far().getBlobClient('journal.log');
    const props = await dst.getProperties();
    assert.equal(props.blobType, 'AppendBlob');
    assert.equal(props.contentLength, appendAll.length, 'not one byte appended twice');
    assert.equal(await blobMd5(dst), md5(appendAll));
    const appends = proxy.requestLog().filter((x) => x.comp === 'appendblock' && x.copySource);
    t.diagnostic(`append blob: outage 20 s (reset), total ${r.elapsedMs} ms; ${appends.length} Append Block From URL requests for 6 chunks (${appends.filter((x) => x.status === 201).length} answered 201)`);
  });

  it('a 20 s outage (connections refused) during a page-blob copy: waited out, bytes identical', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine();
    proxy.resetStats();
    const r = await copyThroughOutage(e, copyOf('disk.vhd', 'disk.vhd'), nth('page', 3), 'refuse', 20_000, 'disk.vhd');
    assert.equal(r.job.state, 'succeeded', JSON.stringify({ job: r.job, log: log.lines.slice(-10) }));
    assert.equal(r.job.operation, 'put-page-from-url');
    assert.ok(r.waits.length > 0, 'the job showed "waiting"');
    const dst = far().getPageBlobClient('disk.vhd');
    assert.equal((await dst.getProperties()).contentLength, pageBytes.length);
    assert.equal(await blobMd5(dst), md5(pageBytes));
    t.diagnostic(`page blob: outage 20 s (refuse), total ${r.elapsedMs} ms; ${r.waits.length} waiting snapshots`);
  });

  it('past a 5 s tolerance the job fails StorageUnavailable (resumable); Retry continues from the staged blocks', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine({ blockSizeBytes: 4 * MiB, outageToleranceSeconds: 5 });
    proxy.resetStats();
    const down = refuseAtFirst(nth('block', 6), 90_000); // 4 ranges in parallel: the 6th starts once at least 2 are staged
    let id: string;
    try {
      const summary = await e.waitForBatch(e.start(await e.plan(copyOf('mid.bin', 'mid.bin', 'put-block-from-url'))));
      const failedAt = Date.now();
      const job = e.jobs().find((j) => j.batchId === summary.batchId)!;
      id = job.id;
      assert.equal(job.state, 'failed', JSON.stringify(job));
      assert.equal(job.error?.code, 'StorageUnavailable');
      assert.match(job.error!.message, /outage tolerance of 5 s/);
      assert.ok(log.lines.some((l) => l.startsWith('error') && /StorageUnavailable|outage tolerance of 5 s/.test(l)));
      t.diagnostic(`failed ${failedAt - down.at} ms after storage went down (tolerance 5 s + the SDK's own retries): ${job.error!.message}`);
    } finally {
      await down.end();
    }
    const blocks = () => proxy.requestLog().filter((x) => x.comp === 'block' && x.copySource !== undefined);
    const blockId = (q: string) => new URLSearchParams(q).get('blockid');
    // The service's truth (straight in Azurite): blocks whose response was lost in the outage may have landed too.
    const list = await far().getBlockBlobClient('mid.bin').getBlockList('uncommitted');
    const stagedBefore = new Set((list.uncommittedBlocks ?? []).map((b) => b.name));
    const answered = blocks().filter((x) => x.status === 201).length;
    const seqBefore = Math.max(...proxy.requestLog().map((x) => x.seq));
    assert.ok(stagedBefore.size >= 2 && stagedBefore.size < 8, `${stagedBefore.size} blocks staged before the outage`);
    assert.equal(await far().getBlobClient('mid.bin').exists(), false, 'nothing committed by the failed attempt');

    const t1 = Date.now();
    e.retry(id);
    await waitFor(() => e.jobs().find((j) => j.id === id)!.state === 'succeeded' || e.jobs().find((j) => j.id === id)!.state === 'failed', 60_000, 'the retried job');
    const job = e.jobs().find((j) => j.id === id)!;
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    const restaged = blocks().filter((x) => x.seq > seqBefore);
    assert.equal(restaged.filter((x) => stagedBefore.has(blockId(x.query) ?? "")).length, 0, 'no block staged before was staged again');
    assert.equal(restaged.length, 8 - stagedBefore.size, 'only the missing blocks were staged');
    const dst = far().getBlockBlobClient('mid.bin');
    assert.equal(await blobMd5(dst), md5(mid));
    t.diagnostic(`retry: ${Date.now() - t1} ms; ${stagedBefore.size} of 8 blocks staged in the service before the outage (${answered} answered before it), ${restaged.length} staged by the retry`);
  });

  it('cancel while waiting for storage: the job ends canceled within 2 s', { timeout: 90_000 }, async (t) => {
    const { engine: e } = engine({ blockSizeBytes: 4 * MiB });
    const down = refuseAtFirst(nth('block', 2), 60_000);
    try {
      const batchId = e.start(await e.plan(copyOf('mid2.bin', 'mid2.bin', 'put-block-from-url')));
      const done = e.waitForBatch(batchId);
      await waitFor(() => e.jobs().some((j) => j.batchId === batchId && j.waiting !== undefined), 40_000, 'the job to wait for storage', 50);
      const job = e.jobs().find((j) => j.batchId === batchId)!;
      const t0 = Date.now();
      e.cancel(job.id);
      const summary = await done;
      const ms = Date.now() - t0;
      assert.equal(summary.canceled, 1, JSON.stringify(summary));
      assert.equal(e.jobs().find((j) => j.id === job.id)!.state, 'canceled');
      assert.ok(ms < 2000, `canceled after ${ms} ms`);
      t.diagnostic(`waiting since ${job.waiting!.since - down.at} ms after the outage began; canceled in ${ms} ms`);
    } finally {
      await down.end();
    }
  });

  it('cancel while an append-blob copy waits for storage: canceled at once, the partial blob is removed once storage is back', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine();
    const dest = far().getBlobClient('cancel-append.log');
    const down = refuseAtFirst(nth('appendblock', 3), 15_000);
    try {
      const batchId = e.start(await e.plan(copyOf('journal.log', 'cancel-append.log')));
      const done = e.waitForBatch(batchId);
      await waitFor(() => e.jobs().some((j) => j.batchId === batchId && j.waiting !== undefined), 40_000, 'the job to wait for storage', 50);
      assert.ok(await dest.exists(), 'a partial append blob is at the destination (read straight from Azurite)');
      const job = e.jobs().find((j) => j.batchId === batchId)!;
      assert.equal(job.operation, 'append-block-from-url');
      const t0 = Date.now();
      e.cancel(job.id);
      const summary = await done;
      const ms = Date.now() - t0;
      assert.equal(summary.canceled, 1, JSON.stringify(summary));
      assert.ok(ms < 2000, `canceled after ${ms} ms (the removal does not hold the cancel while storage is down)`);
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('the partial destination is removed when it answers again')), log.lines.slice(-5).join('\n'));
      assert.ok(await dest.exists(), 'still there while storage is down');
      await waitFor(async () => !(await dest.exists()), 90_000, 'the partial destination to be removed after the outage', 500);
      assert.ok(Date.now() - down.at >= 14_000, 'removed only after storage came back');
      assert.ok(log.lines.some((l) => l.startsWith('info') && l.includes('the partial destination was removed')), log.lines.slice(-5).join('\n'));
      await waitFor(() => e.whenIdle().then(() => true), 5_000, 'the engine to be idle');
      t.diagnostic(`canceled in ${ms} ms; removed ${Date.now() - down.at} ms after the outage began`);
    } finally {
      await down.end();
    }
  });

  it('a permanent 403 (destination SAS without write) fails at once, not waited out', { timeout: 30_000 }, async (t) => {
    // Put Block From URL: Azurite itself checks the SAS permissions (the shim's own operations do not).
    const { engine: e } = engine({ resolve: readOnlyDestination() });
    const waits: JobSnapshot[] = [];
    const sub = e.onJob((j) => j.waiting && waits.push(j));
    try {
      const plan = await e.plan({ ...copyOf('mid.bin', 'denied.bin', 'put-block-from-url'), destination: { connectionId: 'ro', container: 'far', path: 'denied.bin' } });
      const t0 = Date.now();
      const summary = await e.waitForBatch(e.start(plan));
      const ms = Date.now() - t0;
      const job = e.jobs().find((j) => j.batchId === summary.batchId)!;
      assert.equal(job.state, 'failed');
      assert.equal(job.error?.status, 403, JSON.stringify(job.error));
      assert.equal(waits.length, 0, 'never waited');
      assert.ok(ms < 2000, `failed after ${ms} ms`);
      t.diagnostic(`403 ${job.error?.code} in ${ms} ms`);
    } finally {
      sub.dispose();
    }
  });

  /** Resolver with one more connection "ro": the second account's "far" container through a read/list-only SAS. */
  function readOnlyDestination() {
    const base = resolverThrough(proxy, DEFAULTS);
    return async (id: string) => {
      if (id !== 'ro') return base(id);
      const sas = generateBlobSASQueryParameters(
        { containerName: 'far', permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) },
        new StorageSharedKeyCredential(SECOND_ACCOUNT.name, SECOND_ACCOUNT.key),
      ).toString();
      return createAccountClient({ kind: 'sas', url: `${proxy.endpoint(SECOND_ACCOUNT.name)}/far?${sas}` });
    };
  }

  it('a 30 % 503 storm over 200 small blobs: none fails, and the account gate lowered its limit', { timeout: 150_000 }, async (t) => {
    // A proxy of its own: a fresh account key, so a fresh gate.
    const storm = await startFaultProxy({ host: azurite.host, port: azurite.port });
    proxies.push(storm);
    try {
      const names = Array.from({ length: 200 }, (_, i) => `storm/f${i}.txt`);
      const sums = new Map<string, string>();
      await uploadMany(src, names, (i) => {
        const b = data(1024 + i, i);
        sums.set(names[i], md5(b));
        return b;
      });
      const gate = gateFor(accountKey(storm.endpoint(DEV_ACCOUNT.name)));
      assert.equal(gate.stats().lowestLimit, ACCOUNT_START_IN_FLIGHT);
      storm.setRules({ throttle503: { ratio: 0.3, retryAfterSeconds: 1 }, seed: 5, maxFaults: 5000, match: fromSdk });
      const log = new MemoryLog();
      const e = new CopyEngine({ resolve: resolverThrough(storm, DEFAULTS), log });
      engines.push(e);
      const t0 = Date.now();
      const summary = await e.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'storm/' } }],
        destination: { connectionId: A1, container: 'src', path: 'stormed/' },
      });
      const ms = Date.now() - t0;
      assert.equal(summary.failed, 0, JSON.stringify({ summary, errors: log.lines.filter((l) => l.startsWith('error')).slice(0, 3) }));
      assert.equal(summary.succeeded, 200);
      const g = gate.stats();
      assert.ok(storm.stats().faults.throttle503 > 20, `throttled ${storm.stats().faults.throttle503}`);
      assert.ok(g.lowestLimit < ACCOUNT_START_IN_FLIGHT, `lowest limit ${g.lowestLimit}`);
      for (const [name, sum] of sums) assert.equal(await blobMd5(src.getBlobClient(`stormed/${name.slice('storm/'.length)}`)), sum, name);
      t.diagnostic(`200 blobs in ${ms} ms; ${storm.stats().requests} requests, ${storm.stats().faults.throttle503} answered 503; gate limit ${g.limit}, lowest ${g.lowestLimit}, throttled ${g.throttled}`);
    } finally {
      await storm.stop();
    }
  });
});
