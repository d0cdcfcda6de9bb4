/** The copy engine's options and defaults (src/core/engine/engine.ts). */
import type { StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from '../storage/connections';
import type { Logger } from '../base/log';
import type { TimingOptions } from '../operations/operationChoice';

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

export { BATCH_WINDOW, DEFAULT_BLOCK_SIZE, DEFAULT_CONCURRENCY, DEFAULT_RANGE_CONCURRENCY, DEFAULT_SMALL_BLOB_CAP, RETAINED_FINISHED, SMALL_BLOB_MAX_BYTES } from '../base/defaults';
