/** Shared helpers for the engine tests (not a test file itself: it defines no tests). */
import { createHash, randomBytes } from 'node:crypto';
import type { BlobClient } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { AccountClient, createAccountClient } from '../../src/core/connections';
import { CopyEngine, CopyEngineOptions, Logger } from '../../src/core';

export const A1 = 'a1';
export const A2 = 'a2';

export function resolverFor(azurite: AzuriteInstance): (id: string) => Promise<AccountClient> {
  const cache = new Map<string, AccountClient>();
  return async (id) => {
    let c = cache.get(id);
    if (!c) {
      const account = id === A1 ? DEV_ACCOUNT : id === A2 ? SECOND_ACCOUNT : undefined;
      if (!account) throw new Error(`unknown connection ${id}`);
      c = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(account) }, { retryOptions: { maxTries: 2, retryDelayInMs: 100 } });
      cache.set(id, c);
    }
    return c;
  };
}

export class MemoryLog implements Logger {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
}

export function makeEngine(azurite: AzuriteInstance, extra: Partial<CopyEngineOptions> = {}): { engine: CopyEngine; log: MemoryLog } {
  const log = new MemoryLog();
  const engine = new CopyEngine({ resolve: resolverFor(azurite), log, concurrency: 8, rangeConcurrency: 4, ...extra });
  return { engine, log };
}

export function data(size: number, seed = 0): Buffer {
  // Fast deterministic-looking content: random 64 KiB tiled, with the seed and offset stamped in.
  const tile = randomBytes(Math.min(size, 64 * 1024));
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += tile.length) tile.copy(buf, o);
  for (let o = 0; o + 8 <= size; o += 4096) buf.writeUInt32LE(o ^ seed, o);
  return buf;
}

export function md5(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}

/** MD5 of a blob computed by downloading it IN THE TEST (never by the engine). */
export async function blobMd5(blob: BlobClient): Promise<string> {
  const res = await blob.download();
  const h = createHash('md5');
  for await (const chunk of res.readableStreamBody!) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function exists(blob: BlobClient): Promise<boolean> {
  return blob.exists();
}

/**
 * Stops an in-memory Azurite started by this test file without the harness's 5 s graceful wait (Azurite's
 * SIGTERM handler waits for the SDK's keep-alive connections). Nothing to flush in memory, so SIGKILL is safe.
 */
export async function stopFast(azurite: AzuriteInstance | undefined): Promise<void> {
  if (!azurite) return;
  const stopped = azurite.stop();
  try {
    process.kill(azurite.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await stopped;
}
