/**
 * Which REST operation copies a blob: the rules of `auto`, the fallback when a server lacks an operation (501), and
 * the per-server memory of what it lacks. Pure: no I/O.
 */
import { LIMITS } from '../base/limits';
import type { CopyOperation, StrategyChoice } from '../base/types';
import { OPERATION_INFO, operationLabel, strategyFits, type BlobType } from '../../shared/vocabulary';

const MiB = 1024 * 1024;

/**
 * Largest block blob that `auto` copies across accounts in one call (Put Blob From URL, or Copy Blob From URL where
 * the server lacks it). Above it, Put Block From URL with parallel ranges: resumable, and as fast on Azurite
 * (1 GiB: 16.5–16.9 s for parallel ranges vs 16.3 s for a plain upload). 256 MiB is also Copy Blob From URL's limit.
 */
const SINGLE_CALL_MAX_BYTES = 256 * MiB;

/**
 * Same account, block blobs up to this size: Copy Blob From URL (synchronous: no polling, done when it answers).
 * Measured on Azurite 3.37 (500 × 4 KiB, 32 in flight, loaded 2-core machine): Copy Blob From URL 345/s, Copy Blob
 * (begin + poll) 169/s. Larger blobs use Copy Blob, which references the source without moving bytes (1 GiB: 0.01 s).
 */
const SAME_ACCOUNT_SYNC_MAX_BYTES = 4 * MiB;

/** How long attempts wait for the first one's answer about an operation before they try it themselves. */
const ASK_WAIT_MS = 10_000;

