/**
 * What the UI (the VS Code extension) uses of a copy engine. Two implement it: CopyEngine (in this thread: the CLI,
 * tests) and WorkerEngine (the extension: the engine in a worker thread of its own, with a bounded heap).
 * Free of the SDK: the extension imports it for types only.
 */
import type { Disposable } from '../base/events';
import type { BatchSummary } from './jobEvents';
import type { PlanPageListener, PlanSummary } from '../plan/wholePlan';
import type { EngineTuning } from './engineOptions';
import type { CopyPlan, CopyRequest, JobSnapshot, UnfinishedBatch } from '../base/types';

export interface EngineApi extends Disposable {
  /** Concurrency, block size, outage tolerance for jobs that start from now on. */
  configure(o: EngineTuning): void;
  /** The whole plan in memory (confirmations, dry runs, small copies). */
  plan(request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan>;
  /** Plans and copies as the sources are listed; resolves with the batch id once the first page is planned. */
  startStreaming(request: CopyRequest, signal?: AbortSignal): Promise<string>;
  /** Starts a planned copy; returns its batch id. */
  start(plan: CopyPlan): string;
  copy(request: CopyRequest, signal?: AbortSignal): Promise<BatchSummary>;
  /** Resolves when every job of the batch is final (the signal cancels the batch). */
  waitForBatch(batchId: string, signal?: AbortSignal): Promise<BatchSummary>;
  /**
   * Live jobs, failed/canceled/aborted ones and the most recent finished ones. WorkerEngine: those the worker told the
   * host of (a large batch's small blobs are in its counters only, see worker/crossing.ts).
   */
  jobs(): JobSnapshot[];
  /** The jobs of a batch not final yet. */
  liveJobs(batchId: string): JobSnapshot[];
  /** A plan's totals without its items; onPage sees each page's count, and its items up to `keepItems` (default all). */
  summarize(request: CopyRequest, signal?: AbortSignal, onPage?: PlanPageListener, keepItems?: number): Promise<PlanSummary>;
  batch(batchId: string): BatchSummary | undefined;
  /** The batches the engine keeps (running and finished, until Clear Finished forgets them). */
  batches(): BatchSummary[];
  onJob(listener: (job: JobSnapshot) => void): Disposable;
  onBatch(listener: (b: BatchSummary) => void): Disposable;
  /** Jobs the engine no longer lists (cleared, or past its retention of finished jobs). */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): Disposable;
  /** Batches the engine forgot (Clear Finished). Every other change of jobs() and batch() is an onJob / onBatch. */
  onBatchesRemoved(listener: (batchIds: readonly string[]) => void): Disposable;
  cancel(jobId: string): void;
  cancelBatch(batchId: string): void;
  /** Throws (a CopyError) for an unknown job or one that is not failed, canceled or aborted. */
  retry(jobId: string): void;
  abort(jobId: string): Promise<void>;
  clearFinished(): void;
  /**
   * A sync's run is over (its extras deleted or kept, or none to delete): the journal record that its batch keeps
   * until then (a restart before it would leave extras undeleted without a word) goes. runSync calls it.
   */
  syncEnded(batchId: string): void;
  /** Unfinished jobs in the journal (not running now). */
  unfinished(): Promise<JobSnapshot[]>;
  /**
   * Folder copies in the journal that stopped while listing (not running now): resume() lists them on; and syncs that
   * were to delete extras and stopped before their run ended (resume() reports them partial, with Sync Again).
   */
  unfinishedBatches(): Promise<UnfinishedBatch[]>;
  /** Resumes the journal's unfinished jobs and batches; returns their batch ids. */
  resume(): Promise<string[]>;
  /** Resolves when no job is active, no batch is listing and the journal has no write in flight. */
  whenIdle(): Promise<void>;
}
