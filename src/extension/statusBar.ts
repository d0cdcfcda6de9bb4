/**
 * The status bar item while copies run: "$(sync~spin) 3 copying · 42%", tooltip with bytes and ETA, click opens the
 * Copy Jobs panel, hidden when idle. Driven by a `switch` on a small tagged state, updated at most every 250 ms.
 */
import * as vscode from 'vscode';
import type { BatchSummary, JobSnapshot } from '../core';
import { COMMANDS } from './commands/ids';
import { computeStatus, statusText, type CopyStatus } from './statusModel';

export class CopyStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = 0;
  status: CopyStatus = { kind: 'idle' };

  constructor(
    private readonly jobs: () => readonly JobSnapshot[],
    private readonly batchOf: (batchId: string) => BatchSummary | undefined,
    private readonly batches: () => readonly BatchSummary[],
    private readonly throttleMs = 250,
  ) {
    this.item = vscode.window.createStatusBarItem('blobCopy.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Blob Copy';
    this.item.command = COMMANDS.openJobs;
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
    this.status = computeStatus(this.jobs(), this.batchOf, this.batches());
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
