/**
 * The copy engine's facade: plans, queues and runs server-side copies with bounded concurrency at two levels
 * (blobs in flight, ranges per blob), reports progress as events, journals progress for resume, and never
 * downloads content. Attempts run in runner.ts, each REST operation in its own module under operations/.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { SourceAuthorizer } from './auth';
import { onTransientFailure, type AccountClient } from './connections';
import { CopyError, toCopyError } from './errors';
import type { Disposable } from './events';
import { clearTimer, emptySummary, JobEvents, newBatch, summaryOf, type Batch, type BatchSummary } from './jobEvents';
import { createJob, describeSide, jobFromRecord, recordBytes, recordOf, snapshotOf, type Job } from './job';
import { FileJournal, type JournalRecord, type JournalStore } from './journal';
import { redactingLogger, type Logger } from './log';
import { pendingCopyId } from './operations';
import { DEFAULT_OUTAGE_TOLERANCE_SECONDS } from './outage';
import { CapabilityCache, planCopy } from './planner';
import { JobRunner } from './runner';
import { moveOptions } from './move';
import { isFinal, isRetryable, type CopyPlan, type CopyRequest, type ErrorInfo, type JobSnapshot, type JobState } from './types';

export type { BatchSummary } from './jobEvents';
export type { Logger } from './log';
export type ConnectionResolver = (connectionId: string) => Promise<AccountClient>;

export interface CopyEngineOptions {
  resolve: ConnectionResolver;
  /** JSON journal folder; omitted = no persistence. */
  journalDir?: string;
  /** Blobs in flight (default 8). */
  concurrency?: number;
  /** Ranges per blob in flight (default 4). */
  rangeConcurrency?: number;
  /**
   * Small blobs (≤ SMALL_BLOB_MAX_BYTES) in flight, in their own queue: one service call each, so latency-bound
   * (default 4 × concurrency, between concurrency and 64: 32 for the default 8).
   */
  smallBlobConcurrency?: number;
  /** Default block size for Put Block From URL (default 32 MiB). */
  blockSizeBytes?: number;
  /** How long a job waits out a storage outage or throttling before it fails, resumable (default 300 s). */
  outageToleranceSeconds?: number;
  log?: Logger;
  pipelineOptions?: StoragePipelineOptions;
}

const MiB = 1024 * 1024;
/**
 * Default block size: on Azurite, 8–100 MiB blocks with 4–8 in flight all copied 1 GiB in 16.5–16.9 s (the
 * plain-upload write limit was 16.3 s); 32 MiB keeps 32 progress/resume steps per GiB with few calls.
 */
export const DEFAULT_BLOCK_SIZE = 32 * MiB;
/**
 * Blobs up to this size run in the small-blob queue (smallBlobConcurrency in flight): a copy of a small blob is one
 * service call whose time is latency, not bytes.
 */
export const SMALL_BLOB_MAX_BYTES = 8 * MiB;

export class CopyEngine {
  private readonly log: Logger;
  private readonly jobsById = new Map<string, Job>();
  private readonly batches = new Map<string, Batch>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly smallLimit: ReturnType<typeof pLimit>;
  private readonly capabilities = new CapabilityCache();
  private readonly journal?: JournalStore & { dispose?(): void };
  private readonly events = new JobEvents((job) => this.batches.get(job.batchId));
  private readonly runner: JobRunner;
  private idleWaiters: Array<() => void> = [];
  private disposed = false;
  private readonly concurrency: number;
  private readonly transientSub: Disposable;

  constructor(private readonly options: CopyEngineOptions) {
    this.log = redactingLogger(options.log);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.limit = pLimit(this.concurrency);
    const small = options.smallBlobConcurrency ?? Math.max(this.concurrency, Math.min(64, this.concurrency * 4));
    this.smallLimit = pLimit(Math.max(1, Math.floor(small)));
    if (options.journalDir) this.journal = new FileJournal(options.journalDir);
    this.runner = new JobRunner(
      { resolve: options.resolve, pipelineOptions: options.pipelineOptions, authorizer: new SourceAuthorizer(), capabilities: this.capabilities },
      {
        log: this.log,
        rangeConcurrency: Math.max(1, Math.floor(options.rangeConcurrency ?? 4)),
        blockSize: Math.max(1, Math.floor(options.blockSizeBytes ?? DEFAULT_BLOCK_SIZE)),
        outageToleranceMs: Math.max(0, options.outageToleranceSeconds ?? DEFAULT_OUTAGE_TOLERANCE_SECONDS) * 1000,
        isDisposed: () => this.disposed,
        setState: (job, state, urgent) => this.setState(job, state, urgent),
        setBytes: (job, bytes) => this.setBytes(job, bytes),
        saveJournal: (job, urgent) => this.saveJournal(job, urgent),
        emitJob: (job, force) => this.events.job(job, force),
        finish: (job, state, error) => this.finish(job, state, error),
        flushJournal: () => this.journal?.flush(), // move (issue #12): 'copied' is on disk before a source is deleted
      },
    );
    // Each throttled / failed attempt that the SDK's retry policy handles goes to the log, with its request id.
    this.transientSub = onTransientFailure((f) => {
      const what = f.status !== undefined ? `${f.status}${f.code ? ` ${f.code}` : ''}` : `network error ${f.code ?? ''}`.trim();
      this.log.warn(`${f.method} ${f.url}: ${what}${f.requestId ? ` (request id ${f.requestId})` : ''}; the SDK's retry policy retries it.`);
    });
  }

