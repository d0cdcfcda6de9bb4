/**
 * Engine job events → throttled protocol messages for the Copy Jobs webview. Free of `vscode` (plain-Node tests in
 * test/unit/extension/panel): the panel feeds it job snapshots, removals and batch counters, says when the webview is
 * ready (or gone), answers its page requests, and it posts `init` / `jobsUpdated` through the given callback, at
 * most one update per `throttleMs`.
 *
 * Bounded whatever the blob count:
 *   - it holds the jobs the engine still lists (live, failed/canceled/aborted, the most recent finished ones): the
 *     engine tells every job it stops listing (`onRemoved`) and every batch it forgets (`onBatchesRemoved`), so
 *     the relay is a plain store of what it is told; per-batch counters come from the engine (`onBatch` / `batch`),
 *     never a view per blob of the batch;
 *   - an update carries only the changed rows of the page the webview shows, that page's order, and the counters.
 */
import type { BatchSummary, JobSnapshot } from '../../core';
import {
  DEFAULT_PAGE_ROWS,
  MAX_BATCHES,
  MAX_PAGE_ROWS,
  jobRank,
  matchesFilter,
  matchesSearch,
  type BatchView,
  type GetPageRequest,
  type InitMessage,
  type JobFilter,
  type JobStateName,
  type JobTotals,
  type JobsUpdatedMessage,
  type JobView,
  type PageMessage,
  type PageWindow,
  type WaitingSummary,
} from '../../shared/protocol';
import { batchOutcome, JOB_STATES } from '../../shared/vocabulary';
import { realClock, type JobRelayOptions, type RelayClock } from './relayTypes';

export type { JobSource, RelayClock } from './relayTypes';

interface Held {
  snap: JobSnapshot;
  /** Computed when first needed, dropped when the snapshot changes. */
  view: JobView | undefined;
}

interface Window {
  offset: number;
  limit: number;
  filter: JobFilter;
  search: string;
}

interface Scan {
  readonly page: JobView[];
  readonly matching: number;
  readonly totals: JobTotals;
  readonly waiting: WaitingSummary;
}


export class JobRelay {
  /** The jobs the engine lists (see the class comment), in the engine's order. */
  private readonly held = new Map<string, Held>();
  /** Per-batch counters, most recently seen last. */
  private readonly batches = new Map<string, BatchView>();
  /** Live jobs of a batch the engine counts but did not report one by one, and how many of them are queued. */
  private readonly unreported = new Map<string, { live: number; queued: number }>();
  private readonly clock: RelayClock;
  private isReady = false;
  private timer: unknown;
  private lastFlush = 0;
  private _version = 0;
  private dirty = false;
  private readonly window: Window;
  /** The page as the webview has it: id → the view sent. */
  private sent = new Map<string, JobView>();
  private sentIds: readonly string[] = [];
  private sentMatching = 0;
  private sentSummary = '';
  /** Ids cleared from the page since the last update (posted first in `removed`). */
  private cleared: string[] = [];
  /** init + jobsUpdated messages posted, and the job rows they carried. */
  readonly counters = { updatesPosted: 0, jobsSent: 0 };
  /** Page replies and their rows; views dropped because the engine no longer lists their jobs. */
  readonly paging = { pagesPosted: 0, pageRowsSent: 0, droppedViews: 0 };

