/**
 * Webview-only formatting helpers (no DOM, unit-testable). Sizes, rates, durations and operation labels come from
 * the one vocabulary, src/shared/vocabulary.ts (formatBytes, formatRate, formatDuration, operationLabel).
 */
import { assertNever, type JobStateName } from '../shared/protocol';

/** Time left at the current rate, or undefined when it cannot be told. */
export function etaSeconds(bytesDone: number, bytesTotal: number, throughput: number): number | undefined {
  if (throughput <= 0 || bytesTotal <= 0 || bytesDone >= bytesTotal) return undefined;
  return (bytesTotal - bytesDone) / throughput;
}

export function percent(bytesDone: number, bytesTotal: number): number {
  if (bytesTotal <= 0) return 0;
  return Math.max(0, Math.min(100, (bytesDone / bytesTotal) * 100));
}

interface StateInfo {
  readonly label: string;
  /** Codicon name. */
  readonly icon: string;
  readonly spin: boolean;
  /** Tooltip. */
  readonly description: string;
}

export function stateInfo(state: JobStateName): StateInfo {
  switch (state) {
    case 'queued':
      return { label: 'Queued', icon: 'clock', spin: false, description: 'Waiting for a free slot' };
    case 'running':
      return { label: 'Copying', icon: 'sync', spin: true, description: 'Copying now' };
    case 'pending':
      return { label: 'Pending', icon: 'cloud-upload', spin: false, description: 'Copy Blob accepted; the service is still copying' };
    case 'succeeded':
      return { label: 'Done', icon: 'pass', spin: false, description: 'Copied' };
    case 'skipped':
      return { label: 'Skipped', icon: 'debug-step-over', spin: false, description: 'Skipped: the destination exists and the conflict policy kept it' };
    case 'failed':
      return { label: 'Failed', icon: 'error', spin: false, description: 'The copy failed; see the error below' };
    case 'canceled':
      return { label: 'Canceled', icon: 'circle-slash', spin: false, description: 'Canceled before it finished' };
    case 'aborted':
      return { label: 'Aborted', icon: 'stop-circle', spin: false, description: 'The pending service-side copy was aborted' };
    default:
      return assertNever(state, 'state');
  }
}

/** The state cell of a job that waits for storage (it is still running or pending underneath). */
export function waitingStateInfo(reason: string): StateInfo {
  return {
    label: 'Waiting',
    icon: 'watch',
    spin: false,
    description: `Waiting for storage (${reason}): the copy continues from the work already done when it answers`,
  };
}

/** The last path segment of a URL or blob path, for compact labels. */
export function shortName(path: string): string {
  const clean = path.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return clean.slice(clean.lastIndexOf('/') + 1) || clean;
}
