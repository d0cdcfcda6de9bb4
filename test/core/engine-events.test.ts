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
      const batchId = await engine.startStreaming({ sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r/' } }], destination: { connectionId: A1, container: 'src', path: 'copy/' } });
      await engine.waitForBatch(batchId);
      await new Promise((r) => setImmediate(r)); // removals of a burst are told together, after it
      const listed = new Set(engine.jobs().map((j) => j.id));
      assert.equal(listed.size, 10);
      assert.equal(removed.length, 20);
      assert.ok(removed.every((id) => !listed.has(id)), 'every removed job is gone from jobs()');
      engine.clearFinished();
      assert.equal(engine.jobs().length, 0);
      assert.deepEqual(removed.slice(20).sort(), [...listed].sort());
      assert.deepEqual(gone, [batchId]);
      assert.equal(engine.batch(batchId), undefined);
      assert.equal(summaries.at(-1)?.done, true);
    } finally {
      engine.dispose();
    }
  });
});
