/**
 * A throttling storm (503 ServerBusy + Retry-After on 30% of the engine's requests) during a
 * 200-blob folder copy and a multi-block large blob copy. Everything completes, retried by the SDK pipeline, and the
 * destination is byte-identical.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { A1, A2, blobMd5, data, fastRetries, fromSdk, makeEngine, md5, MiB, uploadMany } from '../helpers/proxiedEngine';

describe('row 1: throttling storm (503 on 30% of requests)', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const folderMd5 = new Map<string, string>();
  const large = data(16 * MiB, 7);

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    const s1 = azurite.serviceClient();
    src = s1.getContainerClient('src');
    await src.create();
    await s1.createContainer('dst');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst2');
    const names = Array.from({ length: 200 }, (_, i) => `folder/sub${i % 5}/f${i}.txt`);
    await uploadMany(src, names, (i) => {
      const b = data(1024 + i, i);
      folderMd5.set(names[i], md5(b));
      return b;
    });
    await src.getBlockBlobClient('big/large.bin').uploadData(large, { blockSize: 4 * MiB });
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('a 200-blob folder copy completes with every throttled request retried by the SDK', async (t) => {
    proxy.setRules({ throttle503: { ratio: 0.3, retryAfterSeconds: 1 }, seed: 11, maxFaults: 5000, match: fromSdk });
    proxy.resetStats();
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(10), concurrency: 16 });
    try {
      const t0 = Date.now();
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'folder/' } }],
        destination: { connectionId: A1, container: 'dst', path: 'copied/' },
      });
      const ms = Date.now() - t0;
      const stats = proxy.stats();
      assert.equal(summary.succeeded, 200, JSON.stringify({ summary, errors: log.lines.filter((l) => l.startsWith('error')).slice(0, 5) }));
      assert.equal(summary.failed, 0);
      const sdkRequests = proxy.requestLog().filter((e) => e.fault !== undefined || e.status !== undefined).length;
      assert.ok(stats.faults.throttle503 >= 0.2 * sdkRequests, `throttled ${stats.faults.throttle503} of ${sdkRequests}`);
      assert.ok(proxy.requestLog().some((e) => e.fault === 'throttle503' && e.copySource !== undefined), 'copy requests themselves were throttled');
      // The job log's debug level shows the retries: one line per throttled attempt, with the service's request id.
      const retryLines = log.lines.filter((l) => /^debug .*: 503 ServerBusy \(request id [^)]+\); the SDK's retry policy retries it\.$/.test(l));
      assert.equal(retryLines.length, stats.faults.throttle503, `retry lines in the log: ${retryLines.length} of ${stats.faults.throttle503} throttled attempts`);
      t.diagnostic(`log: ${retryLines[0]}`);
      t.diagnostic(`200 blobs in ${ms} ms; ${stats.requests} requests, ${stats.faults.throttle503} answered 503 and retried by the SDK`);
      // Every destination byte-identical (downloaded by the test, straight from Azurite).
      const dst = azurite.serviceClient().getContainerClient('dst');
      for (const [name, sum] of folderMd5) assert.equal(await blobMd5(dst.getBlobClient(`copied/${name.slice('folder/'.length)}`)), sum, name);
      assert.equal(engine.jobs().filter((j) => j.state === 'succeeded').length, 200);
    } finally {
      engine.dispose();
    }
  });

  it('a multi-block large blob copy (Put Block From URL, 16 blocks across accounts) completes under the storm', async (t) => {
    proxy.setRules({ throttle503: { ratio: 0.3, retryAfterSeconds: 1 }, seed: 12, maxFaults: 5000, match: fromSdk });
    proxy.resetStats();
    const { engine, log } = makeEngine(proxy, { pipeline: fastRetries(10), blockSizeBytes: MiB, rangeConcurrency: 4 });
    try {
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/large.bin' } }],
        destination: { connectionId: A2, container: 'dst2', path: 'large copy.bin' },
        options: { strategy: 'put-block-from-url' },
      });
      assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
      const stats = proxy.stats();
      const blockLog = proxy.requestLog().filter((e) => e.comp === 'block');
      const throttledBlocks = blockLog.filter((e) => e.fault === 'throttle503').length;
      assert.ok(throttledBlocks > 0, 'some Put Block From URL calls were throttled');
      assert.equal(blockLog.filter((e) => e.status === 201).length, 16, 'each of the 16 blocks staged once');
      t.diagnostic(`${stats.requests} requests, ${stats.faults.throttle503} answered 503 (${throttledBlocks} of them Put Block From URL) and retried`);
      const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlockBlobClient('large copy.bin');
      assert.equal(await blobMd5(dst), md5(large));
      assert.equal((await dst.getBlockList('committed')).committedBlocks?.length, 16);
    } finally {
      engine.dispose();
    }
  });
});
