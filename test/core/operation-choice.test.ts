/**
 * The choice between operations for small blobs is learned per endpoint from measured durations (issue #15): plain
 * units with timings fed by the test, the Copy Blob module completing without polling, and a batch on Azurite.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { learnableAlternatives, OperationTimings } from '../../src/core/operationChoice';
import { operationModule, type OperationContext } from '../../src/core/operations';
import type { CopyOperation } from '../../src/core/types';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { A1, makeEngine, stopFast } from './fixtures';

const SYNC: CopyOperation = 'copy-blob-from-url';
const ASYNC: CopyOperation = 'copy-blob';
const CANDIDATES = [SYNC, ASYNC];

/** Picks `n` times, and for each pick records the duration `ms(op)` as if the copy had completed. */
function run(t: OperationTimings, origin: string, n: number, ms: (op: CopyOperation) => number): CopyOperation[] {
  const picked: CopyOperation[] = [];
  for (let i = 0; i < n; i++) {
    const { operation } = t.pick(origin, CANDIDATES);
    picked.push(operation);
    t.record(origin, operation, ms(operation));
  }
  return picked;
}

const count = (ops: CopyOperation[], op: CopyOperation) => ops.filter((o) => o === op).length;

describe('learned choice between operations for small blobs (units)', () => {
  it('only small block blobs copied by one call have an alternative, and not when the source is read with a bearer token', () => {
    assert.deepEqual(learnableAlternatives('copy-blob-from-url', 'BlockBlob', 1024, false), ['copy-blob-from-url', 'copy-blob']);
    assert.deepEqual(learnableAlternatives('put-blob-from-url', 'BlockBlob', 4 * 1024 * 1024, false), ['put-blob-from-url', 'copy-blob']);
    assert.deepEqual(learnableAlternatives('put-blob-from-url', 'BlockBlob', 4 * 1024 * 1024 + 1, false), []);
    assert.deepEqual(learnableAlternatives('copy-blob-from-url', 'BlockBlob', 1024, true), []);
    assert.deepEqual(learnableAlternatives('append-block-from-url', 'AppendBlob', 1024, false), []);
    assert.deepEqual(learnableAlternatives('copy-blob', 'BlockBlob', 1024, false), []);
  });

  it('keeps the planned operation for a small batch (warm-up), then probes both and picks the faster one', () => {
    const t = new OperationTimings({ warmup: 10, probe: 5, exploreEvery: 1000 });
    const warm = run(t, 'http://a', 10, (op) => (op === SYNC ? 20 : 5));
    assert.deepEqual(warm, Array(10).fill(SYNC), 'the planned operation during warm-up');
    const next = run(t, 'http://a', 40, (op) => (op === SYNC ? 20 : 5));
    assert.equal(count(next.slice(0, 5), ASYNC), 5, 'the alternative is probed right after the warm-up');
    assert.deepEqual(next.slice(5), Array(35).fill(ASYNC), 'then the faster one, every time');
    const est = t.estimates('http://a');
    assert.equal(est[SYNC]?.samples, 10);
    assert.equal(est[ASYNC]?.samples, 40);
    assert.ok(est[ASYNC]!.meanMs < est[SYNC]!.meanMs);
  });

  it('keeps the planned operation when it is the faster one', () => {
    const t = new OperationTimings({ warmup: 4, probe: 4, exploreEvery: 1000 });
    const picked = run(t, 'http://a', 60, (op) => (op === SYNC ? 3 : 9));
    assert.equal(count(picked, ASYNC), 4, 'only the probes ran the slower operation');
    assert.deepEqual(picked.slice(-40), Array(40).fill(SYNC));
  });

  it('keeps the planned operation unless another is clearly faster (noise in shared queueing does not flip it)', () => {
    const t = new OperationTimings({ warmup: 4, probe: 4, exploreEvery: 1000 });
    let i = 0;
    // Copy Blob measures 5–10 % faster, with jitter: within the margin, so the planned Copy Blob From URL stays.
    const picked = run(t, 'http://a', 80, (op) => (op === SYNC ? 10 : 9.2) + ((i++ * 7) % 5) * 0.3);
    assert.deepEqual(picked.slice(-60), Array(60).fill(SYNC));
    const strict = new OperationTimings({ warmup: 4, probe: 4, exploreEvery: 1000, margin: 1 });
    const noMargin = run(strict, 'http://a', 40, (op) => (op === SYNC ? 10 : 9.2));
    assert.equal(noMargin.at(-1), ASYNC, 'without a margin the slightly faster one wins');
  });

  it('learns per endpoint: one server prefers one operation, another the other', () => {
    const t = new OperationTimings({ warmup: 2, probe: 3, exploreEvery: 1000 });
    const a = run(t, 'http://a', 40, (op) => (op === SYNC ? 2 : 8));
    const b = run(t, 'http://b', 40, (op) => (op === SYNC ? 8 : 2));
    assert.deepEqual(a.slice(-20), Array(20).fill(SYNC));
    assert.deepEqual(b.slice(-20), Array(20).fill(ASYNC));
    assert.deepEqual(Object.keys(t.all()).sort(), ['http://a', 'http://b']);
  });

  it('switches when the measurements change (the slower operation is re-measured now and then)', () => {
    const t = new OperationTimings({ warmup: 0, probe: 3, exploreEvery: 5, alpha: 0.5 });
    let syncMs = 2;
    const first = run(t, 'http://a', 40, (op) => (op === SYNC ? syncMs : 6));
    assert.equal(first.at(-2), SYNC, 'the faster one (the 40th pick re-measures the other)');
    assert.ok(count(first.slice(10), ASYNC) >= 4, 'the slower operation is still measured every 5th pick');
    syncMs = 30; // the server got slow at Copy Blob From URL
    const later = run(t, 'http://a', 40, (op) => (op === SYNC ? syncMs : 6));
    assert.deepEqual(later.slice(-10).filter((op, i) => (i + 1) % 5 !== 0), Array(8).fill(ASYNC), 'Copy Blob from now on (apart from re-measuring)');
    syncMs = 1; // … and fast again: re-measuring notices it
    const again = run(t, 'http://a', 60, (op) => (op === SYNC ? syncMs : 6));
    assert.equal(count(again.slice(-20), SYNC) >= 15, true, JSON.stringify(again));
  });

  it('spreads copies started together over the candidates while probing (picks count, not only completions)', () => {
    const t = new OperationTimings({ warmup: 0, probe: 4, exploreEvery: 1000 });
    const started = Array.from({ length: 8 }, () => t.pick('http://a', CANDIDATES).operation);
    assert.equal(count(started, SYNC), 4);
    assert.equal(count(started, ASYNC), 4);
    // None completed yet: the planned operation until both have a measurement.
    assert.equal(t.pick('http://a', CANDIDATES).operation, SYNC);
    t.record('http://a', SYNC, 10);
    t.record('http://a', ASYNC, 1);
    assert.equal(t.pick('http://a', CANDIDATES).operation, ASYNC);
  });

  it('ignores durations that are not measurements', () => {
    const t = new OperationTimings();
    t.record('http://a', SYNC, Number.NaN);
    t.record('http://a', SYNC, -1);
    assert.equal(t.estimates('http://a')[SYNC], undefined);
  });
});

