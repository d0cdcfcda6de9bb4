/**
 * Streams a plan into a batch: listing pages are turned into jobs as they arrive, with at most `window` jobs of the
 * batch not final at any time, so a copy of millions of blobs holds only a window of them in memory. Every second
 * the batch's position is journaled (after the journal has written every job made before it), so a resume lists
 * on from there and no blob is copied twice or missed.
 */
import { batchRecord } from '../copy/journal';
import type { JobTable } from '../copy/jobTable';
import { planPagesThroughOutages, type PlanPage, type PlannerContext, type PlanPosition } from '../plan/planner';
import { toCopyError } from '../base/errors';
import type { CopyRequest, PlannedCopy, Refusal, Refusals } from '../base/types';
import { RefusalList } from '../base/refusals';
import { compareNames } from '../plan/expand';
import { newBatch, newBatchTiming, type Batch } from './jobEvents';
import type { Job } from '../copy/job';
import { isFinal } from '../base/types';
import { beyondPosition } from './resume';

const POSITION_INTERVAL_MS = 1000;

/** Where a resumed batch's listing goes on, from its journal (see readResume). */
interface ListOn {
  /** The journaled position. */
  readonly position: PlanPosition;
  /** Destinations (before rename) of jobs resumed from their own records: not made again. */
  readonly resumed?: ReadonlySet<string>;
  /** Blobs (doneKey) that finished beyond the position before the restart: not made again. */
  readonly resumedDone?: ReadonlySet<string>;
  /** The blobs refused before the position (BatchRecord.refused): not listed again, still counted. */
  readonly refusedBefore?: Refusals;
  /** When the batch started (BatchRecord.startedAt): its first jobs may have been copied before the stop. */
  readonly startedAt?: string;
}

interface Feed {
  readonly batch: Batch;
  readonly request: CopyRequest;
  readonly pages: AsyncGenerator<PlanPage>;
  /** The first page, already planned (its errors were thrown to the caller); a resume's is listed by the feed. */
  readonly first?: IteratorResult<PlanPage>;
  readonly signal: AbortSignal;
  /** A resume's: where the listing goes on, and what the journal says not to make again (the start otherwise). */
  readonly resume?: ListOn;
  /** Resolves when the batch has fewer than its window of jobs not final (or the engine stops). */
  room(): Promise<void>;
}

/** Refused blobs ahead of the journaled position kept by name (see feed): memory stays bounded. */
const PENDING_REFUSALS = 10_000;

/** A refused blob and its source's index, until the journaled position passes it. */
interface PendingRefusal {
  readonly source: number;
  readonly refusal: Refusal;
}

/** Whether the position is at or past the refused blob: a resume from it does not list the blob again. */
function passedBy(p: PendingRefusal, position: PlanPosition): boolean {
  if (p.source !== position.source) return p.source < position.source;
  return position.after !== undefined && compareNames(p.refusal.source, position.after) <= 0;
}

/** How a blob is named in a batch's done log: its source's index and its name. */
function doneKey(source: number, name: string): string {
  return `${source}\t${name}`;
}

/**
 * Feeds the batch. The journaled position only ever covers jobs that are final: jobs are kept in admission order and
 * the position advances over the prefix of final ones. A job that succeeds beyond the position is appended to the
 * batch's done log at once (Feeds.finished), so a resume skips it instead of copying it again.
 */
