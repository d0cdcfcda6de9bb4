/** Conflict policies applied to a plan: pure, without the storage SDK (the extension applies them before the engine runs). */
import type { ConflictPolicy, CopyPlan, PlannedCopy } from './types';

/** Pure: re-decides every item's action (and destination) for a conflict policy. */
export function withConflictPolicy(plan: CopyPlan, policy: ConflictPolicy): CopyPlan {
  const items = plan.items.map((item) => decide(item, policy));
  return {
    ...plan,
    request: { ...plan.request, options: { ...plan.request.options, conflict: policy } },
    items,
    totals: totalsOf(items),
  };
}

/** One item's action and destination under a policy. */
export function decide(item: PlannedCopy, policy: ConflictPolicy): PlannedCopy {
  const intended = item.intendedDestination ?? item.destination;
  let action: PlannedCopy['action'];
  if (item.conflict === 'none') action = 'copy';
  else if (policy === 'overwrite') action = 'copy';
  else if (policy === 'skip') action = 'skip';
  else if (policy === 'rename') action = item.renameDestination ? 'rename' : 'skip';
  else action = item.conflict === 'exists-older' ? 'copy' : 'skip';
  const destination = action === 'rename' && item.renameDestination ? item.renameDestination : intended;
  return { ...item, action, destination, intendedDestination: intended };
}

/** A plan's totals (count, bytes to copy, conflicts, skipped) as its items arrive: no item is kept. */
export class PlanTotals {
  count = 0;
  bytes = 0;
  conflicts = 0;
  skipped = 0;
  add(items: readonly PlannedCopy[]): void {
    for (const i of items) {
      this.count++;
      if (i.action === 'skip') this.skipped++;
      else this.bytes += i.size;
      if (i.conflict !== 'none') this.conflicts++;
    }
  }
  value(): CopyPlan['totals'] {
    return { count: this.count, bytes: this.bytes, conflicts: this.conflicts, skipped: this.skipped };
  }
}

/** The totals of items in hand (PlanTotals' rule). */
function totalsOf(items: readonly PlannedCopy[]): CopyPlan['totals'] {
  const t = new PlanTotals();
  t.add(items);
  return t.value();
}
