/** The engine's defaults, one table: the engine, the CLI and the extension's settings read them here. */
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
/**
 * The extension's figure for RETAINED_FINISHED: succeeded/skipped jobs the Copy Jobs panel lists (engine and relay
 * alike); older ones live on in the batch counters. Each listed job costs the extension host about 5 KiB of live heap
 * (job, snapshot and view; `--scale-host`: 68 → 79 MiB after a 2,000-blob copy), so 10,000 would keep ~50 MiB in a
 * host every extension shares. Here, not in the extension, so the benchmarks run the engine as the extension does.
 */
export const PANEL_RETAINED = 2_000;
