/**
 * The Copy Jobs panel's message protocol: ONE module imported by the extension host
 * (src/extension/panel) and by the webview (src/webview). It must stay free of `vscode` and of the DOM.
 *
 * Shape of the conversation:
 *   webview → host  `ready`                      (once per webview load; the host posts nothing before it)
 *   host → webview  `init`                       (the first page of rows, the filter, totals, per-batch counters)
 *   host → webview  `jobsUpdated`                (throttled: changed rows OF THE PAGE ON SCREEN, the page's order,
 *                                                 removed ids, totals, per-batch counters)
 *   webview → host  `getPage` with an `id`       (the rows around its scroll position, under a filter and a search)
 *   host → webview  `page`                       (the reply to `getPage`: those rows, and how many match)
 *   webview → host  `rendered`                   (after each init/update/page is on screen: what it shows)
 *   webview → host  requests with an `id`        (cancel, retry, abort, reveal, clearFinished, setFilter, retryFailed)
 *   host → webview  `reply`                      (to a request id: ok, or an error message)
 *
 * A batch can hold millions of jobs: the webview keeps only the page it shows; the host keeps the jobs the engine
 * still lists (live, failed, recent finished) and the engine's per-batch counters, and filters, searches and orders
 * (failed first) on its side. Messages per second stay bounded whatever the blob count.
 *
 * Every message is validated on receipt (`validateWebviewMessage` on the host, `validateHostMessage` in the
 * webview, both in protocolValidation.ts): an unknown `type`, a missing or mistyped field, or an unexpected extra
 * field gives `undefined`.
 */

import { isActive, JOB_STATES, type BatchCounts, type BatchOutcome, type JobState, type StrategyId } from './vocabulary';

/** The engine's job states and strategies, by the names the protocol used first. */
export type JobStateName = JobState;
export type StrategyName = StrategyId;

export const JOB_FILTERS = ['active', 'failed', 'all'] as const;
/** What a new panel shows: every job, so a copy that finished before the panel opened is still visible. */
export const DEFAULT_JOB_FILTER = 'all' satisfies (typeof JOB_FILTERS)[number];
export type JobFilter = (typeof JOB_FILTERS)[number];

export interface JobErrorView {
  readonly message: string;
  readonly hint?: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
}

/** A job waiting for storage to answer again (an outage or throttling past the SDK's own retries). */
export interface WaitingView {
  /** Why, already redacted: "connection refused", "503 ServerBusy", … */
  readonly reason: string;
  /** Since when storage has not answered (epoch ms). */
  readonly since: number;
  /** When the job tries again (epoch ms). */
  readonly nextTryAt: number;
}

/** One job as the webview sees it: already redacted by the host. */
export interface JobView {
  readonly id: string;
  readonly batchId: string;
  readonly source: string;
  readonly destination: string;
  readonly strategy: StrategyName;
  readonly state: JobStateName;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second over the engine's recent window. */
  readonly throughput: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: JobErrorView;
  /** True while a Copy Blob is pending on the service and can be aborted. */
  readonly abortable: boolean;
  readonly attempts: number;
  /** Present while the job waits for storage (it stays running / pending). */
  readonly waiting?: WaitingView;
}

/** One batch's counters, from the engine (not counted from job views: most finished jobs are not listed). */
export interface BatchView extends BatchCounts {
  readonly batchId: string;
  readonly bytes: number;
  readonly bytesTotal: number;
  /** Still listing sources: more jobs may come. */
  readonly listing: boolean;
  /** The listing waits for storage (an outage): why ("connection refused", "503 ServerBusy", …). */
  readonly listingWaiting?: string;
  /** running, or once done: complete, partial or failed (see batchOutcome). */
  readonly outcome?: BatchOutcome;
  /** Why a finished batch is not complete beyond its failed jobs: the listing's error or the first refused blob. */
  readonly problem?: string;
}

/** Which rows the page on screen holds, in order (the rows themselves travel only when new or changed). */
export interface PageWindow {
  /** Index of the first row of the page among the matching jobs. */
  readonly offset: number;
  /** Jobs matching the filter and search (the virtual list's length). */
  readonly matching: number;
  /** The page's job ids, in order. */
  readonly ids: readonly string[];
}

/** Active jobs waiting for storage, over every listed job (not only the page). */
export interface WaitingSummary {
  readonly count: number;
  readonly reason?: string;
}

/** Totals over ALL jobs the host knows (not just the rows sent or shown). */
export interface JobTotals {
  readonly count: number;
  readonly byState: Readonly<Record<JobStateName, number>>;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Sum of the running jobs' throughput, bytes per second. */
  readonly throughput: number;
}

// ---------------------------------------------------------------------------------------------------------------
// host → webview

export interface InitMessage {
  readonly type: 'init';
  /** Increases with every init/jobsUpdated the host posts; echoed back in `rendered`. */
  readonly version: number;
  readonly jobs: readonly JobView[];
  readonly filter: JobFilter;
  readonly totals: JobTotals;
  /** Per-batch counters (the most recent MAX_BATCHES). */
  readonly batches?: readonly BatchView[];
  /** The page `jobs` is (offset 0, the host's filter and search). */
  readonly window?: PageWindow;
  readonly waiting?: WaitingSummary;
}

