/**
 * Which job events cross from the engine's worker to the extension host (src/core/worker/crossing.ts): a batch's
 * first jobs whole; past them only the jobs the host has a use for (failed, canceled, aborted, waiting, long-lived),
 * the others counted as `unreported` while live. A fake clock: nothing here waits.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { JobCrossing, LISTED_JOBS_PER_BATCH, LONG_JOB_MS } from '../../../src/core/worker/crossing';
import type { JobSnapshot } from '../../../src/core/base/types';
import { jobSnapshot } from '../../helpers/jobSnapshot';

const job = jobSnapshot;

describe('JobCrossing: the job events the extension host is told of', () => {
  it('tells every change of a batch\'s first jobs, then only what the host has a use for', () => {
    const now = 1_000;
    const c = new JobCrossing({ listedPerBatch: 2, longJobMs: 500 }, () => now);
    // The first two jobs of b1 cross from their first event on, whatever they do.
    assert.equal(c.crosses(job('a', 'queued'), false), true);
    assert.equal(c.crosses(job('b', 'running'), false), true);
    assert.equal(c.crosses(job('a', 'succeeded'), true), true, 'a held job: every change crosses');
    // A third job of b1 does not cross while it is live and young, nor when it succeeds: its batch counts it.
    assert.equal(c.crosses(job('c', 'queued'), false), false);
    assert.deepEqual(c.unreportedOf('b1'), { live: 1, queued: 1 });
    assert.equal(c.crosses(job('c', 'running'), false), false);
    assert.deepEqual(c.unreportedOf('b1'), { live: 1, queued: 0 });
    assert.equal(c.crosses(job('c', 'succeeded'), false), false);
    assert.deepEqual(c.unreportedOf('b1'), { live: 0, queued: 0 }, 'final: no longer live and unreported');
    assert.equal(c.crosses(job('d', 'skipped'), false), false);
    // Failed, canceled, aborted jobs cross (the host lists them); so does one waiting for storage.
    assert.equal(c.crosses(job('e', 'running'), false), false);
    assert.equal(c.crosses(job('e', 'failed'), false), true);
    assert.equal(c.crosses(job('f', 'canceled'), false), true);
    assert.equal(c.crosses(job('g', 'aborted'), false), true);
    assert.equal(c.crosses(job('h', 'running', { waiting: { reason: 'the account is throttling (503)', since: now } as JobSnapshot['waiting'] }), false), true);
    assert.deepEqual(c.unreportedOf('b1'), { live: 0, queued: 0 });
    // Another batch has its own first jobs.
    assert.equal(c.crosses(job('x', 'queued', { batchId: 'b2' }), false), true);
  });

  it('a job crosses once it has been copying longJobMs: at its next event, or from due() without one; queued time does not count', () => {
    let now = 0;
    const c = new JobCrossing({ listedPerBatch: 0, longJobMs: 500 }, () => now);
    assert.equal(c.crosses(job('a', 'queued'), false), false);
    assert.equal(c.crosses(job('b', 'running'), false), false);
    assert.equal(c.crosses(job('q', 'queued'), false), false);
    assert.equal(c.waiting, true);
    now = 400;
    assert.equal(c.crosses(job('a', 'running', { bytesDone: 10 }), false), false, 'a starts copying at 400');
    now = 500;
    // b had no event since it started: due() gives its newest snapshot, which then crosses (once: it is held from now on).
    const due = c.due();
    assert.deepEqual(due.map((j) => [j.id, j.state]), [['b', 'running']], 'b copying 500 ms; a 100 ms; q queued');
    assert.equal(c.crosses(due[0], false), true);
    assert.equal(c.crosses(job('a', 'running', { bytesDone: 20 }), false), false, 'a: copying 100 ms only');
    now = 900;
    assert.equal(c.crosses(job('a', 'running', { bytesDone: 30 }), false), true, 'a: copying 500 ms, its progress shows');
    // q stays queued: however long, it is in its batch's counters only.
    now = 60_000;
    assert.deepEqual(c.due(), []);
    assert.equal(c.crosses(job('q', 'queued'), false), false);
    assert.deepEqual(c.unreportedOf('b1'), { live: 1, queued: 1 });
    now = 60_499;
    assert.equal(c.crosses(job('q', 'pending'), false), false, 'pending (a server-side copy) counts as copying');
    assert.deepEqual(c.unreportedOf('b1'), { live: 1, queued: 0 });
    now = 60_999;
    assert.deepEqual(c.due().map((j) => j.id), ['q']);
    assert.equal(c.crosses(c.due()[0], false), true);
    assert.deepEqual(c.due(), []);
    assert.deepEqual(c.unreportedOf('b1'), { live: 0, queued: 0 });
    assert.equal(c.waiting, false);
  });

  it('forgets removed jobs and forgotten batches', () => {
    const c = new JobCrossing({ listedPerBatch: 1, longJobMs: 500 }, () => 0);
    assert.equal(c.crosses(job('a', 'queued'), false), true);
    assert.equal(c.crosses(job('b', 'queued'), false), false);
    c.forget('b');
    assert.deepEqual(c.unreportedOf('b1'), { live: 0, queued: 0 }, 'a queued one forgotten');
    assert.equal(c.waiting, false);
    c.forgetBatch('b1');
    assert.equal(c.crosses(job('c', 'queued'), false), true, 'a batch id seen again starts its count again');
  });

  it('defaults: a batch\'s first 1,000 jobs cross, a copying job after 2 s', () => {
    assert.equal(LISTED_JOBS_PER_BATCH, 1_000);
    assert.equal(LONG_JOB_MS, 2_000);
    const c = new JobCrossing(undefined, () => 0);
    for (let i = 0; i < LISTED_JOBS_PER_BATCH; i++) assert.equal(c.crosses(job(`j${i}`, 'succeeded'), false), true);
    assert.equal(c.crosses(job('last', 'succeeded'), false), false);
  });
});
