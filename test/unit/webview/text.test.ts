/** Plain-Node tests of what the Copy Jobs panel says (src/webview/text.ts and the state labels of format.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyTotals, type BatchView, type JobView } from '../../../src/shared/protocol';
import { computeTotals } from '../../helpers/totals';
import { stateInfo, waitingStateInfo } from '../../../src/webview/format';
import { batchText, emptyText, overallText, overallValue, rowText, summaryChips, waitingSummaryText, unlistedText, waitingText } from '../../../src/webview/text';
import { jobView } from '../../helpers/jobView';

const MiB = 1024 ** 2;
const view = (over: Partial<JobView> = {}): JobView =>
  jobView({ source: 'azurite/src/a.bin', destination: 'azurite/dst/a.bin', bytesDone: 1.5 * MiB, bytesTotal: 3 * MiB, throughput: 0.5 * MiB, ...over });

describe('webview text: a row', () => {
  it('labels the operation from the shared vocabulary', () => {
    assert.equal(rowText(view()).operation, 'Put Blob From URL');
    assert.equal(rowText(view({ strategy: 'append-block-from-url' })).operation, 'Append Block From URL');
  });

  it('a running job: percent, bytes, speed, ETA', () => {
    const t = rowText(view());
    assert.deepEqual(
      { value: t.value, percent: t.percent, bytes: t.bytes, speed: t.speed, eta: t.eta, attempt: t.attempt },
      { value: 50, percent: '50%', bytes: '1.5 MiB / 3.0 MiB', speed: '512 KiB/s', eta: '3 s', attempt: undefined },
    );
  });

  it('a finished job shows 100% and no speed or ETA; a retried one its attempt', () => {
    const t = rowText(view({ state: 'succeeded', bytesDone: 3 * MiB, attempts: 2 }));
    assert.equal(t.value, 100);
    assert.equal(t.percent, '100%');
    assert.equal(t.speed, '—');
    assert.equal(t.eta, '—');
    assert.equal(t.attempt, 'attempt 2');
  });

  it('a running job of unknown size is indeterminate', () => {
    const t = rowText(view({ bytesTotal: 0, bytesDone: 2048 }));
    assert.equal(t.value, undefined);
    assert.equal(t.percent, '');
    assert.equal(t.bytes, '2.0 KiB');
  });

  it('state labels', () => {
    assert.equal(stateInfo('succeeded').label, 'Done');
    assert.equal(stateInfo('running').spin, true);
    assert.equal(stateInfo('failed').icon, 'error');
  });
});

describe('webview text: summary and messages', () => {
  it('summary chips only for states with jobs', () => {
    assert.deepEqual(summaryChips(emptyTotals()), []);
    const t = computeTotals([view(), view({ state: 'pending' }), view({ state: 'failed' }), view({ state: 'aborted' }), view({ state: 'succeeded' })]);
    assert.deepEqual(
      summaryChips(t).map((c) => `${c.count} ${c.label}`),
      ['2 copying', '1 done', '2 failed'],
    );
  });

  it('the overall line has rate and ETA only while jobs are active', () => {
    const running = computeTotals([view()]);
    assert.equal(overallText(running), '1 job · 1.5 MiB of 3.0 MiB (50%) · 512 KiB/s · ETA 3 s');
    assert.equal(overallValue(running), 50);
    const done = computeTotals([view({ state: 'succeeded', bytesDone: 3 * MiB }), view({ id: 'j2', state: 'succeeded', bytesDone: 3 * MiB })]);
    assert.equal(overallText(done), '2 jobs · 6.0 MiB of 6.0 MiB (100%)');
    assert.equal(overallValue(computeTotals([view({ state: 'skipped', bytesTotal: 0, bytesDone: 0 })])), 100);
    assert.equal(overallValue(emptyTotals()), 0);
  });

  it('empty message and the note on jobs counted but not listed (replaces "N more": no row cap any more)', () => {
    assert.equal(emptyText('active', 0).text, 'No copies in progress.');
    assert.equal(emptyText('failed', 3).icon, 'pass');
    assert.equal(emptyText('failed', 3).detail, ' 3 jobs under "All".');
    assert.match(emptyText('all', 0).detail, /Copy Blob To…/);
    assert.equal(unlistedText(1, 0), "1 job counted above, not listed: older finished ones, and a large copy's small blobs.");
    assert.equal(unlistedText(1_000_000, 11_000), "989,000 jobs counted above, not listed: older finished ones, and a large copy's small blobs.");
    // A large copy's jobs are all counted, none listed: the empty list says so instead of "No copy jobs yet."
    assert.deepEqual(emptyText('all', 20_000), { icon: 'info', text: 'No job listed.', detail: ' Every job is counted above.' });
    assert.equal(unlistedText(8, 8), undefined);
  });

  it('a batch line from the engine counters', () => {
    const b: BatchView = { batchId: 'b', total: 1_000_000, succeeded: 999_000, skipped: 0, failed: 10, canceled: 0, aborted: 2, bytes: 3 * 2 ** 30, bytesTotal: 4 * 2 ** 30, done: false, listing: true };
    assert.equal(batchText(b), '1,000,000 jobs · 999,000 done · 12 failed · 988 to go · 3.0 GiB of 4.0 GiB · listing…');
    assert.equal(batchText({ ...b, listingWaiting: 'connection refused' }), '1,000,000 jobs · 999,000 done · 12 failed · 988 to go · 3.0 GiB of 4.0 GiB · listing waits for storage (connection refused)…');
    assert.equal(batchText({ ...b, total: 1, succeeded: 1, failed: 0, aborted: 0, bytes: 0, bytesTotal: 0, done: true, listing: false }), '1 job · 1 done · 0 B of 0 B · finished');
  });
});

describe('webview text: waiting for storage', () => {
  const now = 1_700_000_100_000;
  it('says why, for how long, and when the next try is', () => {
    assert.equal(waitingText({ reason: 'connection refused', since: now - 12_000, nextTryAt: now + 3_200 }, now), 'Waiting for storage — connection refused · 12 s · next try in 4 s');
    assert.equal(waitingText({ reason: '503 ServerBusy', since: now - 75_000, nextTryAt: now + 15_000 }, now), 'Waiting for storage — 503 ServerBusy · 1 min 15 s · next try in 15 s');
  });
  it('never shows negative times: a try that is due says "trying again now"', () => {
    assert.equal(waitingText({ reason: 'connection reset', since: now + 500, nextTryAt: now - 10 }, now), 'Waiting for storage — connection reset · < 1 s · trying again now');
  });
  it('the waiting state has its own label, icon and tooltip', () => {
    const info = waitingStateInfo('connection refused');
    assert.equal(info.label, 'Waiting');
    assert.notEqual(info.icon, stateInfo('running').icon);
    assert.match(info.description, /connection refused/);
  });
  it('the overall line counts the waiting jobs', () => {
    assert.equal(waitingSummaryText(0, undefined), undefined);
    assert.equal(waitingSummaryText(1, 'connection refused'), '1 job waiting for storage (connection refused)');
    assert.equal(waitingSummaryText(3, undefined), '3 jobs waiting for storage');
  });
});
