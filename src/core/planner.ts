import type { ConflictPolicy, CopyPlan } from './types';

/** Pure: re-decides each item's action for a conflict policy (stub until the planner lands). */
export function withConflictPolicy(plan: CopyPlan, _policy: ConflictPolicy): CopyPlan {
  return plan;
}