async function feed(host: BatchTable, f: Feed, sourceOf: WeakMap<Job, number>): Promise<void> {
  const { batch } = f;
  const order: Array<{ job: Job; source: number }> = [];
  let head = 0;
  // A resume starts from its journaled position: until the listing passes it, that is the position a new engine
  // lists on from (not the start, which would list and copy again what the runs before copied).
  let position: PlanPosition = f.resume?.position ?? { source: 0 };
  let lastSaved = 0;
  const startedAt = f.resume ? f.resume.startedAt : new Date().toISOString();
  // A resume's first jobs beyond the position (at most the batch's window of jobs not final) may have been in flight
  // when the run before stopped: each asks whether it was copied then (Job.copiedSince).
  const copiedSince = f.resume?.startedAt ? Date.parse(f.resume.startedAt) : NaN;
  let mayBeCopied = Number.isFinite(copiedSince) && !f.request.options?.move ? host.window : 0;
  const reported = new Set<string>();
  let listed = false;
  // Refusals the position has passed (journaled with it), and those of pages it has not passed yet.
  const passed = new RefusalList();
  passed.merge(f.resume?.refusedBefore);
  batch.refused.merge(f.resume?.refusedBefore);
  const pending: PendingRefusal[] = [];
  /** Moves the position over the final jobs at the front. */
  const advance = () => {
    while (head < order.length && isFinal(order[head].job.state)) {
      const { job, source } = order[head++];
      position = { source, after: job.item.sourceName };
    }
    if (head > 1024) {
      order.splice(0, head);
      head = 0;
    }
  };
  const savePosition = (force = false) => {
    if (!host.journal || host.isDisposed()) return;
    const now = Date.now();
    if (!force && now - lastSaved < POSITION_INTERVAL_MS) return;
    lastSaved = now;
    host.journal.flush(); // every job beyond the position that is not done has its record on disk now
    advance();
    // Refusals come in listing order, as the position moves: those it passed are a prefix.
    let n = 0;
    while (n < pending.length && passedBy(pending[n], position)) n++;
    if (n > 0) passed.add(pending.splice(0, n).map((p) => p.refusal));
    host.journal.saveBatch(batchRecord(batch.id, f.request, position, passed.value(), undefined, startedAt));
    // The done log keeps only what lies beyond the position (at most the window): appended to for the whole batch, it
    // grew by a line per blob (about 200 MB at 10 M blobs) and a resume read all of it into memory.
    if (host.journal.rewriteDone) {
      const lines: string[] = [];
      for (const key of f.resume?.resumedDone ?? []) if (beyondPosition(key, position)) lines.push(key);
      for (let i = head; i < order.length; i++) {
        const { job, source } = order[i];
        if (job.state === 'succeeded' || job.state === 'skipped') lines.push(doneKey(source, job.item.sourceName));
      }
      host.journal.rewriteDone(batch.id, lines);
    }
  };
  const finishListing = () => {
    batch.listingDone = true;
    batch.listingWaiting = undefined;
    if (batch.timing) {
      batch.timing.listedAt = performance.now();
      if (batch.live.size === 0) batch.timing.doneAt ??= batch.timing.listedAt;
    }
    if (host.isDisposed()) return;
    host.recordLive(batch);
    host.journal?.flush(); // every job not final has its own record on disk from here on …
    // … so the batch's position is no longer needed; what only its listing knew may be.
    if (f.signal.aborted) host.journal?.removeBatch(batch.id);
    else host.recordListed(batch, f.request, position);
  };
  try {
    savePosition(true);
    let next: IteratorResult<PlanPage> | undefined = f.first;
    for (;;) {
      // Outages on the way are waited out by the pages (throughOutages.ts): what comes here is the end or an error.
      next ??= await f.pages.next();
      if (batch.listingWaiting) {
        batch.listingWaiting = undefined; // storage answered: the listing goes on
        host.batchChanged(batch);
      }
      if (next.done) break;
      listed = true;
      const page = next.value;
      next = undefined;
      // The page's refused blobs count at once (the batch is partial), before its copies wait for room; the position
      // the feeder saves while they wait may pass them.
      if (page.refused.length) {
        host.refused(batch, page.refused);
        if (host.journal) {
          for (const refusal of page.refused) {
            // Bounded: past PENDING_REFUSALS (a listing that refuses that many blobs ahead of its position) they count
            // as passed at once; a resume from an earlier position may then count some of them twice, never none.
            if (pending.length < PENDING_REFUSALS) pending.push({ source: page.source, refusal });
            else passed.add([refusal]);
          }
        }
      }
      for (const item of page.items) {
        await f.room();
        if (host.isDisposed()) return; // the journal keeps the position: a new engine lists on
        if (f.signal.aborted) break;
        const skip = f.resume?.resumed?.has((item.intendedDestination ?? item.destination).path) || f.resume?.resumedDone?.has(doneKey(page.source, item.sourceName));
        if (!skip) {
          // Only where the destination existed when planned again, and the source's MD5 tells its content.
          const asks = mayBeCopied-- > 0 && item.action === 'copy' && item.conflict !== 'none' && item.contentMD5 !== undefined;
          const job = host.admit(batch, item, f.request, asks ? copiedSince : undefined);
          if (batch.timing && batch.timing.firstJobAt === undefined) batch.timing.firstJobAt = performance.now();
          if (host.journal) {
            // Only a journaled batch needs the admission order (its position); without a journal nothing is kept.
            order.push({ job, source: page.source });
            sourceOf.set(job, page.source);
          }
        }
        savePosition();
      }
      if (f.signal.aborted) break;
      for (const w of page.warnings) {
        if (reported.has(w)) continue;
        reported.add(w);
        host.log.warn(w);
      }
    }
    finishListing();
  } catch (e) {
    if (host.isDisposed()) return;
    if (!f.signal.aborted) {
      const err = toCopyError(e, 'List the sources', 'source');
      const resumeFailed = f.resume !== undefined && !listed ? `Batch ${batch.id}: its listing cannot resume: ` : '';
      host.log.error(`${resumeFailed}${err.message}${err.info.hint ? ` ${err.info.hint}` : ''}`);
      batch.error = err.info;
    }
    finishListing();
  } finally {
    if (!host.isDisposed()) host.batchChanged(batch);
  }
}

