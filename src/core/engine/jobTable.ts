/**
 * The engine's jobs and batches, and every change to them: each change is journaled (when it must survive a restart)
 * and reported as an event, here and nowhere else. The runner, a move and the feeds change jobs only through this
 * table (the JobTable / BatchTable interfaces); the engine's facade reads it.
 */
import type { Logger } from '../base/log';
import { DEFAULT_BLOCK_SIZE, DEFAULT_RANGE_CONCURRENCY, type EngineTuning } from './engineOptions';
import { DEFAULT_OUTAGE_TOLERANCE_SECONDS } from '../base/outage';
import { addJob, batchDone, clearTimer, copiedCounts, JobEvents, jobFinished, jobReopened, jobsCleared, newBatch, type Batch } from './jobEvents';
import { createJob, recordBytes, recordOf, type Job } from '../copy/job';
import { batchRecord, type JournalStore } from '../copy/journal';
import type { DeferredCleanups } from '../copy/cleanups';
import { moveOptions } from '../copy/move';
import type { PlannerContext, PlanPosition } from '../plan/planner';
import { gateOfUrl, type AccountGate } from '../storage/throttle';
import { Feeds, type BatchTable } from './feeder';
import { isFinal, type CopyRequest, type ErrorInfo, type JobState, type PlannedCopy, type Refusal } from '../base/types';

/** How a batch's requests in flight settled, in one line when it is done (the CLI prints it with --verbose). */
export const SETTLED_LINE = 'Requests in flight settled at';

/** What the table needs of the engine around it. */
interface JobTableDeps {
  readonly log: Logger;
  readonly journal?: JournalStore;
  readonly tuning: EngineTuning;
  /** Jobs of a batch not final at any time. */
  readonly window: number;
  /** Succeeded/skipped jobs still listed by jobs(), besides those that need attention. */
  readonly retainFinished: number;
  readonly cleanups: DeferredCleanups<Job>;
  plannerContext(): PlannerContext;
  isDisposed(): boolean;
  /** Queues a job to run. */
  enqueue(job: Job): void;
  /** A job reached its destination account's gate (the small blobs' queue follows the last one). */
  reachedGate(job: Job, gate: AccountGate): void;
  /** The small blobs' cap, for the settled line. */
  smallCap(): number;
  /** Something finished (a job, a feed): the engine may be idle now. */
  wakeIdle(): void;
}

export class EngineJobTable implements BatchTable {
  readonly log: Logger;
  readonly journal?: JournalStore;
  readonly window: number;
  readonly jobsById = new Map<string, Job>();
  readonly batches = new Map<string, Batch>();
  readonly events = new JobEvents((job) => this.batches.get(job.batchId));
  /** Streamed batches still listing. */
  readonly feeds: Feeds;
  /** Succeeded/skipped jobs still listed by jobs() (see RETAINED_FINISHED)... */
  private readonly retained = new Set<Job>();
  /**
   * ...oldest first, from `retainedHead` on. An array, not the Set's own order: taking the first of a Set whose front
   * keeps being deleted walks the holes the deletions left. An entry no longer in `retained` is skipped.
   */
  private retainedOrder: Job[] = [];
  private retainedHead = 0;
  /** The account gates a batch's copies went through (for the line that says where they settled). */
  private readonly batchGates = new WeakMap<Batch, Set<AccountGate>>();

  constructor(private readonly deps: JobTableDeps) {
    this.log = deps.log;
    this.journal = deps.journal;
    this.window = deps.window;
    this.feeds = new Feeds(this);
    this.events.onBatch((b) => {
      if (b.done) this.logSettled(b.batchId);
    });
  }

  get rangeConcurrency(): number {
    return Math.max(1, Math.floor(this.deps.tuning.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY));
  }

  get blockSize(): number {
    return Math.max(1, Math.floor(this.deps.tuning.blockSizeBytes || DEFAULT_BLOCK_SIZE));
  }

  get outageToleranceMs(): number {
    return Math.max(0, this.deps.tuning.outageToleranceSeconds ?? DEFAULT_OUTAGE_TOLERANCE_SECONDS) * 1000;
  }

  isDisposed(): boolean {
    return this.deps.isDisposed();
  }

  plannerContext(): PlannerContext {
    return this.deps.plannerContext();
  }

  ended(): void {
    this.deps.wakeIdle();
  }

