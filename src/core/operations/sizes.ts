/**
 * Chunk and block sizes of the ranged operations: pure, without the storage SDK (the cost preview, cost.ts, counts
 * calls with them; the extension shows that preview before the engine is loaded).
 */
import { LIMITS } from '../base/limits';

const MiB = 1024 * 1024;

/** `preferred`, raised (in whole MiB) so a blob of `size` bytes fits in `maxBlocks` blocks, at most `max`. */
function fitting(size: number, preferred: number, maxBlocks: number, max: number): number {
  return Math.min(max, Math.max(preferred, Math.ceil(size / maxBlocks / MiB) * MiB));
}

/**
 * Append chunk for a blob: 4 MiB (what every service version accepts), raised for a blob past 50,000 × 4 MiB
 * (~195 GiB, possible since Append Block takes up to 100 MiB) so it fits in an append blob's 50,000 blocks; at most
 * 100 MiB. 4 MiB alone stopped such a copy at its 50,001st block (BlockCountExceedsLimit).
 */
export function appendChunkFor(size: number): number {
  return fitting(size, 4 * MiB, LIMITS.maxAppendBlocks, LIMITS.appendBlockMaxBytes);
}

/** Block size for a blob: the configured size, raised so the blob fits in 50,000 blocks, at most 4000 MiB. */
export function blockSizeFor(size: number, configured: number): number {
  return fitting(size, configured, LIMITS.maxBlocksPerBlob, LIMITS.stageBlockMaxBytes);
}