export interface JobsUpdatedMessage {
  readonly type: 'jobsUpdated';
  readonly version: number;
  /** New or changed jobs (each the latest snapshot; coalesced by the host's throttle). */
  readonly jobs: readonly JobView[];
  /** Ids of jobs that are gone (cleared, or no longer on the page). */
  readonly removed: readonly string[];
  readonly totals: JobTotals;
  readonly batches?: readonly BatchView[];
  /** The page now: its order and length (absent: the order is unchanged, new rows are appended). */
  readonly window?: PageWindow;
  readonly waiting?: WaitingSummary;
}

/** The reply to `getPage`: replaces the page the webview shows. */
export interface PageMessage {
  readonly type: 'page';
  /** The `getPage` request's id. */
  readonly id: number;
  readonly version: number;
  readonly offset: number;
  readonly matching: number;
  readonly jobs: readonly JobView[];
  readonly filter: JobFilter;
  readonly search: string;
}

type ReplyMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

export type HostToWebview = InitMessage | JobsUpdatedMessage | PageMessage | ReplyMessage;

// ---------------------------------------------------------------------------------------------------------------
// webview → host

interface ReadyMessage {
  readonly type: 'ready';
}

/** Not a request: the webview's report after it put an init/jobsUpdated on screen. */
export interface RenderedMessage {
  readonly type: 'rendered';
  /** The `version` of the host message just rendered. */
  readonly version: number;
  /** Rows in the table now (the page on screen, at most MAX_PAGE_ROWS). */
  readonly rows: number;
  /** Jobs matching the filter and search (the virtual list's length, from the host). */
  readonly matching: number;
  /** Jobs in total (the summary's count). */
  readonly known: number;
  readonly filter: JobFilter;
}

export type JobActionType = 'cancel' | 'retry' | 'abort' | 'reveal';
interface JobActionRequest {
  readonly type: JobActionType;
  readonly id: number;
  readonly jobId: string;
}
interface ClearFinishedRequest {
  readonly type: 'clearFinished';
  readonly id: number;
}
interface SetFilterRequest {
  readonly type: 'setFilter';
  readonly id: number;
  readonly filter: JobFilter;
}
interface RetryFailedRequest {
  readonly type: 'retryFailed';
  readonly id: number;
  /** Only this batch's failed jobs; all failed jobs when absent. */
  readonly batchId?: string;
}

/** The rows around the webview's scroll position; answered with a `page` message (or a failed `reply`). */
export interface GetPageRequest {
  readonly type: 'getPage';
  readonly id: number;
  readonly offset: number;
  /** At most MAX_PAGE_ROWS. */
  readonly limit: number;
  readonly filter: JobFilter;
  /** Part of a source or destination name, case-insensitive; '' for every job. At most MAX_SEARCH_LENGTH. */
  readonly search: string;
}

export type WebviewRequest = JobActionRequest | ClearFinishedRequest | SetFilterRequest | RetryFailedRequest | GetPageRequest;
export type WebviewToHost = ReadyMessage | RenderedMessage | WebviewRequest;

/** The most rows one page carries (the webview asks for the rows around its scroll position). */
export const MAX_PAGE_ROWS = 200;
/** The page `init` carries, before the webview has measured its viewport. */
export const DEFAULT_PAGE_ROWS = 100;
export const MAX_SEARCH_LENGTH = 200;
/** Batches whose counters the host sends (the most recent). */
export const MAX_BATCHES = 50;

/** What the webview keeps in `vscode.setState` (restored when hidden/shown or after a reload). */
export interface WebviewState {
  readonly filter: JobFilter;
  readonly search?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Does a job with this state show under the filter? */
export function matchesFilter(state: JobStateName, filter: JobFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'active':
      return isActive(state);
    case 'failed':
      return state === 'failed' || state === 'aborted';
    default:
      return assertNever(filter, 'filter');
  }
}

/** Does a job's source or destination contain the search (case-insensitive)? '' matches every job. */
export function matchesSearch(job: Pick<JobView, 'source' | 'destination'>, search: string): boolean {
  if (search === '') return true;
  const needle = search.toLowerCase();
  return job.source.toLowerCase().includes(needle) || job.destination.toLowerCase().includes(needle);
}

/** The list's order: failed/aborted first (they need attention), then running/pending, queued, then the rest. */
export function jobRank(state: JobStateName): number {
  switch (state) {
    case 'failed':
    case 'aborted':
      return 0;
    case 'running':
    case 'pending':
      return 1;
    case 'queued':
      return 2;
    case 'canceled':
    case 'skipped':
    case 'succeeded':
      return 3;
    default:
      return assertNever(state, 'state');
  }
}

export function emptyTotals(): JobTotals {
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStateName, number>;
  return { count: 0, byState, bytesDone: 0, bytesTotal: 0, throughput: 0 };
}
