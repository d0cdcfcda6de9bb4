/** One notification per finished batch: success, or failures with "Show Jobs" and "Retry". */
import * as vscode from 'vscode';
import type { BatchSummary, JobSnapshot } from '../core';
import type { Ctx } from './context';
import { formatBytes, plural } from './format';
import { errorMessage } from './logger';

export function batchMessage(b: BatchSummary): { text: string; failed: boolean } {
  const parts = [`${plural(b.succeeded, 'blob')} copied (${formatBytes(b.bytes)})`];
  if (b.skipped) parts.push(`${b.skipped.toLocaleString('en-US')} skipped`);
  if (b.failed) parts.push(`${b.failed.toLocaleString('en-US')} failed`);
  if (b.canceled) parts.push(`${b.canceled.toLocaleString('en-US')} canceled`);
  if (b.aborted) parts.push(`${b.aborted.toLocaleString('en-US')} aborted`);
  return { text: `Blob Copy: ${parts.join(', ')}.`, failed: b.failed > 0 };
}

/** The first failure of a batch, in one line: what failed and what to do. */
export function firstFailure(jobs: readonly JobSnapshot[], batchId: string): JobSnapshot | undefined {
  return jobs.find((j) => j.batchId === batchId && j.state === 'failed' && j.error);
}

/** The failure's message, plus what the shell knows: a SAS destination refused for lack of write permission. */
function failureText(ctx: Ctx, job: JobSnapshot): string {
  const text = errorMessage({ info: job.error });
  const dest = ctx.batchDestinations.get(job.batchId);
  const conn = dest ? ctx.connections.get(dest.connectionId) : undefined;
  if (conn?.kind === 'sas' && job.error?.status === 403 && job.error.code === 'AuthorizationPermissionMismatch') {
    return `${text} The destination "${conn.label}" is a SAS connection whose token cannot write: add it again with a SAS that has create and write permission (sp=cw or more).`;
  }
  return text;
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
    const first = failed ? firstFailure(ctx.engine.jobs(), b.batchId) : undefined;
    const show = failed ? ctx.notify.warn(first ? `${text} ${failureText(ctx, first)}` : text, 'Show Jobs', 'Retry') : ctx.notify.info(text, 'Show Jobs');
    void Promise.resolve(show).then((choice) => {
      if (choice === 'Show Jobs') ctx.openJobs();
      else if (choice === 'Retry') void vscode.commands.executeCommand('blobCopy.retryFailed', { batchId: b.batchId });
    });
  });
  return { dispose: () => sub.dispose() };
}
