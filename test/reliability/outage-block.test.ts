/**
 * Storage outages ridden out with DEFAULT settings (the SDK's default retries, the engine's default outage
 * tolerance of 300 s), losing nothing: block blobs (Put Block From URL), the outage tolerance, cancel while waiting, a permanent 403. Set-up and path: test/helpers/outageSuite.ts.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { SECOND_ACCOUNT } from '../helpers/azurite';
import { DEFAULTS, outageSuite } from '../helpers/outageSuite';
import { createAccountClient, JobSnapshot } from '../../src/core';
import { blobMd5, data, md5, MiB, resolverThrough, waitFor } from '../helpers/proxiedEngine';

describe('outages with default settings: block blobs, tolerance, cancel, 403', () => {
  const big = data(64 * MiB, 11);
  const mid = data(32 * MiB, 12);
  const s = outageSuite(async (src) => {
    await src.getBlockBlobClient('big.bin').uploadData(big, { blockSize: 8 * MiB });
    await src.getBlockBlobClient('mid.bin').uploadData(mid, { blockSize: 8 * MiB });
    await src.getBlockBlobClient('mid2.bin').uploadData(mid, { blockSize: 8 * MiB });
  });
  const { engine, far, copyOf, nth, refuseAtFirst, copyThroughOutage } = s;

  it('a 25 s outage (connections refused) in the middle of a 64 MiB Put Block From URL copy: waited out, identical, nothing committed early', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine({ blockSizeBytes: 4 * MiB });
    s.proxy.resetStats();
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

  it('past a 5 s tolerance the job fails StorageUnavailable (resumable); Retry continues from the staged blocks', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine({ blockSizeBytes: 4 * MiB, outageToleranceSeconds: 5 });
    s.proxy.resetStats();
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
    const blocks = () => s.proxy.requestLog().filter((x) => x.comp === 'block' && x.copySource !== undefined);
    const blockId = (q: string) => new URLSearchParams(q).get('blockid');
    // The service's truth (straight in Azurite): blocks whose response was lost in the outage may have landed too.
    const list = await far().getBlockBlobClient('mid.bin').getBlockList('uncommitted');
    const stagedBefore = new Set((list.uncommittedBlocks ?? []).map((b) => b.name));
    const answered = blocks().filter((x) => x.status === 201).length;
    const seqBefore = Math.max(...s.proxy.requestLog().map((x) => x.seq));
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
    const base = resolverThrough(s.proxy, DEFAULTS);
    return async (id: string) => {
      if (id !== 'ro') return base(id);
      const sas = generateBlobSASQueryParameters(
        { containerName: 'far', permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) },
        new StorageSharedKeyCredential(SECOND_ACCOUNT.name, SECOND_ACCOUNT.key),
      ).toString();
      return createAccountClient({ kind: 'sas', url: `${s.proxy.endpoint(SECOND_ACCOUNT.name)}/far?${sas}` });
    };
  }

});
