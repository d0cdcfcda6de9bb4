/** The Copy Jobs relay's contract with the engine, its clock and its options (see relay.ts). Free of `vscode`. */
import type { BatchSummary, EngineApi, JobSnapshot } from '../../core';
import type { InitMessage, JobFilter, JobsUpdatedMessage, JobView } from '../../shared/protocol';

/** What the panel needs from the copy engine. `CopyEngine` and `WorkerEngine` satisfy it; tests pass a fake. */
export interface JobSource {
  onJob(listener: (job: JobSnapshot) => void): { dispose(): void };
  /** Fires with the ids of jobs that left the engine (Clear Finished, or past its retention of finished jobs). */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): { dispose(): void };
  /** Fires with the ids of batches the engine forgot (Clear Finished). */
  onBatchesRemoved?(listener: (batchIds: readonly string[]) => void): { dispose(): void };
  /** The jobs the engine lists: live ones, failed/canceled/aborted ones and the most recent finished ones. */
  jobs(): readonly JobSnapshot[];
  cancel(jobId: string): unknown;
  retry(jobId: string): unknown;
  abort(jobId: string): unknown;
  clearFinished(): unknown;
  /** Per-batch counters. Without them (a fake source) the totals are counted from the listed jobs. */
  onBatch?(listener: (summary: BatchSummary) => void): { dispose(): void };
  batch?(batchId: string): BatchSummary | undefined;
}

// The engines must fit the interface (fails to compile if the engine API drifts): CopyEngine and WorkerEngine both
// implement EngineApi.
const _engineFits: EngineApi extends Required<JobSource> ? true : false = true;
void _engineFits;

/** Timers, replaceable in tests. */
export interface RelayClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: RelayClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface JobRelayOptions {
  /** Posts a message to the webview. */
  readonly post: (message: InitMessage | JobsUpdatedMessage) => void;
  /** Snapshot → what the webview may see (redacted). */
  readonly toView: (job: JobSnapshot) => JobView;
  /** Minimum time between two update messages, ms. */
  readonly throttleMs: number;
  readonly filter: JobFilter;
  readonly clock?: RelayClock;
  /** Where the counters of the batches of the first jobs come from. */
  readonly source?: Pick<JobSource, 'batch'>;
}

