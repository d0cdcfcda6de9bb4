/**
 * What the status bar item shows while copies run, computed from the job snapshots and the batches' counters (pure,
 * no `vscode`): a small tagged state, and its text and tooltip by a `switch` on it.
 */
import type { BatchSummary, JobSnapshot } from '../core';
import { formatBytes, formatDuration, isActive, plural } from '../shared/vocabulary';

export type CopyStatus =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'copying';
      readonly active: number;
      readonly bytesDone: number;
      readonly bytesTotal: number;
      readonly throughput: number;
      readonly failed: number;
      /** Active jobs waiting for storage to answer again (an outage or throttling), and the first one's reason. */
      readonly waiting: number;
      readonly waitingReason?: string;
      /** A batch's listing waits for storage (an outage): why (the first such batch's reason). */
      readonly listingWaiting?: string;
    };

/**
 * Pure: the status of the batches that still have active jobs. Bytes and failures come from the engine's counters of
 * each such batch (`batchOf`) when it has them: they count every job of the batch, where the listed jobs are only the
 * live ones and the most recent finished (a percentage over those said nothing of a batch of thousands). Active jobs,
 * speed and waits come from the live jobs, plus a large batch's live jobs not reported one by one
 * (`BatchSummary.unreported`: such a batch of `batches` is active without a listed job), and a batch whose listing
 * waits out an outage (`BatchSummary.listingWaiting`: active too, though all its listed jobs may be done).
 */
export function computeStatus(jobs: readonly JobSnapshot[], batchOf: (batchId: string) => BatchSummary | undefined = () => undefined, batches: readonly BatchSummary[] = []): CopyStatus {
  const activeBatches = new Set(jobs.filter((j) => isActive(j.state)).map((j) => j.batchId));
  let listingWaiting: string | undefined;
  for (const b of batches) {
    if (b.done) continue;
    if (b.unreported || b.listingWaiting) activeBatches.add(b.batchId);
    listingWaiting ??= b.listingWaiting?.reason;
  }
  if (activeBatches.size === 0) return { kind: 'idle' };
  let active = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let throughput = 0;
  let failed = 0;
  let waiting = 0;
  let waitingReason: string | undefined;
  const counted = new Set<string>();
  for (const id of activeBatches) {
    const b = batchOf(id);
    if (!b) continue;
    counted.add(id);
    active += b.unreported ?? 0;
    bytesDone += b.bytes;
    bytesTotal += b.bytesTotal ?? 0;
    failed += b.failed;
  }
  for (const j of jobs) {
    if (!activeBatches.has(j.batchId)) continue;
    if (isActive(j.state)) {
      active++;
      throughput += j.throughput || 0;
      if (j.waiting) {
        waiting++;
        waitingReason ??= j.waiting.reason;
      }
    }
    if (counted.has(j.batchId)) continue;
    if (j.state === 'failed') failed++;
    if (j.state === 'skipped') continue;
    bytesTotal += j.bytesTotal;
    bytesDone += j.state === 'succeeded' ? j.bytesTotal : Math.min(j.bytesDone, j.bytesTotal);
  }
  return {
    kind: 'copying',
    active,
    bytesDone: Math.min(bytesDone, bytesTotal),
    bytesTotal,
    throughput,
    failed,
    waiting,
    ...(waitingReason !== undefined ? { waitingReason } : {}),
    ...(listingWaiting !== undefined ? { listingWaiting } : {}),
  };
}

export function statusText(status: CopyStatus): { text: string; tooltip: string } | undefined {
  switch (status.kind) {
    case 'idle':
      return undefined;
    case 'copying': {
      const pct = status.bytesTotal > 0 ? Math.floor((status.bytesDone / status.bytesTotal) * 100) : 0;
      const remaining = Math.max(0, status.bytesTotal - status.bytesDone);
      const eta = status.throughput > 0 ? formatDuration(remaining / status.throughput) : '—';
      const waits = status.waiting > 0 || status.listingWaiting !== undefined;
      const tooltip = [
        `Blob Copy: ${plural(status.active, 'job')} active${status.failed ? `, ${status.failed} failed` : ''}`,
        ...(status.waiting > 0 ? [`${plural(status.waiting, 'job')} waiting for storage${status.waitingReason ? ` (${status.waitingReason})` : ''}; they continue when it answers`] : []),
        ...(status.listingWaiting !== undefined ? [`The listing waits for storage (${status.listingWaiting}); it lists on when it answers`] : []),
        `${formatBytes(status.bytesDone)} of ${formatBytes(status.bytesTotal)} (${pct}%)`,
        `${status.throughput > 0 ? `${formatBytes(status.throughput)}/s · ` : ''}ETA ${eta}`,
        'Click to open Copy Jobs',
      ].join('\n');
      // A batch whose listed jobs are all done may still wait to list on: it is listing, not copying.
      if (waits) return { text: `$(watch) ${status.active > 0 ? `${status.active} copying` : 'listing'} · ${pct}% · waiting for storage`, tooltip };
      return { text: `$(sync~spin) ${status.active} copying · ${pct}%`, tooltip };
    }
    default: {
      const never: never = status;
      return never;
    }
  }
}
