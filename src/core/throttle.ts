/**
 * Throttling handled per account, not per request: every try to an account passes its gate, which allows a number
 * of requests in flight that halves when the account answers 503/429 (at most once per second) and grows by one per
 * window of successes (additive increase, multiplicative decrease), and, once it is down to one request in flight,
 * holds new requests for the Retry-After the account asked for. So 32 parallel copies do not keep hammering a
 * throttled account.
 */
import { accountKey } from './urls';

/** Requests in flight per account when nothing is throttled (the engine's default peak is 32 small + 8 × 4 ranges). */
export const DEFAULT_ACCOUNT_MAX_IN_FLIGHT = 64;
const DECREASE_INTERVAL_MS = 1000;
const MAX_PAUSE_MS = 30_000;

export interface GateStats {
  readonly limit: number;
  readonly inFlight: number;
  /** Lowest limit since the gate was made: shows that throttling lowered it. */
  readonly lowestLimit: number;
  readonly throttled: number;
}

/** What the gate needs of an abort signal (the SDK's AbortSignalLike). */
interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class AccountGate {
  private limit: number;
  private lowest: number;
  private inFlight = 0;
  private throttledCount = 0;
  private lastDecrease = 0;
  private pausedUntil = 0;
  private wakeTimer?: NodeJS.Timeout;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly max = DEFAULT_ACCOUNT_MAX_IN_FLIGHT) {
    this.limit = max;
    this.lowest = max;
  }

  /** Resolves when a request may go (the signal rejects it while it waits). */
  acquire(signal?: SignalLike): Promise<void> {
    if (this.canGo()) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.inFlight++;
        resolve();
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(go);
        if (i >= 0) this.waiters.splice(i, 1);
        if (this.waiters.length === 0 && this.wakeTimer) {
          clearTimeout(this.wakeTimer); // nobody left to wake: do not hold the process
          this.wakeTimer = undefined;
        }
        reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(go);
      this.schedule();
    });
  }

  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.drain();
  }

  /** The account answered 503/429: fewer requests in flight, and none before Retry-After has passed. */
  throttled(retryAfterMs?: number): void {
    this.throttledCount++;
    const now = Date.now();
    if (now - this.lastDecrease >= DECREASE_INTERVAL_MS) {
      this.limit = Math.max(1, this.limit / 2);
      this.lowest = Math.min(this.lowest, Math.floor(this.limit));
      this.lastDecrease = now;
    }
    // Retry-After holds the whole account only once fewer requests cannot help (one in flight): pausing every
    // request for each 503 of a storm made a 30 % storm ~10× slower than halving the requests in flight does.
    if (retryAfterMs && retryAfterMs > 0 && Math.floor(this.limit) <= 1) this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(retryAfterMs, MAX_PAUSE_MS));
  }

  /** A request succeeded: one more in flight per window of successes, up to the maximum. */
  succeeded(): void {
    if (this.limit < this.max) {
      this.limit = Math.min(this.max, this.limit + 1 / Math.floor(this.limit));
      this.drain();
    }
  }

  stats(): GateStats {
    return { limit: Math.floor(this.limit), inFlight: this.inFlight, lowestLimit: this.lowest, throttled: this.throttledCount };
  }

  private canGo(): boolean {
    return this.inFlight < Math.floor(this.limit) && Date.now() >= this.pausedUntil;
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.canGo()) this.waiters.shift()!();
    this.schedule();
  }

  /** While paused with waiters, wake when the pause ends. */
  private schedule(): void {
    if (this.wakeTimer || this.waiters.length === 0) return;
    const wait = this.pausedUntil - Date.now();
    if (wait <= 0) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.drain();
    }, wait);
    // Not unref'ed: requests held for a Retry-After keep the process alive (else, with nothing else pending, Node
    // exits with them still held: test/unit/core/throttle.test.ts failed so).
  }
}

const gates = new Map<string, AccountGate>();

/** The gate of an account (keyed by its endpoint, e.g. "https://acct.blob.core.windows.net" or ".../devstoreaccount1"). */
export function gateFor(accountKey: string): AccountGate {
  let gate = gates.get(accountKey);
  if (!gate) gates.set(accountKey, (gate = new AccountGate()));
  return gate;
}

/**
 * The gate of a request URL. The account key needs a URL parse (measurable at thousands of requests per second): it
 * is remembered by the URL's "scheme://host/first-segment" prefix, which determines the account in both host styles.
 */
const gateByPrefix = new Map<string, AccountGate>();
function gateOfUrl(url: string): AccountGate {
  const q = url.indexOf('?');
  const bare = q >= 0 ? url.slice(0, q) : url;
  const hostEnd = bare.indexOf('/', bare.indexOf('//') + 2);
  const segEnd = hostEnd < 0 ? -1 : bare.indexOf('/', hostEnd + 1);
  const prefix = segEnd < 0 ? bare : bare.slice(0, segEnd);
  let gate = gateByPrefix.get(prefix);
  if (!gate) {
    gate = gateFor(accountKey(bare));
    if (gateByPrefix.size >= 1000) gateByPrefix.clear();
    gateByPrefix.set(prefix, gate);
  }
  return gate;
}

/** Retry-After (seconds, or an HTTP date) in ms. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

/**
 * Sends one try through its account's gate: waits for room (and any Retry-After), then tells the gate how the
 * account answered. The account is the URL's endpoint (host, plus the first path segment for path-style hosts).
 */
export async function throughAccountGate<R extends { status: number; headers: { get(name: string): string | undefined } }>(
  url: string,
  signal: SignalLike | undefined,
  send: () => Promise<R>,
): Promise<R> {
  const gate = gateOfUrl(url);
  await gate.acquire(signal);
  try {
    const res = await send();
    if (res.status === 503 || res.status === 429) gate.throttled(retryAfterMs(res.headers.get('retry-after')));
    else if (res.status < 500) gate.succeeded();
    return res;
  } finally {
    gate.release();
  }
}
