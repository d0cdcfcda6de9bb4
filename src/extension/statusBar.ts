/**
 * The status bar item while copies run: "$(sync~spin) 3 copying · 42%", tooltip with bytes and ETA, click opens the
 * Copy Jobs panel, hidden when idle. Driven by a `switch` on a small tagged state, updated at most every 250 ms.
 */
import * as vscode from 'vscode';
import type { JobSnapshot } from '../core';
import { formatBytes, formatDuration } from './format';

export type CopyStatus =
  | { readonly kind: 'idle' }
  | { readonly kind: 'copying'; readonly active: number; readonly bytesDone: number; readonly bytesTotal: number; readonly throughput: number; readonly failed: number };

const ACTIVE = new Set<string>(['queued', 'running', 'pending']);

/** Pure: the status of the batches that still have active jobs. */
export function computeStatus(jobs: readonly JobSnapshot[]): CopyStatus {
  const activeBatches = new Set(jobs.filter((j) => ACTIVE.has(j.state)).map((j) => j.batchId));
  if (activeBatches.size === 0) return { kind: 'idle' };
  let active = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  let throughput = 0;
  let failed = 0;
  for (const j of jobs) {
    if (!activeBatches.has(j.batchId)) continue;
    if (ACTIVE.has(j.state)) {
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
        `Blob Copy: ${status.active} job${status.active === 1 ? '' : 's'} active${status.failed ? `, ${status.failed} failed` : ''}`,
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

export class CopyStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;
  status: CopyStatus = { kind: 'idle' };

  constructor(
    private readonly jobs: () => readonly JobSnapshot[],
    private readonly throttleMs = 250,
  ) {
    this.item = vscode.window.createStatusBarItem('blobCopy.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Blob Copy';
    this.item.command = 'blobCopy.openJobs';
  }

  /** Call on every job event: coalesced to one render per throttle window. */
  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.throttleMs - (Date.now() - this.last));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, wait);
  }

  render(): void {
    this.last = Date.now();
    this.status = computeStatus(this.jobs());
    const view = statusText(this.status);
    if (!view) {
      this.item.hide();
      return;
    }
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.show();
  }

  /** What the item shows now (for tests): undefined when hidden. */
  get text(): string | undefined {
    return statusText(this.status)?.text;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.item.dispose();
  }
}
