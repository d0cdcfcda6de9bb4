/**
 * The copy engine's facade: plans, queues and runs server-side copies with bounded concurrency at two levels
 * (blobs in flight, ranges per blob), reports progress as events, journals progress for resume, and never
 * downloads content. Attempts run in runner.ts, each REST operation in its own module under operations/.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { SourceAuthorizer } from '../storage/auth';
import { onTransientFailure } from '../storage/connections';
import { BATCH_WINDOW, DEFAULT_BLOCK_SIZE, DEFAULT_CONCURRENCY, DEFAULT_RANGE_CONCURRENCY, DEFAULT_SMALL_BLOB_CAP, RETAINED_FINISHED, SMALL_BLOB_MAX_BYTES, TUNING_KEYS, type CopyEngineOptions, type EngineTuning } from './engineOptions';
import { CopyError, retryRefusal, toCopyError } from '../base/errors';
import type { Disposable } from '../base/events';
import { addJob, batchDone, statsOf, type BatchStats, clearTimer, emptySummary, JobEvents, jobFinished, jobReopened, jobsCleared, newBatch, summaryOf, type Batch, type BatchSummary } from './jobEvents';
import { Feeds } from './feeder';
import { createJob, describeSide, jobFromRecord, recordBytes, recordOf, snapshotOf, type Job } from '../copy/job';
import { FileJournal, type JournalRecord, type JournalStore } from '../copy/journal';
import { redactingLogger, type Logger } from '../base/log';
import { operationModule, pendingCopyId } from '../operations';
import { DEFAULT_OUTAGE_TOLERANCE_SECONDS } from '../base/outage';
import { DeferredCleanups } from '../copy/cleanups';
import { CapabilityCache, planCopy, summarizePlan, type PlannerContext, type PlanSummary } from '../plan/planner';
import { readResume } from './resume';
import { OperationTimings } from '../operations/operationChoice';
import { JobRunner } from '../copy/runner';
import { GateFollowingQueue, gateOfUrl, type AccountGate } from '../storage/throttle';
import type { EngineApi } from './engineApi';
import { moveOptions } from '../copy/move';
import { isFinal, type CopyPlan, type CopyRequest, type ErrorInfo, type JobSnapshot, type JobState, type PlannedCopy, type Refusals } from '../base/types';

export type { BatchStats, BatchSummary } from './jobEvents';
export type { Logger } from '../base/log';
export type { ConnectionResolver, CopyEngineOptions, EngineTuning } from './engineOptions';
export { BATCH_WINDOW, DEFAULT_BLOCK_SIZE, DEFAULT_SMALL_BLOB_CAP, RETAINED_FINISHED, SMALL_BLOB_MAX_BYTES } from './engineOptions';

/** How the line that says where a batch's requests in flight settled begins (the CLI prints it with --verbose). */
export const SETTLED_LINE = 'Requests in flight settled at';

export class CopyEngine implements EngineApi {
  private readonly log: Logger;
  private readonly jobsById = new Map<string, Job>();
  private readonly batches = new Map<string, Batch>();
  /** Succeeded/skipped jobs still listed by jobs(), oldest first (see RETAINED_FINISHED). */
  private readonly retained = new Set<Job>();
  /** Streamed batches still listing. */
  private readonly feeds: Feeds;
  private limit?: ReturnType<typeof pLimit>;
  /** Small blobs: up to their cap, and as many as the account gate lets through (see GateFollowingQueue). */
  private readonly smallQueue = new GateFollowingQueue(DEFAULT_SMALL_BLOB_CAP);
  private smallConcurrency = 0;
  private readonly tuning: EngineTuning = {};
  private readonly capabilities = new CapabilityCache();
  private readonly timings: OperationTimings;
  private readonly journal?: JournalStore & { dispose?(): void };
  private readonly events = new JobEvents((job) => this.batches.get(job.batchId));
  private readonly runner: JobRunner;
  private idleWaiters: Array<() => void> = [];
  /** Removals of partial destinations waiting for storage to answer again (see cleanups.ts). */
  private readonly cleanups: DeferredCleanups<Job>;
  private disposed = false;
  private concurrency = DEFAULT_CONCURRENCY;
  private readonly transientSub: Disposable;
  /** The account gates a batch's copies went through (for the line that says where they settled). */
  private readonly batchGates = new WeakMap<Batch, Set<AccountGate>>();

