/** The extension's pure helpers, in plain Node: status bar state, operations per blob type, formatting, batch messages. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { JobSnapshot } from '../../../src/core';
import { locationUrl, type ConnectionInfo } from '../../../src/extension/connections/model';
import { batchMessage, failureText, firstFailure, planningProgress } from '../../../src/extension/notificationText';
import { computeStatus, statusText } from '../../../src/extension/statusModel';
import { cancelChoices, toGo } from '../../../src/extension/commands/cancelChoices';
import { formatBytes, formatDuration, strategiesFor } from '../../../src/shared/vocabulary';
import { regionNote } from '../../../src/extension/copy/regions';

function job(id: string, batchId: string, state: JobSnapshot['state'], bytesDone: number, bytesTotal: number, throughput = 0): JobSnapshot {
  return { id, batchId, source: `c/${id}`, destination: `d/${id}`, destinationLocation: { connectionId: 'c', container: 'd', path: id }, strategy: 'put-block-from-url', state, bytesDone, bytesTotal, throughput, attempts: 1 };
}

describe('pure helpers of the shells', () => {
  it("status bar and Cancel Copy…: a large batch's unreported live jobs make it active and offered whole", () => {
    const b = { batchId: 'big', total: 50_000, succeeded: 30_000, skipped: 0, failed: 2, canceled: 0, aborted: 0, bytes: 30_000, bytesTotal: 50_000, done: false, listing: true, unreported: 900 };
    const batchOf = (id: string) => (id === 'big' ? b : undefined);
    // No job of the batch listed on the host: still copying, with its counters.
    assert.equal(computeStatus([], batchOf).kind, 'idle', 'not told which batches are large: idle');
    const status = computeStatus([job('f', 'big', 'failed', 0, 1)], batchOf, [b]);
    assert.deepEqual(status, { kind: 'copying', active: 900, bytesDone: 30_000, bytesTotal: 50_000, throughput: 0, failed: 2, waiting: 0 });
    const choices = cancelChoices([job('r', 'small', 'running', 0, 1)], [b, { ...b, batchId: 'done', done: true }, { ...b, batchId: 'listed', unreported: undefined }]);
    assert.deepEqual(
      choices.map((c) => [c.label, c.description, c.batchId, c.jobId]),
      [
        ['Whole copy of 50,000 jobs', '19,998 to go, still listing', 'big', undefined],
        ['r', 'running', undefined, 'r'],
      ],
    );
    assert.equal(toGo(b), 19_998);
  });

  it('status bar: idle when nothing is active, count + percent + ETA while copying', () => {
    assert.deepEqual(computeStatus([job('a', 'b1', 'succeeded', 10, 10)]), { kind: 'idle' });
    assert.equal(statusText({ kind: 'idle' }), undefined);
    const status = computeStatus([
      job('a', 'b1', 'succeeded', 100, 100),
      job('b', 'b1', 'running', 50, 100, 25),
      job('c', 'b1', 'queued', 0, 100),
      job('d', 'b1', 'pending', 0, 100),
      job('e', 'old', 'succeeded', 999, 999),
    ]);
    assert.equal(status.kind, 'copying');
    const view = statusText(status)!;
    assert.equal(view.text, '$(sync~spin) 3 copying · 37%');
    assert.match(view.tooltip, /150 B of 400 B \(37%\)/);
    assert.match(view.tooltip, /ETA 10 s/);
  });

  it('status bar: a batch\'s bytes and failures from the engine\'s counters, which count the jobs no longer listed', () => {
    const listed = [job('a', 'b1', 'running', 50, 100, 25), job('b', 'b1', 'succeeded', 100, 100)];
    const counters = { batchId: 'b1', total: 1_000, succeeded: 799, skipped: 0, failed: 2, canceled: 0, aborted: 0, bytes: 80_050, bytesTotal: 100_000, done: false };
    const status = computeStatus(listed, (id) => (id === 'b1' ? counters : undefined));
    assert.ok(status.kind === 'copying');
    assert.deepEqual([status.active, status.bytesDone, status.bytesTotal, status.failed], [1, 80_050, 100_000, 2]);
    assert.equal(statusText(status)!.text, '$(sync~spin) 1 copying · 80%');
    assert.match(statusText(status)!.tooltip, /1 job active, 2 failed/);
    // Without counters (a batch the engine does not know), the listed jobs: 150 of 200 bytes.
    const fallback = computeStatus(listed);
    assert.ok(fallback.kind === 'copying' && fallback.bytesDone === 150 && fallback.bytesTotal === 200);
  });

  it('status bar: "waiting for storage" while an active job waits, with the reason in the tooltip', () => {
    const waiting = { ...job('b', 'b1', 'running', 50, 100), waiting: { reason: 'connection refused', since: 1, nextTryAt: 2 } };
    const status = computeStatus([job('a', 'b1', 'running', 50, 100, 10), waiting]);
    assert.ok(status.kind === 'copying' && status.waiting === 1 && status.waitingReason === 'connection refused');
    const view = statusText(status)!;
    assert.equal(view.text, '$(watch) 2 copying · 50% · waiting for storage');
    assert.match(view.tooltip, /1 job waiting for storage \(connection refused\)/);
    // A finished job's stale waiting does not count; nobody waiting: the usual text.
    const calm = computeStatus([job('a', 'b1', 'running', 50, 100, 10), { ...job('c', 'b1', 'failed', 0, 100), waiting: waiting.waiting }]);
    assert.ok(calm.kind === 'copying' && calm.waiting === 0);
    assert.equal(statusText(calm)!.text, '$(sync~spin) 1 copying · 25%');
  });

  it('status bar: a batch whose listing waits for storage is active and says so, though none of its jobs is', () => {
    const batch = { batchId: 'b1', total: 100, succeeded: 100, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 100, bytesTotal: 200, done: false, listing: true };
    const status = computeStatus([job('a', 'b1', 'succeeded', 100, 100)], (id) => (id === 'b1' ? { ...batch, listingWaiting: { reason: '503 ServerBusy', since: 1 } } : undefined), [{ ...batch, listingWaiting: { reason: '503 ServerBusy', since: 1 } }]);
    assert.ok(status.kind === 'copying' && status.listingWaiting === '503 ServerBusy' && status.waiting === 0, JSON.stringify(status));
    const view = statusText(status)!;
    assert.equal(view.text, '$(watch) listing · 50% · waiting for storage');
    assert.match(view.tooltip, /The listing waits for storage \(503 ServerBusy\); it lists on when it answers/);
    assert.doesNotMatch(view.tooltip, /job waiting/);
    // Once it lists on, with no job active: idle, as before.
    assert.equal(computeStatus([job('a', 'b1', 'succeeded', 100, 100)], () => batch, [batch]).kind, 'idle');
  });

  it('the planning notification: blobs listed, and while the plan waits out an outage, why and how long at most', () => {
    assert.equal(planningProgress(1234), '1,234 blobs listed');
    const waiting = { reason: 'connection refused', toleranceSeconds: 300 };
    assert.equal(planningProgress(1234, waiting), '1,234 blobs listed; storage is not answering (connection refused): waiting for it, up to 300 s');
    assert.equal(planningProgress(undefined, waiting), 'Storage is not answering (connection refused): waiting for it, up to 300 s');
    assert.equal(planningProgress(undefined), '');
  });

  it('Copy With Operation offers only the operations that apply', () => {
    assert.deepEqual(strategiesFor(['BlockBlob']), ['put-blob-from-url', 'put-block-from-url', 'copy-blob']);
    assert.deepEqual(strategiesFor(['AppendBlob']), ['copy-blob', 'append-block-from-url']);
    assert.deepEqual(strategiesFor(['PageBlob']), ['copy-blob', 'put-page-from-url']);
    assert.deepEqual(strategiesFor(['BlockBlob', 'PageBlob']), ['copy-blob']);
  });

  it('formats sizes, durations and batch messages', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5.6 * 1024 ** 3), '5.6 GiB');
    assert.equal(formatDuration(75), '1 min 15 s');
    const ok = batchMessage({ batchId: 'b', total: 3, succeeded: 3, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 2048, done: true });
    assert.deepEqual(ok, { text: 'Blob Copy: 3 blobs copied (2.0 KiB).', failed: false });
    const bad = batchMessage({ batchId: 'b', total: 3, succeeded: 1, skipped: 1, failed: 1, canceled: 0, aborted: 0, bytes: 1, done: true });
    assert.equal(bad.failed, true);
    assert.match(bad.text, /1 skipped, 1 failed/);
  });
});

describe('failure text of a batch notification', () => {
  const failedJob = (connectionId: string, status: number, code: string): JobSnapshot => ({
    ...job('f', 'b1', 'failed', 0, 10),
    destinationLocation: { connectionId, container: 'd', path: 'f' },
    error: { message: 'This request is not authorized to perform this operation using this permission.', status, code },
  });
  const connections: Record<string, ConnectionInfo> = {
    sas: { id: 'sas', label: 'read-only dest', kind: 'sas', accountName: 'a', endpoint: 'http://127.0.0.1:1/a' },
    key: { id: 'key', label: 'by key', kind: 'accountKey', accountName: 'a', endpoint: 'http://127.0.0.1:1/a' },
  };
  const lookup = (id: string) => connections[id];

  it('adds the SAS hint when the destination connection (from the snapshot) is a SAS that cannot write', () => {
    const text = failureText(failedJob('sas', 403, 'AuthorizationPermissionMismatch'), lookup);
    assert.match(text, /not authorized/);
    assert.match(text, /"read-only dest" is a SAS connection whose token cannot write/);
  });

  it('gives the plain message otherwise (another kind, another code, an unknown connection)', () => {
    for (const j of [failedJob('key', 403, 'AuthorizationPermissionMismatch'), failedJob('sas', 404, 'BlobNotFound'), failedJob('gone', 403, 'AuthorizationPermissionMismatch')]) {
      assert.doesNotMatch(failureText(j, lookup), /SAS connection/);
    }
  });

  it('finds the first failure of the batch', () => {
    const f = failedJob('sas', 403, 'X');
    assert.equal(firstFailure([job('a', 'b1', 'succeeded', 1, 1), { ...f, batchId: 'other' }, f], 'b1'), f);
    assert.equal(firstFailure([job('a', 'b1', 'succeeded', 1, 1)], 'b1'), undefined);
  });
});

describe('locationUrl', () => {
  it('encodes each path segment and never adds a query', () => {
    const info = { endpoint: 'http://127.0.0.1:10000/devstoreaccount1' };
    assert.equal(locationUrl(info, { connectionId: 'x', container: 'c', path: 'a b/ü#1.txt' }), 'http://127.0.0.1:10000/devstoreaccount1/c/a%20b/%C3%BC%231.txt');
    assert.equal(locationUrl(info, { connectionId: 'x', container: 'c', path: '' }), 'http://127.0.0.1:10000/devstoreaccount1/c');
  });
});

describe('the cost preview between regions', () => {
  it('says whether the bytes leave their region, only when every region is known', () => {
    assert.equal(regionNote({ sources: ['westeurope'], destination: 'northeurope' }), 'The bytes leave westeurope for northeurope: Azure bills data transfer between regions.');
    assert.equal(regionNote({ sources: ['westeurope', 'westeurope'], destination: 'westeurope' }), 'Source and destination are in westeurope: no data transfer between regions.');
    assert.equal(regionNote({ sources: ['eastus', 'westeurope', 'eastus'], destination: 'westeurope' }), 'The bytes leave eastus for westeurope: Azure bills data transfer between regions.');
    assert.equal(regionNote({ sources: ['westeurope', undefined], destination: 'westeurope' }), undefined, 'a hand-added source: unknown');
    assert.equal(regionNote({ sources: ['westeurope'] }), undefined, 'a hand-added destination: unknown');
    assert.equal(regionNote({ sources: [], destination: 'westeurope' }), undefined);
  });
});
