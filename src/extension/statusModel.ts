/**
 * What the status bar item shows while copies run, computed from the job snapshots (pure, no `vscode`): a small
 * tagged state, and its text and tooltip by a `switch` on it.
 */
import type { JobSnapshot } from '../core';
import { formatBytes, formatDuration, isActive, plural } from '../shared/vocabulary';

export type CopyStatus =
  | { readonly kind: 'idle' }
  | { readonly kind: 'copying'; readonly active: number; readonly bytesDone: number; readonly bytesTotal: number; readonly throughput: number; readonly failed: number };

/** Pure: the status of the batches that still have active jobs. */
export function computeStatus(jobs: readonly JobSnapshot[]): CopyStatus {
  const activeBatches = new Set(jobs.filter((j) => isActive(j.state)).map((j) => j.batchId));
  if (activeBatches.size === 0) return { kind: 'idle' };
  let active = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let throughput = 0;
  let failed = 0;
  for (const j of jobs) {
    if (!activeBatches.has(j.batchId)) continue;
    if (isActive(j.state)) {
      active++;
      throughput += j.throughput || 0;
    }
    if (j.state === 'failed') failed++;
    if (j.state === 'skipped') continue;
    bytesTotal += j.bytesTotal;
    bytesDone += j.state === 'succeeded' ? j.bytesTotal : Math.min(j.bytesDone, j.bytesTotal);
  }
  return { kind: 'copying', active, bytesDone, bytesTotal, throughput, failed };
}

export function statusText(status: CopyStatus): { text: string; tooltip: string } | undefined {
  switch (status.kind) {
    case 'idle':
      return undefined;
    case 'copying': {
      const pct = status.bytesTotal > 0 ? Math.floor((status.bytesDone / status.bytesTotal) * 100) : 0;
      const remaining = Math.max(0, status.bytesTotal - status.bytesDone);
      const eta = status.throughput > 0 ? formatDuration(remaining / status.throughput) : '—';
      const tooltip = [
        `Blob Copy: ${plural(status.active, 'job')} active${status.failed ? `, ${status.failed} failed` : ''}`,
        `${formatBytes(status.bytesDone)} of ${formatBytes(status.bytesTotal)} (${pct}%)`,
        `${status.throughput > 0 ? `${formatBytes(status.throughput)}/s · ` : ''}ETA ${eta}`,
        'Click to open Copy Jobs',
      ].join('\n');
      return { text: `$(sync~spin) ${status.active} copying · ${pct}%`, tooltip };
    }
    default: {
      const never: never = status;
      return never;
    }
  }
}
