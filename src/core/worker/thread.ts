/**
 * The engine's worker thread: its heap limits, the CA list it is given, and its start (with the V8 code cache of an
 * earlier worker when there is one). workerEngine.ts owns the thread once started.
 */
import * as tls from 'node:tls';
import { Worker } from 'node:worker_threads';
import { CODE_CACHE_BOOT, workerCodeCacheFile } from './codeCacheBoot';
import type { WorkerInit } from './protocol';

/**
 * The worker's old-space limit (MiB). V8 lets the old generation grow to 1.3× its live size between full collections
 * under a 256 MiB limit, 2× just under 2,048 MiB and 4× from 2,048 (the CLI's limit, scripts/build-config.mjs). A copy
 * over a round trip holds each request in flight long enough to be promoted, so at 256 the worker ran four times
 * the CLI's full collections: 100 ms RTT, 20,000 small blobs against the loopback harness, 47 against 12, and
 * 1.08 → 0.88 ms of CPU per blob with 2,048 (four alternating pairs). 2,048 cost the extension host 152 MiB of RSS
 * growth at 200,000 blobs (the budget is 100 at 1,000,000); 2,047, the largest limit of the 2× band: 25 full
 * collections, 5 % less CPU per blob than 256 (six alternating pairs), host growth 81 MiB at 200,000 (1,055 blobs/s,
 * against 959 at 256 and 1,163 at 2,048) and 86 MiB at 1,000,000. The copy's live data stays small (~30 MiB); the
 * limit bounds a fault.
 */
export const ENGINE_HEAP_MB = 2047;
/**
 * The worker's young generation (MiB). Unset, V8 derives a worker's from its old-space limit (192 MiB for 256), and a
 * copy's garbage filled it: 160 MiB of heap reserved for 30–50 MiB in use. 16 reserved the least (56–59 MiB at 20,000
 * small blobs, against 70–82 for a main thread's 48), but its scavenges ran three times as often as the CLI's, each
 * copying the requests then in flight: the worker spent 1.13 ms of CPU per small blob where the CLI spends 0.7. 32
 * (four alternating pairs against the loopback harness, 20,000 blobs): 0.87 ms, 18 % less time, +24 MiB of RSS.
 */
export const ENGINE_YOUNG_MB = 32;
/** This thread's trusted CAs (PEM), when Node lists them (≥ 22.15 / 23.10): the worker is given the same. */
export function hostCertificates(): string[] | undefined {
  const store = tls as unknown as { getCACertificates?(type?: string): string[] };
  try {
    return typeof store.getCACertificates === 'function' ? store.getCACertificates('default') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the worker on `main` (the file that serves the engine when loaded in a worker: workerEngine.ts, or the
 * bundle it is in), with this thread's init; compiled with the code cache in `codeCacheDir` when one is given.
 */
export function startEngineThread(main: string, init: WorkerInit, codeCacheDir?: string, heapMb?: number): Worker {
  let codeCache: WorkerInit['codeCache'];
  if (codeCacheDir) {
    try {
      codeCache = { main, file: workerCodeCacheFile(codeCacheDir, main) };
    } catch {
      codeCache = undefined; // the bundle cannot be read: start without a cache
    }
  }
  return new Worker(codeCache ? CODE_CACHE_BOOT : main, {
    eval: codeCache !== undefined,
    workerData: { ...init, codeCache },
    // The host's own flags (an inspector port, heap sizes) are not the worker's.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: heapMb ?? ENGINE_HEAP_MB, maxYoungGenerationSizeMb: ENGINE_YOUNG_MB },
  });
}
