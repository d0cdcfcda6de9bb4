/** How the engine's worker starts with a V8 code cache (see WorkerEngineOptions.codeCacheDir in workerEngine.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeCacheKey, compileWithCodeCache } from '../base/codeCache';

/**
 * The worker's first code when it has a code cache (a worker started with `eval`): compileWithCodeCache's own source
 * compiles this bundle with the cache and runs it as the worker's main module; the worker writes the cache after its
 * first finished batch (server.ts), unless V8 took it.
 */
export const CODE_CACHE_BOOT = `const c = (${compileWithCodeCache.toString()})(require('node:worker_threads').workerData.codeCache.main, require('node:worker_threads').workerData.codeCache.file);
globalThis.blobCopyWriteCodeCache = c.write;
c.run();`;

/** The worker's code cache file for this bundle and Node (the name carries the bundle's SHA-256, as the CLI's does). */
export function workerCodeCacheFile(dir: string, main: string): string {
  return path.join(dir, `engine-${codeCacheKey(fs.readFileSync(main))}.v8cache`);
}
