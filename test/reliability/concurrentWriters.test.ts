/**
 * Someone else writes while we copy.
 *   5. The source is modified mid-copy: the change is reported (ETag mismatch) and the destination is untouched
 *      (absent, or the old version intact).
 *   6. The destination is created by someone else mid-copy under conflict policy `skip`: theirs is kept.
 * "Mid-copy" is made exact with the fault proxy: the other writer acts when the engine's n-th request of a kind
 * passes the proxy (writing straight to Azurite, not through the proxy), and the engine's requests wait at the proxy
 * until it is done (a 12 MiB overwrite racing the rest of the copy lost on a busy machine: the copy ended first).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, ProxyRequestInfo, startFaultProxy } from '../helpers/faultProxy';
import type { CopyRequest } from '../../src/core';
import { A1, A2, blobMd5, data, fastRetries, fromSdk, makeEngine, md5, MiB, waitFor } from '../helpers/proxiedEngine';

describe('rows 5 and 6: concurrent writers', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  let dst2: ContainerClient;

  /** Staging is slowed a little so there is a "middle" of the copy to write in. */
  const slowStaging = () => proxy.setRules({ delayMs: 30, maxDelays: 100_000, match: (r) => fromSdk(r) && r.comp === 'block' });

  /**
   * Runs `act` (once) when the proxy sees the n-th request matching `pred`, and holds the engine's requests (that one
   * too) until act is done; returns a promise of act's completion (after which staging is slowed again, as before).
   */
  const when = (pred: (r: ProxyRequestInfo) => boolean, n: number, act: () => Promise<unknown>) => {
    let seen = 0;
    let done: Promise<unknown> | undefined;
    const sub = proxy.onRequest((r) => {
      if (!done && pred(r) && ++seen >= n) {
        done = act();
        proxy.setRules({ match: fromSdk, holdUntil: done });
        sub.dispose();
      }
    });
    return {
      fired: () => done !== undefined,
      settled: async () => {
        await waitFor(() => done !== undefined, 30_000, 'the other writer to act');
        await done;
        slowStaging();
      },
    };
  };
  const bigRequest = (source: string, dest: string, conflict: 'overwrite' | 'skip' = 'overwrite'): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: source } }],
    destination: { connectionId: A2, container: 'dst2', path: dest },
    options: { strategy: 'put-block-from-url', conflict },
  });

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    dst2 = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2');
    await dst2.create();
    slowStaging();
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('row 5: source overwritten while blocks are staged → SourceChanged reported, no destination committed', async (t) => {
    const v1 = data(12 * MiB, 51);
    await src.getBlockBlobClient('r5/a.bin').uploadData(v1);
    const v2 = data(12 * MiB, 52);
    const writer = when((r) => fromSdk(r) && r.comp === 'block', 4, () => src.getBlockBlobClient('r5/a.bin').uploadData(v2));
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4), blockSizeBytes: MiB, rangeConcurrency: 2 });
    try {
      const summary = await engine.copy(bigRequest('r5/a.bin', 'r5/a.bin'));
      await writer.settled();
      assert.equal(summary.failed, 1, JSON.stringify({ summary, log: log.lines }));
      const job = engine.jobs()[0];
      assert.match(job.error?.message ?? '', /source changed/i);
      assert.ok(job.error?.status === 412 || job.error?.code === 'SourceChanged', JSON.stringify(job.error));
      assert.ok(job.error?.hint, 'a hint says what to do');
      t.diagnostic(`reported: ${job.error?.message} [${job.error?.code}] — ${job.error?.hint}`);
      assert.equal(await dst2.getBlobClient('r5/a.bin').exists(), false, 'no destination committed');
    } finally {
      engine.dispose();
    }
  });

  it('row 5: an existing destination keeps its old version when the source changes mid-copy (overwrite policy)', async () => {
    const old = data(3 * MiB, 53);
    await dst2.getBlockBlobClient('r5/b.bin').uploadData(old);
    await src.getBlockBlobClient('r5/b.bin').uploadData(data(12 * MiB, 54));
    const writer = when((r) => fromSdk(r) && r.comp === 'block', 5, () => src.getBlockBlobClient('r5/b.bin').uploadData(data(12 * MiB, 55)));
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4), blockSizeBytes: MiB, rangeConcurrency: 2 });
    try {
      const summary = await engine.copy(bigRequest('r5/b.bin', 'r5/b.bin'));
      await writer.settled();
      assert.equal(summary.failed, 1, JSON.stringify({ summary, log: log.lines }));
      assert.match(engine.jobs()[0].error?.message ?? '', /source changed/i);
      assert.equal(await blobMd5(dst2.getBlobClient('r5/b.bin')), md5(old), 'the old version is intact');
    } finally {
      engine.dispose();
    }
  });

  it('row 5: source changed between plan and start (small blob, one-call copy) → reported before anything is written', async () => {
    await src.getBlockBlobClient('r5/small.txt').upload('version 1', 9);
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4) });
    try {
      const plan = await engine.plan({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r5/small.txt' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'r5/small.txt' },
      });
      await src.getBlockBlobClient('r5/small.txt').upload('version 2!', 10);
      const batchId = engine.start(plan);
      const summary = await engine.waitForBatch(batchId);
      assert.equal(summary.failed, 1, JSON.stringify({ summary, log: log.lines }));
      assert.match(engine.jobs()[0].error?.message ?? '', /source changed/i);
      assert.equal(await dst2.getBlobClient('r5/small.txt').exists(), false);
    } finally {
      engine.dispose();
    }
  });

  it('row 6: destination created by someone else while blocks are staged, conflict "skip" → theirs is kept', async (t) => {
    await src.getBlockBlobClient('r6/big.bin').uploadData(data(10 * MiB, 61));
    const theirs = data(777, 62);
    const writer = when((r) => fromSdk(r) && r.comp === 'block', 3, () => dst2.getBlockBlobClient('r6/big.bin').upload(theirs, theirs.length));
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4), blockSizeBytes: MiB, rangeConcurrency: 2 });
    try {
      const summary = await engine.copy(bigRequest('r6/big.bin', 'r6/big.bin', 'skip'));
      await writer.settled();
      assert.equal(summary.succeeded, 0, JSON.stringify({ summary, log: log.lines }));
      const job = engine.jobs()[0];
      t.diagnostic(`job ${job.state}: ${job.error?.message ?? ''} ${job.error?.hint ?? ''}`);
      assert.ok(['skipped', 'failed'].includes(job.state), job.state);
      if (job.state === 'failed') assert.match(job.error?.message ?? '', /already exists|exists/i);
      assert.equal(await blobMd5(dst2.getBlobClient('r6/big.bin')), md5(theirs), 'theirs is kept');
    } finally {
      engine.dispose();
    }
  });

  it('row 6: destination created by someone else just before a one-call copy lands, conflict "skip" → theirs is kept', async (t) => {
    await src.getBlockBlobClient('r6/small.txt').upload('ours', 4);
    const theirs = Buffer.from('theirs, written mid-copy');
    const isOurCopy = (r: ProxyRequestInfo) => fromSdk(r) && r.copySource !== undefined && r.path.endsWith('/dst2/r6/small.txt');
    // The copy request waits at the proxy while the other writer writes (see `when`).
    const writer = when(isOurCopy, 1, () => dst2.getBlockBlobClient('r6/small.txt').upload(theirs, theirs.length));
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4) });
    try {
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r6/small.txt' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'r6/small.txt' },
        options: { conflict: 'skip' },
      });
      await writer.settled();
      assert.equal(summary.succeeded, 0, JSON.stringify({ summary, log: log.lines }));
      const job = engine.jobs()[0];
      t.diagnostic(`job ${job.state} via ${job.operation}: ${job.error?.message ?? ''}`);
      assert.equal(await blobMd5(dst2.getBlobClient('r6/small.txt')), md5(theirs), 'theirs is kept');
    } finally {
      engine.dispose();
      slowStaging();
    }
  });
});
