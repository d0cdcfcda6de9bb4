/** The shells' pure helpers (no UI): status bar state, operations per blob type, formatting, batch messages. */
import * as assert from 'node:assert/strict';
import type { JobSnapshot } from '../../src/core';
import * as vscode from 'vscode';
import { operationsFor } from '../../src/extension/commands';
import { apiFor, type BlobCopyApi } from '../../src/extension/extension';
import { formatBytes, formatDuration } from '../../src/extension/format';
import { batchMessage } from '../../src/extension/notifications';
import { computeStatus, statusText } from '../../src/extension/statusBar';

function job(id: string, batchId: string, state: JobSnapshot['state'], bytesDone: number, bytesTotal: number, throughput = 0): JobSnapshot {
  return { id, batchId, source: `c/${id}`, destination: `d/${id}`, destinationLocation: { connectionId: 'c', container: 'd', path: id }, strategy: 'put-block-from-url', state, bytesDone, bytesTotal, throughput, attempts: 1 };
}

describe('pure helpers of the shells', () => {
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

  it('Copy With Operation offers only the operations that apply', () => {
    assert.deepEqual(operationsFor(['BlockBlob']), ['put-blob-from-url', 'put-block-from-url', 'copy-blob']);
    assert.deepEqual(operationsFor(['AppendBlob']), ['copy-blob', 'append-block-from-url']);
    assert.deepEqual(operationsFor(['PageBlob']), ['copy-blob', 'put-page-from-url']);
    assert.deepEqual(operationsFor(['BlockBlob', 'PageBlob']), ['copy-blob']);
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

  it('activate returns the full API (connection resolver) only in ExtensionMode.Test', () => {
    let built = 0;
    const full = () => {
      built++;
      return { apiVersion: 1, connections: {} } as unknown as BlobCopyApi;
    };
    for (const mode of [vscode.ExtensionMode.Production, vscode.ExtensionMode.Development]) {
      const api = apiFor(mode, full);
      assert.deepEqual(Object.keys(api), ['apiVersion']);
      assert.ok(Object.isFrozen(api));
    }
    assert.equal(built, 0, 'the full API is not even built outside a test run');
    assert.ok('connections' in apiFor(vscode.ExtensionMode.Test, full));
  });
});
