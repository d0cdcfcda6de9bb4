/**
 * Plain-Node tests of the Copy Jobs protocol (src/shared/protocol.ts): strict validation both ways, filters, totals.
 * No VS Code, no Azurite.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertNever,
  emptyTotals,
  matchesFilter,
} from '../../../src/shared/protocol';
import { computeTotals } from '../../helpers/totals';
import { validateHostMessage, validateJobView, validateWebviewMessage } from '../../../src/shared/protocolValidation';
import { jobView } from '../../helpers/jobView';

const view = jobView;

describe('validateWebviewMessage', () => {
  it('accepts every well-formed webview → host message', () => {
    const good: unknown[] = [
      { type: 'ready' },
      { type: 'rendered', version: 3, rows: 10, matching: 12, known: 20, filter: 'all' },
      { type: 'cancel', id: 1, jobId: 'j1' },
      { type: 'retry', id: 2, jobId: 'j1' },
      { type: 'abort', id: 3, jobId: 'j1' },
      { type: 'reveal', id: 4, jobId: 'j1' },
      { type: 'clearFinished', id: 5 },
      { type: 'setFilter', id: 6, filter: 'failed' },
      { type: 'retryFailed', id: 7 },
      { type: 'retryFailed', id: 8, batchId: 'b1' },
      { type: 'getPage', id: 9, offset: 0, limit: 100, filter: 'all', search: '' },
      { type: 'getPage', id: 10, offset: 999_000, limit: 200, filter: 'failed', search: 'cat.jpg' },
    ];
    for (const m of good) assert.deepEqual(validateWebviewMessage(m), m, JSON.stringify(m));
  });

  it('returns a new object, not the input', () => {
    const m = { type: 'cancel', id: 1, jobId: 'j1' };
    const v = validateWebviewMessage(m);
    assert.notEqual(v, m);
  });

  it('rejects non-objects and unknown types', () => {
    for (const m of [undefined, null, 42, 'ready', [], [{ type: 'ready' }], {}, { type: 7 }, { type: 'delete', id: 1, jobId: 'j' }, { type: 'init', version: 1 }, { type: 'READY' }]) {
      assert.equal(validateWebviewMessage(m), undefined, JSON.stringify(m));
    }
  });

  it('rejects missing, mistyped and extra fields', () => {
    const bad: unknown[] = [
      { type: 'cancel', jobId: 'j1' }, // no id
      { type: 'cancel', id: 0, jobId: 'j1' }, // id must be > 0
      { type: 'cancel', id: -1, jobId: 'j1' },
      { type: 'cancel', id: 1.5, jobId: 'j1' },
      { type: 'cancel', id: '1', jobId: 'j1' },
      { type: 'cancel', id: 1 }, // no jobId
      { type: 'cancel', id: 1, jobId: '' },
      { type: 'cancel', id: 1, jobId: 42 },
      { type: 'cancel', id: 1, jobID: 'j1' }, // wrong field name
      { type: 'cancel', id: 1, jobId: 'j1', command: 'rm -rf' }, // extra field
      { type: 'ready', extra: true },
      { type: 'setFilter', id: 1, filter: 'everything' },
      { type: 'setFilter', id: 1 },
      { type: 'retryFailed', id: 1, batchId: 5 },
      { type: 'clearFinished' },
      { type: 'rendered', version: 1, rows: -1, matching: 0, known: 0, filter: 'all' },
      { type: 'rendered', version: 1, rows: 1, matching: 1, known: 1, filter: 'all', html: '<b>' },
      { type: 'rendered', version: Number.NaN, rows: 1, matching: 1, known: 1, filter: 'all' },
      { type: 'getPage', id: 1, offset: 0, limit: 201, filter: 'all', search: '' }, // more than MAX_PAGE_ROWS
      { type: 'getPage', id: 1, offset: 0, limit: 0, filter: 'all', search: '' },
      { type: 'getPage', id: 1, offset: -1, limit: 10, filter: 'all', search: '' },
      { type: 'getPage', id: 1, offset: 1.5, limit: 10, filter: 'all', search: '' },
      { type: 'getPage', id: 1, offset: 0, limit: 10, filter: 'all' }, // no search
      { type: 'getPage', id: 1, offset: 0, limit: 10, filter: 'all', search: 'x'.repeat(201) },
      { type: 'getPage', id: 1, offset: 0, limit: 10, filter: 'all', search: '', sort: 'name' },
    ];
    for (const m of bad) assert.equal(validateWebviewMessage(m), undefined, JSON.stringify(m));
  });
});

describe('validateHostMessage', () => {
  const totals = computeTotals([view()]);
  const batch = { batchId: 'b1', total: 1_000_000, succeeded: 10, skipped: 0, failed: 1, canceled: 0, aborted: 0, bytes: 5, bytesTotal: 9, done: false, listing: true };

  it('accepts init, jobsUpdated and both kinds of reply', () => {
    const good: unknown[] = [
      { type: 'init', version: 1, jobs: [view(), view({ id: 'j2', state: 'failed', error: { message: 'no', code: 'BlobNotFound', status: 404, hint: 'check', requestId: 'r' } })], filter: 'active', totals },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals: emptyTotals() },
      { type: 'jobsUpdated', version: 2, jobs: [view({ startedAt: 1, finishedAt: 2 })], removed: ['j9'], totals },
      { type: 'reply', id: 1, ok: true },
      { type: 'reply', id: 2, ok: false, error: 'That job is no longer listed.' },
      { type: 'init', version: 1, jobs: [view()], filter: 'all', totals, batches: [batch], window: { offset: 0, matching: 1, ids: ['j1'] }, waiting: { count: 0 } },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, batches: [{ ...batch, listingWaiting: 'connection refused' }] },
      { type: 'jobsUpdated', version: 2, jobs: [], removed: [], totals, batches: [], window: { offset: 500, matching: 1_000_000, ids: [] }, waiting: { count: 2, reason: 'connection refused' } },
      { type: 'page', id: 3, version: 4, offset: 10, matching: 11_000, jobs: [view()], filter: 'failed', search: 'a.txt' },
    ];
    for (const m of good) assert.deepEqual(validateHostMessage(m), m, JSON.stringify(m));
  });

  it('rejects a message whose jobs, totals or reply are malformed', () => {
    const bad: unknown[] = [
      { type: 'init', version: 1, jobs: [view({ state: 'exploded' as never })], filter: 'all', totals },
      { type: 'init', version: 1, jobs: [view({ bytesDone: -1 })], filter: 'all', totals },
      { type: 'init', version: 1, jobs: [{ ...view(), copyId: 'x' }], filter: 'all', totals }, // field not in the protocol
      { type: 'init', version: 1, jobs: [view({ strategy: 'teleport' as never })], filter: 'all', totals },
      { type: 'init', version: 1, jobs: [view({ error: { message: 5 } as never })], filter: 'all', totals },
      { type: 'init', version: 1, jobs: 'all of them', filter: 'all', totals },
      { type: 'init', version: 1, jobs: [], filter: 'some', totals },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals: { ...totals, byState: { running: 1 } } },
      { type: 'init', version: 1, jobs: [], filter: 'all' },
      { type: 'jobsUpdated', version: 2, jobs: [], totals }, // no removed
      { type: 'jobsUpdated', version: 2, jobs: [], removed: [3], totals },
      { type: 'reply', id: 1, ok: false },
      { type: 'reply', id: 1, ok: 'yes' },
      { type: 'reply', id: 0, ok: true },
      { type: 'reply', id: 1, ok: true, error: 'x' },
      { type: 'ready' }, // a webview → host message is not a host message
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, batches: [{ ...batch, total: -1 }] },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, batches: [{ ...batch, secret: 'x' }] },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, batches: [{ ...batch, listingWaiting: { reason: 'x' } }] },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, batches: [{ ...batch, listingWaiting: 'x'.repeat(201) }] },
      { type: 'init', version: 1, jobs: [], filter: 'all', totals, window: { offset: 0, matching: 1, ids: [5] } },
      { type: 'jobsUpdated', version: 2, jobs: [], removed: [], totals, window: { offset: 0, matching: 1, ids: Array.from({ length: 201 }, (_, i) => `j${i}`) } },
      { type: 'jobsUpdated', version: 2, jobs: [], removed: [], totals, waiting: { count: 1, reason: 7 } },
      { type: 'page', id: 3, version: 4, offset: 0, matching: 1, jobs: Array.from({ length: 201 }, (_, i) => view({ id: `j${i}` })), filter: 'all', search: '' },
      { type: 'page', version: 4, offset: 0, matching: 1, jobs: [], filter: 'all', search: '' }, // no id
      { type: 'page', id: 3, version: 4, offset: 0, matching: 1, jobs: [], filter: 'all', search: '', extra: 1 },
    ];
    for (const m of bad) assert.equal(validateHostMessage(m), undefined, JSON.stringify(m));
  });

  it('validateJobView accepts a plain view and rejects an empty id', () => {
    assert.ok(validateJobView(view()));
    assert.equal(validateJobView(view({ id: '' })), undefined);
  });
});

describe('filters, totals, assertNever', () => {
  it('matchesFilter: active = queued/running/pending; failed = failed/aborted; all = everything', () => {
    assert.ok(matchesFilter('running', 'active') && matchesFilter('queued', 'active') && matchesFilter('pending', 'active'));
    assert.ok(!matchesFilter('succeeded', 'active') && !matchesFilter('failed', 'active'));
    assert.ok(matchesFilter('failed', 'failed') && matchesFilter('aborted', 'failed') && !matchesFilter('canceled', 'failed'));
    assert.ok(matchesFilter('skipped', 'all'));
  });

  it('computeTotals counts states and sums bytes; throughput only of moving jobs', () => {
    const t = computeTotals([view({ state: 'running', throughput: 5 }), view({ state: 'succeeded', throughput: 99, bytesDone: 100 }), view({ state: 'failed' })]);
    assert.equal(t.count, 3);
    assert.equal(t.byState.running, 1);
    assert.equal(t.byState.succeeded, 1);
    assert.equal(t.byState.failed, 1);
    assert.equal(t.byState.queued, 0);
    assert.equal(t.bytesDone, 120);
    assert.equal(t.bytesTotal, 300);
    assert.equal(t.throughput, 5);
  });

  it('assertNever throws', () => {
    assert.throws(() => assertNever('x' as never), /Unexpected/);
  });
});

describe('JobView.waiting (waiting for storage)', () => {
  const waiting = { reason: 'connection refused', since: 1_700_000_000_000, nextTryAt: 1_700_000_004_000 };
  it('accepts a job with a well-formed waiting, and a job without one', () => {
    assert.deepEqual(validateJobView(view({ waiting })), view({ waiting }));
    assert.ok(validateJobView(view()));
    assert.ok(validateHostMessage({ type: 'jobsUpdated', version: 2, jobs: [view({ waiting })], removed: [], totals: computeTotals([view({ waiting })]) }));
  });
  it('rejects a missing, mistyped or extra field in waiting', () => {
    const bad: unknown[] = [
      { reason: 'x', since: 1 },
      { reason: 7, since: 1, nextTryAt: 2 },
      { reason: 'x', since: -1, nextTryAt: 2 },
      { reason: 'x', since: 1, nextTryAt: Number.NaN },
      { reason: 'x', since: 1, nextTryAt: 2, tries: 3 },
      { reason: 'x'.repeat(2_000), since: 1, nextTryAt: 2 },
      'waiting',
      null,
    ];
    for (const w of bad) assert.equal(validateJobView({ ...view(), waiting: w }), undefined, JSON.stringify(w));
  });
});
