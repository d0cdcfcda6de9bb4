/**
 * Progress as events, throttled: a job's progress at most every PROGRESS_INTERVAL_MS (state changes at once), a
 * batch's summary at most as often ("done" at once). Listeners get snapshots, never the engine's own objects.
 */
import { Emitter, type Disposable } from './events';
import { snapshotOf, type Job } from './job';
import { isFinal, type JobSnapshot } from './types';

export const PROGRESS_INTERVAL_MS = 250;

export interface BatchSummary {
  batchId: string;
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  canceled: number;
  aborted: number;
  bytes: number;
  done: boolean;
}

export function emptySummary(batchId: string): BatchSummary {
  return { batchId, total: 0, succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 0, done: true };
}

export interface Batch {
  readonly id: string;
  readonly jobs: Job[];
  /** Index of the first job that may not be final (jobs before it are final): "is the batch done?" is O(1) amortized. */
  firstOpen: number;
  doneFired: boolean;
  lastEmit: number;
  emitTimer?: NodeJS.Timeout;
}

export function newBatch(id: string): Batch {
  return { id, jobs: [], firstOpen: 0, doneFired: false, lastEmit: 0 };
}

export function summaryOf(b: Batch): BatchSummary {
  const s: BatchSummary = { ...emptySummary(b.id), total: b.jobs.length };
  for (const j of b.jobs) {
    s.bytes += j.bytesDone;
    switch (j.state) {
      case 'succeeded':
      case 'skipped':
      case 'failed':
      case 'canceled':
      case 'aborted':
        s[j.state]++;
        break;
      default:
        s.done = false;
    }
  }
  return s;
}

/** True when every job of the batch is final (advances a cursor: O(1) amortized per call). */
function batchDone(b: Batch): boolean {
  while (b.firstOpen < b.jobs.length && isFinal(b.jobs[b.firstOpen].state)) b.firstOpen++;
  return b.firstOpen >= b.jobs.length;
}

/** Calls `fire` now, or once later when the last call was less than the interval ago. */
function throttle(target: { lastEmit: number; emitTimer?: NodeJS.Timeout }, force: boolean, fire: () => void): void {
  const now = Date.now();
  if (!force && now - target.lastEmit < PROGRESS_INTERVAL_MS) {
    if (!target.emitTimer) {
      target.emitTimer = setTimeout(() => {
        target.emitTimer = undefined;
        target.lastEmit = Date.now();
        fire();
      }, PROGRESS_INTERVAL_MS - (now - target.lastEmit));
      target.emitTimer.unref?.();
    }
    return;
  }
  clearTimer(target);
  target.lastEmit = now;
  fire();
}

export function clearTimer(target: { emitTimer?: NodeJS.Timeout }): void {
  if (target.emitTimer) clearTimeout(target.emitTimer);
  target.emitTimer = undefined;
}

export class JobEvents implements Disposable {
  private readonly jobs = new Emitter<JobSnapshot>();
  private readonly batches = new Emitter<BatchSummary>();
  private readonly removed = new Emitter<readonly string[]>();
  private disposed = false;

  readonly onJob = this.jobs.event;
  readonly onBatch = this.batches.event;
  readonly onJobsRemoved = this.removed.event;

  constructor(private readonly batchOf: (job: Job) => Batch | undefined) {}

  job(job: Job, force = false): void {
    if (this.disposed) return;
    throttle(job, force, () => {
      if (this.disposed) return;
      this.jobs.fire(snapshotOf(job));
      const batch = this.batchOf(job);
      if (batch) this.batch(batch);
    });
  }

  /** Batch summaries: "done" at once, progress at most every PROGRESS_INTERVAL_MS (a summary is O(jobs)). */
  batch(b: Batch, force = false): void {
    if (this.disposed) return;
    if (batchDone(b)) {
      if (b.doneFired) return;
      b.doneFired = true;
      clearTimer(b);
      this.batches.fire(summaryOf(b));
      return;
    }
    b.doneFired = false;
    const now = Date.now();
    if (!force && now - b.lastEmit < PROGRESS_INTERVAL_MS) {
      // Later, through this method again: the batch may be done by then (then "done" fires once).
      b.emitTimer ??= setTimeout(() => {
        b.emitTimer = undefined;
        this.batch(b, true);
      }, PROGRESS_INTERVAL_MS);
      b.emitTimer.unref?.();
      return;
    }
    b.lastEmit = now;
    this.batches.fire(summaryOf(b));
  }

  jobsRemoved(ids: readonly string[]): void {
    if (!this.disposed && ids.length) this.removed.fire(ids);
  }

  dispose(): void {
    this.disposed = true;
    this.jobs.dispose();
    this.batches.dispose();
    this.removed.dispose();
  }
}
