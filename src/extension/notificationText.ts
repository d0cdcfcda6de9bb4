/** The text of the one notification per finished batch (pure, no `vscode`). */
import type { BatchSummary, JobSnapshot } from '../core';
import type { PlanWaiting } from '../core/plan/wholePlan';
import { batchOutcome, formatBytes, formatCount, plural } from '../shared/vocabulary';
import type { ConnectionInfo } from './connections/model';
import { errorMessage } from './logger';

/**
 * "Blob Copy: 3 blobs copied (1 KiB), 1 skipped." for a complete batch; a partial or failed one says so first and
 * names what the listing could not plan. `failed`: the notification is a warning (with Retry when jobs failed).
 */
export function batchMessage(b: BatchSummary): { text: string; failed: boolean } {
  const parts = [`${plural(b.succeeded, 'blob')} copied (${formatBytes(b.bytes)})`];
  if (b.skipped) parts.push(`${formatCount(b.skipped)} skipped`);
  if (b.failed) parts.push(`${formatCount(b.failed)} failed`);
  if (b.canceled) parts.push(`${formatCount(b.canceled)} canceled`);
  if (b.aborted) parts.push(`${formatCount(b.aborted)} aborted`);
  if (b.unplanned) parts.push(`${formatCount(b.unplanned)} not copied`);
  const outcome = batchOutcome(b, b.error !== undefined);
  if (outcome === 'complete') return { text: `Blob Copy: ${parts.join(', ')}.`, failed: false };
  const why: string[] = [];
  const r = b.refusedFirst?.[0];
  if (r) why.push(`Not copied: ${r.source}: ${r.reason}${(b.unplanned ?? 0) > 1 ? ` (and ${formatCount(b.unplanned! - 1)} more, named in the log)` : ''}`);
  if (b.error) why.push(b.error.code === 'SyncInterrupted' ? `${b.error.message} ${b.error.hint ?? ''}`.trim() : `The listing stopped early: ${b.error.message}`);
  return { text: `Blob Copy ${outcome}: ${parts.join(', ')}.${why.length ? ` ${why.join(' ')}` : ''}`, failed: true };
}

/** The first failure of a batch. */
export function firstFailure(jobs: readonly JobSnapshot[], batchId: string): JobSnapshot | undefined {
  return jobs.find((j) => j.batchId === batchId && j.state === 'failed' && j.error);
}

/**
 * The failure's message in one line, plus what the shell knows: a SAS destination refused for lack of write
 * permission. `connectionOf` looks up the job's destination connection.
 */
export function failureText(job: JobSnapshot, connectionOf: (id: string) => ConnectionInfo | undefined): string {
  const text = errorMessage({ info: job.error });
  const conn = connectionOf(job.destinationLocation.connectionId);
  if (conn?.kind === 'sas' && job.error?.status === 403 && job.error.code === 'AuthorizationPermissionMismatch') {
    return `${text} The destination "${conn.label}" is a SAS connection whose token cannot write: add it again with a SAS that has create and write permission (sp=cw or more).`;
  }
  return text;
}

/**
 * The planning notification's line: how many blobs were listed (when the count means that), and while the plan waits
 * out an outage, why and for how long at most ("" for nothing to say).
 */
export function planningProgress(listed: number | undefined, waiting?: PlanWaiting): string {
  const count = listed === undefined ? '' : `${plural(listed, 'blob')} listed`;
  if (!waiting) return count;
  const wait = `storage is not answering (${waiting.reason}): waiting for it, up to ${formatCount(waiting.toleranceSeconds)} s`;
  return count ? `${count}; ${wait}` : wait.charAt(0).toUpperCase() + wait.slice(1);
}
