/**
 * The extension host's mirror of the engine in its worker (src/core/worker/mirror.ts): it holds what the events
 * said, tells its listeners, and when the worker is lost ends what was live as failed (as events, like the rest).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EngineMirror } from '../../../src/core/worker/mirror';
import type { BatchSummary } from '../../../src/core/engine/jobEvents';
import { jobSnapshot } from '../../helpers/jobSnapshot';
import { jobEvent } from '../../../src/core/worker/protocol';

const job = jobSnapshot;
const summary = (over: Partial<BatchSummary> = {}): BatchSummary => ({ batchId: 'b1', total: 2, succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 0, done: false, ...over });

describe('EngineMirror: the host thread\'s jobs and batches', () => {
  it('applies whole snapshots, deltas, removals and gone batches, and tells its listeners of each', () => {
    const m = new EngineMirror();
    const heard: string[] = [];
    m.onJob((j) => heard.push(`job ${j.id} ${j.state} ${j.bytesDone}`));
    m.onBatch((b) => heard.push(`batch ${b.batchId} done=${b.done}`));
    m.onJobsRemoved((ids) => heard.push(`removed ${ids.join(',')}`));
    m.onBatchesRemoved((ids) => heard.push(`gone ${ids.join(',')}`));
    const first = job('j1', 'running');
    m.apply(jobEvent(first, undefined));
    m.apply(jobEvent(job('j1', 'running', { bytesDone: 512 }), first));
    m.apply(jobEvent(job('j2', 'queued'), undefined));
    m.apply({ k: 'batch', summary: summary() });
    assert.deepEqual(m.liveJobs('b1').map((j) => `${j.id} ${j.bytesDone}`), ['j1 512', 'j2 0']);
    assert.equal(m.stateOf('j2'), 'queued');
    m.apply({ k: 'removed', ids: ['j2', 'unknown'] });
    m.apply({ k: 'removed', ids: ['unknown'] }); // nothing the mirror holds: no event
    m.apply({ k: 'batchGone', batchId: 'b1' });
    m.apply({ k: 'batchGone', batchId: 'b1' });
    assert.deepEqual(heard, ['job j1 running 0', 'job j1 running 512', 'job j2 queued 0', 'batch b1 done=false', 'removed j2', 'gone b1']);
    assert.deepEqual(m.jobs().map((j) => j.id), ['j1']);
    assert.equal(m.batch('b1'), undefined);
  });

  it('a lost engine: live jobs end failed with why, finished ones stay; open batches end done with the error', () => {
    const m = new EngineMirror();
    m.apply(jobEvent(job('live', 'running', { waiting: { reason: 'timeout', since: 1, nextTryAt: 2 } }), undefined));
    m.apply(jobEvent(job('ok', 'succeeded'), undefined));
    m.apply({ k: 'batch', summary: summary({ listing: true }) });
    m.apply({ k: 'batch', summary: summary({ batchId: 'b2', done: true, succeeded: 1 }) });
    const heard: string[] = [];
    m.onJob((j) => heard.push(`job ${j.id} ${j.state}`));
    m.onBatch((b) => heard.push(`batch ${b.batchId}`));
    const error = { message: 'The copy engine stopped unexpectedly (exit code 1).', hint: 'Resume.' };
    m.engineLost(error);
    assert.deepEqual(heard, ['job live failed', 'batch b1']);
    const live = m.jobs().find((j) => j.id === 'live')!;
    assert.deepEqual([live.state, live.error, live.waiting], ['failed', error, undefined]);
    assert.equal(m.stateOf('ok'), 'succeeded');
    assert.deepEqual([m.batch('b1')?.done, m.batch('b1')?.listing, m.batch('b1')?.error], [true, false, error]);
    assert.equal(m.batch('b2')?.error, undefined);
    assert.deepEqual(m.liveJobs('b1'), []);
  });
});
