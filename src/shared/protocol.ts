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
 * webview): an unknown `type`, a missing or mistyped field, or an unexpected extra field gives `undefined`.
 */

import { isActive, JOB_STATES, STRATEGIES, type JobState, type StrategyId } from './vocabulary';

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

// ---------------------------------------------------------------------------------------------------------------
// validation (hand-written: no dependency, and the webview bundle stays small)

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Every key of `o` is in `allowed` (an unexpected field makes the message invalid). */
function onlyKeys(o: Obj, allowed: readonly string[]): boolean {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return false;
  return true;
}

function isStr(x: unknown, max = 100_000): x is string {
  return typeof x === 'string' && x.length <= max;
}
function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= 1_000;
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function isNonNeg(x: unknown): x is number {
  return isNum(x) && x >= 0;
}
function isReqId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}
function isOneOf<T extends string>(list: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (list as readonly string[]).includes(x);
}
function optional<T>(x: unknown, check: (v: unknown) => v is T): boolean {
  return x === undefined || check(x);
}

export function isJobFilter(x: unknown): x is JobFilter {
  return isOneOf(JOB_FILTERS, x);
}

/** Validates a webview → host message. Anything else (unknown type, wrong or extra fields) gives undefined. */
export function validateWebviewMessage(x: unknown): WebviewToHost | undefined {
  if (!isObj(x) || typeof x.type !== 'string') return undefined;
  const type = x.type as WebviewToHost['type'];
  switch (type) {
    case 'ready':
      return onlyKeys(x, ['type']) ? { type } : undefined;
    case 'rendered':
      return onlyKeys(x, ['type', 'version', 'rows', 'matching', 'known', 'filter']) &&
        isNonNeg(x.version) &&
        isNonNeg(x.rows) &&
        isNonNeg(x.matching) &&
        isNonNeg(x.known) &&
        isJobFilter(x.filter)
        ? { type, version: x.version, rows: x.rows, matching: x.matching, known: x.known, filter: x.filter }
        : undefined;
    case 'cancel':
    case 'retry':
    case 'abort':
    case 'reveal':
      return onlyKeys(x, ['type', 'id', 'jobId']) && isReqId(x.id) && isId(x.jobId) ? { type, id: x.id, jobId: x.jobId } : undefined;
    case 'clearFinished':
      return onlyKeys(x, ['type', 'id']) && isReqId(x.id) ? { type, id: x.id } : undefined;
    case 'setFilter':
      return onlyKeys(x, ['type', 'id', 'filter']) && isReqId(x.id) && isJobFilter(x.filter) ? { type, id: x.id, filter: x.filter } : undefined;
    case 'retryFailed':
      if (!onlyKeys(x, ['type', 'id', 'batchId']) || !isReqId(x.id) || !optional(x.batchId, isId)) return undefined;
      return x.batchId === undefined ? { type, id: x.id } : { type, id: x.id, batchId: x.batchId as string };
    default:
      // Not `assertNever`: `type` is untrusted input here, an unknown one is simply invalid.
      return undefined;
  }
}

function validateError(x: unknown): JobErrorView | undefined {
  if (!isObj(x) || !onlyKeys(x, ['message', 'hint', 'status', 'code', 'requestId'])) return undefined;
  if (!isStr(x.message) || !optional(x.hint, isStr) || !optional(x.status, isNum) || !optional(x.code, isStr) || !optional(x.requestId, isStr)) {
    return undefined;
  }
  return x as unknown as JobErrorView;
}

const JOB_KEYS = ['id', 'batchId', 'source', 'destination', 'strategy', 'state', 'bytesDone', 'bytesTotal', 'throughput', 'startedAt', 'finishedAt', 'error', 'abortable', 'attempts'];

export function validateJobView(x: unknown): JobView | undefined {
  if (!isObj(x) || !onlyKeys(x, JOB_KEYS)) return undefined;
  const ok =
    isId(x.id) &&
    isStr(x.batchId, 1_000) &&
    isStr(x.source) &&
    isStr(x.destination) &&
    isOneOf(STRATEGIES, x.strategy) &&
    isOneOf(JOB_STATES, x.state) &&
    isNonNeg(x.bytesDone) &&
    isNonNeg(x.bytesTotal) &&
    isNonNeg(x.throughput) &&
    optional(x.startedAt, isNum) &&
    optional(x.finishedAt, isNum) &&
    typeof x.abortable === 'boolean' &&
    isNonNeg(x.attempts);
  if (!ok) return undefined;
  if (x.error !== undefined && validateError(x.error) === undefined) return undefined;
  return x as unknown as JobView;
}

function validateTotals(x: unknown): JobTotals | undefined {
  if (!isObj(x) || !onlyKeys(x, ['count', 'byState', 'bytesDone', 'bytesTotal', 'throughput'])) return undefined;
  if (!isNonNeg(x.count) || !isNonNeg(x.bytesDone) || !isNonNeg(x.bytesTotal) || !isNonNeg(x.throughput)) return undefined;
  const b = x.byState;
  if (!isObj(b) || !onlyKeys(b, JOB_STATES) || !JOB_STATES.every((s) => isNonNeg(b[s]))) return undefined;
  return x as unknown as JobTotals;
}

function validateJobs(x: unknown): JobView[] | undefined {
  if (!Array.isArray(x)) return undefined;
  const out: JobView[] = [];
  for (const j of x) {
    const v = validateJobView(j);
    if (!v) return undefined;
    out.push(v);
  }
  return out;
}

/** Validates a host → webview message (the webview's side of the contract). */
export function validateHostMessage(x: unknown): HostToWebview | undefined {
  if (!isObj(x) || typeof x.type !== 'string') return undefined;
  const type = x.type as HostToWebview['type'];
  switch (type) {
    case 'init': {
      if (!onlyKeys(x, ['type', 'version', 'jobs', 'filter', 'totals']) || !isNonNeg(x.version) || !isJobFilter(x.filter)) return undefined;
      const jobs = validateJobs(x.jobs);
      const totals = validateTotals(x.totals);
      return jobs && totals ? { type, version: x.version, jobs, filter: x.filter, totals } : undefined;
    }
    case 'jobsUpdated': {
      if (!onlyKeys(x, ['type', 'version', 'jobs', 'removed', 'totals']) || !isNonNeg(x.version)) return undefined;
      if (!Array.isArray(x.removed) || !x.removed.every(isId)) return undefined;
      const jobs = validateJobs(x.jobs);
      const totals = validateTotals(x.totals);
      return jobs && totals ? { type, version: x.version, jobs, removed: x.removed as string[], totals } : undefined;
    }
    case 'reply':
      if (!isReqId(x.id)) return undefined;
      if (x.ok === true) return onlyKeys(x, ['type', 'id', 'ok']) ? { type, id: x.id, ok: true } : undefined;
      if (x.ok === false) return onlyKeys(x, ['type', 'id', 'ok', 'error']) && isStr(x.error) ? { type, id: x.id, ok: false, error: x.error } : undefined;
      return undefined;
    default:
      return undefined;
  }
}