  // ---------------------------------------------------------------- planning and starting

  plan(request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan> {
    return planCopy(
      { resolve: this.options.resolve, pipelineOptions: this.options.pipelineOptions, capabilities: this.capabilities, headConcurrency: Math.max(8, this.concurrency * 2) },
      request,
      signal,
    );
  }

  start(plan: CopyPlan): string {
    this.assertLive();
    const batch = newBatch(randomUUID());
    this.batches.set(batch.id, batch);
    const opts = plan.request.options ?? {};
    for (const w of plan.warnings ?? []) this.log.warn(w);
    for (const item of plan.items) {
      const job = createJob(batch.id, item, { tags: opts.tags !== false, tier: opts.tier !== false, conflict: opts.conflict ?? 'overwrite', ...moveOptions(opts) });
      this.jobsById.set(job.id, job);
      batch.jobs.push(job);
      if (item.action === 'skip') {
        job.state = 'skipped';
        job.finishedAt = Date.now();
        this.events.job(job, true);
      } else {
        this.saveJournal(job, true);
        this.events.job(job, true);
        this.enqueue(job);
      }
    }
    this.events.batch(batch, true);
    return batch.id;
  }

  async copy(request: CopyRequest, signal?: AbortSignal): Promise<BatchSummary> {
    const plan = await this.plan(request, signal);
    if (request.options?.dryRun) return { ...emptySummary(''), total: plan.items.length, skipped: plan.totals.skipped };
    return this.waitForBatch(this.start(plan), signal);
  }

  /** Resolves when every job of the batch reached a final state (the signal cancels the batch). */
  waitForBatch(batchId: string, signal?: AbortSignal): Promise<BatchSummary> {
    return new Promise<BatchSummary>((resolve) => {
      const check = () => {
        const s = this.batch(batchId);
        if (!s || s.done) {
          sub.dispose();
          signal?.removeEventListener('abort', onAbort);
          resolve(s ?? emptySummary(batchId));
        }
      };
      const onAbort = () => this.cancelBatch(batchId);
      const sub = this.events.onBatch((b) => {
        if (b.batchId === batchId && b.done) check();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      check();
    });
  }

  // ---------------------------------------------------------------- what the UI reads

  jobs(): JobSnapshot[] {
    const now = Date.now();
    return [...this.jobsById.values()].map((j) => snapshotOf(j, now));
  }

  batch(batchId: string): BatchSummary | undefined {
    const b = this.batches.get(batchId);
    return b ? summaryOf(b) : undefined;
  }

  onJob(listener: (job: JobSnapshot) => void): Disposable {
    return this.events.onJob(listener);
  }

  onBatch(listener: (b: BatchSummary) => void): Disposable {
    return this.events.onBatch(listener);
  }

  /** Jobs that are gone from the engine (cleared): their ids. */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): Disposable {
    return this.events.onJobsRemoved(listener);
  }

  // ---------------------------------------------------------------- control

  cancel(jobId: string): void {
    const job = this.jobsById.get(jobId);
    if (!job || isFinal(job.state)) return;
    job.controller.abort();
    if (job.state === 'queued') this.finish(job, 'canceled');
  }

  cancelBatch(batchId: string): void {
    for (const job of this.batches.get(batchId)?.jobs ?? []) this.cancel(job.id);
  }

  retry(jobId: string): void {
    this.assertLive();
    const job = this.jobsById.get(jobId);
    if (!job) throw new CopyError({ message: `No job ${jobId}.` });
    if (!isRetryable(job.state)) {
      throw new CopyError({ message: `Job ${jobId} is ${job.state}: only failed, canceled or aborted jobs can be retried.` });
    }
    job.state = 'queued';
    job.error = undefined;
    job.finishedAt = undefined;
    job.controller = new AbortController();
    job.abortRequested = false;
    job.acceptNewSource = true;
    const batch = this.batches.get(job.batchId);
    if (batch) {
      batch.doneFired = false;
      batch.firstOpen = 0;
    }
    this.saveJournal(job, true);
    this.events.job(job, true);
    this.enqueue(job);
  }

  async abort(jobId: string): Promise<void> {
    const job = this.jobsById.get(jobId);
    if (!job) throw new CopyError({ message: `No job ${jobId}.` });
    const copyId = pendingCopyId(job.progress);
    if (job.state !== 'pending' || !copyId || !job.destClient) {
      throw new CopyError({ message: `Job ${jobId} is ${job.state}: only a pending Copy Blob can be aborted.`, hint: 'Use cancel for other jobs.' });
    }
    job.abortRequested = true;
    try {
      await job.destClient.abortCopyFromURL(copyId);
    } catch (e) {
      const err = toCopyError(e, `Abort the copy to ${describeSide(job.item, 'destination')}`, 'destination');
      if (err.info.code !== 'NoPendingCopyOperation') {
        job.abortRequested = false;
        throw err;
      }
    }
    job.controller.abort();
    await Promise.race([job.running, new Promise((r) => setTimeout(r, 30_000).unref())]);
  }

  clearFinished(): void {
    const removed: string[] = [];
    for (const [id, job] of this.jobsById) {
      if (isFinal(job.state)) {
        this.jobsById.delete(id);
        this.journal?.remove(id);
        removed.push(id);
      }
    }
    for (const [id, b] of this.batches) {
      const left = b.jobs.filter((j) => this.jobsById.has(j.id));
      if (left.length === 0) this.batches.delete(id);
      else {
        b.jobs.splice(0, b.jobs.length, ...left);
        b.firstOpen = 0;
      }
    }
    this.events.jobsRemoved(removed);
  }

  // ---------------------------------------------------------------- resume

  async unfinished(): Promise<JobSnapshot[]> {
    return this.unfinishedRecords().map((r) => snapshotOf({ ...jobFromRecord(r), state: r.state }));
  }

  async resume(): Promise<string[]> {
    this.assertLive();
    const ids = new Set<string>();
    for (const r of this.unfinishedRecords()) {
      const job = jobFromRecord(r);
      this.jobsById.set(job.id, job);
      let batch = this.batches.get(job.batchId);
      if (!batch) this.batches.set(job.batchId, (batch = newBatch(job.batchId)));
      batch.jobs.push(job);
      ids.add(job.batchId);
      this.events.job(job, true);
      this.enqueue(job);
    }
    for (const id of ids) this.events.batch(this.batches.get(id)!, true);
    return [...ids];
  }

  whenIdle(): Promise<void> {
    if (!this.hasActive()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops all work. Unfinished jobs stay in the journal (a new engine can resume them). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const job of this.jobsById.values()) {
      clearTimer(job);
      job.controller.abort();
    }
    for (const b of this.batches.values()) clearTimer(b);
    this.journal?.dispose?.();
    this.transientSub.dispose();
    this.events.dispose();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- internals

  private assertLive(): void {
    if (this.disposed) throw new CopyError({ message: 'The copy engine was disposed.' });
  }

  private unfinishedRecords(): JournalRecord[] {
    if (!this.journal) return [];
    return this.journal.list().filter((r) => !isFinal(r.state) && !this.jobsById.has(r.jobId));
  }

  private enqueue(job: Job): void {
    const limit = job.item.size <= SMALL_BLOB_MAX_BYTES ? this.smallLimit : this.limit;
    const run = limit(() => this.runner.run(job));
    job.running = run;
    void run.catch((e) => this.log.error(`Internal error in job ${job.id}: ${e instanceof Error ? e.message : String(e)}`));
  }

  private hasActive(): boolean {
    for (const j of this.jobsById.values()) if (!isFinal(j.state)) return true;
    return false;
  }

  private setState(job: Job, state: JobState, urgentJournal = true): void {
    job.state = state;
    this.saveJournal(job, urgentJournal);
    this.events.job(job, true);
  }

  private setBytes(job: Job, bytes: number): void {
    if (job.outage && bytes > job.bytesDone) job.outage = undefined; // storage answers again: the outage is over
    recordBytes(job, bytes);
    this.saveJournal(job);
    this.events.job(job);
  }

  private finish(job: Job, state: JobState, error?: ErrorInfo): void {
    job.state = state;
    job.error = error;
    job.finishedAt = Date.now();
    // Keep no per-job detail a finished job no longer needs (memory stays flat in the number of blobs).
    job.destClient = undefined;
    job.samples = [];
    clearTimer(job);
    if (state === 'succeeded' || state === 'skipped') this.journal?.remove(job.id);
    else this.saveJournal(job, true);
    this.events.job(job, true);
    if (this.idleWaiters.length > 0 && !this.hasActive()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private saveJournal(job: Job, urgent = false): void {
    if (!this.journal || this.disposed) return;
    this.journal.save(recordOf(job), urgent);
  }
}
