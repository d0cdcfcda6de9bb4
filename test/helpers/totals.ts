/**
 * Totals of a list of job views, as the panel's summary counts them: for tests that build a host message from a
 * handful of jobs (the extension gets its totals from the engine's batch counters).
 */
import { JOB_STATES } from '../../src/shared/vocabulary';
import type { JobStateName, JobTotals, JobView } from '../../src/shared/protocol';

export function computeTotals(jobs: Iterable<Pick<JobView, 'state' | 'bytesDone' | 'bytesTotal' | 'throughput'>>): JobTotals {
  const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobStateName, number>;
  let count = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let throughput = 0;
  for (const j of jobs) {
    count++;
    byState[j.state]++;
    bytesDone += j.bytesDone;
    bytesTotal += j.bytesTotal;
    if (j.state === 'running' || j.state === 'pending') throughput += j.throughput;
  }
  return { count, byState, bytesDone, bytesTotal, throughput };
}
