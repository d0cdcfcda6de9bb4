/**
 * Strict validation of the Copy Jobs protocol (src/shared/protocol.ts), both ways: `validateWebviewMessage` on the
 * host, `validateHostMessage` in the webview. An unknown `type`, a missing or mistyped field, or an unexpected extra
 * field gives `undefined`. Hand-written: no dependency, and the webview bundle stays small. No `vscode`, no DOM.
 */
import { JOB_STATES, STRATEGIES } from './vocabulary';
import {
  JOB_FILTERS,
  MAX_BATCHES,
  MAX_PAGE_ROWS,
  MAX_SEARCH_LENGTH,
  type BatchView,
  type HostToWebview,
  type JobErrorView,
  type JobFilter,
  type JobTotals,
  type JobView,
  type PageWindow,
  type WaitingSummary,
  type WaitingView,
  type WebviewToHost,
} from './protocol';

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
function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
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
    case 'getPage':
      return onlyKeys(x, ['type', 'id', 'offset', 'limit', 'filter', 'search']) &&
        isReqId(x.id) &&
        isIndex(x.offset) &&
        isIndex(x.limit) &&
        x.limit >= 1 &&
        x.limit <= MAX_PAGE_ROWS &&
        isJobFilter(x.filter) &&
        isStr(x.search, MAX_SEARCH_LENGTH)
        ? { type, id: x.id, offset: x.offset, limit: x.limit, filter: x.filter, search: x.search }
        : undefined;
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

function validateWaiting(x: unknown): WaitingView | undefined {
  if (!isObj(x) || !onlyKeys(x, ['reason', 'since', 'nextTryAt'])) return undefined;
  return isStr(x.reason, 1_000) && isNonNeg(x.since) && isNonNeg(x.nextTryAt) ? (x as unknown as WaitingView) : undefined;
}

const JOB_KEYS = ['id', 'batchId', 'source', 'destination', 'strategy', 'state', 'bytesDone', 'bytesTotal', 'throughput', 'startedAt', 'finishedAt', 'error', 'abortable', 'attempts', 'waiting'];

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
  if (x.waiting !== undefined && validateWaiting(x.waiting) === undefined) return undefined;
  return x as unknown as JobView;
}

function validateTotals(x: unknown): JobTotals | undefined {
  if (!isObj(x) || !onlyKeys(x, ['count', 'byState', 'bytesDone', 'bytesTotal', 'throughput'])) return undefined;
  if (!isNonNeg(x.count) || !isNonNeg(x.bytesDone) || !isNonNeg(x.bytesTotal) || !isNonNeg(x.throughput)) return undefined;
  const b = x.byState;
  if (!isObj(b) || !onlyKeys(b, JOB_STATES) || !JOB_STATES.every((s) => isNonNeg(b[s]))) return undefined;
  return x as unknown as JobTotals;
}

const BATCH_OUTCOMES = ['running', 'complete', 'partial', 'failed'] as const;
const BATCH_COUNTS = ['total', 'succeeded', 'skipped', 'failed', 'canceled', 'aborted', 'bytes', 'bytesTotal'] as const;

function validateBatches(x: unknown): BatchView[] | undefined {
  if (!Array.isArray(x) || x.length > MAX_BATCHES) return undefined;
  for (const b of x) {
    if (!isObj(b) || !onlyKeys(b, ['batchId', ...BATCH_COUNTS, 'done', 'listing', 'listingWaiting', 'unplanned', 'outcome', 'problem'])) return undefined;
    if (!isStr(b.batchId, 1_000) || !BATCH_COUNTS.every((k) => isNonNeg(b[k])) || typeof b.done !== 'boolean' || typeof b.listing !== 'boolean') return undefined;
    if (!optional(b.unplanned, isNonNeg) || !optional(b.outcome, (o): o is string => typeof o === 'string' && (BATCH_OUTCOMES as readonly string[]).includes(o))) return undefined;
    if (!optional(b.problem, (p): p is string => isStr(p, 2_000)) || !optional(b.listingWaiting, (w): w is string => isStr(w, 200))) return undefined;
  }
  return x as BatchView[];
}

function validateWindow(x: unknown): PageWindow | undefined {
  if (!isObj(x) || !onlyKeys(x, ['offset', 'matching', 'ids'])) return undefined;
  if (!isIndex(x.offset) || !isIndex(x.matching) || !Array.isArray(x.ids) || x.ids.length > MAX_PAGE_ROWS || !x.ids.every(isId)) return undefined;
  return x as unknown as PageWindow;
}

function validateWaitingSummary(x: unknown): WaitingSummary | undefined {
  if (!isObj(x) || !onlyKeys(x, ['count', 'reason'])) return undefined;
  return isIndex(x.count) && optional(x.reason, (r): r is string => isStr(r, 1_000)) ? (x as unknown as WaitingSummary) : undefined;
}

/** The optional fields of init / jobsUpdated: absent, or valid (an invalid one makes the message invalid). */
function validateExtras(x: Obj): { batches?: BatchView[]; window?: PageWindow; waiting?: WaitingSummary } | undefined {
  const out: { batches?: BatchView[]; window?: PageWindow; waiting?: WaitingSummary } = {};
  if (x.batches !== undefined) {
    const b = validateBatches(x.batches);
    if (!b) return undefined;
    out.batches = b;
  }
  if (x.window !== undefined) {
    const w = validateWindow(x.window);
    if (!w) return undefined;
    out.window = w;
  }
  if (x.waiting !== undefined) {
    const w = validateWaitingSummary(x.waiting);
    if (!w) return undefined;
    out.waiting = w;
  }
  return out;
}

function validateJobs(x: unknown, max = Number.POSITIVE_INFINITY): JobView[] | undefined {
  if (!Array.isArray(x) || x.length > max) return undefined;
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
      if (!onlyKeys(x, ['type', 'version', 'jobs', 'filter', 'totals', 'batches', 'window', 'waiting']) || !isNonNeg(x.version) || !isJobFilter(x.filter)) return undefined;
      const jobs = validateJobs(x.jobs);
      const totals = validateTotals(x.totals);
      const extras = validateExtras(x);
      return jobs && totals && extras ? { type, version: x.version, jobs, filter: x.filter, totals, ...extras } : undefined;
    }
    case 'jobsUpdated': {
      if (!onlyKeys(x, ['type', 'version', 'jobs', 'removed', 'totals', 'batches', 'window', 'waiting']) || !isNonNeg(x.version)) return undefined;
      if (!Array.isArray(x.removed) || !x.removed.every(isId)) return undefined;
      const jobs = validateJobs(x.jobs);
      const totals = validateTotals(x.totals);
      const extras = validateExtras(x);
      return jobs && totals && extras ? { type, version: x.version, jobs, removed: x.removed as string[], totals, ...extras } : undefined;
    }
    case 'page': {
      if (!onlyKeys(x, ['type', 'id', 'version', 'offset', 'matching', 'jobs', 'filter', 'search'])) return undefined;
      if (!isReqId(x.id) || !isNonNeg(x.version) || !isIndex(x.offset) || !isIndex(x.matching) || !isJobFilter(x.filter) || !isStr(x.search, MAX_SEARCH_LENGTH)) return undefined;
      const jobs = validateJobs(x.jobs, MAX_PAGE_ROWS);
      return jobs ? { type, id: x.id, version: x.version, offset: x.offset, matching: x.matching, jobs, filter: x.filter, search: x.search } : undefined;
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
