/** A job as the engine holds it, and the conversions to what leaves the engine (snapshots, journal records). */
import { randomUUID } from 'node:crypto';
import type { BlobTarget } from '../storage/blobRequests';
import type { JobOptions, JournalRecord } from './journal';
import { itemHasSecret, sanitizeItem } from './journal';
import { freshProgress, pendingCopyId, progressFromRecord, type JobProgress } from '../operations';
import type { Outage } from '../base/outage';
import { describeLocation, describeSource } from '../base/redact';
import { strategyOf } from '../../shared/vocabulary';
import { isFinal, type CopyOperation, type ErrorInfo, type JobSnapshot, type JobState, type PlannedCopy } from '../base/types';

/** Throughput is measured over this window. */
const RATE_WINDOW_MS = 3000;

export interface Job {
  readonly id: string;
  readonly batchId: string;
  item: PlannedCopy;
  operation: CopyOperation;
  state: JobState;
  attempts: number;
  bytesDone: number;
  startedAt?: number;
  finishedAt?: number;
  error?: ErrorInfo;
  progress: JobProgress;
  readonly options: JobOptions;
  controller: AbortController;
  abortRequested: boolean;
  /** Retry: copy the source's current version even if it changed since the plan. */
  acceptNewSource: boolean;
  sourceSecretOmitted: boolean;
  /** [time, bytesDone] samples of the recent window (throughput). */
  samples: Array<[number, number]>;
  lastEmit: number;
  emitTimer?: NodeJS.Timeout;
  running?: Promise<void>;
  /** The destination while the job runs (Abort of a pending Copy Blob needs its client). */
  dest?: BlobTarget;
  /** Set while the job waits for storage to answer again (outage or throttling past the SDK's retries). */
  outage?: Outage;
  /**
   * The job holds work a resume should continue rather than redo (bytes copied, a pending copy id, a created
   * append/page blob), or it came from its own record or a retry. A job without it, in a batch still listing, needs
   * no journal record: it lies beyond the batch's journaled position, so a resume lists and plans it again.
   */
  durable?: boolean;
  /** describeSide of the current item, both sides (asked for each event and each attempt's messages). */
  sides?: Sides;
  /**
   * A resumed batch's job that may have been in flight when the run before stopped (a copy the service did but that
   * run never heard of): when its destination holds the source's content (length and MD5), written since this time
   * (the batch's start, ms), it was copied before the restart and is not copied again (JobRunner.copiedBefore).
   */
  copiedSince?: number;
}

interface Sides {
  readonly item: PlannedCopy;
  readonly source: string;
  readonly destination: string;
}

function base(id: string, batchId: string, item: PlannedCopy, operation: CopyOperation, options: JobOptions): Job {
  return {
    id,
    batchId,
    item,
    operation,
    state: 'queued',
    attempts: 0,
    bytesDone: 0,
    progress: freshProgress(operation, 0),
    options,
    controller: new AbortController(),
    abortRequested: false,
    acceptNewSource: false,
    sourceSecretOmitted: itemHasSecret(item),
    samples: [],
    lastEmit: 0,
  };
}

export function createJob(batchId: string, item: PlannedCopy, options: JobOptions): Job {
  return base(randomUUID(), batchId, item, item.operation ?? item.strategy, options);
}

/** A job read back from the journal (queued: the caller decides whether it runs). */
export function jobFromRecord(r: JournalRecord): Job {
  const job = base(r.jobId, r.batchId, r.item, r.operation, r.options);
  job.attempts = r.attempts;
  job.bytesDone = r.bytesDone;
  job.progress = progressFromRecord(r.operation, r.progress);
  job.sourceSecretOmitted = !!r.sourceSecretOmitted;
  job.durable = true;
  return job;
}

/** Switches the job to another operation (capability fallback, changed source): its progress starts over. */
export function restartProgress(job: Job, operation: CopyOperation = job.operation): void {
  job.operation = operation;
  job.progress = freshProgress(operation, job.progress.generation + 1);
  job.bytesDone = 0;
}

export function describeSide(item: PlannedCopy, side: 'source' | 'destination'): string {
  return side === 'source' ? describeSource(item.source) : describeLocation(item.destination);
}

/** Both sides of the job's current item, described once per item. */
export function sidesOf(job: Job): Sides {
  const s = job.sides;
  if (s && s.item === job.item) return s;
  return (job.sides = { item: job.item, source: describeSide(job.item, 'source'), destination: describeSide(job.item, 'destination') });
}

/** Records bytes done and a throughput sample. */
export function recordBytes(job: Job, bytes: number, now = Date.now()): void {
  job.bytesDone = Math.min(bytes, job.item.size);
  job.samples.push([now, job.bytesDone]);
  while (job.samples.length > 2 && now - job.samples[0][0] > RATE_WINDOW_MS) job.samples.shift();
}

function throughputOf(job: Job, now: number): number {
  const window = job.samples.filter(([t]) => now - t <= RATE_WINDOW_MS);
  if (window.length < 2) return 0;
  const [t0, b0] = window[0];
  const [t1, b1] = window[window.length - 1];
  return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
}

export function snapshotOf(job: Job, now = Date.now()): JobSnapshot {
  const sides = sidesOf(job);
  return {
    id: job.id,
    batchId: job.batchId,
    source: sides.source,
    destination: sides.destination,
    sourceLocation: job.item.source.kind === 'location' ? job.item.source.location : undefined,
    destinationLocation: job.item.destination,
    strategy: strategyOf(job.operation),
    operation: job.operation,
    state: job.state,
    bytesDone: job.bytesDone,
    bytesTotal: job.item.size,
    throughput: throughputOf(job, now),
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    error: job.error,
    copyId: job.state === 'pending' ? pendingCopyId(job.progress) : undefined,
    attempts: job.attempts,
    waiting: job.outage && !isFinal(job.state) ? { reason: job.outage.reason, since: job.outage.since, nextTryAt: job.outage.nextTryAt } : undefined,
    ...(job.item.rehydrate && job.state === 'pending' ? { rehydrating: true } : {}),
  };
}

/** What the journal keeps of a job: no secrets (URL sources lose their query). */
export function recordOf(job: Job): JournalRecord {
  const { item, secretOmitted } = sanitizeItem(job.item);
  return {
    version: 1,
    jobId: job.id,
    batchId: job.batchId,
    item,
    sourceSecretOmitted: secretOmitted || job.sourceSecretOmitted,
    options: job.options,
    operation: job.operation,
    state: job.state,
    attempts: job.attempts,
    bytesDone: job.bytesDone,
    progress: job.progress,
    error: job.error,
    updatedAt: '',
  };
}
