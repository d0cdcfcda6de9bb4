/**
 * The choice between operations for small blobs, learned per endpoint from measured durations, in a batch on Azurite
 * (the chooser itself on a fake clock: test/unit/core/operationChoice.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { CopyOperation } from '../../src/core/base/types';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { A1, makeEngine, stopFast } from '../helpers/engine';

const SYNC: CopyOperation = 'copy-blob-from-url';
const ASYNC: CopyOperation = 'copy-blob';

describe('learned choice on Azurite', () => {
  let azurite: AzuriteInstance;
  before(async () => {
    azurite = await startAzurite();
    const s = azurite.serviceClient();
    await s.createContainer('src');
    const body = Buffer.alloc(512, 1);
    const names = Array.from({ length: 150 }, (_, i) => `many/f${String(i).padStart(3, '0')}.bin`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => s.getContainerClient('src').getBlockBlobClient(n).upload(body, body.length)));
  });
  after(async () => {
    await stopFast(azurite);
  });

  it('a batch of small blobs (auto) records timings for both operations, and every blob arrives', async () => {
    // A probe round after 16 small copies, blocks of 32: both are measured within the 150 blobs.
    const { engine, log } = makeEngine(azurite, { operationChoice: { warmup: 16, block: 32 } });
    try {
      await azurite.serviceClient().createContainer('learned');
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A1, container: 'learned', path: '' },
      });
      assert.equal(summary.succeeded, 150, JSON.stringify({ summary, log: log.lines.slice(-5) }));
      const origin = new URL(azurite.endpoint()).origin;
      const measured = engine.batchStats(summary.batchId)!.measured[origin]!;
      assert.ok((measured[SYNC]?.ratePerSecond ?? 0) > 0 && (measured[ASYNC]?.ratePerSecond ?? 0) > 0, JSON.stringify(measured));
      const ops = engine.batchStats(summary.batchId)!.operations;
      assert.equal((ops[SYNC] ?? 0) + (ops[ASYNC] ?? 0), 150, JSON.stringify(ops));
      assert.ok((ops[ASYNC] ?? 0) >= 32, 'Copy Blob was probed (a block of 32)');
      let n = 0;
      for await (const b of azurite.serviceClient().getContainerClient('learned').listBlobsFlat()) n += b.properties.contentLength === 512 ? 1 : 0;
      assert.equal(n, 150);
      const phases = engine.batchStats(summary.batchId)!.phases;
      assert.ok(phases.totalMs >= phases.copyMs && phases.listMs >= 0 && phases.planMs >= 0, JSON.stringify(phases));
    } finally {
      engine.dispose();
    }
  });

  it('never overrides a forced strategy', async () => {
    const { engine, log } = makeEngine(azurite, { operationChoice: { warmup: 16, block: 32 } });
    try {
      await azurite.serviceClient().createContainer('forced');
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A1, container: 'forced', path: '' },
        options: { strategy: 'copy-blob' },
      });
      assert.equal(summary.succeeded, 150, JSON.stringify({ summary, log: log.lines.slice(-5) }));
      assert.deepEqual(engine.batchStats(summary.batchId)!.operations, { [ASYNC]: 150 });
      assert.deepEqual(engine.batchStats(summary.batchId)!.measured, {}, 'a forced strategy is not a choice: nothing is measured for it');
    } finally {
      engine.dispose();
    }
  });
});