describe('Copy Blob completed in its first response', () => {
  function fakeContext(copyStatus: 'success' | 'pending', tags?: Record<string, string>) {
    const calls: string[] = [];
    const dest = {
      async beginCopyFromURL() {
        calls.push('beginCopyFromURL');
        const done = copyStatus === 'success';
        return { getOperationState: () => ({ copyId: 'c1', isCompleted: done, result: done ? { copyStatus } : undefined }) };
      },
      async getProperties() {
        calls.push('getProperties');
        return { copyId: 'c1', copyStatus: 'success' };
      },
    };
    const ctx = {
      dest,
      signal: new AbortController().signal,
      progress: { op: 'copy-blob' },
      access: { url: 'http://x/a/b?sig=1' },
      metadata: {},
      tags,
      destConditions: {},
      etag: '"e"',
      what: 'Copy b',
      persist: () => calls.push('persist'),
      markPending: () => calls.push('markPending'),
      setBytes: () => undefined,
    } as unknown as OperationContext;
    return { ctx, calls };
  }

  it('is not polled, and needs no verifying HEAD (complete) when no tags are to be set', async () => {
    const { ctx, calls } = fakeContext('success');
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, true);
    assert.deepEqual(calls, ['beginCopyFromURL', 'persist']);
  });

  it('with tags to set it is still not polled, but left to complete (tags, verification)', async () => {
    const { ctx, calls } = fakeContext('success', { t: '1' });
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, false);
    assert.ok(!calls.includes('getProperties'));
  });

  it('a pending copy is polled until it succeeds', async () => {
    const { ctx, calls } = fakeContext('pending');
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, false);
    assert.deepEqual(calls, ['beginCopyFromURL', 'persist', 'markPending', 'getProperties']);
  });
});

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
    const { engine, log } = makeEngine(azurite);
    try {
      await azurite.serviceClient().createContainer('learned');
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
        destination: { connectionId: A1, container: 'learned', path: '' },
      });
      assert.equal(summary.succeeded, 150, JSON.stringify({ summary, log: log.lines.slice(-5) }));
      const origin = new URL(azurite.endpoint()).origin;
      const measured = engine.batchStats(summary.batchId)!.measured[origin]!;
      assert.ok((measured[SYNC]?.samples ?? 0) > 0 && (measured[ASYNC]?.samples ?? 0) > 0, JSON.stringify(measured));
      const ops = engine.batchStats(summary.batchId)!.operations;
      assert.equal((ops[SYNC] ?? 0) + (ops[ASYNC] ?? 0), 150, JSON.stringify(ops));
      assert.ok((ops[ASYNC] ?? 0) >= 16, 'Copy Blob was probed');
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
    const { engine, log } = makeEngine(azurite);
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
