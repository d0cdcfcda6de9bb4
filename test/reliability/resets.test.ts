/**
 * Connection resets mid-copy (before the request reaches the service) and responses cut off
 * after the service did the work. Each copy completes or fails with a clear error; never a committed partial blob.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { CopyError, JobSnapshot } from '../../src/core';
import { A1, A2, blobMd5, data, destinationState, fastRetries, fromSdk, makeEngine, md5, MiB, uploadMany } from '../helpers/proxiedEngine';

describe('row 2: connection resets and cut responses mid-copy', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const sums = new Map<string, string>();
  const large = data(12 * MiB, 21);

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    const s1 = azurite.serviceClient();
    src = s1.getContainerClient('src');
    await src.create();
    await s1.createContainer('dst');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst2');
    const names = Array.from({ length: 60 }, (_, i) => `many/f${i}.bin`);
    await uploadMany(src, names, (i) => {
      const b = data(2048 + i, 100 + i);
      sums.set(names[i], md5(b));
      return b;
    });
    await src.getBlockBlobClient('big/large.bin').uploadData(large, { blockSize: 4 * MiB });
    sums.set('big/large.bin', md5(large));
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('with SDK retries: 10% resets + 5% cut responses, every copy completes byte-identical (small blobs across accounts, a 12-block blob)', async (t) => {
    proxy.setRules({ resetRatio: 0.1, cutResponseRatio: 0.05, seed: 21, maxFaults: 2000, match: fromSdk });
    proxy.resetStats();
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(8), concurrency: 8, blockSizeBytes: MiB });
    try {
      const small = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'many/' },
      });
      const big = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/large.bin' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'big/large.bin' },
        options: { strategy: 'put-block-from-url' },
      });
      const stats = proxy.stats();
      t.diagnostic(`${stats.requests} requests: ${stats.faults.reset} reset, ${stats.faults.cut} cut after the service answered`);
      assert.ok(stats.faults.reset > 0 && stats.faults.cut > 0, JSON.stringify(stats));
      assert.equal(small.succeeded, 60, JSON.stringify({ small, errors: log.lines.filter((l) => l.startsWith('error')) }));
      assert.equal(big.succeeded, 1, JSON.stringify({ big, errors: log.lines.filter((l) => l.startsWith('error')) }));
      const dst2 = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2');
      for (const [name, sum] of sums) assert.equal(await blobMd5(dst2.getBlobClient(name)), sum, name);
    } finally {
      engine.dispose();
    }
  });

  it('without retries: a reset fails the job with a clear error, no partial blob is committed, and a retry completes it', async (t) => {
    // Every 3rd Put Block From URL is reset; maxTries 1, so the first reset fails the job.
    let n = 0;
    proxy.setRules({ resetRatio: 1, maxFaults: 3, match: (r) => fromSdk(r) && r.comp === 'block' && ++n % 3 === 0 });
    proxy.resetStats();
    // No SDK retries and no outage tolerance (the default waits out 300 s): this case is about failing clearly.
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(1), blockSizeBytes: MiB, rangeConcurrency: 2, outageToleranceSeconds: 0 });
    const snapshots: JobSnapshot[] = [];
    engine.onJob((j) => snapshots.push(j));
    try {
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/large.bin' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'reset/large.bin' },
        options: { strategy: 'put-block-from-url' },
      });
      assert.equal(summary.failed, 1, JSON.stringify(summary));
      const failed = engine.jobs().find((j) => j.state === 'failed')!;
      assert.ok(failed.error, 'the failed job carries an error');
      assert.match(failed.error.message, /Copy src\/big\/large\.bin → dst2\/reset\/large\.bin/, 'the message says what failed');
      assert.ok(failed.error.hint && /unreachable|network|retry/i.test(failed.error.hint), `an actionable hint: ${failed.error.hint}`);
      assert.ok(log.lines.some((l) => l.startsWith('error') && l.includes('reset/large.bin')), 'the log has the failure');
      t.diagnostic(`failed as expected: ${failed.error.message} — hint: ${failed.error.hint}`);
      const dest = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlockBlobClient('reset/large.bin');
      assert.equal(await dest.exists(), false, 'no partial blob was committed');
      const staged = (await dest.getBlockList('uncommitted')).uncommittedBlocks?.length ?? 0;
      t.diagnostic(`${staged} uncommitted blocks left for the service to collect (or for the retry)`);
      // Retry on the same engine: the budget of resets is spent after 3, so it completes (restaging only what is missing).
      proxy.setRules({});
      proxy.resetStats();
      engine.retry(failed.id);
      await engine.whenIdle();
      const after = engine.jobs().find((j) => j.id === failed.id)!;
      assert.equal(after.state, 'succeeded', JSON.stringify(after));
      const restaged = proxy.requestLog().filter((e) => e.comp === 'block').length;
      t.diagnostic(`the retry staged ${restaged} of 12 blocks`);
      assert.ok(restaged <= 12 - staged, `restaged ${restaged}, ${staged} were already staged`);
      assert.equal(await blobMd5(dest), md5(large));
    } finally {
      engine.dispose();
    }
  });

  // The service committed, the client never heard: the SDK retries the commit. Without a conflict policy the retry is
  // idempotent; under skip (If-None-Match: *) it gets 409, which the engine must recognise as its own commit.
  const lostCommitCases = [
    { title: 'a cut response to Put Block List (the service committed, the client never heard): the retried commit is idempotent', path: 'cut/large.bin', conflict: undefined },
    { title: 'the same lost commit response under conflict policy skip (If-None-Match: *): the 409 on the retried commit is recognised as our own copy', path: 'cut-skip/large.bin', conflict: 'skip' as const },
  ];
  for (const c of lostCommitCases) {
    it(c.title, async () => {
      proxy.setRules({ cutResponseRatio: 1, maxFaults: 1, match: (r) => fromSdk(r) && r.comp === 'blocklist' });
      proxy.resetStats();
      const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(4), blockSizeBytes: MiB });
      try {
        const summary = await engine.copy({
          sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/large.bin' } }],
          destination: { connectionId: A2, container: 'dst2', path: c.path },
          options: { strategy: 'put-block-from-url', conflict: c.conflict },
        });
        assert.equal(proxy.stats().faults.cut, 1);
        assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
        if (c.conflict === 'skip') assert.ok(log.lines.some((l) => l.includes("the commit's response was lost")), log.lines.join('\n'));
        const dest = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlobClient(c.path);
        assert.equal(await destinationState(dest, md5(large)), 'identical');
      } finally {
        engine.dispose();
      }
    });
  }

  it('resets on every request of a Copy Blob From URL: a clear CopyError, and nothing at the destination', async () => {
    proxy.setRules({ resetRatio: 1, maxFaults: 50, match: (r) => fromSdk(r) && r.copySource !== undefined });
    proxy.resetStats();
    // No outage tolerance (the default waits out 300 s): this case is about the error after the SDK's tries.
    const { engine } = makeEngine(proxy, { pipeline: fastRetries(3), outageToleranceSeconds: 0 });
    try {
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/f1.bin' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'always-reset/f1.bin' },
      });
      assert.equal(summary.failed, 1);
      assert.equal(proxy.stats().faults.reset, 3, 'three tries, all reset');
      const job = engine.jobs()[0];
      assert.ok(job.error && job.error.message.length > 0);
      assert.ok(new CopyError(job.error).info.message === job.error.message);
      const dest = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlobClient('always-reset/f1.bin');
      assert.equal(await destinationState(dest, sums.get('many/f1.bin')!), 'absent');
    } finally {
      engine.dispose();
    }
  });
});
