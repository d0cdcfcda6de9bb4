/** Shared helpers for the reliability and security suites (defines no tests). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BlobClient, ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import { AccountClient, createAccountClient } from '../../src/core/storage/connections';
import { CopyEngine, CopyEngineOptions } from '../../src/core';
import { blobMd5, MemoryLog } from './content';

export { blobMd5, data, md5, MemoryLog } from './content';
export { waitFor } from './wait';
import { AzuriteAccount, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from './azurite';
import { FaultProxy, startFaultProxy } from './faultProxy';

/** A fresh Azurite, a fault proxy in front of it, and its first account's container "src" (created). */
export async function azuriteBehindProxy(): Promise<{ azurite: AzuriteInstance; proxy: FaultProxy; src: ContainerClient }> {
  const azurite = await startAzurite();
  const proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
  const src = azurite.serviceClient().getContainerClient('src');
  await src.create();
  return { azurite, proxy, src };
}

/** Requests the SDK sends (the engine's); Azurite's own reads of a copy source carry no client request id. */
export const fromSdk = (r: { headers: Record<string, unknown> }): boolean => r.headers['x-ms-client-request-id'] !== undefined;

/** Connection ids the tests' resolvers know. */
export const A1 = 'rel-a1';
export const A2 = 'rel-a2';

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Fast SDK retries so a storm of faults costs little wall time (the engine's default waits 0.5–10 s). */
export const fastRetries = (maxTries: number): StoragePipelineOptions => ({
  retryOptions: { maxTries, retryDelayInMs: 20, maxRetryDelayInMs: 200, tryTimeoutInMs: 60_000 },
});

/** Anything that serves account endpoints: Azurite itself or a fault proxy in front of it. */
export interface ConnectionStringSource {
  connectionString(account: string, key: string): string;
}

export function directSource(host: string, port: number): ConnectionStringSource {
  return {
    connectionString: (account, key) =>
      `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};BlobEndpoint=http://${host}:${port}/${account};`,
  };
}

export function resolverThrough(target: ConnectionStringSource, pipeline: StoragePipelineOptions): (id: string) => Promise<AccountClient> {
  const cache = new Map<string, AccountClient>();
  return async (id) => {
    let c = cache.get(id);
    if (!c) {
      const account: AzuriteAccount | undefined = id === A1 ? DEV_ACCOUNT : id === A2 ? SECOND_ACCOUNT : undefined;
      if (!account) throw new Error(`unknown connection ${id}`);
      c = createAccountClient({ kind: 'connectionString', connectionString: target.connectionString(account.name, account.key) }, pipeline);
      cache.set(id, c);
    }
    return c;
  };
}


export function makeEngine(
  target: ConnectionStringSource,
  options: Partial<CopyEngineOptions> & { pipeline?: StoragePipelineOptions } = {},
): { engine: CopyEngine; log: MemoryLog } {
  const log = new MemoryLog();
  const { pipeline, ...rest } = options;
  const engine = new CopyEngine({ resolve: resolverThrough(target, pipeline ?? fastRetries(6)), log, concurrency: 8, rangeConcurrency: 4, ...rest });
  return { engine, log };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `blob-copy-${prefix}-`));
}




/**
 * The invariant of every fault test: the destination is absent, or complete and identical to the expected
 * content. Returns which of the two it is.
 */
export async function destinationState(dest: BlobClient, expectedMd5: string): Promise<'absent' | 'identical'> {
  if (!(await dest.exists())) return 'absent';
  const got = await blobMd5(dest);
  if (got !== expectedMd5) throw new Error(`${dest.name}: a committed destination that differs from its source (md5 ${got}, expected ${expectedMd5})`);
  return 'identical';
}

/** Uploads many small blobs with bounded concurrency. */
export async function uploadMany(container: ContainerClient, names: readonly string[], body: (i: number) => Buffer, concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < names.length; i = next++) {
      const b = body(i);
      await container.getBlockBlobClient(names[i]).upload(b, b.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
}
