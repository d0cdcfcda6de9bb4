/**
 * Outages and throttling that outlast the SDK's per-request retries: which failures are worth waiting out (the
 * storage endpoint unreachable, 5xx, 408, 429, ServerBusy, OperationTimedOut), and the back-off between tries.
 * Permanent errors (400, 403, 404, 409, 412, invalid names…) are not: they fail at once.
 */

/** Default: an outage of up to 5 minutes is ridden out. */
export const DEFAULT_OUTAGE_TOLERANCE_SECONDS = 300;
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 15_000;

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ServerBusy', 'OperationTimedOut', 'InternalError', 'ServerTimeout']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'REQUEST_SEND_ERROR',
]);

interface ErrorLike {
  name?: string;
  code?: unknown;
  statusCode?: number;
  message?: string;
  cause?: unknown;
  info?: { status?: number; code?: string };
  details?: { errorCode?: string };
}

/**
 * Why a failure is transient ("connection refused", "503 ServerBusy", …), or undefined when it is not. Looks through
 * the error's causes (the engine wraps SDK errors in CopyError).
 */
export function transientReason(err: unknown): string | undefined {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++, e = e.cause as ErrorLike | undefined) {
    if (e.name === 'AbortError') return undefined;
    const status = e.statusCode ?? e.info?.status;
    const code = e.details?.errorCode ?? e.info?.code ?? (typeof e.code === 'string' ? e.code : undefined);
    if (status !== undefined) {
      if (TRANSIENT_STATUS.has(status) || (code !== undefined && TRANSIENT_CODES.has(code))) return `${status}${code ? ` ${code}` : ''}`;
      if (status > 0) return undefined; // the service answered: a permanent answer
    }
    if (code !== undefined && NETWORK_CODES.has(code)) return networkReason(code);
    if (code !== undefined && TRANSIENT_CODES.has(code)) return code;
    if (/socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN/.test(e.message ?? '')) {
      return networkReason(/ECONN\w+|ETIMEDOUT|ENOTFOUND|EAI_AGAIN/.exec(e.message ?? '')?.[0] ?? 'ECONNRESET');
    }
  }
  return undefined;
}

function networkReason(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    default:
      return `network error ${code}`;
  }
}

/** A job's current outage: since when the storage did not answer, why, and when the next try is. */
export interface Outage {
  readonly since: number;
  reason: string;
  tries: number;
  nextTryAt: number;
}

/** Wait before the next try: 1 s, 2 s, 4 s … at most 15 s, never past the tolerance. */
export function nextWaitMs(outage: Outage, toleranceMs: number, now = Date.now()): number {
  const left = outage.since + toleranceMs - now;
  return Math.max(0, Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(outage.tries, 10), left));
}

/** Sleeps ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One wait of an outage, the same for a copy, a listing and a deferred clean-up: the back-off's next wait is slept
 * (and counted as a try) unless the tolerance is spent. `beforeSleep` runs once the wait is known (first: the outage
 * just began). 'again': try now; 'spent': the tolerance is over; 'stopped': the signal aborted the wait.
 */
export async function waitForStorage(outage: Outage, toleranceMs: number, signal: AbortSignal, beforeSleep?: (first: boolean) => void): Promise<'again' | 'spent' | 'stopped'> {
  const now = Date.now();
  const wait = nextWaitMs(outage, toleranceMs, now);
  if (wait <= 0) return 'spent';
  const first = outage.tries === 0;
  outage.tries++;
  outage.nextTryAt = now + wait;
  beforeSleep?.(first);
  try {
    await sleep(wait, signal);
  } catch {
    return 'stopped';
  }
  return 'again';
}
