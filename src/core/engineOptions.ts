/** The copy engine's options and defaults (src/core/engine.ts). */
import type { StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from './connections';
import type { Logger } from './log';
import type { TimingOptions } from './operationChoice';

export type ConnectionResolver = (connectionId: string) => Promise<AccountClient>;

/** What configure() can change while the engine runs. */
export type EngineTuning = Partial<Pick<CopyEngineOptions, 'concurrency' | 'rangeConcurrency' | 'smallBlobConcurrency' | 'blockSizeBytes' | 'outageToleranceSeconds'>>;
export const TUNING_KEYS: ReadonlyArray<keyof EngineTuning> = ['concurrency', 'rangeConcurrency', 'smallBlobConcurrency', 'blockSizeBytes', 'outageToleranceSeconds'];

export interface CopyEngineOptions {
  resolve: ConnectionResolver;
  /** JSON journal folder; omitted = no persistence. */
  journalDir?: string;
  /**
   * Blobs in flight (default 8; 0 = the default). When set, it also caps small blobs (smallBlobConcurrency's
   * default becomes 4 × concurrency, between concurrency and 64).
   */
  concurrency?: number;
  /** Ranges per blob in flight (default 4). */
  rangeConcurrency?: number;
  /**
   * The most small blobs (≤ SMALL_BLOB_MAX_BYTES) in flight, in their own queue: one service call each, so
   * latency-bound. Within it the account's gate (throttle.ts) adapts how many requests really are in flight.
   * Default (or 0): DEFAULT_SMALL_BLOB_CAP, or 4 × concurrency (between concurrency and 64) when concurrency is set.
   */
  smallBlobConcurrency?: number;
  /** Default block size for Put Block From URL (default 32 MiB). */
  blockSizeBytes?: number;
  /** Jobs of a streamed batch not final at any time (default BATCH_WINDOW). */
  batchWindow?: number;
  /** Succeeded/skipped jobs jobs() still lists (default RETAINED_FINISHED); older ones live on as batch counts. */
  retainFinished?: number;
  /** How long a job waits out a storage outage or throttling before it fails, resumable (default 300 s). */
  outageToleranceSeconds?: number;
  log?: Logger;
  pipelineOptions?: StoragePipelineOptions;
  /** How `auto` measures which operation copies small blobs faster per endpoint (defaults: see OperationTimings). */
  operationChoice?: TimingOptions;
}

const MiB = 1024 * 1024;
/**
 * Default block size: on Azurite, 8–100 MiB blocks with 4–8 in flight all copied 1 GiB in 16.5–16.9 s (the
 * plain-upload write limit was 16.3 s); 32 MiB keeps 32 progress/resume steps per GiB with few calls.
 */
export const DEFAULT_BLOCK_SIZE = 32 * MiB;
/** Blobs in flight by default (the blobCopy.concurrency setting's default; small blobs adapt beyond it). */
export const DEFAULT_CONCURRENCY = 8;
/** Blocks or page ranges of one blob in flight by default (blobCopy.rangeConcurrency). */
export const DEFAULT_RANGE_CONCURRENCY = 4;
export { DEFAULT_OUTAGE_TOLERANCE_SECONDS } from './outage';
/**
 * Blobs up to this size run in the small-blob queue (smallBlobConcurrency in flight): a copy of a small blob is one
 * service call whose time is latency, not bytes.
 */
export const SMALL_BLOB_MAX_BYTES = 8 * MiB;
/** Small blobs in flight at most when no concurrency is set: the account gate adapts below it. */
export const DEFAULT_SMALL_BLOB_CAP = 256;
/** Jobs of one streamed batch not final at any time: what a copy of millions holds in memory. */
export const BATCH_WINDOW = 1000;
/** Succeeded and skipped jobs that jobs() still lists (older ones are folded into their batch's counters). */
export const RETAINED_FINISHED = 10_000;
