/** The engine reports every change of what jobs() and batch() return: retention and Clear Finished included. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance } from '../helpers/azurite';
import type { BatchSummary } from '../../src/core';
import { A1, makeEngine, stopFast } from '../helpers/engine';

describe('engine events: every change of the listing is told', () => {
  let azurite: AzuriteInstance;
  before(async () => {
    azurite = await startAzurite();
    const src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    for (let i = 0; i < 30; i++) await src.getBlockBlobClient(`r/${String(i).padStart(2, '0')}.txt`).upload('x', 1);
  });
  after(async () => {
    await stopFast(azurite);
  });

  it('a finished job past the retention leaves jobs() with a removal event; Clear Finished tells the jobs, then the batch', async () => {
    const { engine } = makeEngine(azurite, { retainFinished: 10 });
    try {
      const removed: string[] = [];
      const gone: string[] = [];
      const summaries: BatchSummary[] = [];
      engine.onJobsRemoved((ids) => removed.push(...ids));
      engine.onBatchesRemoved((ids) => gone.push(...ids));
      engine.onBatch((b) => summaries.push(b));
      const finishedOrder: string[] = [];
      engine.onJob((j) => {
        if (j.state === 'succeeded') finishedOrder.push(j.id);
      });
      const batchId = await engine.startStreaming({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r/' } }], destination: { connectionId: A1, container: 'src', path: 'copy/' } });
      await engine.waitForBatch(batchId);
      await new Promise((r) => setImmediate(r)); // removals of a burst are told together, after it
      const listed = new Set(engine.jobs().map((j) => j.id));
      assert.equal(listed.size, 10);
      assert.deepEqual([...listed].sort(), finishedOrder.slice(-10).sort(), 'the ten listed are the last ten to finish');
      assert.deepEqual(removed, finishedOrder.slice(0, 20), 'the others left in the order they finished');
      assert.equal(removed.length, 20);
      assert.ok(removed.every((id) => !listed.has(id)), 'every removed job is gone from jobs()');
      engine.clearFinished();
      assert.equal(engine.jobs().length, 0);
      assert.deepEqual(removed.slice(20).sort(), [...listed].sort());
      assert.deepEqual(gone, [batchId]);
      assert.equal(engine.batch(batchId), undefined);
      assert.equal(summaries.at(-1)?.done, true);

      // After Clear Finished the retention starts over: a second copy's last ten are listed, its first twenty told.
      const before = removed.length;
      finishedOrder.length = 0;
      const second = await engine.startStreaming({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r/' } }], destination: { connectionId: A1, container: 'src', path: 'again/' } });
      await engine.waitForBatch(second);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(engine.jobs().map((j) => j.id).sort(), finishedOrder.slice(-10).sort());
      assert.deepEqual(removed.slice(before), finishedOrder.slice(0, 20));
    } finally {
      engine.dispose();
    }
  });
});
