/** Plain-Node tests of the Copy Jobs webview store (src/webview/store.ts): the reducer and the visible-rows selector. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RENDERED_ROWS, computeTotals, emptyTotals, type JobView } from '../../src/shared/protocol';
import {
  actionDoneText,
  actionsFor,
  initialFilter,
  initialState,
  rank,
  reduce,
  requestMessage,
  selectVisible,
  toolbarState,
  waitingJobs,
  type PanelState,
} from '../../src/webview/store';

const view = (id: string, over: Partial<JobView> = {}): JobView => ({
  id,
  batchId: 'b1',
  source: `azurite/src/${id}.txt`,
  destination: `azurite/dst/${id}.txt`,
  strategy: 'put-blob-from-url',
  state: 'running',
  bytesDone: 10,
  bytesTotal: 100,
  throughput: 5,
  abortable: false,
  attempts: 1,
  ...over,
});

function init(jobs: JobView[], state: PanelState = initialState(), filter: PanelState['filter'] = 'all', version = 1): PanelState {
  return reduce(state, { type: 'host', message: { type: 'init', version, jobs, filter, totals: computeTotals(jobs) } });
}

describe('webview store: reducer', () => {
  it('starts empty, with the saved filter, else the HTML one, else "all"', () => {
    const s = initialState();
    assert.equal(s.jobs.size, 0);
    assert.equal(s.version, 0);
    assert.deepEqual(s.totals, emptyTotals());
    assert.equal(initialFilter({ filter: 'failed' }, 'active'), 'failed');
    assert.equal(initialFilter({ filter: 'bogus' }, 'active'), 'active');
    assert.equal(initialFilter(undefined, 'nonsense'), 'all');
    assert.equal(initialFilter(null, undefined), 'all');
  });

  it('init replaces every job, the totals, the version and the filter', () => {
    const before = init([view('old')]);
    const s = init([view('a'), view('b', { state: 'failed' })], before, 'failed', 7);
    assert.deepEqual([...s.jobs.keys()], ['a', 'b']);
    assert.equal(s.version, 7);
    assert.equal(s.filter, 'failed');
    assert.equal(s.totals.count, 2);
    assert.equal(before.jobs.size, 1, 'the previous state is not mutated');
  });

  it('jobsUpdated removes, updates in place (keeping engine order) and appends', () => {
    const s0 = init([view('a'), view('b'), view('c')]);
    const s1 = reduce(s0, {
      type: 'host',
      message: { type: 'jobsUpdated', version: 2, jobs: [view('a', { state: 'succeeded' }), view('d')], removed: ['b'], totals: emptyTotals() },
    });
    assert.deepEqual([...s1.jobs.keys()], ['a', 'c', 'd']);
    assert.equal(s1.jobs.get('a')?.state, 'succeeded');
    assert.equal(s1.version, 2);
    assert.equal(s0.jobs.size, 3, 'the previous state is not mutated');
    assert.equal(s0.jobs.get('a')?.state, 'running');
  });

  it('a filter change is state; the same filter returns the same state', () => {
    const s0 = initialState('all');
    const s1 = reduce(s0, { type: 'setFilter', filter: 'active' });
    assert.equal(s1.filter, 'active');
    assert.equal(reduce(s1, { type: 'setFilter', filter: 'active' }), s1);
  });

  it('numbers requests; a reply settles one: ok clears the notice and announces, an error becomes the notice', () => {
    let s = initialState();
    const first = requestMessage(s, { type: 'cancel', jobId: 'a' });
    assert.deepEqual(first, { type: 'cancel', jobId: 'a', id: 1 });
    s = reduce(s, { type: 'requestSent', request: first, done: 'Canceling a.txt' });
    const second = requestMessage(s, { type: 'clearFinished' });
    assert.equal(second.id, 2);
    s = reduce(s, { type: 'requestSent', request: second });
    assert.equal(s.pending.size, 2);

    s = reduce(s, { type: 'host', message: { type: 'reply', id: 2, ok: false, error: 'nope' } });
    assert.equal(s.notice, 'nope');
    assert.equal(s.pending.size, 1);
    s = reduce(s, { type: 'host', message: { type: 'reply', id: 1, ok: true } });
    assert.equal(s.notice, undefined);
    assert.equal(s.announcement, 'Canceling a.txt');
    assert.equal(s.pending.size, 0);

    const unknown = reduce(s, { type: 'host', message: { type: 'reply', id: 99, ok: false, error: 'stray' } });
    assert.equal(unknown, s, 'a reply to no pending request changes nothing');
  });

  it('dismissNotice clears the notice', () => {
    let s = reduce(initialState(), { type: 'requestSent', request: { type: 'retryFailed', id: 1 } });
    s = reduce(s, { type: 'host', message: { type: 'reply', id: 1, ok: false, error: 'There are no failed copies to retry.' } });
    assert.equal(s.notice, 'There are no failed copies to retry.');
    assert.equal(reduce(s, { type: 'dismissNotice' }).notice, undefined);
  });

  it('actionDoneText names the job by its destination file name', () => {
    assert.equal(actionDoneText('retry', view('a'), 'a'), 'Retrying a.txt');
    assert.equal(actionDoneText('reveal', undefined, 'job-7'), 'Revealed job-7');
  });
});

describe('webview store: visible rows', () => {
  it('orders running/pending, then failed/aborted, then queued, then the rest; engine order within a group', () => {
    const s = init([
      view('done', { state: 'succeeded' }),
      view('q1', { state: 'queued' }),
      view('f', { state: 'failed' }),
      view('r1'),
      view('p', { state: 'pending' }),
      view('ab', { state: 'aborted' }),
      view('q2', { state: 'queued' }),
      view('sk', { state: 'skipped' }),
    ]);
    assert.deepEqual(
      selectVisible(s).rows.map((j) => j.id),
      ['r1', 'p', 'f', 'ab', 'q1', 'q2', 'done', 'sk'],
    );
    assert.ok(rank('running') < rank('failed') && rank('failed') < rank('queued') && rank('queued') < rank('canceled'));
  });

  it('filters: active, failed, all', () => {
    const s = init([view('r'), view('q', { state: 'queued' }), view('f', { state: 'failed' }), view('ab', { state: 'aborted' }), view('ok', { state: 'succeeded' })]);
    const ids = (filter: PanelState['filter']): string[] => selectVisible({ ...s, filter }).rows.map((j) => j.id);
    assert.deepEqual(ids('active'), ['r', 'q']);
    assert.deepEqual(ids('failed'), ['f', 'ab']);
    assert.equal(ids('all').length, 5);
    const failed = selectVisible({ ...s, filter: 'failed' });
    assert.equal(failed.matching, 2);
    assert.equal(failed.known, 5);
  });

  it(`caps the rows at MAX_RENDERED_ROWS (${MAX_RENDERED_ROWS}) and counts the rest as "N more"`, () => {
    const jobs = Array.from({ length: MAX_RENDERED_ROWS + 12 }, (_, i) => view(`j${i}`, { state: i % 2 ? 'queued' : 'running' }));
    const v = selectVisible(init(jobs));
    assert.equal(v.rows.length, MAX_RENDERED_ROWS);
    assert.equal(v.matching, MAX_RENDERED_ROWS + 12);
    assert.equal(v.hidden, 12);
    assert.equal(v.rows[0].state, 'running', 'the running jobs come first, before the cap');
    assert.equal(selectVisible(init(jobs), 10).rows.length, 10);
  });

  it('actionsFor: cancel while active, abort only when abortable, retry when failed/canceled/aborted, reveal always', () => {
    assert.deepEqual(actionsFor({ state: 'queued', abortable: false }), ['cancel', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'running', abortable: false }), ['cancel', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'pending', abortable: true }), ['cancel', 'abort', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'pending', abortable: false }), ['cancel', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'failed', abortable: false }), ['retry', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'canceled', abortable: false }), ['retry', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'aborted', abortable: false }), ['retry', 'reveal']);
    assert.deepEqual(actionsFor({ state: 'succeeded', abortable: false }), ['reveal']);
    assert.deepEqual(actionsFor({ state: 'skipped', abortable: false }), ['reveal']);
  });

  it('toolbarState: Retry Failed needs a failed job, Clear Finished a finished one', () => {
    assert.deepEqual(toolbarState(emptyTotals()), { canRetryFailed: false, canClearFinished: false, active: 0 });
    const t = computeTotals([view('a'), view('b', { state: 'failed' }), view('c', { state: 'queued' })]);
    assert.deepEqual(toolbarState(t), { canRetryFailed: true, canClearFinished: true, active: 2 });
    assert.equal(toolbarState(computeTotals([view('a', { state: 'skipped' })])).canClearFinished, true);
    assert.equal(toolbarState(computeTotals([view('a', { state: 'aborted' })])).canRetryFailed, false);
  });
});

describe('store: jobs waiting for storage', () => {
  it('counts active waiting jobs and keeps the first reason; finished jobs do not count', () => {
    const w = (reason: string) => ({ reason, since: 1, nextTryAt: 2 });
    const jobs = new Map<string, JobView>([
      ['a', view('a')],
      ['b', view('b', { waiting: w('connection refused') })],
      ['c', view('c', { state: 'pending', waiting: w('503 ServerBusy') })],
      ['d', view('d', { state: 'failed', waiting: w('stale') })],
    ]);
    assert.deepEqual(waitingJobs(jobs), { count: 2, reason: 'connection refused' });
    assert.deepEqual(waitingJobs(new Map([['a', view('a')]])), { count: 0, reason: undefined });
  });
});