  constructor(private readonly options: CopyEngineOptions) {
    this.log = redactingLogger(options.log);
    this.cleanups = new DeferredCleanups(this.log, () => this.wakeIdle());
    this.timings = new OperationTimings(options.operationChoice);
    this.configure(options);
    if (options.journalDir) this.journal = new FileJournal(options.journalDir);
    const outageToleranceMs = () => Math.max(0, this.tuning.outageToleranceSeconds ?? DEFAULT_OUTAGE_TOLERANCE_SECONDS) * 1000;
    this.feeds = new Feeds({
      log: this.log,
      journal: this.journal,
      batches: this.batches,
      window: Math.max(1, options.batchWindow ?? BATCH_WINDOW),
      plannerContext: () => this.plannerContext(),
      admit: (b, item, request) => this.admit(b, item, request),
      batchChanged: (b) => this.events.batch(b, true),
      refused: (b, refused) => {
        b.refused.add(refused);
        for (const r of refused) this.log.debug?.(`Not copied: ${r.source}: ${r.reason}`);
        this.events.batch(b);
      },
      recordLive: (b) => {
        for (const job of b.live) this.saveJournal(job);
      },
      isDisposed: () => this.disposed,
      ended: () => this.wakeIdle(),
      get outageToleranceMs() {
        return outageToleranceMs();
      },
    });
    const tuning = this.tuning;
    this.runner = new JobRunner(
      { resolve: options.resolve, pipelineOptions: options.pipelineOptions, authorizer: new SourceAuthorizer({ warn: (m) => this.log.warn(m) }), capabilities: this.capabilities, timings: this.timings },
      {
        log: this.log,
        get rangeConcurrency() {
          return Math.max(1, Math.floor(tuning.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY));
        },
        get blockSize() {
          return Math.max(1, Math.floor(tuning.blockSizeBytes || DEFAULT_BLOCK_SIZE));
        },
        get outageToleranceMs() {
          return outageToleranceMs();
        },
        isDisposed: () => this.disposed,
        setState: (job, state, urgent) => this.setState(job, state, urgent),
        setBytes: (job, bytes) => this.setBytes(job, bytes),
        saveJournal: (job, urgent) => this.saveJournal(job, urgent),
        emitJob: (job, force) => this.events.job(job, force),
        finish: (job, state, error) => this.finish(job, state, error),
        flushJournal: () => this.journal?.flush(), // move: 'copied' is on disk before a source is deleted
        deferCleanup: (job, what, attempt) => this.cleanups.defer(job, what, attempt, outageToleranceMs()),
      },
    );
    this.events.onBatch((b) => {
      if (b.done) this.logSettled(b.batchId);
    });
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
      blockSize: Math.max(1, Math.floor(this.tuning.blockSizeBytes || DEFAULT_BLOCK_SIZE)),
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
    return this.feeds.start(randomUUID(), request, signal);
  }

  /** One planned item becomes a job of the batch (queued, or skipped by the conflict policy). */
  private admit(batch: Batch, item: PlannedCopy, request: CopyRequest): Job {
    const opts = request.options ?? {};
    const job = createJob(batch.id, item, { tags: opts.tags !== false, tier: opts.tier !== false, conflict: opts.conflict ?? 'overwrite', ...moveOptions(opts) });
    this.jobsById.set(job.id, job);
    if (item.action === 'skip') {
      job.state = 'skipped';
      job.finishedAt = Date.now();
      addJob(batch, job);
      this.retain(job);
      this.events.job(job, true);
    } else {
      addJob(batch, job);
      this.saveJournal(job, true);
      this.events.job(job, true);
      this.enqueue(job);
    }
    return job;
  }

  /** Starts a planned copy; returns its batch id (`batchId` when given: WorkerEngine names the batch in the host's thread). */
  start(plan: CopyPlan, batchId: string = randomUUID()): string {
    this.assertLive();
    const batch = newBatch(batchId);
    this.batches.set(batch.id, batch);
    batch.refused.merge(plan.refused);
    for (const w of plan.warnings ?? []) this.log.warn(w);
    for (const item of plan.items) this.admit(batch, item, plan.request);
    this.events.batch(batch, true);
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

  /** The jobs of a batch not final yet (at most its window). */
  liveJobs(batchId: string): JobSnapshot[] {
    const now = Date.now();
    return [...(this.batches.get(batchId)?.live ?? [])].map((j) => snapshotOf(j, now));
  }

  /** Totals of a plan without keeping its items (a confirmation of millions); onPage sees each page as it is planned. */
  summarize(request: CopyRequest, signal?: AbortSignal, onPage?: (items: readonly PlannedCopy[]) => void): Promise<PlanSummary> {
    return summarizePlan(this.plannerContext(), request, signal, onPage);
  }

  batch(batchId: string): BatchSummary | undefined {
    const b = this.batches.get(batchId);
    return b ? summaryOf(b) : undefined;
  }

  /** The blobs a batch's listing saw but could not plan: how many, and the first REFUSALS_KEPT of them. */
  batchRefusals(batchId: string): Refusals | undefined {
    return this.batches.get(batchId)?.refused.value();
  }

  onJob(listener: (job: JobSnapshot) => void): Disposable {
    return this.events.onJob(listener);
  }

  onBatch(listener: (b: BatchSummary) => void): Disposable {
    return this.events.onBatch(listener);
  }

  /** Jobs that are gone from the engine (cleared, or no longer retained): their ids. */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): Disposable {
    return this.events.onJobsRemoved(listener);
  }

