/**
 * Streams a plan into a batch: listing pages are turned into jobs as they arrive, with at most `window` jobs of the
 * batch not final at any time, so a copy of millions of blobs holds only a window of them in memory. Every second
 * the batch's position is journaled (after the journal has written every job made before it), so a resume lists
 * on from there and no blob is copied twice or missed.
 */
import type { BatchRecord, JournalStore } from './journal';
import { sanitizeRequest } from './journal';
import type { Logger } from './log';
import { planPages, type PlanPage, type PlannerContext, type PlanPosition } from './planner';
import { toCopyError } from './errors';
import type { CopyRequest, PlannedCopy } from './types';
import { newBatch, type Batch } from './jobEvents';

const POSITION_INTERVAL_MS = 1000;

export interface FeederHost {
  readonly log: Logger;
  readonly journal?: JournalStore;
  /** Makes and queues a job for the item in the batch. */
  admit(batch: Batch, item: PlannedCopy): void;
  /** Resolves when the batch has fewer than its window of jobs not final (or the engine stops). */
  room(batch: Batch): Promise<void>;
  batchChanged(batch: Batch): void;
  isDisposed(): boolean;
}

export interface Feed {
  readonly batch: Batch;
  readonly request: CopyRequest;
  readonly pages: AsyncGenerator<PlanPage>;
  /** The first page, already planned (its errors were thrown to the caller). */
  readonly first: IteratorResult<PlanPage>;
  readonly signal: AbortSignal;
  /** Destinations (before rename) of jobs resumed from their own records: not made again. */
  readonly resumed?: ReadonlySet<string>;
}

export async function feed(host: FeederHost, f: Feed): Promise<void> {
  const { batch } = f;
  const { request: stored, secretOmitted } = sanitizeRequest(f.request);
  let position: PlanPosition = { source: 0 };
  let lastSaved = 0;
  const reported = new Set<string>();
  const savePosition = (force = false) => {
    if (!host.journal || host.isDisposed()) return;
    const now = Date.now();
    if (!force && now - lastSaved < POSITION_INTERVAL_MS) return;
    lastSaved = now;
    host.journal.flush(); // every job made before `position` is now on disk, or final
    const record: BatchRecord = { version: 1, batchId: batch.id, request: stored, sourceSecretOmitted: secretOmitted || undefined, position, updatedAt: '' };
    host.journal.saveBatch(record);
  };
  try {
    savePosition(true);
    for (let next = f.first; !next.done; next = await f.pages.next()) {
      const page = next.value;
      for (const item of page.items) {
        await host.room(batch);
        if (host.isDisposed()) return; // the journal keeps the position: a new engine lists on
        if (f.signal.aborted) break;
        if (!f.resumed?.has((item.intendedDestination ?? item.destination).path)) host.admit(batch, item);
        position = { source: page.source, after: item.sourceName };
        savePosition();
      }
      if (f.signal.aborted) break;
      if (page.items.length === 0) position = { source: page.source };
      for (const w of page.warnings) {
        if (reported.has(w)) continue;
        reported.add(w);
        host.log.warn(w);
      }
    }
    batch.listingDone = true;
    host.journal?.removeBatch(batch.id); // the jobs not final have their own records from here on
  } catch (e) {
    if (host.isDisposed()) return;
    if (!f.signal.aborted) {
      const err = toCopyError(e, 'List the sources', 'source');
      host.log.error(`${err.message}${err.info.hint ? ` ${err.info.hint}` : ''}`);
      batch.error = err.info;
    }
    batch.listingDone = true;
    host.journal?.removeBatch(batch.id);
  } finally {
    if (!host.isDisposed()) host.batchChanged(batch);
  }
}

export interface FeedsHost {
  readonly log: Logger;
  readonly journal?: JournalStore;
  readonly batches: Map<string, Batch>;
  /** Jobs of a batch not final at any time. */
  readonly window: number;
  plannerContext(): PlannerContext;
  admit(batch: Batch, item: PlannedCopy, request: CopyRequest): void;
  batchChanged(batch: Batch): void;
  isDisposed(): boolean;
  /** A feed ended (the engine may be idle now). */
  ended(): void;
}

/** The engine's streamed batches that are still listing: each one's stop switch and who waits for room. */
export class Feeds {
  private readonly feeding = new Map<string, { controller: AbortController; roomWaiters: Array<() => void> }>();

  constructor(private readonly host: FeedsHost) {}

  get active(): number {
    return this.feeding.size;
  }

  /** Plans the first page (its problems reject: nothing starts), then feeds the batch in the background. */
  async start(batchId: string, request: CopyRequest, signal?: AbortSignal, from?: PlanPosition, resumed?: ReadonlySet<string>): Promise<string> {
    const host = this.host;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const pages = planPages(host.plannerContext(), request, controller.signal, from);
    let first: IteratorResult<PlanPage>;
    try {
      first = await pages.next();
    } catch (e) {
      signal?.removeEventListener('abort', onAbort);
      throw e;
    }
    if (host.isDisposed()) throw toCopyError(new Error('The copy engine was disposed.'), 'Start the copy');
    const batch = host.batches.get(batchId) ?? newBatch(batchId, false);
    batch.listingDone = false;
    host.batches.set(batchId, batch);
    const entry = { controller, roomWaiters: [] as Array<() => void> };
    this.feeding.set(batchId, entry);
    const feedHost: FeederHost = {
      log: host.log,
      journal: host.journal,
      admit: (b, item) => host.admit(b, item, request),
      room: (b) => (b.live.size < host.window || host.isDisposed() ? Promise.resolve() : new Promise<void>((r) => entry.roomWaiters.push(r))),
      batchChanged: (b) => host.batchChanged(b),
      isDisposed: () => host.isDisposed(),
    };
    void feed(feedHost, { batch, request, pages, first, signal: controller.signal, resumed }).finally(() => {
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