/** Which operations a server (keyed by endpoint origin) answered 501 APINotImplemented to. */
export class CapabilityCache {
  private readonly missing = new Map<string, Set<CopyOperation>>();
  private readonly present = new Map<string, Set<CopyOperation>>();
  private readonly asking = new Map<string, Promise<void>>();
  lacks(origin: string, op: CopyOperation): boolean {
    return this.missing.get(origin)?.has(op) ?? false;
  }
  /** The server answered an attempt with the operation (not 501). */
  markPresent(origin: string, op: CopyOperation): void {
    let set = this.present.get(origin);
    if (!set) this.present.set(origin, (set = new Set()));
    set.add(op);
  }
  /**
   * Before an attempt with an operation whose support at this server is unknown: the first caller gets a function to
   * call once the server answered (after markPresent / markMissing, or on any other outcome); later callers wait for
   * that (at most ASK_WAIT_MS, or until their signal aborts) and get undefined. Known support: undefined at once.
   */
  async firstAsks(origin: string, op: CopyOperation, signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (this.lacks(origin, op) || this.present.get(origin)?.has(op)) return undefined;
    const key = `${origin}\t${op}`;
    const pending = this.asking.get(key);
    if (pending) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await Promise.race([
        pending,
        new Promise<void>((r) => {
          timer = setTimeout(r, ASK_WAIT_MS);
          onAbort = r;
          signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      return undefined;
    }
    let done!: () => void;
    this.asking.set(key, new Promise<void>((r) => (done = r)));
    let called = false;
    return () => {
      if (called) return;
      called = true;
      if (this.asking.get(key)) this.asking.delete(key);
      done();
    };
  }
  /** Returns true when this is news (log it once). */
  markMissing(origin: string, op: CopyOperation): boolean {
    let set = this.missing.get(origin);
    if (!set) this.missing.set(origin, (set = new Set()));
    if (set.has(op)) return false;
    set.add(op);
    return true;
  }
}


/** The operation that replaces `op` on a server that lacks it (auto only). */
export function fallbackOperation(op: CopyOperation, blobType: BlobType, size: number, lacks: (op: CopyOperation) => boolean): CopyOperation {
  switch (op) {
    case 'put-blob-from-url':
      return size <= LIMITS.syncCopyFromUrlMaxBytes && !lacks('copy-blob-from-url') ? 'copy-blob-from-url' : 'put-block-from-url';
    case 'copy-blob-from-url':
      return 'put-block-from-url';
    case 'append-block-from-url':
    case 'put-page-from-url':
    case 'put-block-from-url':
      return 'copy-blob';
    case 'copy-blob':
      return blobType === 'BlockBlob' ? 'put-block-from-url' : 'copy-blob';
  }
}

interface Choice {
  operation: CopyOperation;
  reason: string;
  warning?: string;
}

/**
 * Picks the operation for one blob.
 * auto: same account → Copy Blob (the service copies without moving bytes: 0.01 s for 1 GiB on Azurite);
 * across accounts → block blobs ≤ 256 MiB: Put Blob From URL (one call), larger: Put Block From URL (parallel
 * ranges, resumable); append blobs → Append Block From URL; page blobs → Put Page From URL (sparse).
 * Operations a server is known to lack are replaced by their fallback.
 */
export function chooseOperation(
  requested: StrategyChoice,
  blobType: BlobType,
  size: number,
  sameAccount: boolean,
  lacks: (op: CopyOperation) => boolean,
  name = '',
): Choice {
  let warning: string | undefined;
  if (requested !== 'auto') {
    if (strategyFits(requested, blobType)) {
      if (requested === 'put-blob-from-url' && size > LIMITS.putBlobFromUrlMaxBytes) {
        warning = `${name}: Put Blob From URL copies at most 5000 MiB; using Put Block From URL for this ${size}-byte blob.`;
        return { operation: 'put-block-from-url', reason: 'forced put-blob-from-url, but the blob exceeds 5000 MiB', warning };
      }
      return { operation: requested, reason: 'strategy chosen by the request' };
    }
    warning = `${name}: strategy ${requested} copies ${OPERATION_INFO[requested].fits.join('/')}s, but this is a ${blobType}; using auto for it.`;
  }
  let op: CopyOperation;
  let reason: string;
  if (sameAccount && blobType === 'BlockBlob' && size <= SAME_ACCOUNT_SYNC_MAX_BYTES) {
    op = 'copy-blob-from-url';
    reason = 'small block blob in the same account: Copy Blob From URL (synchronous, one call, no polling)';
  } else if (sameAccount) {
    op = 'copy-blob';
    reason = 'same account: Copy Blob copies on the server without moving bytes';
  } else if (blobType === 'AppendBlob') {
    op = 'append-block-from-url';
    reason = 'append blob across accounts';
  } else if (blobType === 'PageBlob') {
    op = 'put-page-from-url';
    reason = 'page blob across accounts: copies only the non-empty ranges';
  } else if (size <= SINGLE_CALL_MAX_BYTES) {
    op = 'put-blob-from-url';
    reason = `block blob ≤ ${SINGLE_CALL_MAX_BYTES / MiB} MiB across accounts: one call`;
  } else {
    op = 'put-block-from-url';
    reason = `block blob > ${SINGLE_CALL_MAX_BYTES / MiB} MiB across accounts: parallel ranges, resumable`;
  }
  for (let i = 0; i < 4 && lacks(op); i++) {
    const next = fallbackOperation(op, blobType, size, lacks);
    if (next === op) break;
    reason += `; the server lacks ${operationLabel(op)}, so ${operationLabel(next)}`;
    op = next;
  }
  return { operation: op, reason, warning };
}

/** Block blobs up to this size may run either one-call copy or Copy Blob, whichever an endpoint completes faster. */
const LEARNED_CHOICE_MAX_BYTES = SAME_ACCOUNT_SYNC_MAX_BYTES;

/**
 * The operations `auto` may choose between for one small block blob, the planned one first; [] when there is no
 * choice. Copy Blob is the alternative of a one-call copy (Copy Blob From URL, Put Blob From URL): on the service
 * it completes a small blob in its first response, and which of the two is faster depends on the server (Azurite
 * 3.37, 1 KiB, same account: Copy Blob From URL about twice as fast; across accounts about the same). A source read
 * with a bearer token (x-ms-copy-source-authorization) has no alternative: Copy Blob does not carry it.
 */
export function learnableAlternatives(planned: CopyOperation, blobType: BlobType, size: number, bearerSource: boolean): CopyOperation[] {
  if (blobType !== 'BlockBlob' || size > LEARNED_CHOICE_MAX_BYTES || bearerSource) return [];
  if (planned === 'copy-blob-from-url' || planned === 'put-blob-from-url') return [planned, 'copy-blob'];
  return [];
}

export interface OperationEstimate {
  /** Completed copies measured. */
  readonly samples: number;
  /** Exponentially weighted mean of their durations (ms): shown, not decided on (see OperationTimings). */
  readonly meanMs: number;
  /** Times the chooser picked the operation. */
  readonly picks: number;
  /** Copies per second of its last probe block. */
  readonly ratePerSecond?: number;
}

export interface TimingOptions {
  /** Small copies an endpoint runs with the planned operation before it probes (default DEFAULT_WARMUP: small batches never probe). */
  readonly warmup?: number;
  /** Copies in each probe block (default 64: two rounds of the 32 small copies in flight). */
  readonly block?: number;
  /** Copies between two probe rounds once decided, so a change in the server is noticed (default 5,000). */
  readonly remeasureEvery?: number;
  /**
   * The planned operation is kept unless another's probe rate × margin exceeds it (default 0.9: ≥ 11 % faster).
   */
  readonly margin?: number;
}

/** What the chooser picked for one small copy, and why. */
interface OperationPick {
  readonly operation: CopyOperation;
  readonly reason: string;
  /** Set for a probe copy: hand it back to record() (its completion counts for its probe block). */
  readonly probe?: number;
}

interface Block {
  readonly op: CopyOperation;
  started: number;
  picks: number;
  completed: number;
  last: number;
}

interface Round {
  readonly id: number;
  /** The plan's operation (the margin favours it); a confirming round probes the other one first. */
  readonly planned: CopyOperation;
  readonly blocks: Block[];
  /** Index of the block picks go to; blocks.length = all picked, waiting for their completions. */
  current: number;
  /** Picks made while waiting (a probe copy that fails never completes: the round is given up). */
  waited: number;
}

interface EndpointState {
  seen: number;
  rounds: number;
  round?: Round;
  decided?: CopyOperation;
  /** An operation one round measured clearly faster than the planned one: it is used once a second round agrees. */
  suspect?: CopyOperation;
  sinceDecision: number;
  reason: string;
  readonly ops: Map<CopyOperation, { samples: number; meanMs: number; picks: number; ratePerSecond?: number }>;
}

/**
 * Small copies to an endpoint before the first probe round. A probe runs a block with the slower operation (Copy
 * Blob, half the rate of Copy Blob From URL on Azurite in one account): at 128, a 1,000-blob copy spent ~5 % of
 * its time probing (W4: 0.81–0.85 of the bare SDK loop). From 2,000 on, only a large batch (or the second of two
 * 1,000-blob ones) probes, where one round costs well under 1 %.
 */
const DEFAULT_WARMUP = 2000;

/**
 * Which operation completes small copies faster, learned per endpoint (origin) from measurements — as
 * CapabilityCache learns a 501 per endpoint. The planned operation is the prior: an endpoint runs it for `warmup`
 * copies (a small batch never probes); then (from the 2,001st small copy to it) a probe round runs a block of `block` copies with each candidate, one
 * block after the other, and measures each block's rate (copies completed per second, from its first start to its
 * last completion); the faster one is used (the planned one unless another is faster by `margin` in two rounds in a
 * row, the second probed in the other order) until the next round, `remeasureEvery` copies later, so the choice
 * follows the server when it changes.
 *
 * Rates, not per-copy times, decide: copies in flight together share the server's queue, so a copy's time is mostly
 * waiting that both operations see alike (on Azurite, same account, Copy Blob measured faster per copy than Copy Blob
 * From URL while the bare SDK completed 1.5× more of the latter per second). The clock is injectable (tests).
 */
export class OperationTimings {
  private readonly byOrigin = new Map<string, EndpointState>();
  private readonly warmup: number;
  private readonly block: number;
  private readonly remeasureEvery: number;
  private readonly margin: number;

  constructor(
    options: TimingOptions = {},
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.warmup = Math.max(0, options.warmup ?? DEFAULT_WARMUP);
    this.block = Math.max(1, options.block ?? 64);
    this.remeasureEvery = Math.max(1, options.remeasureEvery ?? 5000);
    this.margin = Math.min(1, Math.max(0.1, options.margin ?? 0.9));
  }

  private state(origin: string): EndpointState {
    let e = this.byOrigin.get(origin);
    if (!e) this.byOrigin.set(origin, (e = { seen: 0, rounds: 0, sinceDecision: 0, reason: '', ops: new Map() }));
    return e;
  }

  private op(e: EndpointState, op: CopyOperation) {
    let o = e.ops.get(op);
    if (!o) e.ops.set(op, (o = { samples: 0, meanMs: 0, picks: 0 }));
    return o;
  }

  /** The operation for the next small copy to the endpoint among `candidates` (the planned one first). */
  pick(origin: string, candidates: readonly CopyOperation[]): OperationPick {
    const e = this.state(origin);
    e.seen++;
    const p = this.decide(e, candidates);
    this.op(e, p.operation).picks++;
    return p;
  }

  private decide(e: EndpointState, candidates: readonly CopyOperation[]): OperationPick {
    const planned = candidates[0];
    if (candidates.length < 2 || e.seen <= this.warmup) return { operation: planned, reason: 'planned (too few small copies to this endpoint to compare)' };
    const current = e.decided && candidates.includes(e.decided) ? e.decided : planned;
    if (!e.round && e.decided && e.sinceDecision < this.remeasureEvery) {
      e.sinceDecision++;
      return { operation: current, reason: e.reason };
    }
    // A confirming round probes in the other order, so what came first (or last) in a round does not decide.
    const order = e.suspect ? [...candidates].reverse() : candidates;
    e.round ??= { id: ++e.rounds, planned, blocks: order.map((op) => ({ op, started: 0, picks: 0, completed: 0, last: 0 })), current: 0, waited: 0 };
    const r = e.round;
    if (r.current < r.blocks.length) {
      const b = r.blocks[r.current];
      if (b.picks === 0) b.started = this.clock();
      b.picks++;
      if (b.picks >= this.block) r.current++;
      return { operation: b.op, reason: `probing ${operationLabel(b.op)} (block of ${this.block})`, probe: r.id };
    }
    // Every block picked: until their copies complete, the current choice.
    if (++r.waited > 4 * this.block) {
      e.round = undefined; // a probe copy failed (or hangs): give this round up, keep the current choice
      e.suspect = undefined;
      e.decided = current;
      e.sinceDecision = 0;
      e.reason = 'planned (a probe round did not complete)';
    }
    return { operation: current, reason: e.decided ? e.reason : 'planned (probes still running)' };
  }

  /** A copy with `op` to the endpoint completed in `ms`; `probe` is what pick() returned with it. */
  record(origin: string, op: CopyOperation, ms: number, probe?: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const e = this.state(origin);
    const o = this.op(e, op);
    o.meanMs = o.samples === 0 ? ms : o.meanMs + 0.1 * (ms - o.meanMs);
    o.samples++;
    const r = e.round;
    if (probe === undefined || !r || probe !== r.id) return;
    const b = r.blocks.find((x) => x.op === op);
    if (!b) return;
    b.completed++;
    b.last = this.clock();
    if (r.current < r.blocks.length || r.blocks.some((x) => x.completed < x.picks)) return;
    // Round complete: each block's rate, then the choice.
    const rates = r.blocks.map((x) => ({ op: x.op, rate: x.completed / Math.max(1e-3, (x.last - x.started) / 1000) }));
    for (const x of rates) this.op(e, x.op).ratePerSecond = x.rate;
    const planned = rates.find((x) => x.op === r.planned) ?? rates[0];
    const best = rates.reduce((a, c) => (c.rate > a.rate ? c : a));
    const chosen = best.op !== planned.op && best.rate * this.margin > planned.rate ? best : planned;
    const why = rates.map((x) => `${operationLabel(x.op)} ${x.rate.toFixed(0)}/s`).join(' vs ');
    e.round = undefined;
    if (chosen !== planned && e.suspect !== chosen.op && e.decided !== chosen.op) {
      // One block of each is a small sample (a listing page arriving or a GC can take 10 % off a block): leave the
      // planned operation only when a second round, probed in the other order, agrees. Measured on Azurite: one
      // round alone once chose Copy Blob, half as fast there, for 5,000 copies.
      e.suspect = chosen.op;
      e.sinceDecision = this.remeasureEvery; // the next pick starts the confirming round
      return;
    }
    e.suspect = undefined;
    e.decided = chosen.op;
    e.reason = chosen === planned ? `planned; not clearly slower on this endpoint (${why})` : `measured clearly faster on this endpoint, twice (${why})`;
    e.sinceDecision = 0;
  }

  /** What was measured for an endpoint (by operation). */
  estimates(origin: string): Partial<Record<CopyOperation, OperationEstimate>> {
    const e = this.byOrigin.get(origin);
    const out: Partial<Record<CopyOperation, OperationEstimate>> = {};
    for (const [op, o] of e?.ops ?? []) out[op] = { samples: o.samples, meanMs: o.meanMs, picks: o.picks, ratePerSecond: o.ratePerSecond };
    return out;
  }

  /** The operation chosen for the endpoint so far (undefined before a probe round completed). */
  chosen(origin: string): CopyOperation | undefined {
    return this.byOrigin.get(origin)?.decided;
  }

  /** Every endpoint's estimates. */
  all(): Record<string, Partial<Record<CopyOperation, OperationEstimate>>> {
    return Object.fromEntries([...this.byOrigin.keys()].map((o) => [o, this.estimates(o)]));
  }
}
