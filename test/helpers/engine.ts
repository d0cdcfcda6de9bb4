/** Shared helpers for the engine tests (not a test file itself: it defines no tests). */
import type { BlobClient } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from './azurite';
import { AccountClient, createAccountClient } from '../../src/core/storage/connections';
import { CopyEngine, CopyEngineOptions } from '../../src/core';
import { MemoryLog } from './content';

export { blobMd5, data, md5, MemoryLog } from './content';

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


export function makeEngine(azurite: AzuriteInstance, extra: Partial<CopyEngineOptions> = {}): { engine: CopyEngine; log: MemoryLog } {
  const log = new MemoryLog();
  const engine = new CopyEngine({ resolve: resolverFor(azurite), log, concurrency: 8, rangeConcurrency: 4, ...extra });
  return { engine, log };
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
