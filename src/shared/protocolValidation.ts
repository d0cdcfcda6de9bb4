/**
 * Strict validation of the Copy Jobs protocol (src/shared/protocol.ts), both ways: `validateWebviewMessage` on the
 * host, `validateHostMessage` in the webview. An unknown `type`, a missing or mistyped field, or an unexpected extra
 * field gives `undefined`. Hand-written: no dependency, and the webview bundle stays small. No `vscode`, no DOM.
 */
import { JOB_STATES, STRATEGIES } from './vocabulary';
import { JOB_FILTERS, type HostToWebview, type JobErrorView, type JobFilter, type JobTotals, type JobView, type WaitingView, type WebviewToHost } from './protocol';

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
