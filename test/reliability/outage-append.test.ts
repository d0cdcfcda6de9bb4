/**
 * Storage outages ridden out with DEFAULT settings (the SDK's default retries, the engine's default outage
 * tolerance of 300 s), losing nothing: append blobs (Append Block From URL): an outage waited out, a cancel while waiting
 * (the partial blob removed once storage is back, but not a blob someone wrote there anew meanwhile), and a resume
 * after a restart that finds the destination written anew does not append onto it. Set-up and path:
 * test/helpers/outageSuite.ts.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { outageSuite } from '../helpers/outageSuite';
import { blobMd5, data, md5, MiB, waitFor } from '../helpers/proxiedEngine';

describe('outages with default settings: append blobs', () => {
  const appendParts = Array.from({ length: 6 }, (_, i) => data(4 * MiB - 1000 * i, 20 + i)); // 6 chunks of 4 MiB
  const appendAll = Buffer.concat(appendParts);
  const s = outageSuite(async (src) => {
    const app = src.getAppendBlobClient('journal.log');
    await app.create();
    for (const p of appendParts) await app.appendBlock(p, p.length);
  });
  const { engine, far, copyOf, nth, refuseAtFirst, copyThroughOutage } = s;

  it('a 20 s outage (connections reset) during an append-blob copy: waited out, bytes identical, no append duplicated', { timeout: 120_000 }, async (t) => {
    const { engine: e, log } = engine();
    s.proxy.resetStats();
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
    const appends = s.proxy.requestLog().filter((x) => x.comp === 'appendblock' && x.copySource);
    t.diagnostic(`append blob: outage 20 s (reset), total ${r.elapsedMs} ms; ${appends.length} Append Block From URL requests for 6 chunks (${appends.filter((x) => x.status === 201).length} answered 201)`);
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

  it('cancel while waiting, then someone writes the destination anew before storage is back: the late removal leaves their blob', { timeout: 120_000 }, async () => {
    const { engine: e, log } = engine();
    const dest = far().getBlockBlobClient('cancel-then-written.log');
    // Down until the other writer is done (at most 60 s): the order of the writes does not depend on timing.
    const down = refuseAtFirst(nth('appendblock', 3), 60_000);
    try {
      const batchId = e.start(await e.plan(copyOf('journal.log', 'cancel-then-written.log')));
      const done = e.waitForBatch(batchId);
      await waitFor(() => e.jobs().some((j) => j.batchId === batchId && j.waiting !== undefined), 40_000, 'the job to wait for storage', 50);
      e.cancel(e.jobs().find((j) => j.batchId === batchId)!.id);
      assert.equal((await done).canceled, 1);
      // Another writer (straight to Azurite, not through the outage) puts a new blob there, over 2 s after the copy
      // created its own (creation times are to the second).
      await new Promise((r) => setTimeout(r, 2_100));
      const theirs = data(1000, 77);
      await dest.upload(theirs, theirs.length);
      assert.ok(!log.lines.some((l) => l.includes('was written anew')), 'nothing decided while storage was down');
      await down.end();
      await waitFor(() => log.lines.some((l) => l.includes('was written anew by someone else since this copy created it')), 90_000, 'the late removal to see the new blob', 200);
      assert.equal(await blobMd5(dest), md5(theirs), "the other writer's blob is there, untouched");
      assert.ok(!log.lines.some((l) => l.includes('the partial destination was removed')), log.lines.slice(-5).join('\n'));
    } finally {
      await down.end();
    }
  });

  it('a restart mid-copy, then someone writes the destination anew: the resumed copy starts over instead of appending onto their blob', { timeout: 120_000 }, async () => {
    const dest = far().getAppendBlobClient('restart-then-written.log');
    // Another writer makes the destination an append blob of its own.
    const { job, log } = await s.resumeAfterWrittenAnew('appendblock', 'journal.log', 'restart-then-written.log', async () => {
      const theirs = data(1000, 78);
      await dest.create();
      await dest.appendBlock(theirs, theirs.length);
    });
    // Appending on at the other blob's length would end "succeeded" with their 1,000 bytes before the rest of the
    // source. The copy starts over instead, as its conflict policy (overwrite, the default) says.
    assert.equal(job?.state, 'succeeded', JSON.stringify(job));
    assert.ok(log.lines.some((l) => l.includes('the destination was written anew since this copy created it: starting over')), log.lines.join('\n'));
    assert.equal(await blobMd5(dest), md5(appendAll), 'the source, byte for byte');
  });
});
