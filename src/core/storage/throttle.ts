/**
 * One gate per account decides how many requests are in flight to it. Its limit adapts, window by window (a window
 * lasts a few round trips): it grows while the account completes more requests per second and their latency does
 * not rise with them (doubling at first, then by a tenth), steps back when more in flight brought no more rate,
 * shrinks when latency rises at the same limit (the account slows down), does not grow while this process's event
 * loop has no time to spare (the client is the limit then), and halves when the account answers 503/429 or times out
 * (at most once per second). Once it is down to one request in flight it also holds new requests for the Retry-After
 * the account asked for. So a distant account gets hundreds of small copies in flight, and a throttled one is not
 * hammered.
 */
import { accountKey } from '../base/urls';

/** Requests in flight per account when a gate is made (the engine's fixed figure before the limit adapted). */
export const ACCOUNT_START_IN_FLIGHT = 64;
/** The most requests in flight per account: the default cap of small copies plus room for listings and ranges. */
const DEFAULT_ACCOUNT_MAX_IN_FLIGHT = 320;
const DECREASE_INTERVAL_MS = 1000;
const MAX_PAUSE_MS = 30_000;
/** A window lasts at least this long and twice the latency it measured before (after one latency of settling). */
const MIN_WINDOW_MS = 100;
const MAX_WINDOW_MS = 5000;
/** Completions a window needs before it judges (fewer say too little about rate or latency). */
const MIN_WINDOW_SAMPLES = 16;
/** Latencies a window keeps for its median (later ones only count toward the rate). */
const MAX_WINDOW_SAMPLES = 4096;

interface GateStats {
  readonly limit: number;
  readonly inFlight: number;
  /** Lowest limit since the gate was made: shows that throttling lowered it. */
  readonly lowestLimit: number;
  /** Highest limit since the gate was made: shows how far it grew. */
  readonly highestLimit: number;
  readonly throttled: number;
  /** Timeouts (408, 500 OperationTimedOut, 504, a connection that timed out) since the gate was made. */
  readonly timeouts: number;
  /** Most requests ever in flight at once. */
  readonly peakInFlight: number;
}

interface GateOptions {
  /** The most requests in flight (default DEFAULT_ACCOUNT_MAX_IN_FLIGHT). */
  readonly max?: number;
  /** The limit the gate starts at (default ACCOUNT_START_IN_FLIGHT, at most max). */
  readonly start?: number;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
  /** The account, for the log (its endpoint, no secrets). */
  readonly name?: string;
  /**
   * How busy this process's event loop was since the last call (0–1; default: performance.eventLoopUtilization).
   * Tests on a fake clock pass their own.
   */
  readonly busy?: () => number;
}

/** The process's event loop this busy or more over a window: the client, not the account, is the limit. */
const CLIENT_BUSY = 0.9;
/** A busy process still grows the limit while each window completes this much more than the one before, with more in flight... */
const CLIENT_BOUND_GAIN = 1.1;
/** ...or at the same limit, while latency falls to this share of the window before (a backlog being worked off). */
const CLIENT_CAUGHT_UP = 0.75;
/** Below this, a latency rise is the account's (the client answers its sockets at once). */
const CLIENT_CALM = 0.5;
/** Rising latency alone never takes the limit below this (503/429 and timeouts can: they are the account's word). */
const LATENCY_FLOOR = 8;

/** Event-loop utilization since the previous call (one baseline per gate). */
function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}

/** What the gate needs of an abort signal (the SDK's AbortSignalLike). */
interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What a window measured at one limit: completions per second and median latency (ms). */
interface Measured {
  readonly limit: number;
  readonly rate: number;
  readonly latency: number;
}

export class AccountGate {
  private limit: number;
  private lowest: number;
  private highest: number;
  private peak = 0;
  private inFlight = 0;
  private throttledCount = 0;
  private timeoutCount = 0;
  private lastDecrease = -Infinity;
  private pausedUntil = 0;
  private wakeTimer?: NodeJS.Timeout;
  private readonly waiters: Array<() => void> = [];
  private readonly max: number;
  private readonly now: () => number;
  /** Doubling until the first sign of a ceiling (a step back, a shrink, throttling). */
  private slowStart = true;
  /** The current window: measured from `from` (its start plus one latency of settling) on. */
  private winStart: number;
  private settleMs = 0;
  private winDone = 0;
  private winLatencies: number[] = [];
  /** A request found the limit full during the window (else the window says nothing about more in flight). */
  private winLimited = false;
  private previous?: Measured;
  /** The window before was judged with this process's event loop saturated. */
  private wasBound = false;
  /**
   * The best rate of the windows judged with the event loop saturated, since the last decrease or the last window
   * with time to spare: a saturated process grows the limit only for a rate above it, not above the window before
   * (its rate jumps after each stall of its event loop; compared window to window, the limit crept up on that noise).
   */
  private boundBest = 0;
  readonly name?: string;
  private readonly busy: () => number;

