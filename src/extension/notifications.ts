/** One notification per finished batch: success, or failures with "Show Jobs" and "Retry". */
import * as vscode from 'vscode';
import type { BatchSummary } from '../core';
import type { Ctx } from './context';
import { formatBytes, plural } from './format';

export function batchMessage(b: BatchSummary): { text: string; failed: boolean } {
  const parts = [`${plural(b.succeeded, 'blob')} copied (${formatBytes(b.bytes)})`];
  if (b.skipped) parts.push(`${b.skipped.toLocaleString('en-US')} skipped`);
  if (b.failed) parts.push(`${b.failed.toLocaleString('en-US')} failed`);
  if (b.canceled) parts.push(`${b.canceled.toLocaleString('en-US')} canceled`);
  if (b.aborted) parts.push(`${b.aborted.toLocaleString('en-US')} aborted`);
  return { text: `Blob Copy: ${parts.join(', ')}.`, failed: b.failed > 0 };
}

export function watchBatches(ctx: Ctx, onDone: (b: BatchSummary) => void = () => undefined): vscode.Disposable {
  const notified = new Set<string>();
  const sub = ctx.engine.onBatch((b) => {
    if (!b.done) {
      notified.delete(b.batchId); // a retry re-opens the batch: notify again when it settles
      return;
    }
    if (notified.has(b.batchId)) return;
    notified.add(b.batchId);
    onDone(b);
    const { text, failed } = batchMessage(b);
    ctx.log.info(`Batch ${b.batchId} finished: ${text}`);
    const show = failed ? vscode.window.showWarningMessage(text, 'Show Jobs', 'Retry') : vscode.window.showInformationMessage(text, 'Show Jobs');
    void Promise.resolve(show).then((choice) => {
      if (choice === 'Show Jobs') ctx.openJobs();
      else if (choice === 'Retry') void vscode.commands.executeCommand('blobCopy.retryFailed', { batchId: b.batchId });
    });
  });
  return { dispose: () => sub.dispose() };
}
