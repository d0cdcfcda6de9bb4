/**
 * One vocabulary for core, extension, webview and CLI: copy operations (ids, labels, which blob types they fit),
 * job states (active / final), and the formatting of sizes, counts and durations. No `vscode`, no DOM, no Node API:
 * the webview bundles it too.
 */

// ---------------------------------------------------------------------------------------------------------------
// copy operations

export type BlobType = 'BlockBlob' | 'AppendBlob' | 'PageBlob';

/** The five operations a user can choose ("strategies"). */
export const STRATEGIES = ['put-blob-from-url', 'put-block-from-url', 'copy-blob', 'append-block-from-url', 'put-page-from-url'] as const;
export type StrategyId = (typeof STRATEGIES)[number];
export type StrategyChoice = 'auto' | StrategyId;

/** REST operations the engine runs: the five strategies plus Copy Blob From URL (x-ms-requires-sync), ≤ 256 MiB. */
export const OPERATIONS = [...STRATEGIES, 'copy-blob-from-url'] as const;
export type CopyOperation = (typeof OPERATIONS)[number];

interface OperationInfo {
  /** The REST operation's name, as in the Azure REST reference. */
  readonly label: string;
  /** One line on what it does, for pickers. */
  readonly detail: string;
  /** Destination blob types it can write. */
  readonly fits: readonly BlobType[];
  /** The strategy a user chooses to get it (Copy Blob From URL is the synchronous form of Copy Blob). */
  readonly strategy: StrategyId;
}

export const OPERATION_INFO: Readonly<Record<CopyOperation, OperationInfo>> = {
  'put-blob-from-url': {
    label: 'Put Blob From URL',
    detail: 'One synchronous call; block blobs up to 5000 MiB',
    fits: ['BlockBlob'],
    strategy: 'put-blob-from-url',
  },
  'put-block-from-url': {
    label: 'Put Block From URL + Put Block List',
    detail: 'Parallel blocks; block blobs of any size',
    fits: ['BlockBlob'],
    strategy: 'put-block-from-url',
  },
  'copy-blob': {
    label: 'Copy Blob',
    detail: 'The service copies in the background; can stay pending and be aborted',
    fits: ['BlockBlob', 'AppendBlob', 'PageBlob'],
    strategy: 'copy-blob',
  },
  'copy-blob-from-url': {
    label: 'Copy Blob From URL',
    detail: 'One synchronous call; block blobs up to 256 MiB',
    fits: ['BlockBlob'],
    strategy: 'copy-blob',
  },
  'append-block-from-url': {
    label: 'Append Block From URL',
    detail: 'Append blobs, block by block',
    fits: ['AppendBlob'],
    strategy: 'append-block-from-url',
  },
  'put-page-from-url': {
    label: 'Put Page From URL',
    detail: 'Page blobs, 4 MiB page ranges (skips empty ranges)',
    fits: ['PageBlob'],
    strategy: 'put-page-from-url',
  },
};

export function operationLabel(op: CopyOperation): string {
  return OPERATION_INFO[op].label;
}

/**
 * The REST calls a copy makes, named as in the Azure REST reference (the cost preview): the copy operations'
 * own calls (their labels, see OPERATION_INFO), the calls around them, and the planning calls. In display order.
 */
export const REST_CALLS = [
  'Copy Blob From URL',
  'Copy Blob',
  'Put Blob From URL',
  'Put Block From URL',
  'Put Block List',
  'Put Blob',
  'Append Block From URL',
  'Get Page Ranges',
  'Put Page From URL',
  'Get Blob Properties',
  'Get Blob Tags',
  'Set Blob Tags',
  'Delete Blob',
  'List Blobs',
] as const;
export type RestCall = (typeof REST_CALLS)[number];

/** The strategy shown for an operation. */
export function strategyOf(op: CopyOperation): StrategyId {
  return OPERATION_INFO[op].strategy;
}

/** Does the strategy write this destination blob type? */
export function strategyFits(strategy: StrategyId, blobType: BlobType): boolean {
  return OPERATION_INFO[strategy].fits.includes(blobType);
}

/** Strategies that fit every one of the given blob types. */
export function strategiesFor(types: readonly BlobType[]): StrategyId[] {
  return STRATEGIES.filter((s) => types.every((t) => strategyFits(s, t)));
}

// ---------------------------------------------------------------------------------------------------------------
// job states

export const JOB_STATES = ['queued', 'running', 'pending', 'succeeded', 'skipped', 'failed', 'canceled', 'aborted'] as const;
/**
 * queued → running → (pending: Copy Blob accepted, the service is still copying) → one final state.
 */
export type JobState = (typeof JOB_STATES)[number];

/** States in which a job can still change. */
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'pending'];
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'skipped', 'failed', 'canceled', 'aborted'];
/** Final states a user can retry. */
const RETRYABLE_STATES: readonly JobState[] = ['failed', 'canceled', 'aborted'];

export function isActive(state: JobState): boolean {
  return ACTIVE_STATES.includes(state);
}

export function isFinal(state: JobState): boolean {
  return FINAL_STATES.includes(state);
}

export function isRetryable(state: JobState): boolean {
  return RETRYABLE_STATES.includes(state);
}

/**
 * A finished batch is complete only when every blob under its sources was copied or skipped by the conflict policy;
 * partial when some were and others failed, were canceled, refused by the plan or never listed (a listing error);
 * failed when none were. The CLI's exit code, the `--json` `ok`, the notification and the panel all read this.
 */
export type BatchOutcome = 'running' | 'complete' | 'partial' | 'failed';

/** A batch's counters, as the engine keeps them. */
export interface BatchCounts {
  /** Every blob listed and every job final. */
  readonly done: boolean;
  /** Jobs so far (grows while the batch is still listing). */
  readonly total: number;
  readonly succeeded: number;
  readonly skipped: number;
  readonly failed: number;
  readonly canceled: number;
  readonly aborted: number;
  /** Blobs listed but refused by the plan. */
  readonly unplanned?: number;
}

/** Jobs of the batch that are final: succeeded, skipped, failed, canceled or aborted. */
export function finishedOf(b: BatchCounts): number {
  return b.succeeded + b.skipped + b.failed + b.canceled + b.aborted;
}

export function batchOutcome(b: BatchCounts, listingFailed: boolean): BatchOutcome {
  if (!b.done) return 'running';
  const ok = b.succeeded + b.skipped;
  const complete = !listingFailed && !b.unplanned && b.failed + b.canceled + b.aborted === 0 && ok === b.total;
  if (complete) return 'complete';
  return ok > 0 ? 'partial' : 'failed';
}

// ---------------------------------------------------------------------------------------------------------------
// formatting

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 0 → "0 B", 512 → "512 B", 1536 → "1.5 KiB", 123 MiB → "123 MiB"; negative or not finite → "?". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

/** Bytes per second → "1.5 MiB/s"; 0 or less → "—". */
export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '—';
}

/** Seconds → "< 1 s", "45 s", "3 min 20 s", "1 h 05 min", "2 d 3 h"; negative or not finite → "—". */
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

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 1 → "1 blob", 1234 → "1,234 blobs". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