  // ---------------------------------------------------------------- jobs in

  /** One planned item becomes a job of the batch (queued, or skipped by the conflict policy). */
  admit(batch: Batch, item: PlannedCopy, request: CopyRequest, copiedSince?: number): Job {
    const opts = request.options ?? {};
    const job = createJob(batch.id, item, { tags: opts.tags !== false, tier: opts.tier !== false, conflict: opts.conflict ?? 'overwrite', ...moveOptions(opts) });
    job.copiedSince = copiedSince;
    this.jobsById.set(job.id, job);
    if (item.action === 'skip') {
      job.state = 'skipped';
      job.finishedAt = Date.now();
      addJob(batch, job); // counted as skipped, never live
      this.retain(job);
      this.events.job(job, true);
    } else {
      addJob(batch, job);
      this.saveJournal(job, true);
      this.events.job(job, true);
      this.deps.enqueue(job);
    }
    return job;
  }

  /** A job read back from the journal joins its batch (made anew when the engine does not know it) and runs. */
  resumed(job: Job, batchListed: boolean): Batch {
    this.jobsById.set(job.id, job);
    let batch = this.batches.get(job.batchId);
    if (!batch) this.batches.set(job.batchId, (batch = newBatch(job.batchId, batchListed)));
    addJob(batch, job);
    this.events.job(job, true);
    this.deps.enqueue(job);
    return batch;
  }

  /** A final job (failed, canceled …) runs again: it continues from, or replaces, its partial destination. */
  reopen(job: Job): void {
    const previous = job.state;
    job.state = 'queued';
    job.error = undefined;
    job.finishedAt = undefined;
    job.controller = new AbortController();
    this.deps.cleanups.cancel(job);
    job.abortRequested = false;
    job.acceptNewSource = true;
    job.durable = true; // the batch's position may be past it: only its record brings it back after a restart
    let batch = this.batches.get(job.batchId);
    if (!batch) this.batches.set(job.batchId, (batch = newBatch(job.batchId)));
    jobReopened(batch, job, previous);
    this.retained.delete(job);
    this.saveJournal(job, true);
    this.events.job(job, true);
    this.deps.enqueue(job);
  }

  // ---------------------------------------------------------------- changes (JobTable)

  setState(job: Job, state: JobState, urgentJournal = true): void {
    job.state = state;
    this.saveJournal(job, urgentJournal);
    this.events.job(job, true);
  }

  setBytes(job: Job, bytes: number): void {
    if (job.outage && bytes > job.bytesDone) job.outage = undefined; // storage answers again: the outage is over
    if (bytes > 0) job.durable = true;
    recordBytes(job, bytes);
    this.saveJournal(job);
    this.events.job(job);
  }

  emitJob(job: Job, force?: boolean): void {
    this.events.job(job, force);
  }

  flushJournal(): void {
    this.journal?.flush();
  }

  deferCleanup(job: Job, what: string, attempt: () => Promise<'kept' | void>): void {
    this.deps.cleanups.defer(job, what, attempt, this.outageToleranceMs);
  }

