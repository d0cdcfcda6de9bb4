/** Plain-Node tests of the Copy Jobs webview store (src/webview/store.ts): the reducer and the visible-rows selector. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAGE_ROWS, emptyTotals, type JobView } from '../../../src/shared/protocol';
import { computeTotals } from '../../helpers/totals';
import {
  actionDoneText,
  actionsFor,
  initialFilter,
  initialSearch,
  initialState,
  pageRequest,
  rank,
  reduce,
  requestMessage,
  selectVisible,
  toolbarState,
  waitingJobs,
  type PanelState,
} from '../../../src/webview/store';
import { jobView } from '../../helpers/jobView';

const view = (id: string, over: Partial<JobView> = {}): JobView => jobView({ id, source: `azurite/src/${id}.txt`, destination: `azurite/dst/${id}.txt`, ...over });

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
  // Adapted: failed/aborted now come FIRST ("failed first"; they were second, after running/pending).
  it('orders failed/aborted, then running/pending, then queued, then the rest; engine order within a group', () => {
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
      ['f', 'ab', 'r1', 'p', 'q1', 'q2', 'done', 'sk'],
    );
    assert.ok(rank('failed') < rank('running') && rank('running') < rank('queued') && rank('queued') < rank('canceled'));
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

  // Replaces "caps the rows at MAX_RENDERED_ROWS and counts the rest as N more": the webview holds one page.
  it('a page from the host replaces the rows; the virtual list is as long as the host says, around the page', () => {
    let s = init([view('a'), view('b')]);
    const ask = pageRequest(s, 0, 30, true);
    assert.ok(ask);
    s = reduce(s, { type: 'requestSent', request: { ...ask, id: 5 } });
    const rows = Array.from({ length: MAX_PAGE_ROWS }, (_, i) => view(`p${i}`, { state: 'queued' }));
    s = reduce(s, { type: 'host', message: { type: 'page', id: 5, version: 2, offset: 400_000, matching: 1_000_000, jobs: rows, filter: 'all', search: '' } });
    assert.equal(s.jobs.size, MAX_PAGE_ROWS, 'only the page is kept');
    assert.equal(s.pending.size, 0, 'the page settles the request');
    const v = selectVisible(s);
    assert.equal(v.rows.length, MAX_PAGE_ROWS);
    assert.deepEqual([v.before, v.matching, v.after], [400_000, 1_000_000, 1_000_000 - 400_000 - MAX_PAGE_ROWS]);
    // A stale page (an older request) settles its request but does not replace the page.
    s = reduce(s, { type: 'requestSent', request: { type: 'getPage', id: 6, offset: 0, limit: 10, filter: 'all', search: '' } });
    s = reduce(s, { type: 'requestSent', request: { type: 'getPage', id: 7, offset: 10, limit: 10, filter: 'all', search: '' } });
    const stale = reduce(s, { type: 'host', message: { type: 'page', id: 6, version: 3, offset: 0, matching: 5, jobs: [view('x')], filter: 'all', search: '' } });
    assert.equal(stale.jobs.size, MAX_PAGE_ROWS);
    assert.equal(stale.pending.has(6), false);
  });

  it('jobsUpdated with a window reorders the page, keeps unchanged rows and drops the rows that left', () => {
    const s0 = init([view('a'), view('b'), view('c')]);
    const s1 = reduce(s0, {
      type: 'host',
      message: { type: 'jobsUpdated', version: 2, jobs: [view('d', { state: 'failed' })], removed: ['b'], totals: emptyTotals(), window: { offset: 0, matching: 1_000, ids: ['d', 'c', 'a'] } },
    });
    assert.deepEqual([...s1.jobs.keys()], ['d', 'c', 'a']);
    assert.equal(s1.jobs.get('c'), s0.jobs.get('c'), 'a row the host did not resend is the one we had');
    assert.equal(s1.matching, 1_000);
  });

  it('pageRequest: nothing while the page covers the rows on screen; else the rows around them, at most MAX_PAGE_ROWS', () => {
    const s = { ...init([view('a'), view('b')]), offset: 100, matching: 10_000, jobs: new Map(Array.from({ length: 90 }, (_, i) => [`j${i}`, view(`j${i}`)] as const)) };
    assert.equal(pageRequest(s, 120, 30), undefined, 'rows 120–149 are in the page (100–189)');
    assert.deepEqual(pageRequest(s, 5_000, 30), { type: 'getPage', offset: 4_970, limit: 90, filter: 'all', search: '' });
    assert.deepEqual(pageRequest(s, 0, 30), { type: 'getPage', offset: 0, limit: 90, filter: 'all', search: '' });
    assert.equal(pageRequest(s, 0, 500)?.limit, MAX_PAGE_ROWS);
    assert.ok(pageRequest(s, 120, 30, true), 'forced (a new filter or search)');
    assert.equal(pageRequest({ ...s, offset: 0, matching: 0, jobs: new Map() }, 0, 30), undefined, 'an empty list needs no page');
  });

  it('pageRequest: a page made for another search or filter never covers the rows, forced or not', () => {
    // Typed "bengal": the host answered with its one row. Cleared the search: the page on hand is still bengal's,
    // and a check that is not forced (a render after a host update) must still ask for the unsearched page.
    const s = { ...init([view('a')]), offset: 0, matching: 1, jobs: new Map([['a', view('a')]]), search: '', pageSearch: 'bengal' };
    assert.deepEqual(pageRequest(s, 0, 30), { type: 'getPage', offset: 0, limit: 90, filter: 'all', search: '' });
    assert.ok(pageRequest({ ...s, search: 'bengal', filter: 'failed', pageFilter: 'all' }, 0, 30), 'another filter');
    assert.equal(pageRequest({ ...s, pageSearch: '' }, 0, 30), undefined, 'the page is the current search\'s and covers the rows');
  });

  it('search: local until the host answers, saved across reloads', () => {
    const s0 = init([view('a', { destination: 'azurite/dst/cat.jpg' }), view('b', { destination: 'azurite/dst/dog.jpg' })]);
    const s1 = reduce(s0, { type: 'setSearch', search: 'CAT' });
    const v = selectVisible(s1);
    assert.deepEqual(v.rows.map((j) => j.id), ['a']);
    assert.equal(v.matching, 1);
    assert.equal(reduce(s1, { type: 'setSearch', search: 'CAT' }), s1);
    assert.equal(initialSearch({ filter: 'all', search: 'cat' }), 'cat');
    assert.equal(initialSearch({ search: 5 }), '');
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
