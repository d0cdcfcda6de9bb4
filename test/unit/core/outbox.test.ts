/**
 * The worker's outbox (src/core/worker/outbox.ts): what crosses to the extension host when, for a batch past its
 * listed jobs. A fake clock: nothing here waits.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EventOutbox } from '../../../src/core/worker/outbox';
import type { BatchSummary } from '../../../src/core/engine/jobEvents';
import type { JobSnapshot, JobState } from '../../../src/core/base/types';
import { jobSnapshot } from '../../helpers/jobSnapshot';
import type { EngineEvent } from '../../../src/core/worker/protocol';

const job = (id: string, state: JobState, bytesDone = 0): JobSnapshot => jobSnapshot(id, state, { bytesDone });
const summary = (over: Partial<BatchSummary> = {}): BatchSummary => ({ batchId: 'b1', total: 3, succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 0, done: false, ...over });
const kinds = (events: EngineEvent[]) => events.map((e) => (e.k === 'job' ? `job ${e.job.id} ${e.job.state}` : e.k === 'jobDelta' ? `delta ${e.id}` : e.k === 'batch' ? `batch unreported=${e.summary.unreported}` : e.k === 'removed' ? `removed ${e.ids.join(',')}` : e.k));

describe('EventOutbox: the worker\'s events for the extension host', () => {
  it('past the listed jobs: a copying job crosses once long, with or without a new event; a quick success never', () => {
    let now = 0;
    const o = new EventOutbox({ listedPerBatch: 1, longJobMs: 100 }, () => now);
    o.job(job('a', 'queued'));
    o.job(job('b', 'running'));
    o.job(job('c', 'running'));
    o.batch(summary());
    assert.deepEqual(kinds(o.take()), ['job a queued', 'batch unreported=2'], 'the first job whole; b and c counted');
    assert.equal(o.unreported, true);
    assert.equal(o.checkEveryMs, 50);
    // c succeeds quickly: nothing about it crosses; the batch counts it.
    o.job(job('c', 'succeeded', 1024));
    o.batch(summary({ succeeded: 1 }));
    now = 60;
    assert.deepEqual(kinds(o.take()), ['batch unreported=1']);
    // b had no event for 100 ms since it started copying: its newest snapshot crosses whole, then as changes.
    now = 100;
    assert.deepEqual(kinds(o.take()), ['job b running']);
    o.job(job('b', 'running', 10));
    assert.deepEqual(kinds(o.take()), ['delta b']);
    assert.equal(o.unreported, false);
    // Removals: only of the jobs the host holds.
    o.jobsRemoved(['c']);
    assert.equal(o.pendingEvents, false);
    o.jobsRemoved(['a', 'c']);
    assert.deepEqual(kinds(o.take()), ['removed a']);
    assert.deepEqual(o.take(), []);
  });

  it('a batch summary says how many of its unreported jobs are queued; a queued job never crosses for its age', () => {
    let now = 0;
    const o = new EventOutbox({ listedPerBatch: 0, longJobMs: 100 }, () => now);
    o.job(job('a', 'queued'));
    o.job(job('b', 'queued'));
    o.job(job('c', 'running'));
    o.batch(summary());
    const first = o.take();
    assert.deepEqual(first.map((e) => e.k === 'batch' && [e.summary.unreported, e.summary.unreportedQueued]), [[3, 2]]);
    now = 10_000;
    o.job(job('a', 'running'));
    o.batch(summary());
    const second = o.take();
    assert.deepEqual(kinds(second), ['batch unreported=2', 'job c running'], 'c copying 10 s crosses; a starts now; b waits');
    assert.deepEqual(second.map((e) => e.k === 'batch' && e.summary.unreportedQueued), [1, false]);
    now = 10_100;
    assert.deepEqual(kinds(o.take()), ['job a running'], 'a copying 100 ms; b, queued 10 s, stays in the counters');
    now = 100_000;
    assert.deepEqual(o.take(), []);
    assert.equal(o.unreported, true, 'b is still live and unreported');
  });

  it('a newer pending event of a long job is not replaced by the older snapshot', () => {
    let now = 0;
    const o = new EventOutbox({ listedPerBatch: 0, longJobMs: 100 }, () => now);
    o.job(job('a', 'running', 1));
    assert.deepEqual(o.take(), []);
    now = 150;
    o.job(job('a', 'running', 500));
    const events = o.take();
    assert.equal(events.length, 1);
    assert.equal(events[0].k === 'job' && events[0].job.bytesDone, 500);
  });
});
