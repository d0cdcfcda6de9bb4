/** Pure formatting helpers for the Copy Jobs webview (no DOM, unit-testable). */
import { assertNever, type JobStateName, type StrategyName } from '../shared/protocol';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; 0 → "0 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '—';
}

/** Seconds → "45 s", "3 min 20 s", "1 h 05 min", "2 d 3 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '< 1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Time left at the current rate, or undefined when it cannot be told. */
export function etaSeconds(bytesDone: number, bytesTotal: number, throughput: number): number | undefined {
  if (throughput <= 0 || bytesTotal <= 0 || bytesDone >= bytesTotal) return undefined;
  return (bytesTotal - bytesDone) / throughput;
}

export function percent(bytesDone: number, bytesTotal: number): number {
  if (bytesTotal <= 0) return 0;
  return Math.max(0, Math.min(100, (bytesDone / bytesTotal) * 100));
}

export function strategyLabel(strategy: StrategyName): string {
  switch (strategy) {
    case 'put-blob-from-url':
      return 'Put Blob from URL';
    case 'put-block-from-url':
      return 'Put Block from URL';
    case 'copy-blob':
      return 'Copy Blob';
    case 'append-block-from-url':
      return 'Append Block from URL';
    case 'put-page-from-url':
      return 'Put Page from URL';
    default:
      return assertNever(strategy, 'strategy');
  }
}

export interface StateInfo {
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

/** The last path segment of a URL or blob path, for compact labels. */
export function shortName(path: string): string {
  const clean = path.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return clean.slice(clean.lastIndexOf('/') + 1) || clean;
}
