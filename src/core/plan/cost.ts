/**
 * Cost preview: how many REST calls a copy makes, per operation, and how many bytes stay inside one
 * account or cross accounts. Pure and streaming-friendly: fed a plan's pages as they are planned, it keeps counters
 * only, never the items. The calls per blob are the ones the operation modules (operations/*.ts), the source
 * preparation (source.ts), the verification (verify.ts) and a move (move.ts) make on a first attempt without
 * failures; retries, throttling and resumes add calls that no plan can know.
 */
import { operationModule } from '../operations';
import type { CallRange, CostValue, PlannedCopy } from '../base/types';

export type { CallRange, CostValue } from '../base/types';
import { formatBytes, formatCount, REST_CALLS, type CopyOperation, type RestCall } from '../../shared/vocabulary';

interface CostOptions {
  /** The block size the engine will use for Put Block From URL (its configured default). */
  readonly blockSizeBytes: number;
  /** Blob index tags are carried (CopyOptions.tags, default true). */
  readonly tags?: boolean;
  /** A move: each source is deleted after its verified copy. */
  readonly move?: boolean;
}


/** Accumulates the calls of a plan, page by page (add), plus the planning calls the planner reports (planned). */
export class CostEstimate {
  private readonly min = new Map<RestCall, number>();
  private readonly max = new Map<RestCall, number>();
  private planningCalls: ReadonlyMap<RestCall, number> = new Map();
  private sameAccount = 0;
  private crossAccount = 0;
  private mayPoll = 0;

  constructor(private readonly options: CostOptions) {}

  /** One page of planned items. */
  add(items: readonly PlannedCopy[]): void {
    for (const item of items) this.addItem(item);
  }

  /** The planning calls so far (cumulative: the planner's latest count replaces the previous one). */
  planned(calls: ReadonlyMap<RestCall, number>): void {
    this.planningCalls = new Map(calls);
  }

  value(): CostValue {
    const requests: Partial<Record<RestCall, number>> = {};
    const ranges: Partial<Record<RestCall, CallRange>> = {};
    const planning: Partial<Record<RestCall, number>> = {};
    for (const call of REST_CALLS) {
      const p = this.planningCalls.get(call) ?? 0;
      const min = (this.min.get(call) ?? 0) + p;
      const max = (this.max.get(call) ?? 0) + p;
      if (p > 0) planning[call] = p;
      if (max > 0) requests[call] = max;
      if (min !== max) ranges[call] = { min, max };
    }
    return { requests, ranges, planning, bytes: { sameAccount: this.sameAccount, crossAccount: this.crossAccount }, mayPoll: this.mayPoll };
  }

  private count(call: RestCall, min: number, max = min): void {
    if (max <= 0) return;
    this.min.set(call, (this.min.get(call) ?? 0) + min);
    this.max.set(call, (this.max.get(call) ?? 0) + max);
  }

  private addItem(item: PlannedCopy): void {
    if (item.action === 'skip') return;
    const size = item.size;
    if (item.sameAccount) this.sameAccount += size;
    else this.crossAccount += size;
    const tagsOn = this.options.tags !== false;
    // source.ts: a listed blob's properties come from the listing; other sources are read with one HEAD, and their
    // tags with Get Blob Tags when the HEAD says they have some.
    const listed = item.sourceProperties?.tagsKnown === true && item.sourceEtag !== undefined;
    let tags: 'yes' | 'no' | 'maybe' = 'no';
    if (tagsOn) tags = listed ? (Object.keys(item.sourceProperties?.tags ?? {}).length > 0 ? 'yes' : 'no') : 'maybe';
    if (!listed) {
      this.count('Get Blob Properties', 1);
      if (tags === 'maybe') this.count('Get Blob Tags', 0, 1);
    }
    const mod = operationModule(item.operation ?? defaultOperation(item));
    for (const [call, certain, maybe] of mod.calls(size, this.options.blockSizeBytes)) this.count(call, certain, maybe);
    if (mod.polls) this.mayPoll++;
    const oneCall = mod.oneCall === true;
    if (!oneCall) {
      // verify.ts: one HEAD of the destination; tags are set afterwards (only the one-call operations carry them).
      this.count('Get Blob Properties', 1);
      if (tags === 'yes') this.count('Set Blob Tags', 1);
      else if (tags === 'maybe') this.count('Set Blob Tags', 0, 1);
    }
    if (this.options.move) {
      this.count('Get Blob Properties', 1); // the destination, verified again before the delete
      this.count('Delete Blob', 1);
    }
  }
}

/** Plans made before operations were recorded name only the strategy. */
function defaultOperation(item: PlannedCopy): CopyOperation {
  return item.strategy;
}

/** "1,204 × Copy Blob, up to 40 × Put Page From URL, 7 × List Blobs". */
export function describeRequests(cost: CostValue): string {
  const parts: string[] = [];
  for (const call of REST_CALLS) {
    const n = cost.requests[call];
    if (!n) continue;
    const r = cost.ranges[call];
    const count = r ? (r.min === 0 ? `up to ${formatCount(r.max)}` : `${formatCount(r.min)}–${formatCount(r.max)}`) : formatCount(n);
    parts.push(`${count} × ${call}`);
  }
  return parts.length ? parts.join(', ') : 'none';
}

/** The bytes line: within one account, across accounts, and none through this machine. */
export function describeBytes(cost: CostValue): string {
  const { sameAccount, crossAccount } = cost.bytes;
  const within = `${formatBytes(sameAccount)} stay inside one account`;
  const across = crossAccount > 0 ? `${formatBytes(crossAccount)} cross accounts (billed as egress when the accounts are in different regions)` : 'none cross accounts';
  return `${within}; ${across}. No bytes pass through this machine.`;
}

/** The calls still to come when the plan's listing is already done (a copy started from a plan held in memory). */
export function withoutPlanning(cost: CostValue): CostValue {
  const requests: Partial<Record<RestCall, number>> = {};
  const ranges: Partial<Record<RestCall, CallRange>> = {};
  for (const call of REST_CALLS) {
    const p = cost.planning[call] ?? 0;
    const n = (cost.requests[call] ?? 0) - p;
    if (n > 0) requests[call] = n;
    const r = cost.ranges[call];
    if (r) ranges[call] = { min: r.min - p, max: r.max - p };
  }
  return { ...cost, requests, ranges, planning: {} };
}

/** The whole preview, as lines (CLI dry run, confirmations). */
export function describeCost(cost: CostValue): string[] {
  const lines = [`REST calls: ${describeRequests(cost)}.`];
  if (cost.mayPoll > 0) lines.push(`Plus status polls (Get Blob Properties) while any of the ${formatCount(cost.mayPoll)} Copy Blob call(s) stays pending.`);
  lines.push(`Bytes: ${describeBytes(cost)}`);
  return lines;
}
