/**
 * The worker's job events on the wire (src/core/worker/protocol.ts): a job's first event is its whole snapshot, the
 * later ones only what changed, and the host rebuilds exactly the snapshot the engine made.
 */
import { strict as assert } from 'node:assert';
import { serialize } from 'node:v8';
import { describe, it } from 'node:test';
import { applyJobDelta, jobEvent } from '../../../src/core/worker/protocol';
import type { JobSnapshot } from '../../../src/core/base/types';

const base: JobSnapshot = {
  id: 'j1',
  batchId: 'b1',
  source: 'src/data/f00001.bin',
  destination: 'dst/f00001.bin',
  sourceLocation: { connectionId: 'a', container: 'src', path: 'data/f00001.bin' },
  destinationLocation: { connectionId: 'a', container: 'dst', path: 'f00001.bin' },
  strategy: 'copy-blob',
  operation: 'copy-blob-from-url',
  state: 'queued',
  bytesDone: 0,
  bytesTotal: 1024,
  throughput: 0,
  startedAt: undefined,
  finishedAt: undefined,
  error: undefined,
  copyId: undefined,
  attempts: 0,
  waiting: undefined,
};

/** A job's life as the engine snapshots it: each a new object, nested values rebuilt, fields coming and going. */
const life: JobSnapshot[] = [
  base,
  { ...base, state: 'running', startedAt: 1000, attempts: 1 },
  { ...base, state: 'running', startedAt: 1000, attempts: 1, waiting: { reason: '503 ServerBusy', since: 1100, nextTryAt: 1600 } },
  { ...base, state: 'running', startedAt: 1000, attempts: 2, waiting: { reason: '503 ServerBusy', since: 1100, nextTryAt: 1600 } },
  { ...base, state: 'failed', startedAt: 1000, finishedAt: 2000, attempts: 2, error: { message: 'Copy failed: 403', status: 403 } as JobSnapshot['error'] },
  { ...base, state: 'pending', startedAt: 3000, attempts: 3, copyId: 'c-1', rehydrating: true },
  // Renamed by the conflict policy: the destination changes; rehydrating is gone.
  { ...base, destination: 'dst/f00001 (1).bin', destinationLocation: { connectionId: 'a', container: 'dst', path: 'f00001 (1).bin' }, state: 'succeeded', startedAt: 3000, finishedAt: 4000, bytesDone: 1024, attempts: 3 },
];

describe('worker job events: whole, then what changed', () => {
  it('the host rebuilds each snapshot exactly (fields set, cleared, added and removed)', () => {
    let held: JobSnapshot | undefined;
    let mirror: JobSnapshot | undefined;
    for (const [i, snap] of life.entries()) {
      // Through structured clone, as between the threads.
      const e = structuredClone(jobEvent(snap, held));
      if (i === 0) assert.equal(e.k, 'job', 'a job the host does not hold goes whole');
      else assert.equal(e.k, 'jobDelta', `step ${i}`);
      if (e.k === 'job') mirror = e.job;
      else if (e.k === 'jobDelta') mirror = applyJobDelta(mirror!, e);
      else assert.fail('a job event');
      assert.deepStrictEqual(mirror, snap, `step ${i}`);
      held = snap;
    }
  });

  it('sends only what changed: a small copy\'s later events are a fraction of the whole', () => {
    const running = { ...base, state: 'running' as const, startedAt: 1000, attempts: 1, sourceLocation: { ...base.sourceLocation! } };
    const e = jobEvent(running, base);
    assert.equal(e.k, 'jobDelta');
    assert.deepEqual(Object.keys(e.k === 'jobDelta' ? e.changed : {}).sort(), ['attempts', 'startedAt', 'state'], 'a rebuilt location of the same content is not sent');
    const whole = serialize(jobEvent(running, undefined)).length;
    const delta = serialize(e).length;
    assert.ok(delta * 3 < whole, `delta ${delta} B, whole ${whole} B`);
  });
});
