/**
 * Storage outages ridden out with DEFAULT settings (the SDK's default retries, the engine's default outage
 * tolerance of 300 s), losing nothing: page blobs (Put Page From URL), a resume that finds the destination written
 * anew (it starts over), and a 503 storm over small blobs. Set-up and path: test/helpers/outageSuite.ts.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEV_ACCOUNT } from '../helpers/azurite';
import { startFaultProxy } from '../helpers/faultProxy';
import { DEFAULTS, outageSuite } from '../helpers/outageSuite';
import { gateFor, ACCOUNT_START_IN_FLIGHT } from '../../src/core/storage/throttle';
import { accountKey } from '../../src/core/base/urls';
import { A1, blobMd5, data, fromSdk, md5, MiB, resolverThrough, uploadMany } from '../helpers/proxiedEngine';

describe('outages and throttling with default settings: page blobs, a 503 storm', () => {
  const pageBytes = data(24 * MiB, 13);
  const s = outageSuite(async (src) => {
    const page = src.getPageBlobClient('disk.vhd');
    await page.create(pageBytes.length);
    for (let o = 0; o < pageBytes.length; o += 4 * MiB) await page.uploadPages(pageBytes.subarray(o, o + 4 * MiB), o, 4 * MiB);
  });
  const { engine, far, copyOf, nth, copyThroughOutage } = s;

  it('a 20 s outage (connections refused) during a page-blob copy: waited out, bytes identical', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine();
    s.proxy.resetStats();
    const r = await copyThroughOutage(e, copyOf('disk.vhd', 'disk.vhd'), nth('page', 3), 'refuse', 20_000, 'disk.vhd');
    assert.equal(r.job.state, 'succeeded', JSON.stringify({ job: r.job, log: log.lines.slice(-10) }));
    assert.equal(r.job.operation, 'put-page-from-url');
    assert.ok(r.waits.length > 0, 'the job showed "waiting"');
    const dst = far().getPageBlobClient('disk.vhd');
    assert.equal((await dst.getProperties()).contentLength, pageBytes.length);
    assert.equal(await blobMd5(dst), md5(pageBytes));
    t.diagnostic(`page blob: outage 20 s (refuse), total ${r.elapsedMs} ms; ${r.waits.length} waiting snapshots`);
  });

  it('a restart mid-copy, then someone writes the destination anew: the resumed page copy starts over instead of writing into their blob', { timeout: 120_000 }, async () => {
    const dest = far().getPageBlobClient('restart-then-written.vhd');
    // Another writer makes the destination a page blob of its own, as long as the source.
    const { job, log } = await s.resumeAfterWrittenAnew('page', 'disk.vhd', 'restart-then-written.vhd', async () => {
      const theirs = data(pageBytes.length, 14);
      await dest.create(theirs.length);
      for (let o = 0; o < theirs.length; o += 4 * MiB) await dest.uploadPages(theirs.subarray(o, o + 4 * MiB), o, 4 * MiB);
    });
    // Writing on into their blob would end "succeeded" (the length matches) with some of their pages left in it.
    assert.equal(job?.state, 'succeeded', JSON.stringify(job));
    assert.ok(log.lines.some((l) => l.includes('the destination was written anew since this copy created it: starting over')), log.lines.join('\n'));
    assert.equal(await blobMd5(dest), md5(pageBytes), 'the source, byte for byte');
  });

  it('a 30 % 503 storm over 200 small blobs: none fails, and the account gate lowered its limit', { timeout: 150_000 }, async (t) => {
    // A proxy of its own: a fresh account key, so a fresh gate.
    const storm = await startFaultProxy({ host: s.azurite.host, port: s.azurite.port });
    s.track(storm);
    try {
      const names = Array.from({ length: 200 }, (_, i) => `storm/f${i}.txt`);
      const sums = new Map<string, string>();
      await uploadMany(s.src, names, (i) => {
        const b = data(1024 + i, i);
        sums.set(names[i], md5(b));
        return b;
      });
      const gate = gateFor(accountKey(storm.endpoint(DEV_ACCOUNT.name)));
      assert.equal(gate.stats().lowestLimit, ACCOUNT_START_IN_FLIGHT);
      storm.setRules({ throttle503: { ratio: 0.3, retryAfterSeconds: 1 }, seed: 5, maxFaults: 5000, match: fromSdk });
      const { engine: e, log } = engine({ resolve: resolverThrough(storm, DEFAULTS) });
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
      for (const [name, sum] of sums) assert.equal(await blobMd5(s.src.getBlobClient(`stormed/${name.slice('storm/'.length)}`)), sum, name);
      t.diagnostic(`200 blobs in ${ms} ms; ${storm.stats().requests} requests, ${storm.stats().faults.throttle503} answered 503; gate limit ${g.limit}, lowest ${g.lowestLimit}, throttled ${g.throttled}`);
    } finally {
      await storm.stop();
    }
  });
});
