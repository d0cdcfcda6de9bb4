/**
 * Progress as events, throttled: a job's progress at most every PROGRESS_INTERVAL_MS (state changes at once), a
 * batch's summary at most as often ("done" at once). Listeners get snapshots, never the engine's own objects.
 */
import { Emitter, type Disposable } from '../base/events';
import type { OperationEstimate } from '../operations/operationChoice';
import { snapshotOf, type Job } from '../copy/job';
import { isFinal, type BlobLocation, type ErrorInfo, type JobSnapshot, type JobState, type Refusal, type SyncCompare } from '../base/types';
import { RefusalList } from '../base/refusals';
import type { BatchRecord, CopiedCounts } from '../copy/journal';

const PROGRESS_INTERVAL_MS = 250;

export interface BatchSummary {
  batchId: string;
  /** Jobs so far (grows while the batch is still listing its sources). */
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  canceled: number;
  aborted: number;
  bytes: number;
  /** Bytes of the jobs so far that copy (not skipped). */
  bytesTotal?: number;
  /** Every blob is listed and every job final. */
  done: boolean;
  /** Still listing sources (a streamed batch): more jobs may come. */
  listing?: boolean;
  /**
   * Listing or planning stopped with this error (the jobs already made still run), or (code SyncInterrupted) a
   * resumed sync's extras will not be deleted: the batch is partial.
   */
  error?: ErrorInfo;
  /** Blobs the listing saw that were not made jobs of (refused by the plan): the batch is partial. */
  unplanned?: number;
  /** The first of them, with why (all kept ones: CopyEngine.batchRefusals). */
  refusedFirst?: readonly Refusal[];
  /** The listing waits out an outage: why, and since when (epoch ms). Gone once it lists on (or ends). */
  listingWaiting?: ListingWaiting;
  /** A resumed sync that was to delete extras (error SyncInterrupted): the sync to run again to finish it. */
  syncAgain?: SyncAgain;
  /**
   * Live jobs of the batch not reported one by one (set by the engine's worker for a batch past its first 1,000
   * jobs, see worker/crossing.ts): they are in these counters only.
   */
  unreported?: number;
  /** Of the `unreported` jobs, how many are still queued (the others are copying). */
  unreportedQueued?: number;
}

/** The folders of a sync, and how it compares: what running it again needs. */
interface SyncAgain {
  readonly source: BlobLocation;
  readonly destination: BlobLocation;
  readonly compare?: SyncCompare;
}

/** Why a batch's listing waits for storage, and since when (epoch ms). */
interface ListingWaiting {
  readonly reason: string;
  readonly since: number;
}

export function emptySummary(batchId: string): BatchSummary {
  return { batchId, total: 0, succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 0, bytesTotal: 0, done: true };
}

type FinalCounts = Record<'succeeded' | 'skipped' | 'failed' | 'canceled' | 'aborted', number>;

/**
 * A batch keeps counters, not its jobs: the jobs not final yet (bounded by the engine's window) and, per final
 * state, how many. Finished jobs are folded into the counters, so memory does not grow with the number of blobs.
 */
export interface Batch {
  readonly id: string;
  /** Jobs not final yet. */
  readonly live: Set<Job>;
  readonly counts: FinalCounts;
  total: number;
  bytesTotal: number;
  /** Bytes of the final jobs. */
  finishedBytes: number;
  /** All sources listed (a batch started from a plan is listed at once). */
  listingDone: boolean;
  error?: ErrorInfo;
  /** The listing waits out an outage (see BatchSummary.listingWaiting). */
  listingWaiting?: ListingWaiting;
  /** See BatchSummary.syncAgain. */
  syncAgain?: SyncAgain;
  /** Blobs listed but refused by the plan: counted, the first REFUSALS_KEPT named. */
  readonly refused: RefusalList;
  doneFired: boolean;
  lastEmit: number;
  emitTimer?: NodeJS.Timeout;
  /** Where a streamed batch's time goes (performance.now() marks); see CopyEngine.batchStats. */
  timing?: BatchTiming;
  /** Its journal record, when it outlives its listing (BatchRecord.listed) until it is done: removed then. */
  listedRecord?: BatchRecord;
  /**
   * A sync that deletes its extras after its copies (they are deleted by runSync, outside the engine): its record
   * outlives the batch too, until the sync's run ends (CopyEngine.syncEnded). A restart before then resumes it as
   * a sync whose extras were not all deleted.
   */
  extrasPending?: boolean;
}

interface BatchTiming {
  readonly startedAt: number;
  /** Listing and planning (see PlanTiming). */
  listMs: number;
  planMs: number;
  pages: number;
  firstJobAt?: number;
  listedAt?: number;
  doneAt?: number;
  /** Succeeded jobs by the operation that copied them. */
  readonly operations: Record<string, number>;
}

export function newBatchTiming(): BatchTiming {
  return { startedAt: performance.now(), listMs: 0, planMs: 0, pages: 0, operations: {} };
}

export function newBatch(id: string, listingDone = true): Batch {
  return { id, live: new Set(), counts: { succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0 }, total: 0, bytesTotal: 0, finishedBytes: 0, listingDone, refused: new RefusalList(), doneFired: false, lastEmit: 0 };
}

/** A batch's finished copies, for its journal record (BatchRecord.listed.copied). */
export function copiedCounts(b: Batch): CopiedCounts {
  return { total: b.total, ...b.counts, bytes: b.finishedBytes, bytesTotal: b.bytesTotal };
}

