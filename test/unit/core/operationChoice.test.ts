/**
 * The choice between operations for small blobs, learned per endpoint from measured durations: timings fed by the
 * test on a fake clock (the same choice on Azurite: test/core/operation-choice.test.ts).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { learnableAlternatives, OperationTimings } from '../../../src/core/operations/operationChoice';
import type { CopyOperation } from '../../../src/core/base/types';

const SYNC: CopyOperation = 'copy-blob-from-url';
const ASYNC: CopyOperation = 'copy-blob';
const CANDIDATES = [SYNC, ASYNC];

/**
 * A fake server that copies one blob at a time: each pick runs to completion, taking `ms(op)` on the fake clock, and
 * is recorded (with its probe token) — the chooser sees rates of 1000 / ms(op) copies per second.
 */
function simulate(origin: string, n: number, ms: (op: CopyOperation) => number, t?: OperationTimings, clock?: { now: number }): { t: OperationTimings; picked: CopyOperation[]; clock: { now: number } } {
  const c = clock ?? { now: 0 };
  const timings = t ?? new OperationTimings({ warmup: 10, block: 5, remeasureEvery: 1000 }, () => c.now);
  const picked: CopyOperation[] = [];
  for (let i = 0; i < n; i++) {
    const p = timings.pick(origin, CANDIDATES);
    picked.push(p.operation);
    c.now += ms(p.operation);
    timings.record(origin, p.operation, ms(p.operation), p.probe);
  }
  return { t: timings, picked, clock: c };
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

  it('keeps the planned operation for a small batch (warm-up), then probes a block of each and picks the faster one once a second round agrees', () => {
    const { t, picked } = simulate('http://a', 60, (op) => (op === SYNC ? 20 : 5));
    assert.deepEqual(picked.slice(0, 10), Array(10).fill(SYNC), 'the planned operation during warm-up');
    assert.deepEqual(picked.slice(10, 20), [...Array(5).fill(SYNC), ...Array(5).fill(ASYNC)], 'a block of each');
    assert.deepEqual(picked.slice(20, 30), [...Array(5).fill(ASYNC), ...Array(5).fill(SYNC)], 'a confirming round, in the other order');
    assert.deepEqual(picked.slice(30), Array(30).fill(ASYNC), 'then the faster one, every time');
    assert.equal(t.chosen('http://a'), ASYNC);
    const est = t.estimates('http://a');
    assert.equal(Math.round(est[ASYNC]!.ratePerSecond!), 200);
    assert.equal(Math.round(est[SYNC]!.ratePerSecond!), 50);
  });

  it('keeps the planned operation when it is the faster one', () => {
    const { picked } = simulate('http://a', 60, (op) => (op === SYNC ? 3 : 9));
    assert.equal(count(picked, ASYNC), 5, 'only the probe block ran the slower operation');
    assert.deepEqual(picked.slice(-40), Array(40).fill(SYNC));
  });

  it('keeps the planned operation unless another is clearly faster (margin)', () => {
    const { t } = simulate('http://a', 40, (op) => (op === SYNC ? 10 : 9.5));
    assert.equal(t.chosen('http://a'), SYNC, '5 % faster is within the margin');
    const c = { now: 0 };
    const strict = new OperationTimings({ warmup: 10, block: 5, margin: 1 }, () => c.now);
    simulate('http://a', 40, (op) => (op === SYNC ? 10 : 9.5), strict, c);
    assert.equal(strict.chosen('http://a'), ASYNC, 'without a margin the slightly faster one wins');
  });

  it('learns per endpoint: one server prefers one operation, another the other', () => {
    const c = { now: 0 };
    const t = new OperationTimings({ warmup: 2, block: 3 }, () => c.now);
    simulate('http://a', 40, (op) => (op === SYNC ? 2 : 8), t, c);
    simulate('http://b', 40, (op) => (op === SYNC ? 8 : 2), t, c);
    assert.equal(t.chosen('http://a'), SYNC);
    assert.equal(t.chosen('http://b'), ASYNC);
    assert.deepEqual(Object.keys(t.all()).sort(), ['http://a', 'http://b']);
  });

  it('switches when the measurements change (a new probe round every remeasureEvery copies)', () => {
    const c = { now: 0 };
    const t = new OperationTimings({ warmup: 0, block: 4, remeasureEvery: 20 }, () => c.now);
    let syncMs = 2;
    simulate('http://a', 30, (op) => (op === SYNC ? syncMs : 6), t, c);
    assert.equal(t.chosen('http://a'), SYNC);
    syncMs = 30; // the server got slow at Copy Blob From URL
    const later = simulate('http://a', 40, (op) => (op === SYNC ? syncMs : 6), t, c).picked;
    assert.equal(t.chosen('http://a'), ASYNC);
    assert.ok(count(later, ASYNC) >= 24, `mostly the faster one once confirmed (probe rounds aside): ${count(later, ASYNC)} of 40`);
    syncMs = 1; // … and fast again: the next round notices it
    simulate('http://a', 40, (op) => (op === SYNC ? syncMs : 6), t, c);
    assert.equal(t.chosen('http://a'), SYNC);
  });

  it('copies started together: blocks are picked in order, and the choice waits for their completions', () => {
    const c = { now: 0 };
    const t = new OperationTimings({ warmup: 0, block: 4 }, () => c.now);
    const started = Array.from({ length: 10 }, () => t.pick('http://a', CANDIDATES));
    assert.deepEqual(started.map((p) => p.operation), [...Array(4).fill(SYNC), ...Array(4).fill(ASYNC), SYNC, SYNC]);
    assert.ok(started.slice(0, 8).every((p) => p.probe === 1) && started.slice(8).every((p) => p.probe === undefined));
    for (const [i, p] of started.entries()) {
      c.now = p.operation === SYNC ? 100 + i : 20 + i;
      t.record('http://a', p.operation, 10, p.probe);
    }
    assert.equal(t.chosen('http://a'), undefined, 'one round is not enough to leave the planned operation');
    // The confirming round probes the other one first.
    c.now = 1000;
    const again = Array.from({ length: 8 }, () => t.pick('http://a', CANDIDATES));
    assert.deepEqual(again.map((p) => p.operation), [...Array(4).fill(ASYNC), ...Array(4).fill(SYNC)]);
    for (const [i, p] of again.entries()) {
      c.now = p.operation === SYNC ? 1100 + i : 1020 + i;
      t.record('http://a', p.operation, 10, p.probe);
    }
    assert.equal(t.chosen('http://a'), ASYNC);
  });

  it('a faster round that the confirming round does not repeat keeps the planned operation (noise)', () => {
    const c = { now: 0 };
    const t = new OperationTimings({ warmup: 0, block: 4, remeasureEvery: 1000 }, () => c.now);
    let asyncMs = 2; // a lucky first round for Copy Blob …
    const first = simulate('http://a', 8, (op) => (op === SYNC ? 5 : asyncMs), t, c).picked;
    assert.deepEqual(first, [...Array(4).fill(SYNC), ...Array(4).fill(ASYNC)]);
    assert.equal(t.chosen('http://a'), undefined);
    asyncMs = 10; // … that the second round does not confirm
    const rest = simulate('http://a', 30, (op) => (op === SYNC ? 5 : asyncMs), t, c).picked;
    assert.deepEqual(rest.slice(0, 8), [...Array(4).fill(ASYNC), ...Array(4).fill(SYNC)], 'the confirming round');
    assert.equal(t.chosen('http://a'), SYNC);
    assert.deepEqual(rest.slice(8), Array(22).fill(SYNC), 'the planned operation from then on');
  });

  it('a probe copy that never completes gives the round up (the planned operation stays)', () => {
    const t = new OperationTimings({ warmup: 0, block: 2 });
    for (let i = 0; i < 4; i++) t.pick('http://a', CANDIDATES); // two blocks picked, none recorded
    const later = Array.from({ length: 9 }, () => t.pick('http://a', CANDIDATES).operation);
    assert.deepEqual(later, Array(9).fill(SYNC));
    assert.equal(t.chosen('http://a'), SYNC);
  });

  it('ignores durations that are not measurements', () => {
    const t = new OperationTimings();
    t.record('http://a', SYNC, Number.NaN);
    t.record('http://a', SYNC, -1);
    assert.equal(t.estimates('http://a')[SYNC], undefined);
  });
});
