/**
 * The CLI's start with a V8 code cache (a short copy is mostly a cold process). dist/cli.js, a small
 * launcher, compiles the CLI bundle (dist/cli-main.js) with the bytecode V8 kept from an earlier run of the same
 * command, so the functions that run are not compiled again: 1,000 small blobs took 1.60 s instead of 1.73 s
 * (median of 5 interleaved runs; start-up 120 instead of 150 ms). Node 22.1+ has module.enableCompileCache(); the
 * machines' Node 20 does not, so this uses node:vm's cachedData.
 *
 * - The cache is written once, at the exit of the first successful run (exit code 0) of a command (copy, move; the
 *   rest share one) with a given bundle, Node version and architecture: after the run, V8's data covers the functions
 *   that ran (not only start-up), and a run that failed early does not leave a cache of start-up only.
 * - Naming (the bundle's SHA-256), the atomic write and the removal of the same command's older caches: see
 *   src/core/base/codeCache.ts, which the extension's engine worker uses too.
 * - Where: BLOB_COPY_CACHE_DIR, else the platform's cache folder (XDG_CACHE_HOME or ~/.cache, ~/Library/Caches,
 *   %LOCALAPPDATA%) under blob-copy. BLOB_COPY_CODE_CACHE=off runs without it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codeCacheKey, compileWithCodeCache, type CompiledBundle } from '../core/base/codeCache';

/** Where the code cache lives, or undefined when it is turned off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string | undefined {
  if (env.BLOB_COPY_CODE_CACHE === 'off') return undefined;
  if (env.BLOB_COPY_CACHE_DIR) return env.BLOB_COPY_CACHE_DIR;
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'blob-copy', 'Cache');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'blob-copy');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'blob-copy');
}

/** Commands with a cache of their own; any other first word (help, a typo) shares "other". */
const CACHED_COMMANDS = new Set(['copy', 'move']);

/** The cache file of a bundle, Node version and command. */
export function codeCacheFile(dir: string, bundle: Buffer, command: string | undefined, nodeVersion = process.version, arch = process.arch): string {
  const cmd = command && CACHED_COMMANDS.has(command) ? command : 'other';
  return path.join(dir, `cli-${codeCacheKey(bundle, nodeVersion, arch)}-${cmd}.v8cache`);
}

/** Runs the CLI bundle as the main program, compiled with its command's cache; a successful run writes a missing one. */
export function runWithCodeCache(mainFile: string, command: string | undefined, env: NodeJS.ProcessEnv = process.env): CompiledBundle['state'] {
  const bundle = fs.readFileSync(mainFile);
  const dir = codeCacheDir(env);
  const file = dir ? codeCacheFile(dir, bundle, command) : undefined;
  const compiled = compileWithCodeCache(mainFile, file, bundle.toString('utf8'));
  if (compiled.state === 'miss' || compiled.state === 'rejected') process.once('exit', (code) => code === 0 && compiled.write());
  compiled.run();
  if (env.BLOB_COPY_CODE_CACHE === 'debug') process.stderr.write(`blob-copy: code cache ${compiled.state}${file ? ` (${file})` : ''}\n`);
  return compiled.state;
}
