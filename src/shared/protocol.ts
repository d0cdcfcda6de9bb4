/**
 * The Copy Jobs panel's message protocol: ONE module imported by the extension host
 * (src/extension/panel) and by the webview (src/webview). It must stay free of `vscode` and of the DOM.
 *
 * Shape of the conversation:
 *   webview → host  `ready`                      (once per webview load; the host posts nothing before it)
 *   host → webview  `init`                       (every job, the filter, totals)
 *   host → webview  `jobsUpdated`                (throttled: changed jobs + removed ids + totals)
 *   webview → host  `rendered`                   (after each init/update is on screen: what it shows)
 *   webview → host  requests with an `id`        (cancel, retry, abort, reveal, clearFinished, setFilter, retryFailed)
 *   host → webview  `reply`                      (to a request id: ok, or an error message)
 *
 * Every message is validated on receipt (`validateWebviewMessage` on the host, `validateHostMessage` in the
 * webview, both in protocolValidation.ts): an unknown `type`, a missing or mistyped field, or an unexpected extra
 * field gives `undefined`.
 */

import { isActive, JOB_STATES, type JobState, type StrategyId } from './vocabulary';

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
}

export interface JobsUpdatedMessage {
  readonly type: 'jobsUpdated';
  readonly version: number;
  /** New or changed jobs (each the latest snapshot; coalesced by the host's throttle). */
  readonly jobs: readonly JobView[];
  /** Ids of jobs that are gone (cleared). */
  readonly removed: readonly string[];
  readonly totals: JobTotals;
}

type ReplyMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

export type HostToWebview = InitMessage | JobsUpdatedMessage | ReplyMessage;

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
  /** Rows in the table now (capped, see MAX_RENDERED_ROWS). */
  readonly rows: number;
  /** Jobs matching the filter (rows + the "N more" ones). */
  readonly matching: number;
  /** Jobs the webview knows in total. */
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

export type WebviewRequest = JobActionRequest | ClearFinishedRequest | SetFilterRequest | RetryFailedRequest;
export type WebviewToHost = ReadyMessage | RenderedMessage | WebviewRequest;

/** The webview renders at most this many rows and says "N more" for the rest (10,000 jobs stay responsive). */
export const MAX_RENDERED_ROWS = 500;

/** What the webview keeps in `vscode.setState` (restored when hidden/shown or after a reload). */
export interface WebviewState {
  readonly filter: JobFilter;
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

export function emptyTotals(): JobTotals {
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStateName, number>;
  return { count: 0, byState, bytesDone: 0, bytesTotal: 0, throughput: 0 };
}

export function computeTotals(jobs: Iterable<Pick<JobView, 'state' | 'bytesDone' | 'bytesTotal' | 'throughput'>>): JobTotals {
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStateName, number>;
  let count = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let throughput = 0;
  for (const j of jobs) {
    count++;
    byState[j.state]++;
    bytesDone += j.bytesDone;
    bytesTotal += j.bytesTotal;
    if (j.state === 'running' || j.state === 'pending') throughput += j.throughput;
  }
  return { count, byState, bytesDone, bytesTotal, throughput };
}
