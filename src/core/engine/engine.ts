/**
 * The copy engine's facade: plans, queues and runs server-side copies with bounded concurrency at two levels
 * (blobs in flight, ranges per blob), reports progress as events, journals progress for resume, and never
 * downloads content. Attempts run in runner.ts, each REST operation in its own module under operations/.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { SourceAuthorizer } from '../storage/auth';
import { onTransientFailure } from '../storage/connections';
import { BATCH_WINDOW, DEFAULT_CONCURRENCY, DEFAULT_SMALL_BLOB_CAP, RETAINED_FINISHED, SMALL_BLOB_MAX_BYTES, TUNING_KEYS, type CopyEngineOptions, type EngineTuning } from './engineOptions';
import { CopyError, retryRefusal, toCopyError } from '../base/errors';
import type { Disposable } from '../base/events';
import { statsOf, type Batch, type BatchStats, clearTimer, emptySummary, newBatch, restoreCopied, summaryOf, type BatchSummary } from './jobEvents';
import { EngineJobTable } from './jobTable';
import { describeSide, jobFromRecord, snapshotOf, type Job } from '../copy/job';
import { FileJournal, type BatchRecord, type JournalRecord, type JournalStore } from '../copy/journal';
import { redactingLogger, type Logger } from '../base/log';
import { describeLocation, describeSource } from '../base/redact';
import { operationModule, pendingCopyId } from '../operations';
import { DeferredCleanups } from '../copy/cleanups';
import { CapabilityCache, type PlannerContext } from '../plan/planner';
import { planCopy, summarizePlan, type PlanPageListener, type PlanSummary } from '../plan/wholePlan';
import { readResume } from './resume';
import { OperationTimings } from '../operations/operationChoice';
import { JobRunner } from '../copy/runner';
import { GateFollowingQueue } from '../storage/gateQueue';
import type { EngineApi } from './engineApi';
import { isFinal, type CopyPlan, type CopyRequest, type ErrorInfo, type JobSnapshot, type Refusals, type UnfinishedBatch } from '../base/types';

export type { BatchStats, BatchSummary } from './jobEvents';
export type { Logger } from '../base/log';
export type { ConnectionResolver, CopyEngineOptions, EngineTuning } from './engineOptions';
export { DEFAULT_SMALL_BLOB_CAP } from './engineOptions';

export { SETTLED_LINE } from './jobTable';

export class CopyEngine implements EngineApi {
  private readonly log: Logger;
  /** The jobs and batches, and every change to them (journaled, reported as events). */
  private readonly table: EngineJobTable;
  private limit?: ReturnType<typeof pLimit>;
  /** Small blobs: up to their cap, and as many as the account gate lets through (see GateFollowingQueue). */
  private readonly smallQueue = new GateFollowingQueue(DEFAULT_SMALL_BLOB_CAP);
  private smallConcurrency = 0;
  private readonly tuning: EngineTuning = {};
  private readonly capabilities = new CapabilityCache();
  private readonly timings: OperationTimings;
  private readonly journal?: JournalStore & { dispose?(): void };
  private readonly runner: JobRunner;
  private idleWaiters: Array<() => void> = [];
  /** Removals of partial destinations waiting for storage to answer again (see cleanups.ts). */
  private readonly cleanups: DeferredCleanups<Job>;
  private disposed = false;
  private concurrency = DEFAULT_CONCURRENCY;
  private readonly transientSub: Disposable;

  constructor(private readonly options: CopyEngineOptions) {
    this.log = redactingLogger(options.log);
    this.cleanups = new DeferredCleanups(this.log, () => this.wakeIdle());
    this.timings = new OperationTimings(options.operationChoice);
    this.configure(options);
    if (options.journalDir) this.journal = new FileJournal(options.journalDir);
    this.table = new EngineJobTable({
      log: this.log,
      journal: this.journal,
      tuning: this.tuning,
      window: Math.max(1, options.batchWindow ?? BATCH_WINDOW),
      retainFinished: options.retainFinished ?? RETAINED_FINISHED,
      cleanups: this.cleanups,
      plannerContext: () => this.plannerContext(),
      isDisposed: () => this.disposed,
      enqueue: (job) => this.enqueue(job),
      reachedGate: (job, gate) => {
        if (job.item.size <= SMALL_BLOB_MAX_BYTES) this.smallQueue.gate = gate;
      },
      smallCap: () => this.smallConcurrency,
      wakeIdle: () => this.wakeIdle(),
    });
    const authorizer = new SourceAuthorizer({ warn: (m) => this.log.warn(m) });
    this.runner = new JobRunner({ resolve: options.resolve, pipelineOptions: options.pipelineOptions, authorizer, capabilities: this.capabilities, timings: this.timings }, this.table);
    // Each throttled / failed attempt that the SDK's retry policy handles goes to the debug log, with its request id:
    // a failure that outlasts the retries is reported once, by the job or the plan it ends.
    this.transientSub = onTransientFailure((f) => {
      const what = f.status !== undefined ? `${f.status}${f.code ? ` ${f.code}` : ''}` : `network error ${f.code ?? ''}`.trim();
      this.log.debug?.(`${f.method} ${f.url}: ${what}${f.requestId ? ` (request id ${f.requestId})` : ''}; the SDK's retry policy retries it.`);
    });
  }

  /**
   * Changes concurrency, block size or outage tolerance while the engine runs: jobs that start from now on use them
   * (jobs already queued keep the concurrency they were queued under).
   */
  configure(o: EngineTuning): void {
    Object.assign(this.tuning, Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && TUNING_KEYS.includes(k as keyof EngineTuning))));
    // A concurrency the user set caps small blobs too (4 × it, as before the gate adapted); unset (or 0), small blobs
    // may go up to DEFAULT_SMALL_BLOB_CAP and the account gate finds how many help.
    const set = Math.floor(this.tuning.concurrency ?? 0) >= 1;
    const concurrency = set ? Math.floor(this.tuning.concurrency!) : DEFAULT_CONCURRENCY;
    const smallSet = Math.floor(this.tuning.smallBlobConcurrency ?? 0);
    const small = smallSet >= 1 ? smallSet : set ? Math.max(concurrency, Math.min(64, concurrency * 4)) : DEFAULT_SMALL_BLOB_CAP;
    // p-limit's concurrency is fixed: a new limiter for jobs queued from now on (the small queue follows its cap).
    if (!this.limit || this.concurrency !== concurrency) this.limit = pLimit(concurrency);
    this.smallQueue.cap = small;
    this.smallQueue.next();
    this.concurrency = concurrency;
    this.smallConcurrency = small;
  }

  // ---------------------------------------------------------------- planning and starting

  private plannerContext(): PlannerContext {
    return {
      resolve: this.options.resolve,
      pipelineOptions: this.options.pipelineOptions,
      capabilities: this.capabilities,
      headConcurrency: Math.max(8, this.concurrency * 2),
      blockSize: this.table.blockSize,
      outages: { toleranceMs: this.table.outageToleranceMs, log: this.log },
    };
  }

  /** The whole plan in memory (confirmations, dry runs, small copies). */
  plan(request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan> {
    return planCopy(this.plannerContext(), request, signal);
  }

  /**
   * Plans and copies as the sources are listed, a window of jobs at a time: memory stays flat whatever the number of
   * blobs. Resolves with the batch id once the first page is planned (its problems reject); later listing errors
   * end the batch with `error` in its summary.
   */
  async startStreaming(request: CopyRequest, signal?: AbortSignal): Promise<string> {
    this.assertLive();
    return this.table.feeds.start(randomUUID(), request, signal);
  }

  /** Starts a planned copy; returns its batch id (`batchId` when given: WorkerEngine names the batch in the host's thread). */
  start(plan: CopyPlan, batchId: string = randomUUID()): string {
    this.assertLive();
    const batch = newBatch(batchId);
    this.table.batches.set(batch.id, batch);
    batch.refused.merge(plan.refused);
    for (const w of plan.warnings ?? []) this.log.warn(w);
    for (const item of plan.items) this.table.admit(batch, item, plan.request);
    this.table.recordListed(batch, plan.request, { source: plan.request.sources.length });
    this.table.batchChanged(batch);
    return batch.id;
  }

  async copy(request: CopyRequest, signal?: AbortSignal): Promise<BatchSummary> {
    if (request.options?.dryRun) {
      const plan = await this.plan(request, signal);
      return { ...emptySummary(''), total: plan.items.length, skipped: plan.totals.skipped };
    }
    return this.waitForBatch(await this.startStreaming(request, signal), signal);
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
      const sub = this.table.events.onBatch((b) => {
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
    return [...this.table.jobsById.values()].map((j) => snapshotOf(j, now));
  }

  /** The jobs of a batch not final yet (at most its window). */
  liveJobs(batchId: string): JobSnapshot[] {
    const now = Date.now();
    return [...(this.table.batches.get(batchId)?.live ?? [])].map((j) => snapshotOf(j, now));
  }

  /** Totals of a plan without keeping its items (a confirmation of millions); onPage sees each page as it is planned. */
  summarize(request: CopyRequest, signal?: AbortSignal, onPage?: PlanPageListener, keepItems?: number): Promise<PlanSummary> {
    return summarizePlan(this.plannerContext(), request, signal, onPage, keepItems);
  }

  batch(batchId: string): BatchSummary | undefined {
    const b = this.table.batches.get(batchId);
    return b ? summaryOf(b) : undefined;
  }

  batches(): BatchSummary[] {
    return [...this.table.batches.values()].map(summaryOf);
  }

  /** The blobs a batch's listing saw but could not plan: how many, and the first REFUSALS_KEPT of them. */
  batchRefusals(batchId: string): Refusals | undefined {
    return this.table.batches.get(batchId)?.refused.value();
  }

  onJob(listener: (job: JobSnapshot) => void): Disposable {
    return this.table.events.onJob(listener);
  }

  onBatch(listener: (b: BatchSummary) => void): Disposable {
    return this.table.events.onBatch(listener);
  }

  /** Jobs that are gone from the engine (cleared, or no longer retained): their ids. */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): Disposable {
    return this.table.events.onJobsRemoved(listener);
  }

  /** Batches the engine forgot (Clear Finished): their ids. */
  onBatchesRemoved(listener: (batchIds: readonly string[]) => void): Disposable {
    return this.table.events.onBatchesRemoved(listener);
  }

  // ---------------------------------------------------------------- control

  cancel(jobId: string): void {
    const job = this.table.jobsById.get(jobId);
    if (!job || isFinal(job.state)) return;
    job.controller.abort();
    if (job.state === 'queued') this.table.finish(job, 'canceled');
  }

  cancelBatch(batchId: string): void {
    this.table.feeds.stop(batchId); // no more jobs from its listing
    for (const job of [...(this.table.batches.get(batchId)?.live ?? [])]) this.cancel(job.id);
  }

  retry(jobId: string): void {
    this.assertLive();
    const job = this.table.jobsById.get(jobId);
    const refused = retryRefusal(jobId, job?.state);
    if (refused || !job) throw refused;
    this.table.reopen(job);
  }

  async abort(jobId: string): Promise<void> {
    const job = this.table.jobsById.get(jobId);
    if (!job) throw new CopyError({ message: `No job ${jobId}.` });
    const mod = operationModule(job.operation);
    if (job.state !== 'pending' || !mod.abort || !pendingCopyId(job.progress) || !job.dest) {
      throw new CopyError({ message: `Job ${jobId} is ${job.state}: only a pending Copy Blob can be aborted.`, hint: 'Use cancel for other jobs.' });
    }
    job.abortRequested = true;
    try {
      await mod.abort(job.dest.client(), job.progress);
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
    this.table.clearFinished();
  }

  syncEnded(batchId: string): void {
    if (this.disposed) return; // stopped (a restart): the record stays, for the next engine to report
    this.table.syncEnded(batchId);
  }

  // ---------------------------------------------------------------- resume

  async unfinished(): Promise<JobSnapshot[]> {
    return this.unfinishedRecords().map((r) => snapshotOf({ ...jobFromRecord(r), state: r.state }));
  }

  async unfinishedBatches(): Promise<UnfinishedBatch[]> {
    if (!this.journal) return [];
    // Stopped while listing; or a sync whose extras were still to be deleted (its copies, if any were left, are jobs).
    return this.journal.listBatches().filter((r) => (!r.listed || r.request.options?.sync?.deleteExtras === true) && !this.table.batches.has(r.batchId)).map(unfinishedBatchOf);
  }

  async resume(): Promise<string[]> {
    this.assertLive();
    const ids = new Set<string>();
    const { jobsById, batches } = this.table;
    const found = readResume(this.journal, { job: (id) => jobsById.has(id), batch: (id) => batches.has(id) });
    // What this engine resumes becomes its own at once (written again, its records carry this journal's owner): a
    // window that starts now neither offers nor resumes them. A job still queued would be written only when it starts.
    for (const r of found.jobs) this.journal?.save(r, true);
    for (const b of [...found.streams.values(), ...found.listed.values()]) this.journal?.saveBatch(b);
    for (const r of found.jobs) ids.add(this.table.resumed(jobFromRecord(r), !found.streams.has(r.batchId)).id);
    for (const [batchId, rec] of found.streams) {
      // A streamed batch stopped while listing: list on from its journaled position.
      try {
        if (rec.sourceSecretOmitted) throw new CopyError({ message: "a source URL's SAS is not kept in the journal; start the copy again." });
        await this.table.feeds.start(batchId, rec.request, undefined, { position: rec.position, resumed: found.skip.get(batchId), resumedDone: found.done.get(batchId), refusedBefore: rec.refused, startedAt: rec.startedAt });
        ids.add(batchId);
        this.syncCutShort(batches.get(batchId)!, rec);
      } catch (e) {
        const err = toCopyError(e, 'List the sources', 'source');
        this.log.error(`Batch ${batchId}: its listing cannot resume: ${err.message}`);
        this.journal?.removeBatch(batchId);
        // Listed, with its error: what its listing did not reach is not copied, so the batch is partial (or failed),
        // never complete; a batch with no job of its own left is shown too, not dropped without a word.
        let b = batches.get(batchId);
        if (!b) batches.set(batchId, (b = newBatch(batchId)));
        b.listingDone = true;
        b.error = err.info;
        ids.add(batchId);
      }
    }
    for (const [batchId, rec] of found.listed) {
      // Listed to the end before the restart: its copies came back from their own records (above); what only its
      // listing knew comes back from its record, so it is not reported complete.
      let b = batches.get(batchId);
      if (!b) batches.set(batchId, (b = newBatch(batchId)));
      b.error = rec.listed?.error;
      b.refused.merge(rec.refused);
      // A sync stopped while deleting its extras: its copies had all ended (their records are gone), their counts stay.
      if (rec.listed?.copied) restoreCopied(b, rec.listed.copied);
      this.syncCutShort(b, rec);
      b.listedRecord = rec;
      this.table.forgetListed(b); // nothing was left in flight: done now
      ids.add(batchId);
    }
    for (const id of ids) this.table.batchChanged(batches.get(id)!);
    return [...ids];
  }

  /**
   * A resumed sync that was to delete the extras after its copies: the run that would have deleted them ended with
   * the process, so the batch says so (partial, with the sync to run again), unless its listing's own error does.
   */
  private syncCutShort(b: Batch, rec: BatchRecord): void {
    const request = rec.request;
    if (!request.options?.sync?.deleteExtras) return;
    const note = syncInterrupted(rec.listed?.copied !== undefined);
    b.error ??= note;
    const src = request.sources[0];
    if (src?.kind === 'location') b.syncAgain = { source: src.location, destination: request.destination, compare: request.options.sync.compare };
    this.log.warn(`Batch ${b.id}: ${note.message} ${note.hint}`);
  }

  /**
   * Where a streamed batch's time went (ms): waiting for listing pages, planning them, from the start to the first
   * job, copying (first job to the last final one), in all; the operations that copied its blobs; and what the
   * engine measured per endpoint for the choice between operations for small blobs.
   */
  batchStats(batchId: string): BatchStats | undefined {
    const b = this.table.batches.get(batchId);
    return b && statsOf(b, this.timings.all());
  }


  /** Resolves when no job, listing or cleanup is active and the journal has no write in flight. */
  async whenIdle(): Promise<void> {
    if (this.hasActive()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.journal?.settled?.();
  }

  /** Stops all work. Unfinished jobs stay in the journal (a new engine can resume them). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const job of this.table.jobsById.values()) {
      clearTimer(job);
      job.controller.abort();
    }
    for (const b of this.table.batches.values()) clearTimer(b);
    this.cleanups.dispose();
    this.table.feeds.dispose();
    this.journal?.dispose?.();
    this.transientSub.dispose();
    this.table.events.dispose();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- internals

  private assertLive(): void {
    if (this.disposed) throw new CopyError({ message: 'The copy engine was disposed.' });
  }

  private unfinishedRecords(): JournalRecord[] {
    if (!this.journal) return [];
    return this.journal.list().filter((r) => !isFinal(r.state) && !this.table.jobsById.has(r.jobId));
  }

  private enqueue(job: Job): void {
    const run = job.item.size <= SMALL_BLOB_MAX_BYTES ? this.smallQueue.run(() => this.runner.run(job)) : this.limit!(() => this.runner.run(job));
    job.running = run;
    void run.catch((e) => this.log.error(`Internal error in job ${job.id}: ${e instanceof Error ? e.message : String(e)}`));
  }

  private hasActive(): boolean {
    if (this.table.feeds.active > 0 || this.cleanups.size > 0) return true;
    for (const b of this.table.batches.values()) if (b.live.size > 0) return true;
    return false;
  }

  private wakeIdle(): void {
    if (this.idleWaiters.length > 0 && !this.hasActive()) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** A folder copy's record as the start-up check names it. */
function unfinishedBatchOf(r: BatchRecord): UnfinishedBatch {
  return { batchId: r.batchId, sources: r.request.sources.map(describeSource), destination: describeLocation(r.request.destination), ...(r.request.options?.sync ? { sync: true } : {}) };
}

/**
 * Why a resumed sync's batch cannot be complete: the run that would delete the extras after its copies is gone.
 * `afterCopies`: it stopped while deleting them (every copy had ended), so some may be deleted, not all.
 */
function syncInterrupted(afterCopies: boolean): ErrorInfo {
  if (afterCopies) {
    return {
      message: 'A sync interrupted by a restart after its copies: its extras at the destination were not all deleted.',
      hint: 'Run the sync again with "delete extras" (CLI: --delete-destination): it deletes the extras still there.',
      code: 'SyncInterrupted',
    };
  }
  return {
    message: 'A sync interrupted by a restart: its copies resume, but its extras at the destination are not deleted.',
    hint: 'When this batch is done, run the sync again with "delete extras" (CLI: --delete-destination): it copies only what is still new or changed, then deletes them.',
    code: 'SyncInterrupted',
  };
}
