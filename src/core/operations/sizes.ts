/**
 * Chunk and block sizes of the ranged operations: pure, without the storage SDK (the cost preview, cost.ts, counts
 * calls with them; the extension shows that preview before the engine is loaded).
 */
import { LIMITS } from '../base/limits';

const MiB = 1024 * 1024;
/** Append chunks: 4 MiB is accepted by every service version and keeps any append blob within 50,000 blocks. */
export const APPEND_CHUNK_BYTES = 4 * MiB;

/** Block size for a blob: the configured size, raised so the blob fits in 50,000 blocks, at most 4000 MiB. */
export function blockSizeFor(size: number, configured: number): number {
  const min = Math.ceil(size / LIMITS.maxBlocksPerBlob / MiB) * MiB;
  return Math.min(LIMITS.stageBlockMaxBytes, Math.max(configured, min));
}
