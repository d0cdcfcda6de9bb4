/**
 * JobSnapshot (engine) → JobView (protocol). Free of `vscode`, so plain-Node tests cover it.
 * Every string that reaches the webview passes through `redact`; fields the protocol does not know (copyId, …)
 * are left behind.
 */
import type { JobSnapshot } from '../../core';
import type { JobView } from '../../shared/protocol';

function count(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0;
}

export function toJobView(job: JobSnapshot, redact: (text: string) => string): JobView {
  const view: { -readonly [K in keyof JobView]: JobView[K] } = {
    id: job.id,
    batchId: job.batchId,
    source: redact(job.source),
    destination: redact(job.destination),
    strategy: job.strategy,
    state: job.state,
    bytesDone: count(job.bytesDone),
    bytesTotal: count(job.bytesTotal),
    throughput: count(job.throughput),
    abortable: job.state === 'pending' && !!job.copyId,
    attempts: count(job.attempts),
  };
  if (typeof job.startedAt === 'number' && Number.isFinite(job.startedAt)) view.startedAt = job.startedAt;
  if (typeof job.finishedAt === 'number' && Number.isFinite(job.finishedAt)) view.finishedAt = job.finishedAt;
  if (job.error) {
    const e = job.error;
    view.error = {
      message: redact(e.message),
      ...(e.hint !== undefined ? { hint: redact(e.hint) } : {}),
      ...(typeof e.status === 'number' && Number.isFinite(e.status) ? { status: e.status } : {}),
      ...(e.code !== undefined ? { code: redact(e.code) } : {}),
      ...(e.requestId !== undefined ? { requestId: redact(e.requestId) } : {}),
    };
  }
  const w = job.waiting;
  if (w && typeof w.reason === 'string' && Number.isFinite(w.since) && Number.isFinite(w.nextTryAt)) {
    view.waiting = { reason: redact(w.reason), since: Math.max(0, w.since), nextTryAt: Math.max(0, w.nextTryAt) };
  }
  return view;
}
