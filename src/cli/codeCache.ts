/**
 * The CLI's start with a V8 code cache (issue 15: a short copy is mostly a cold process). dist/cli.js, a small
 * launcher, compiles the CLI bundle (dist/cli-main.js) with the bytecode V8 kept from an earlier run of the same
 * command, so the functions that run are not compiled again: 1,000 small blobs took 1.60 s instead of 1.73 s
 * (median of 5 interleaved runs; start-up 120 instead of 150 ms). Node 22.1+ has module.enableCompileCache(); the
 * machines' Node 20 does not, so this uses node:vm's cachedData, which every supported Node has.
 *
 * - The cache is written once, at the exit of the first successful run (exit code 0) of a command (copy, move; the
 *   rest share one) with a given bundle, Node version and architecture: after the run, V8's data covers the functions
 *   that ran (not only start-up), and a run that failed early does not leave a cache of start-up only.
 * - Its file name carries a SHA-256 of the bundle: V8 itself checks only the source's length, so an updated bundle of
 *   the same length must not meet an old cache. V8 rejects a cache of another V8 version or flags; it is then rewritten.
 * - Written atomically (temporary file, rename); any failure (read-only home, full disk) only means no cache. Writing
 *   it removes the same command's caches of other builds or Node versions (an update leaves no stale files).
 * - Where: BLOB_COPY_CACHE_DIR, else the platform's cache folder (XDG_CACHE_HOME or ~/.cache, ~/Library/Caches,
 *   %LOCALAPPDATA%) under blob-copy. BLOB_COPY_CODE_CACHE=off runs without it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';

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
  const key = createHash('sha256').update(bundle).update(`\0${nodeVersion}\0${arch}`).digest('hex').slice(0, 32);
  const cmd = command && CACHED_COMMANDS.has(command) ? command : 'other';
  return path.join(dir, `cli-${key}-${cmd}.v8cache`);
}

export interface CodeCacheRun {
  /** The cache file used or written (undefined: turned off). */
  readonly file?: string;
  /** hit: V8 took the cache; miss: none yet (written at exit); rejected: V8 refused it (rewritten at exit); off. */
  readonly state: 'hit' | 'miss' | 'rejected' | 'off';
}

/** Removes the caches of the same command for other builds / Node versions (cli-<other key>-<command>.v8cache). */
export function removeStale(dir: string, keep: string): void {
  const suffix = keep.slice(keep.lastIndexOf('-'));
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('cli-') && name.endsWith(suffix) && path.join(dir, name) !== keep) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Runs a CommonJS bundle as the main program, compiled with (and, the first time, producing) a code cache. */
export function runWithCodeCache(mainFile: string, command: string | undefined, env: NodeJS.ProcessEnv = process.env): CodeCacheRun {
  const bundle = fs.readFileSync(mainFile);
  const dir = codeCacheDir(env);
  const file = dir ? codeCacheFile(dir, bundle, command) : undefined;
  let cached: Buffer | undefined;
  if (file) {
    try {
      cached = fs.readFileSync(file);
    } catch {
      cached = undefined; // none yet
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) { ${bundle.toString('utf8')}\n});`;
  const script = new vm.Script(wrapper, { filename: mainFile, cachedData: cached });
  const state: CodeCacheRun['state'] = !file ? 'off' : !cached ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (file && dir && state !== 'hit') {
    process.once('exit', (code) => {
      if (code !== 0) return;
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
        removeStale(dir, file);
      } catch {
        fs.rmSync(tmp, { force: true }); // no cache this time: the next run compiles as usual
      }
    });
  }
  const fn = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const mod = { exports: {}, filename: mainFile, id: '.', loaded: false, children: [], paths: [] };
  fn.call(mod.exports, mod.exports, createRequire(mainFile), mod, mainFile, path.dirname(mainFile));
  if (env.BLOB_COPY_CODE_CACHE === 'debug') process.stderr.write(`blob-copy: code cache ${state}${file ? ` (${file})` : ''}\n`);
  return { file, state };
}