  constructor(options: GateOptions | number = {}) {
    const o: GateOptions = typeof options === 'number' ? { max: options, start: options } : options;
    this.name = o.name;
    this.busy = o.busy ?? eventLoopBusy();
    this.max = Math.max(1, Math.floor(o.max ?? DEFAULT_ACCOUNT_MAX_IN_FLIGHT));
    this.now = o.now ?? Date.now;
    this.limit = Math.min(this.max, Math.max(1, Math.floor(o.start ?? ACCOUNT_START_IN_FLIGHT)));
    this.lowest = this.limit;
    this.highest = this.limit;
    this.winStart = this.now();
  }

  /** Takes a place at once when the limit has room (and no Retry-After holds the account); false: it is full. */
  tryAcquire(): boolean {
    if (!this.canGo()) {
      this.winLimited = true;
      return false;
    }
    this.taken();
    return true;
  }

  /** Resolves when a request may go (the signal rejects it while it waits). */
  acquire(signal?: SignalLike): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        this.taken();
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
    this.decrease();
    // Retry-After holds the whole account only once fewer requests cannot help (one in flight): pausing every
    // request for each 503 of a storm made a 30 % storm ~10× slower than halving the requests in flight does.
    if (retryAfterMs && retryAfterMs > 0 && Math.floor(this.limit) <= 1) this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.min(retryAfterMs, MAX_PAUSE_MS));
  }

  /** A request timed out (the service's or the connection's): as many fewer in flight as for throttling. */
  timedOut(): void {
    this.timeoutCount++;
    this.decrease();
  }

  /** A request succeeded after latencyMs: counted in the window, which judges the limit when it ends. */
  succeeded(latencyMs = 0): void {
    const now = this.now();
    if (now < this.winStart + this.settleMs) return; // sent under the previous limit
    this.winDone++;
    if (this.winLatencies.length < MAX_WINDOW_SAMPLES) this.winLatencies.push(latencyMs);
    const length = now - this.winStart - this.settleMs;
    if (this.winDone >= MIN_WINDOW_SAMPLES && length >= Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, (this.slowStart ? 1 : 2) * this.settleMs))) this.judge(now, length);
  }

  /** The limit now (stats() without the object). */
  get currentLimit(): number {
    return Math.floor(this.limit);
  }

  stats(): GateStats {
    return {
      limit: Math.floor(this.limit),
      inFlight: this.inFlight,
      lowestLimit: this.lowest,
      highestLimit: this.highest,
      throttled: this.throttledCount,
      timeouts: this.timeoutCount,
      peakInFlight: this.peak,
    };
  }

  /** Ends the window: a new limit from what it measured against the window before. */
  private judge(now: number, length: number): void {
    const lat = median(this.winLatencies);
    const m: Measured = { limit: Math.floor(this.limit), rate: (this.winDone * 1000) / length, latency: lat };
    const p = this.previous;
    let next = this.limit;
    const busy = this.busy();
    const clientBound = busy >= CLIENT_BUSY;
    const bestBefore = Math.max(p?.rate ?? 0, this.boundBest);
    this.boundBest = clientBound ? Math.max(this.boundBest, m.rate) : 0;
    if (!this.winLimited) {
      // The limit was never full: nothing learned about more in flight.
    } else if (clientBound && !(p && m.rate >= bestBefore * CLIENT_BOUND_GAIN && (m.limit > p.limit || m.latency <= p.latency * CLIENT_CAUGHT_UP))) {
      // This process had no time to spare: more in flight would only wait in it (and cost it memory and CPU), unless
      // the rate still grows, with more in flight or as the process works off a backlog (latency fell). One such
      // window holds the limit (a copy's start-up, its first connections, can fill one); two in a row step back.
      if (this.wasBound) {
        if (p && m.limit > p.limit) next = p.limit;
        this.slowStart = false;
      }
    } else if (!p) next = this.grown();
    else {
      const gain = m.rate / p.rate;
      const slower = m.latency / Math.max(p.latency, 0.001);
      if (m.limit > p.limit) {
        // More in flight than the window before: grow on if the rate grew (by a third of the step at least) and
        // latency did not rise with it (by half the step at most: an account at its capacity answers more in flight
        // with proportionally more latency); keep it if the rate grew a little (an eighth of the step: a busy client
        // still fills its idle moments); step back if it brought nothing but latency.
        const step = m.limit / p.limit - 1;
        if (gain >= 1 + step / 3 && slower <= 1 + step / 2) next = this.grown();
        else if (gain < 1 + step / 8) {
          next = p.limit;
          this.slowStart = false;
        }
      } else if (m.limit === p.limit && slower >= 1.5 && gain <= 1) {
        // Same limit, latency up, nothing more done: the account slows down; fewer in flight, in proportion. Only
        // while this process has time to spare (else the latency is its own lag), and not below a floor: a 1 M copy
        // against an endpoint answering at once, its client saturated, walked down to 1 in flight on such noise.
        if (busy < CLIENT_CALM) next = Math.max(LATENCY_FLOOR, m.limit / 2, (m.limit * p.latency) / m.latency);
        this.slowStart = false;
      } else if (m.limit === p.limit) next = this.grown(); // probe for room
    }
    this.wasBound = this.winLimited && clientBound;
    this.previous = this.winLimited ? m : undefined;
    this.setLimit(next);
    this.startWindow(now, lat);
  }

  private grown(): number {
    const l = Math.floor(this.limit);
    return this.slowStart ? l * 2 : Math.max(l + 1, l * 1.1);
  }

  private setLimit(next: number): void {
    this.limit = Math.min(this.max, Math.max(1, next));
    this.lowest = Math.min(this.lowest, Math.floor(this.limit));
    this.highest = Math.max(this.highest, Math.floor(this.limit));
    this.drain();
  }

  private startWindow(now: number, settleMs: number): void {
    this.winStart = now;
    this.settleMs = Math.min(MAX_WINDOW_MS, settleMs);
    this.winDone = 0;
    this.winLatencies = [];
    this.winLimited = this.waiters.length > 0;
  }

  /** Halves the limit (once per second: one decrease per burst), and measures afresh from there. */
  private decrease(): void {
    const now = this.now();
    this.slowStart = false;
    if (now - this.lastDecrease < DECREASE_INTERVAL_MS) return;
    this.lastDecrease = now;
    this.boundBest = 0;
    this.setLimit(this.limit / 2);
    this.previous = undefined;
    this.startWindow(now, this.settleMs);
  }

  private taken(): void {
    this.inFlight++;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
    if (this.inFlight >= Math.floor(this.limit)) this.winLimited = true;
  }

  private canGo(): boolean {
    return this.inFlight < Math.floor(this.limit) && this.now() >= this.pausedUntil;
  }

  private drain(): void {
    while (this.waiters.length > 0 && this.canGo()) this.waiters.shift()!();
    this.schedule();
  }

  /** While paused with waiters, wake when the pause ends. */
  private schedule(): void {
    if (this.wakeTimer || this.waiters.length === 0) return;
    const wait = this.pausedUntil - this.now();
    if (wait <= 0) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.drain();
    }, wait);
    // Not unref'ed: requests held for a Retry-After keep the process alive (else, with nothing else pending, Node
    // exits with them still held: test/unit/core/throttle.test.ts failed so).
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.sort((a, b) => a - b);
  return s[s.length >> 1];
}