/** The engine's job table as the feeds see it: its jobs, and its batches. */
export interface BatchTable extends JobTable {
  readonly batches: Map<string, Batch>;
  /** Jobs of a batch not final at any time. */
  readonly window: number;
  plannerContext(): PlannerContext;
  /**
   * Makes and queues a job for the item in the batch (or records it skipped by the conflict policy). `copiedSince`:
   * a resume's job that may have been copied before the stop (Job.copiedSince).
   */
  admit(batch: Batch, item: PlannedCopy, request: CopyRequest, copiedSince?: number): Job;
  batchChanged(batch: Batch): void;
  /** Blobs the listing saw that cannot be copied: the batch is partial. */
  refused(batch: Batch, refused: readonly Refusal[]): void;
  /** Journals the batch's jobs not final (those that had no record while the batch was listing). */
  recordLive(batch: Batch): void;
  /** The batch was listed to the end: its record goes, or stays with what only its listing knew (EngineJobTable). */
  recordListed(batch: Batch, request: CopyRequest, position: PlanPosition): void;
  /** A feed ended (the engine may be idle now). */
  ended(): void;
}

/** The engine's streamed batches that are still listing: each one's stop switch and who waits for room. */
export class Feeds {
  private readonly feeding = new Map<string, { controller: AbortController; roomWaiters: Array<() => void>; sourceOf: WeakMap<Job, number> }>();

  constructor(private readonly host: BatchTable) {}

  get active(): number {
    return this.feeding.size;
  }

  /**
   * A job of a batch reached a final state: one that succeeded (or was skipped) while its batch is still listing goes
   * into the batch's done log before anyone hears of it, so a resume does not copy it again.
   */
  finished(job: Job): void {
    const f = this.feeding.get(job.batchId);
    if (!f || this.host.batches.get(job.batchId)?.listingDone !== false) return; // listed to the end: no log any more
    const source = f.sourceOf.get(job);
    if (source !== undefined && (job.state === 'succeeded' || job.state === 'skipped')) this.host.journal?.appendDone(job.batchId, doneKey(source, job.item.sourceName));
  }

  /**
   * Whether the job was made by a batch's listing that is still going on: it lies beyond the batch's journaled
   * position (which covers final jobs only), so a resume after a restart lists it again.
   */
  listing(job: Job): boolean {
    const f = this.feeding.get(job.batchId);
    // Jobs of such a batch that came from elsewhere (their own record, a retry) are durable: the caller asks first.
    return f !== undefined && this.host.batches.get(job.batchId)?.listingDone === false;
  }

  /**
   * Plans the first page (its problems reject: nothing starts), then feeds the batch in the background. A resume
   * (`resume`: from a journaled position) is fed in the background from the start: its batch is there at once, and a
   * listing that cannot go on (storage not answering past the outage tolerance, access refused) ends it with that
   * error.
   */
  async start(
    batchId: string,
    request: CopyRequest,
    signal?: AbortSignal,
    resume?: ListOn,
  ): Promise<string> {
    const host = this.host;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timing = host.batches.get(batchId)?.timing ?? newBatchTiming();
    // Outages are waited out (the copies already listed go on meanwhile); the batch says so while its listing waits.
    const onWait = (reason: string) => {
      const b = host.batches.get(batchId);
      if (!b || host.isDisposed()) return;
      b.listingWaiting = { reason, since: Date.now() };
      host.batchChanged(b);
    };
    const resuming = resume !== undefined;
    const pages = planPagesThroughOutages({ ...host.plannerContext(), timing }, request, controller.signal, resume?.position, { copying: true, resuming, onWait });
    let first: IteratorResult<PlanPage> | undefined;
    if (!resuming) {
      try {
        first = await pages.next();
      } catch (e) {
        signal?.removeEventListener('abort', onAbort);
        throw e;
      }
      if (host.isDisposed()) throw toCopyError(new Error('The copy engine was disposed.'), 'Start the copy');
    }
    const batch = host.batches.get(batchId) ?? newBatch(batchId, false);
    batch.timing = timing;
    batch.listingDone = false;
    host.batches.set(batchId, batch);
    const entry = { controller, roomWaiters: [] as Array<() => void>, sourceOf: new WeakMap<Job, number>() };
    this.feeding.set(batchId, entry);
    const room = () => (batch.live.size < host.window || host.isDisposed() ? Promise.resolve() : new Promise<void>((r) => entry.roomWaiters.push(r)));
    void feed(host, { batch, request, pages, first, signal: controller.signal, resume, room }, entry.sourceOf).finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.feeding.delete(batchId);
      host.ended();
    });
    return batchId;
  }

  /** No more jobs from this batch's listing. */
  stop(batchId: string): void {
    this.feeding.get(batchId)?.controller.abort();
  }

  /** A job of the batch finished: a feeder waiting for room may go on. */
  roomFreed(batch: Batch): void {
    const f = this.feeding.get(batch.id);
    if (f && batch.live.size < this.host.window) for (const w of f.roomWaiters.splice(0)) w();
  }

  dispose(): void {
    for (const f of this.feeding.values()) {
      f.controller.abort();
      for (const w of f.roomWaiters.splice(0)) w();
    }
  }
}