  constructor(
    jobs: Iterable<JobSnapshot>,
    private readonly options: JobRelayOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.window = { offset: 0, limit: DEFAULT_PAGE_ROWS, filter: options.filter, search: '' };
    for (const job of jobs) this.hold(job);
    const batch = options.source?.batch;
    if (batch) {
      for (const id of new Set([...this.held.values()].map((h) => h.snap.batchId))) {
        const b = batch.call(options.source, id);
        if (b) this.setBatch(b);
      }
    }
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Version of the last init/jobsUpdated/page posted. */
  get version(): number {
    return this._version;
  }

  /** The filter the webview shows (it tells us with `setFilter` / `getPage`; a re-init restores it). */
  get filter(): JobFilter {
    return this.window.filter;
  }
  set filter(filter: JobFilter) {
    if (filter === this.window.filter) return;
    this.window.filter = filter;
    this.window.offset = 0;
    this.markDirty();
  }

  /** Job views held (what the relay's memory grows with). */
  get heldViews(): number {
    return this.held.size;
  }

  /** Rows of the page the webview has. */
  get pageRows(): number {
    return this.sentIds.length;
  }

  job(jobId: string): JobSnapshot | undefined {
    return this.held.get(jobId)?.snap;
  }

  knownJobs(): JobSnapshot[] {
    return [...this.held.values()].map((h) => h.snap);
  }

  /** A new or changed job. */
  onJob(job: JobSnapshot): void {
    this.hold(job);
    this.markDirty();
  }

  /** Jobs that left the engine. */
  onRemoved(jobIds: readonly string[]): void {
    let any = false;
    for (const id of jobIds) {
      if (!this.held.delete(id)) continue;
      any = true;
      this.paging.droppedViews++;
      if (this.sent.has(id)) this.cleared.push(id);
    }
    if (any) this.markDirty();
  }

  /** Batches the engine forgot (Clear Finished). */
  onBatchesRemoved(batchIds: readonly string[]): void {
    let any = false;
    for (const id of batchIds) {
      any = this.batches.delete(id) || any;
      this.unreported.delete(id);
    }
    if (any) this.markDirty();
  }

  /** A batch's counters changed. */
  onBatch(summary: BatchSummary): void {
    this.batches.delete(summary.batchId); // most recent last
    this.setBatch(summary);
    while (this.batches.size > MAX_BATCHES) {
      const oldest = this.batches.keys().next().value as string;
      this.batches.delete(oldest);
      this.unreported.delete(oldest);
    }
    this.markDirty();
  }

  private setBatch(summary: BatchSummary): void {
    this.batches.set(summary.batchId, batchView(summary));
    if (summary.unreported) this.unreported.set(summary.batchId, { live: summary.unreported, queued: summary.unreportedQueued ?? 0 });
    else this.unreported.delete(summary.batchId);
  }

  /** The webview said `ready`: post the first page and the counters now. */
  setReady(): void {
    this.isReady = true;
    this.cancelTimer();
    this.dirty = false;
    this.lastFlush = this.clock.now();
    // A (re)loaded webview starts at the top with no search (init carries no search; it asks for its own page).
    this.window.offset = 0;
    this.window.limit = DEFAULT_PAGE_ROWS;
    this.window.search = '';
    const scan = this.scan();
    this.remember(scan);
    this.postUpdate({
      type: 'init',
      version: ++this._version,
      jobs: scan.page,
      filter: this.window.filter,
      totals: scan.totals,
      batches: [...this.batches.values()],
      window: this.windowOf(scan),
      waiting: scan.waiting,
    });
  }

  /** The webview asks for the rows around its scroll position: they become the page updates are sent for. */
  page(request: GetPageRequest): PageMessage {
    this.window.offset = request.offset;
    this.window.limit = Math.max(1, Math.min(MAX_PAGE_ROWS, request.limit));
    this.window.filter = request.filter;
    this.window.search = request.search;
    const scan = this.scan();
    this.remember(scan);
    this.paging.pagesPosted++;
    this.paging.pageRowsSent += scan.page.length;
    return { type: 'page', id: request.id, version: ++this._version, offset: this.window.offset, matching: scan.matching, jobs: scan.page, filter: this.window.filter, search: this.window.search };
  }

  /** The webview is gone (hidden, disposed, or a post failed): post nothing until it is ready again. */
  setNotReady(): void {
    this.isReady = false;
    this.dirty = false;
    this.cancelTimer();
  }

  dispose(): void {
    this.setNotReady();
  }

  // --- holding ----------------------------------------------------------------------------------------------

  private hold(job: JobSnapshot): void {
    const h = this.held.get(job.id);
    if (h) {
      h.snap = job;
      h.view = undefined;
    } else {
      this.held.set(job.id, { snap: job, view: undefined });
    }
  }

  private view(h: Held): JobView {
    return (h.view ??= this.options.toView(h.snap));
  }

  // --- the page and the counters ----------------------------------------------------------------------------

  /** One pass over the held jobs: the window's page (failed first), how many match, the totals, who waits. */
  private scan(): Scan {
    const { filter, search } = this.window;
    const groups: Held[][] = [[], [], [], []];
    const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStateName, number>;
    let count = 0;
    let bytesDone = 0;
    let bytesTotal = 0;
    let throughput = 0;
    let waiting = 0;
    let reason: string | undefined;
    const counted = this.batches;
    for (const h of this.held.values()) {
      const s = h.snap;
      const active = s.state === 'queued' || s.state === 'running' || s.state === 'pending';
      if (s.state === 'running' || s.state === 'pending') throughput += finite(s.throughput);
      if (active && s.waiting) {
        waiting++;
        reason ??= this.view(h).waiting?.reason;
      }
      // A batch with engine counters: its finished jobs and bytes come from them, the active ones from here.
      if (!counted.has(s.batchId)) {
        count++;
        byState[s.state]++;
        bytesDone += finite(s.bytesDone);
        bytesTotal += finite(s.bytesTotal);
      } else if (active) {
        byState[s.state]++;
      }
      if (!matchesFilter(s.state, filter)) continue;
      if (search !== '' && !matchesSearch(this.view(h), search)) continue;
      groups[jobRank(s.state)].push(h);
    }
    for (const b of counted.values()) {
      count += b.total;
      // Live jobs it did not report one by one (a large batch): queued, or copying.
      const u = this.unreported.get(b.batchId);
      if (u) {
        byState.queued += u.queued;
        byState.running += u.live - u.queued;
      }
      byState.succeeded += b.succeeded;
      byState.skipped += b.skipped;
      byState.failed += b.failed;
      byState.canceled += b.canceled;
      byState.aborted += b.aborted;
      bytesDone += b.bytes;
      bytesTotal += b.bytesTotal;
    }
    const matching = groups.reduce((n, g) => n + g.length, 0);
    if (this.window.offset >= matching && matching > 0) this.window.offset = Math.max(0, matching - this.window.limit);
    const page: JobView[] = [];
    let skip = this.window.offset;
    for (const g of groups) {
      if (skip >= g.length) {
        skip -= g.length;
        continue;
      }
      for (let i = skip; i < g.length && page.length < this.window.limit; i++) page.push(this.view(g[i]));
      skip = 0;
      if (page.length >= this.window.limit) break;
    }
    return { page, matching, totals: { count, byState, bytesDone, bytesTotal, throughput }, waiting: reason === undefined ? { count: waiting } : { count: waiting, reason } };
  }

  private windowOf(scan: Scan): PageWindow {
    return { offset: this.window.offset, matching: scan.matching, ids: scan.page.map((j) => j.id) };
  }

  /** What the webview has now. */
  private remember(scan: Scan): void {
    this.cleared = [];
    this.sent = new Map(scan.page.map((j) => [j.id, j]));
    this.sentIds = scan.page.map((j) => j.id);
    this.sentMatching = scan.matching;
    this.sentSummary = this.summaryKey(scan);
  }

  private summaryKey(scan: Scan): string {
    return JSON.stringify([scan.totals, scan.waiting, [...this.batches.values()], this.window.offset]);
  }

  // --- posting ----------------------------------------------------------------------------------------------

  private markDirty(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Coalesces changes: at most one update message per `throttleMs`. */
  private schedule(): void {
    if (this.timer !== undefined || !this.isReady) return;
    const wait = Math.max(0, this.lastFlush + this.options.throttleMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.isReady || !this.dirty) return;
    this.dirty = false;
    this.lastFlush = this.clock.now();
    const scan = this.scan();
    const changed = scan.page.filter((j) => this.sent.get(j.id) !== j);
    const ids = scan.page.map((j) => j.id);
    const now = new Set(ids);
    const cleared = new Set(this.cleared.filter((id) => !now.has(id)));
    this.cleared = [];
    const removed = [...cleared, ...this.sentIds.filter((id) => !now.has(id) && !cleared.has(id))];
    const sameOrder = ids.length === this.sentIds.length && ids.every((id, i) => id === this.sentIds[i]);
    const summary = this.summaryKey(scan);
    if (changed.length === 0 && removed.length === 0 && sameOrder && scan.matching === this.sentMatching && summary === this.sentSummary) return;
    this.remember(scan);
    this.postUpdate({
      type: 'jobsUpdated',
      version: ++this._version,
      jobs: changed,
      removed,
      totals: scan.totals,
      batches: [...this.batches.values()],
      window: this.windowOf(scan),
      waiting: scan.waiting,
    });
  }

  private postUpdate(message: InitMessage | JobsUpdatedMessage): void {
    this.counters.updatesPosted++;
    this.counters.jobsSent += message.jobs.length;
    this.options.post(message);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function finite(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0;
}

export function batchView(b: BatchSummary): BatchView {
  return {
    batchId: b.batchId,
    total: finite(b.total),
    succeeded: finite(b.succeeded),
    skipped: finite(b.skipped),
    failed: finite(b.failed),
    canceled: finite(b.canceled),
    aborted: finite(b.aborted),
    bytes: finite(b.bytes),
    bytesTotal: finite(b.bytesTotal),
    done: !!b.done,
    listing: !!b.listing,
    ...(b.listing && b.listingWaiting ? { listingWaiting: b.listingWaiting.reason.slice(0, 200) } : {}),
    unplanned: finite(b.unplanned),
    outcome: batchOutcome(b, b.error !== undefined),
    ...(problemOf(b) !== undefined ? { problem: problemOf(b) } : {}),
  };
}

/** Why a batch is not complete beyond its jobs: the listing's error, else the first blob the plan refused. */
function problemOf(b: BatchSummary): string | undefined {
  if (b.error) return b.error.message.slice(0, 2_000);
  const r = b.refusedFirst?.[0];
  if (!r) return undefined;
  const more = (b.unplanned ?? 1) - 1;
  return `${r.source}: ${r.reason}${more > 0 ? ` (and ${more.toLocaleString('en-US')} more)` : ''}`.slice(0, 2_000);
}
