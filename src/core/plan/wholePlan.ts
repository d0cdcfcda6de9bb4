/**
 * A plan made to the end before anything is copied: the whole plan in memory (planCopy: what a confirmation lists, and
 * small copies) or its totals without its items (summarizePlan: a move's, a dry run's, a sync preview's), with the
 * cost preview, the refusals and the outages its listing waited out. The pages come from planner.ts.
 */
import { randomUUID } from 'node:crypto';
import { RefusalList } from '../base/refusals';
import { DEFAULT_BLOCK_SIZE } from '../base/defaults';
import { PlanTotals } from '../base/conflictPolicy';
import { CostEstimate, type CostValue } from './cost';
import { planPagesThroughOutages, type PlannerContext } from './planner';
import type { CopyPlan, CopyRequest, PlannedCopy, PlanWaits, Refusals, SyncTally } from '../base/types';

/**
 * The whole plan in memory (what a confirmation lists, and small copies): summarizePlan's pass, its items kept. Large
 * copies stream: see planPages.
 */
export async function planCopy(ctx: PlannerContext, request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan> {
  const items: PlannedCopy[] = [];
  const { totals, warnings, cost, refused, waitedForStorage } = await summarizePlan(ctx, request, signal, (page) => items.push(...page));
  return { id: randomUUID(), request, items, totals, warnings, cost, refused, ...(waitedForStorage ? { waitedForStorage } : {}) };
}

/** The outages a plan waited out, for its result (the CLI's --json `waitedForStorage`). */
class PlanWaitTally {
  private longestMs = 0;
  private readonly reasons = new Set<string>();
  readonly add = (reason: string, ms: number): void => {
    this.reasons.add(reason);
    this.longestMs = Math.max(this.longestMs, ms);
  };
  value(): { waitedForStorage?: PlanWaits } {
    return this.reasons.size ? { waitedForStorage: { longestSeconds: Math.round(this.longestMs / 1000), reasons: [...this.reasons] } } : {};
  }
}

/** Totals of a plan without keeping its items: count, bytes, conflicts, and its items while at most `keepItems` (onPage). */
export async function summarizePlan(
  ctx: PlannerContext,
  request: CopyRequest,
  signal?: AbortSignal,
  onPage?: PlanPageListener,
  keepItems = Infinity,
): Promise<PlanSummary> {
  const totals = new PlanTotals();
  let listed = 0;
  const cost = costEstimateFor(ctx, request);
  const refused = new RefusalList();
  let warnings: ReadonlySet<string> = new Set();
  let sync: SyncTally | undefined;
  const toleranceSeconds = Math.round((ctx.outages?.toleranceMs ?? 0) / 1000);
  const onWait = onPage && ((reason: string) => onPage([], 0, { reason, toleranceSeconds }));
  const waits = new PlanWaitTally();
  for await (const page of planPagesThroughOutages(ctx, request, signal, undefined, { onWait, onWaited: waits.add })) {
    totals.add(page.items);
    refused.add(page.refused);
    cost.add(page.items);
    cost.planned(page.calls);
    listed += page.items.length;
    onPage?.(listed <= keepItems ? page.items : [], page.items.length);
    warnings = page.warnings;
    sync = page.sync ?? sync;
  }
  return { totals: totals.value(), warnings: [...warnings], cost: cost.value(), refused: refused.value(), ...(sync ? { sync } : {}), ...waits.value() };
}

/**
 * Sees each page of a summarized plan as it is planned: its blob count, and its items while the plan so far holds at
 * most `keepItems` (past that, none: a caller that keeps no plan of millions is not sent millions of items). Called
 * with no items and `waiting` when the plan starts to wait out an outage (the next page says it goes on).
 */
export type PlanPageListener = (items: readonly PlannedCopy[], count: number, waiting?: PlanWaiting) => void;

/** Why a plan waits for storage, and for how long at most (seconds). */
export interface PlanWaiting {
  readonly reason: string;
  readonly toleranceSeconds: number;
}

/** A plan's totals without its items (see summarizePlan). */
export interface PlanSummary {
  totals: CopyPlan['totals'];
  warnings: string[];
  cost: CostValue;
  /** Blobs listed but not planned. */
  refused?: Refusals;
  /** A sync's groups: counts, bytes and first names of new, changed, same and extra. */
  sync?: SyncTally;
  /** Outages the plan's listing waited out. */
  waitedForStorage?: PlanWaits;
}

/**
 * The cost preview of a request's plan, with the engine's block size. The items it is fed are planned with the
 * request's conflict policy (default overwrite); a policy chosen later (the conflict question) skips more, so the
 * preview is then an upper bound.
 */
function costEstimateFor(ctx: PlannerContext, request: CopyRequest): CostEstimate {
  const o = request.options ?? {};
  return new CostEstimate({ blockSizeBytes: ctx.blockSize ?? DEFAULT_BLOCK_SIZE, tags: o.tags !== false, move: o.move === true });
}