/** A resumed batch with no job of its own left takes its copies' counts back from its record. */
export function restoreCopied(b: Batch, c: CopiedCounts): void {
  b.total += c.total;
  for (const k of Object.keys(b.counts) as Array<keyof FinalCounts>) b.counts[k] += c[k];
  b.finishedBytes += c.bytes;
  b.bytesTotal += c.bytesTotal;
}

/** A new (or resumed) job joins the batch. */
export function addJob(b: Batch, job: Job): void {
  b.total++;
  if (job.state !== 'skipped') b.bytesTotal += job.item.size;
  if (isFinal(job.state)) countFinal(b, job, 1);
  else b.live.add(job);
}

/** The job reached a final state. */
export function jobFinished(b: Batch, job: Job): void {
  if (!b.live.delete(job)) return;
  countFinal(b, job, 1);
  if (!b.timing) return;
  if (job.state === 'succeeded') b.timing.operations[job.operation] = (b.timing.operations[job.operation] ?? 0) + 1;
  if (batchDone(b)) b.timing.doneAt ??= performance.now();
}

/** A final job runs again (retry): it leaves its final count. */
export function jobReopened(b: Batch, job: Job, previous: JobState): void {
  if (!isFinal(previous) || b.live.has(job)) return;
  countFinal(b, { state: previous, bytesDone: job.bytesDone }, -1);
  b.live.add(job);
  b.doneFired = false;
}

/** Final jobs leave the batch (cleared): only their counts go. */
export function jobsCleared(b: Batch): void {
  b.total = b.live.size;
  b.bytesTotal = 0;
  for (const j of b.live) b.bytesTotal += j.item.size;
  b.finishedBytes = 0;
  for (const k of Object.keys(b.counts) as Array<keyof FinalCounts>) b.counts[k] = 0;
}

function countFinal(b: Batch, job: { state: JobState; bytesDone: number }, sign: 1 | -1): void {
  const s = job.state as keyof FinalCounts;
  if (s in b.counts) b.counts[s] += sign;
  b.finishedBytes += sign * job.bytesDone;
}

export function batchDone(b: Batch): boolean {
  return b.listingDone && b.live.size === 0;
}

export function summaryOf(b: Batch): BatchSummary {
  let bytes = b.finishedBytes;
  for (const j of b.live) bytes += j.bytesDone;
  return { batchId: b.id, total: b.total, ...b.counts, bytes, bytesTotal: b.bytesTotal, done: batchDone(b), listing: b.listingDone ? undefined : true, error: b.error, ...refusedOf(b), ...(b.listingWaiting ? { listingWaiting: b.listingWaiting } : {}), ...(b.syncAgain ? { syncAgain: b.syncAgain } : {}) };
}

/** How many summaries name of a batch's refused blobs (events stay small; the engine keeps more). */
const REFUSED_IN_SUMMARY = 5;

function refusedOf(b: Batch): Pick<BatchSummary, 'unplanned' | 'refusedFirst'> {
  return b.refused.count ? { unplanned: b.refused.count, refusedFirst: b.refused.first.slice(0, REFUSED_IN_SUMMARY) } : {};
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
  private readonly batchesGone = new Emitter<readonly string[]>();
  /** Jobs the retention stopped listing, told together once the current burst of work is over. */
  private evicted: string[] = [];
  private disposed = false;

  readonly onJob = this.jobs.event;
  readonly onBatch = this.batches.event;
  readonly onJobsRemoved = this.removed.event;
  readonly onBatchesRemoved = this.batchesGone.event;

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

  /** A finished job the engine no longer lists (its final event came long before): one removal event per burst. */
  jobEvicted(id: string): void {
    if (this.disposed) return;
    if (this.evicted.push(id) > 1) return;
    queueMicrotask(() => {
      const ids = this.evicted;
      this.evicted = [];
      this.jobsRemoved(ids);
    });
  }

  /** Batches the engine forgot (cleared when done). */
  batchesRemoved(ids: readonly string[]): void {
    if (!this.disposed && ids.length) this.batchesGone.fire(ids);
  }

  dispose(): void {
    this.disposed = true;
    this.jobs.dispose();
    this.batches.dispose();
    this.removed.dispose();
    this.batchesGone.dispose();
  }
}

/** See CopyEngine.batchStats. */
export interface BatchStats {
  phases: { listMs: number; planMs: number; firstCopyAfterMs: number; listingEndedAfterMs?: number; copyMs: number; totalMs: number };
  pages: number;
  operations: Record<string, number>;
  measured: Record<string, Partial<Record<string, OperationEstimate>>>;
}

/**
 * Where a streamed batch's time went (ms): waiting for listing pages, planning them, from the start to the first
 * job, copying (first job to the last final one), in all; the operations that copied its blobs; and what the engine
 * measured per endpoint for the choice between operations for small blobs.
 */
export function statsOf(b: Batch, measured: BatchStats['measured']): BatchStats | undefined {
  const t = b.timing;
  if (!t) return undefined;
  const end = t.doneAt ?? performance.now();
  const first = t.firstJobAt ?? end;
  const round = (ms: number) => Math.round(ms);
  return {
    phases: {
      listMs: round(t.listMs),
      planMs: round(t.planMs),
      firstCopyAfterMs: round(first - t.startedAt),
      listingEndedAfterMs: t.listedAt !== undefined ? round(t.listedAt - t.startedAt) : undefined,
      copyMs: round(end - first),
      totalMs: round(end - t.startedAt),
    },
    pages: t.pages,
    operations: { ...t.operations },
    measured,
  };
}
