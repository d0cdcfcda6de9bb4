/**
 * Which REST operation copies a blob: the rules of `auto`, the fallback when a server lacks an operation (501), and
 * the per-server memory of what it lacks. Pure: no I/O.
 */
import { LIMITS } from './limits';
import type { CopyOperation, StrategyChoice } from './types';
import { OPERATION_INFO, operationLabel, strategyFits, type BlobType } from '../shared/vocabulary';

const MiB = 1024 * 1024;

/**
 * Largest block blob that `auto` copies across accounts in one call (Put Blob From URL, or Copy Blob From URL where
 * the server lacks it). Above it, Put Block From URL with parallel ranges: resumable, and as fast on Azurite
 * (1 GiB: 16.5–16.9 s for parallel ranges vs 16.3 s for a plain upload). 256 MiB is also Copy Blob From URL's limit.
 */
export const SINGLE_CALL_MAX_BYTES = 256 * MiB;

/**
 * Same account, block blobs up to this size: Copy Blob From URL (synchronous: no polling, done when it answers).
 * Measured on Azurite 3.37 (500 × 4 KiB, 32 in flight, loaded 2-core machine): Copy Blob From URL 345/s, Copy Blob
 * (begin + poll) 169/s. Larger blobs use Copy Blob, which references the source without moving bytes (1 GiB: 0.01 s).
 */
export const SAME_ACCOUNT_SYNC_MAX_BYTES = 4 * MiB;