const gates = new Map<string, AccountGate>();

/** The gate of an account (keyed by its endpoint, e.g. "https://acct.blob.core.windows.net" or ".../devstoreaccount1"). */
export function gateFor(accountKey: string, name = accountKey): AccountGate {
  let gate = gates.get(accountKey);
  if (!gate) gates.set(accountKey, (gate = new AccountGate({ name })));
  return gate;
}

/**
 * The gate of a request URL. The account key needs a URL parse (measurable at thousands of requests per second): it
 * is remembered by the URL's "scheme://host/first-segment" prefix, which determines the account in both host styles.
 */
const gateByPrefix = new Map<string, AccountGate>();
export function gateOfUrl(url: string): AccountGate {
  const q = url.indexOf('?');
  const bare = q >= 0 ? url.slice(0, q) : url;
  const hostEnd = bare.indexOf('/', bare.indexOf('//') + 2);
  const segEnd = hostEnd < 0 ? -1 : bare.indexOf('/', hostEnd + 1);
  const prefix = segEnd < 0 ? bare : bare.slice(0, segEnd);
  let gate = gateByPrefix.get(prefix);
  if (!gate) {
    // Named as the user wrote the endpoint (the key folds loopback names into one).
    const key = accountKey(bare);
    const origin = hostEnd < 0 ? bare : bare.slice(0, hostEnd);
    const account = key.slice(key.lastIndexOf('/') + 1);
    gate = gateFor(key, new URL(origin).hostname.startsWith(`${account}.`) ? origin : `${origin}/${account}`);
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

/** Error codes of a service timeout (answered 500) and of a connection that timed out. */
const TIMEOUT_CODES = new Set(['OperationTimedOut', 'ServerTimeout']);
const NETWORK_TIMEOUTS = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * Sends one try through its account's gate: waits for room (and any Retry-After), then tells the gate how the
 * account answered and how long it took. The account is the URL's endpoint (host, plus the first path segment for
 * path-style hosts).
 */
export async function throughAccountGate<R extends { status: number; headers: { get(name: string): string | undefined } }>(
  url: string,
  signal: SignalLike | undefined,
  send: () => Promise<R>,
): Promise<R> {
  const gate = gateOfUrl(url);
  if (!gate.tryAcquire()) await gate.acquire(signal); // a place free now costs no await (one per request)
  const t0 = performance.now();
  try {
    const res = await send();
    const status = res.status;
    if (status === 503 || status === 429) gate.throttled(retryAfterMs(res.headers.get('retry-after')));
    else if (status === 408 || status === 504 || (status === 500 && TIMEOUT_CODES.has(res.headers.get('x-ms-error-code') ?? ''))) gate.timedOut();
    else if (status < 500) gate.succeeded(performance.now() - t0);
    return res;
  } catch (e) {
    const err = e as { code?: unknown; name?: string };
    if (err.name === 'TimeoutError' || (typeof err.code === 'string' && NETWORK_TIMEOUTS.has(err.code))) gate.timedOut();
    throw e;
  } finally {
    gate.release();
  }
}