  /** Batches the engine forgot (Clear Finished): their ids. */
  onBatchesRemoved(listener: (batchIds: readonly string[]) => void): Disposable {
    return this.events.onBatchesRemoved(listener);
  }

  // ---------------------------------------------------------------- control

  cancel(jobId: string): void {
    const job = this.jobsById.get(jobId);
    if (!job || isFinal(job.state)) return;
    job.controller.abort();
    if (job.state === 'queued') this.finish(job, 'canceled');
  }

  cancelBatch(batchId: string): void {
    this.feeds.stop(batchId); // no more jobs from its listing
    for (const job of [...(this.batches.get(batchId)?.live ?? [])]) this.cancel(job.id);
  }

  retry(jobId: string): void {
    this.assertLive();
    const job = this.jobsById.get(jobId);
    const refused = retryRefusal(jobId, job?.state);
    if (refused || !job) throw refused;
    const previous = job.state;
    job.state = 'queued';
    job.error = undefined;
    job.finishedAt = undefined;
    job.controller = new AbortController();
    this.cleanups.cancel(job); // the retry continues from (or replaces) the partial destination
    job.abortRequested = false;
    job.acceptNewSource = true;
    job.durable = true; // the batch's position may be past it: only its record brings it back after a restart
    let batch = this.batches.get(job.batchId);
    if (!batch) this.batches.set(job.batchId, (batch = newBatch(job.batchId)));
    jobReopened(batch, job, previous);
    this.retained.delete(job);
    this.saveJournal(job, true);
    this.events.job(job, true);
    this.enqueue(job);
  }