  finish(job: Job, state: JobState, error?: ErrorInfo): void {
    job.state = state;
    job.error = error;
    job.finishedAt = Date.now();
    const batch = this.batches.get(job.batchId);
    if (batch && job.dest) {
      let gates = this.batchGates.get(batch);
      if (!gates) this.batchGates.set(batch, (gates = new Set()));
      const gate = gateOfUrl(job.dest.url);
      gates.add(gate);
      this.deps.reachedGate(job, gate);
    }
    // Keep no per-job detail a finished job no longer needs (memory stays flat in the number of blobs).
    job.dest = undefined;
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
      this.forgetListed(batch);
    }
    this.events.job(job, true);
    this.deps.wakeIdle();
  }

  /**
   * A batch whose record was kept past its listing (BatchRecord.listed) no longer needs it once it is done; a sync
   * that deletes extras, once its run ended too (syncEnded).
   */
  forgetListed(batch: Batch): void {
    const rec = batch.listedRecord;
    if (!rec || !batchDone(batch)) return;
    if (batch.extrasPending) {
      // Its copies all ended and the extras are deleted now: a restart from here resumes it as a sync whose extras
      // were not all deleted, with its copies' counts (their own records are gone).
      if (rec.listed?.copied) return;
      batch.listedRecord = { ...rec, listed: { ...rec.listed, copied: copiedCounts(batch) } };
      this.journal?.saveBatch(batch.listedRecord);
      return;
    }
    batch.listedRecord = undefined;
    this.journal?.removeBatch(batch.id);
  }

  /** A sync's run is over (see EngineApi.syncEnded): its batch's record goes once the batch is done (or now). */
  syncEnded(batchId: string): void {
    const batch = this.batches.get(batchId);
    if (!batch) return this.journal?.removeBatch(batchId); // cleared (Clear Finished) before the deletes ended
    batch.extrasPending = undefined;
    this.forgetListed(batch);
  }

  saveJournal(job: Job, urgent = false): void {
    if (!this.journal || this.deps.isDisposed()) return;
    // A job of a batch still listing, beyond its journaled position and with nothing to continue, needs no record: a
    // resume lists it again (no file written and deleted per small blob while a folder streams).
    if (!job.durable && !isFinal(job.state) && this.feeds.listing(job)) return;
    this.journal.save(recordOf(job), urgent);
  }

  // ---------------------------------------------------------------- batches (BatchTable)

  batchChanged(batch: Batch): void {
    this.events.batch(batch, true);
  }

  refused(batch: Batch, refused: readonly Refusal[]): void {
    batch.refused.add(refused);
    for (const r of refused) this.log.debug?.(`Not copied: ${r.source}: ${r.reason}`);
    this.events.batch(batch);
  }

  recordLive(batch: Batch): void {
    for (const job of batch.live) this.saveJournal(job);
  }

  /**
   * The batch was listed to the end (a streamed batch's listing ended, or it started from a whole plan). With copies
   * in flight, a restart before it is done would lose what makes it partial: its listing's error, the blobs it
   * refused, a sync's extras to delete after the copies. Then its record stays with them (BatchRecord.listed) until
   * it is done (forgetListed); otherwise the record goes: the jobs' own records tell the rest. A sync that deletes
   * extras keeps it, copies in flight or not, until its run ended (syncEnded): the deletes come after the batch.
   */
  recordListed(batch: Batch, request: CopyRequest, position: PlanPosition): void {
    const journal = this.journal;
    if (!journal || this.deps.isDisposed()) return;
    const extras = request.options?.sync?.deleteExtras === true;
    const partial = batch.error !== undefined || batch.refused.count > 0 || extras;
    if ((batch.live.size === 0 && !extras) || !partial) return journal.removeBatch(batch.id);
    batch.listedRecord = batchRecord(batch.id, request, position, batch.refused.value(), { error: batch.error });
    batch.extrasPending = extras || undefined;
    // A sync whose copies all ended already: forgetListed writes the record once, with their counts.
    if (extras && batchDone(batch)) this.forgetListed(batch);
    else journal.saveBatch(batch.listedRecord);
  }

  // ---------------------------------------------------------------- jobs out

  /** Forgets every final job, and every batch with nothing left to do; each change is an event. */
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
    this.retainedOrder = [];
    this.retainedHead = 0;
    const gone: string[] = [];
    const cleared: Batch[] = [];
    for (const [id, b] of this.batches) {
      jobsCleared(b);
      if (batchDone(b)) {
        this.batches.delete(id);
        gone.push(id);
      } else cleared.push(b);
    }
    this.events.jobsRemoved(removed);
    this.events.batchesRemoved(gone);
    for (const b of cleared) this.events.batch(b, true);
  }

  /** A succeeded/skipped job stays listed until RETAINED_FINISHED newer ones push it out (its batch keeps the count). */
  private retain(job: Job): void {
    this.retained.add(job);
    this.retainedOrder.push(job);
    if (this.retained.size <= this.deps.retainFinished) return;
    const order = this.retainedOrder;
    let oldest: Job;
    do {
      oldest = order[this.retainedHead];
      order[this.retainedHead++] = undefined as unknown as Job;
    } while (!this.retained.has(oldest));
    if (this.retainedHead > 1024 && this.retainedHead * 2 > order.length) {
      order.splice(0, this.retainedHead);
      this.retainedHead = 0;
    }
    this.retained.delete(oldest);
    this.jobsById.delete(oldest.id);
    this.events.jobEvicted(oldest.id);
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
    this.log.info(`${SETTLED_LINE} ${parts.join('; ')}; small blobs capped at ${this.deps.smallCap()} in flight.`);
  }
}