/** Which operations a server (keyed by endpoint origin) answered 501 APINotImplemented to. */
export class CapabilityCache {
  private readonly missing = new Map<string, Set<CopyOperation>>();
  lacks(origin: string, op: CopyOperation): boolean {
    return this.missing.get(origin)?.has(op) ?? false;
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

export interface Choice {
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
export const LEARNED_CHOICE_MAX_BYTES = SAME_ACCOUNT_SYNC_MAX_BYTES;

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
  /** Exponentially weighted mean of their durations (ms). */
  readonly meanMs: number;
  /** Times the chooser picked the operation. */
  readonly picks: number;
}

export interface TimingOptions {
  /** Small copies an endpoint runs with the planned operation before the chooser compares (default 64). */
  readonly warmup?: number;
  /** Copies each candidate gets before the comparison counts (default 16). */
  readonly probe?: number;
  /** After probing, every n-th pick goes to the slower candidate, so a change is noticed (default 200: at most ~1 % of copies run the slower one). */
  readonly exploreEvery?: number;
  /** Weight of a new sample in the mean (default 0.1). */
  readonly alpha?: number;
  /**
   * How much faster (mean duration ratio) an operation must measure to replace the planned one (default 0.8: 20 %
   * faster). Copies in flight together share the server's queue, so most of a copy's time is waiting that both
   * operations see alike; without a margin that noise flipped the choice (Azurite, same account: Copy Blob measured
   * within a few % of Copy Blob From URL per copy while the bare SDK completed 1.5× more of the latter per second).
   */
  readonly margin?: number;
}

/**
 * Which operation completes small copies faster, learned per endpoint (origin) from measured durations — as
 * CapabilityCache learns a 501 per endpoint. The planned operation is the prior: an endpoint runs it for `warmup`
 * copies (a small batch never probes), then each candidate is tried `probe` times, then the faster mean wins (the
 * planned one unless another measures faster by `margin`), and
 * every `exploreEvery`-th pick measures the other one again, so the choice follows the server when it changes.
 * Durations come from the caller (the runner's clock, or a test's): the class keeps no clock.
 */
export class OperationTimings {
  private readonly byOrigin = new Map<string, { seen: number; picks: number; ops: Map<CopyOperation, { samples: number; meanMs: number; picks: number }> }>();
  private readonly warmup: number;
  private readonly probe: number;
  private readonly exploreEvery: number;
  private readonly alpha: number;
  private readonly margin: number;

  constructor(options: TimingOptions = {}) {
    this.warmup = Math.max(0, options.warmup ?? 64);
    this.probe = Math.max(1, options.probe ?? 16);
    this.exploreEvery = Math.max(2, options.exploreEvery ?? 200);
    this.alpha = Math.min(1, Math.max(0.01, options.alpha ?? 0.1));
    this.margin = Math.min(1, Math.max(0.1, options.margin ?? 0.8));
  }

  private entry(origin: string) {
    let e = this.byOrigin.get(origin);
    if (!e) this.byOrigin.set(origin, (e = { seen: 0, picks: 0, ops: new Map() }));
    return e;
  }

  private op(origin: string, op: CopyOperation) {
    const ops = this.entry(origin).ops;
    let o = ops.get(op);
    if (!o) ops.set(op, (o = { samples: 0, meanMs: 0, picks: 0 }));
    return o;
  }

  /** A copy with `op` to the endpoint completed in `ms`. */
  record(origin: string, op: CopyOperation, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const o = this.op(origin, op);
    o.meanMs = o.samples === 0 ? ms : o.meanMs + this.alpha * (ms - o.meanMs);
    o.samples++;
  }

  /**
   * The operation for the next small copy to the endpoint among `candidates` (the planned one first). Counts the
   * pick, so copies started together spread over the candidates while probing.
   */
  pick(origin: string, candidates: readonly CopyOperation[]): { operation: CopyOperation; reason: string } {
    const e = this.entry(origin);
    e.seen++;
    const chosen = this.decide(e.seen, e.picks, origin, candidates);
    if (chosen.counted) e.picks++;
    this.op(origin, chosen.operation).picks++;
    return { operation: chosen.operation, reason: chosen.reason };
  }

  private decide(seen: number, picks: number, origin: string, candidates: readonly CopyOperation[]): { operation: CopyOperation; reason: string; counted: boolean } {
    const planned = candidates[0];
    if (candidates.length < 2 || seen <= this.warmup) return { operation: planned, reason: 'planned (too few small copies to this endpoint to compare)', counted: false };
    const stats = candidates.map((c) => ({ c, ...this.op(origin, c) }));
    const probing = stats.filter((s) => s.picks < this.probe).sort((a, b) => a.picks - b.picks)[0];
    if (probing) return { operation: probing.c, reason: 'probing which operation this endpoint completes faster', counted: true };
    const measured = stats.filter((s) => s.samples > 0);
    if (measured.length < candidates.length) {
      // Probes still in flight: the planned operation until every candidate has a measurement.
      return { operation: planned, reason: 'planned (probes still running)', counted: true };
    }
    // The planned operation's mean counts as if `margin` times lower: another one must be clearly faster.
    const score = (s: (typeof measured)[number]) => (s.c === planned ? s.meanMs * this.margin : s.meanMs);
    const sorted = [...measured].sort((a, b) => score(a) - score(b));
    if ((picks + 1) % this.exploreEvery === 0) {
      const other = sorted[sorted.length - 1];
      return { operation: other.c, reason: `re-measuring ${operationLabel(other.c)} (${other.meanMs.toFixed(1)} ms)`, counted: true };
    }
    const best = sorted[0];
    const why = sorted.map((s) => `${operationLabel(s.c)} ${s.meanMs.toFixed(1)} ms`).join(' vs ');
    return { operation: best.c, reason: best.c === planned ? `planned; not clearly slower on this endpoint (${why})` : `measured clearly faster on this endpoint (${why})`, counted: true };
  }

  /** What was measured for an endpoint (by operation). */
  estimates(origin: string): Partial<Record<CopyOperation, OperationEstimate>> {
    const e = this.byOrigin.get(origin);
    const out: Partial<Record<CopyOperation, OperationEstimate>> = {};
    for (const [op, o] of e?.ops ?? []) out[op] = { samples: o.samples, meanMs: o.meanMs, picks: o.picks };
    return out;
  }

  /** Every endpoint's estimates. */
  all(): Record<string, Partial<Record<CopyOperation, OperationEstimate>>> {
    return Object.fromEntries([...this.byOrigin.keys()].map((o) => [o, this.estimates(o)]));
  }
}