  async abort(jobId: string): Promise<void> {
    const job = this.jobsById.get(jobId);
    if (!job) throw new CopyError({ message: `No job ${jobId}.` });
    const mod = operationModule(job.operation);
    if (job.state !== 'pending' || !mod.abort || !pendingCopyId(job.progress) || !job.destClient) {
      throw new CopyError({ message: `Job ${jobId} is ${job.state}: only a pending Copy Blob can be aborted.`, hint: 'Use cancel for other jobs.' });
    }
    job.abortRequested = true;
    try {
      await mod.abort(job.destClient, job.progress);
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
    this.retained.clear();
    const gone: string[] = [];
    const cleared: Batch[] = [];
    for (const [id, b] of this.batches) {
      jobsCleared(b);
      if (batchDone(b)) {
        this.batches.delete(id);
        gone.push(id);
      } else cleared.push(b);
    }
    // Every change is an event: the removed jobs, the batches forgotten, the counters of the others.
    this.events.jobsRemoved(removed);
    this.events.batchesRemoved(gone);
    for (const b of cleared) this.events.batch(b, true);
  }

  // ---------------------------------------------------------------- resume

  async unfinished(): Promise<JobSnapshot[]> {
    return this.unfinishedRecords().map((r) => snapshotOf({ ...jobFromRecord(r), state: r.state }));
  }

  async resume(): Promise<string[]> {
    this.assertLive();
    const ids = new Set<string>();
    const found = readResume(this.journal, { job: (id) => this.jobsById.has(id), batch: (id) => this.batches.has(id) });
    for (const r of found.jobs) {
      const job = jobFromRecord(r);
      this.jobsById.set(job.id, job);
      let batch = this.batches.get(job.batchId);
      if (!batch) this.batches.set(job.batchId, (batch = newBatch(job.batchId, !found.streams.has(job.batchId))));
      addJob(batch, job);
      ids.add(job.batchId);
      this.events.job(job, true);
      this.enqueue(job);
    }
    for (const [batchId, rec] of found.streams) {
      // A streamed batch stopped while listing: list on from its journaled position.
      try {
        if (rec.sourceSecretOmitted) throw new CopyError({ message: "a source URL's SAS is not kept in the journal; start the copy again." });
        await this.feeds.start(batchId, rec.request, undefined, rec.position, found.skip.get(batchId), found.done.get(batchId));
        ids.add(batchId);
      } catch (e) {
        this.log.error(`Batch ${batchId}: its listing cannot resume: ${toCopyError(e, 'List the sources', 'source').message}`);
        this.journal?.removeBatch(batchId);
        const b = this.batches.get(batchId);
        if (b) b.listingDone = true;
      }
    }
    for (const id of ids) this.events.batch(this.batches.get(id)!, true);
    return [...ids];
  }

  /**
   * Where a streamed batch's time went (ms): waiting for listing pages, planning them, from the start to the first
   * job, copying (first job to the last final one), in all; the operations that copied its blobs; and what the
   * engine measured per endpoint for the choice between operations for small blobs.
   */
  batchStats(batchId: string): BatchStats | undefined {
    const b = this.batches.get(batchId);
    return b && statsOf(b, this.timings.all());
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
    this.cleanups.dispose();
    this.feeds.dispose();
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
    const run = job.item.size <= SMALL_BLOB_MAX_BYTES ? this.smallQueue.run(() => this.runner.run(job)) : this.limit!(() => this.runner.run(job));
    job.running = run;
    void run.catch((e) => this.log.error(`Internal error in job ${job.id}: ${e instanceof Error ? e.message : String(e)}`));
  }

  private hasActive(): boolean {
    if (this.feeds.active > 0 || this.cleanups.size > 0) return true;
    for (const b of this.batches.values()) if (b.live.size > 0) return true;
    return false;
  }

  private wakeIdle(): void {
    if (this.idleWaiters.length > 0 && !this.hasActive()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** A succeeded/skipped job stays listed until RETAINED_FINISHED newer ones push it out (its batch keeps the count). */
  private retain(job: Job): void {
    this.retained.add(job);
    if (this.retained.size <= (this.options.retainFinished ?? RETAINED_FINISHED)) return;
    const oldest = this.retained.values().next().value as Job;
    this.retained.delete(oldest);
    this.jobsById.delete(oldest.id);
    this.events.jobEvicted(oldest.id);
  }

  private setState(job: Job, state: JobState, urgentJournal = true): void {
    job.state = state;
    this.saveJournal(job, urgentJournal);
    this.events.job(job, true);
  }

  private setBytes(job: Job, bytes: number): void {
    if (job.outage && bytes > job.bytesDone) job.outage = undefined; // storage answers again: the outage is over
    if (bytes > 0) job.durable = true;
    recordBytes(job, bytes);
    this.saveJournal(job);
    this.events.job(job);
  }

  private finish(job: Job, state: JobState, error?: ErrorInfo): void {
    job.state = state;
    job.error = error;
    job.finishedAt = Date.now();
    const batch = this.batches.get(job.batchId);
    if (batch && job.destClient) {
      let gates = this.batchGates.get(batch);
      if (!gates) this.batchGates.set(batch, (gates = new Set()));
      const gate = gateOfUrl(job.destClient.url);
      gates.add(gate);
      if (job.item.size <= SMALL_BLOB_MAX_BYTES) this.smallQueue.gate = gate;
    }
    // Keep no per-job detail a finished job no longer needs (memory stays flat in the number of blobs).
    job.destClient = undefined;
    job.samples = [];
    job.item = { ...job.item, sourceProperties: undefined };
    clearTimer(job);
    if (state === 'succeeded' || state === 'skipped') {
      this.feeds.finished(job); // a streamed batch's done log, before anyone hears of it
      this.journal?.remove(job.id);
      this.retain(job);
    } else this.saveJournal(job, true);
    if (batch) {
      jobFinished(batch, job);
      this.feeds.roomFreed(batch);
    }
    this.events.job(job, true);
    this.wakeIdle();
  }

  /** One line when a batch is done: where the requests in flight to each destination account settled. */
  private logSettled(batchId: string): void {
    const batch = this.batches.get(batchId);
    const gates = batch && this.batchGates.get(batch);
    if (!batch || !gates) return;
    this.batchGates.delete(batch);
    const parts = [...gates].map((g) => {
      const s = g.stats();
      const pushedBack = [s.throttled ? `throttled ${s.throttled}×` : '', s.timeouts ? `${s.timeouts} timeouts` : ''].filter(Boolean).join(', ');
      // A limit above the most ever in flight was never used (the small blobs' cap held them): say what was.
      return `${Math.min(s.limit, s.peakInFlight)} to ${g.name ?? 'the account'} (limit between ${s.lowestLimit} and ${s.highestLimit} so far, at most ${s.peakInFlight} at once${pushedBack ? `; ${pushedBack}` : ''})`;
    });
    this.log.info(`${SETTLED_LINE} ${parts.join('; ')}; small blobs capped at ${this.smallConcurrency} in flight.`);
  }

  private saveJournal(job: Job, urgent = false): void {
    if (!this.journal || this.disposed) return;
    // A job of a batch still listing, beyond its journaled position and with nothing to continue, needs no record: a
    // resume lists it again (no file written and deleted per small blob while a folder streams).
    if (!job.durable && !isFinal(job.state) && this.feeds.listing(job)) return;
    this.journal.save(recordOf(job), urgent);
  }
}
