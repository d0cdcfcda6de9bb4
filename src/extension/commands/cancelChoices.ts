/**
 * What "Cancel Copy…" offers (pure, no `vscode`): each running batch whose small blobs are in its counters only
 * (BatchSummary.unreported: past its first 1,000 jobs) as one item, then each listed active job.
 */
import type { BatchSummary, JobSnapshot } from '../../core';
import { finishedOf, formatCount, plural } from '../../shared/vocabulary';

interface CancelChoice {
  readonly label: string;
  readonly description: string;
  readonly detail?: string;
  /** Cancel the whole batch. */
  readonly batchId?: string;
  /** Cancel this job. */
  readonly jobId?: string;
}

/** Jobs of the batch not final yet. */
export function toGo(b: BatchSummary): number {
  return Math.max(0, b.total - finishedOf(b));
}

/** A listed job as a quick-pick item (Cancel Copy…, Abort pending Copy Blob…). */
export function jobChoice(j: JobSnapshot): CancelChoice & { readonly jobId: string } {
  return { label: j.source.split('/').pop() ?? j.source, description: j.state, detail: `${j.source} → ${j.destination}`, jobId: j.id };
}

export function cancelChoices(active: readonly JobSnapshot[], batches: readonly BatchSummary[]): CancelChoice[] {
  const large = batches.filter((b) => !b.done && b.unreported);
  return [
    ...large.map((b) => ({ label: `Whole copy of ${plural(b.total, 'job')}`, description: `${formatCount(toGo(b))} to go${b.listing ? ', still listing' : ''}`, batchId: b.batchId })),
    ...active.map(jobChoice),
  ];
}
