/**
 * Compiling a CommonJS bundle with a V8 code cache (a short copy is mostly a cold process), for the CLI
 * (src/cli/codeCache.ts: dist/cli-main.js) and the extension's engine worker (workerEngine.ts: dist/core.js).
 * Node 22.1+ has module.enableCompileCache(); the machines' Node 20 does not, so this uses node:vm's cachedData.
 *
 * - A cache file is named `<prefix>-<key><suffix>`, the key a SHA-256 of the bundle, Node version and architecture
 *   (codeCacheKey): V8 itself checks only the source's length, so an updated bundle of the same length must not meet
 *   an old cache. V8 refuses a cache of another V8 version or flags; it is then written again.
 * - Written atomically (temporary file, rename); any failure only means no cache. Writing it removes the files of the
 *   same prefix and suffix with another key (older builds, other Node versions).
 * - The caches are bytecode Node runs: they belong in the user's own folders, never a shared temporary one.
 */
import { createHash } from 'node:crypto';

/** The part of a cache file's name that changes with the bundle, the Node version and the architecture. */
export function codeCacheKey(bundle: Buffer, nodeVersion = process.version, arch = process.arch): string {
  return createHash('sha256').update(bundle).update(`\0${nodeVersion}\0${arch}`).digest('hex').slice(0, 32);
}

export interface CompiledBundle {
  /** hit: V8 took the cache; miss: none yet; rejected: V8 refused it; off: no cache file given. */
  readonly state: 'hit' | 'miss' | 'rejected' | 'off';
  /** Runs the bundle as a CommonJS main module. */
  run(): void;
  /** Writes the cache from what has been compiled so far (call it after the work that matters ran); not after a hit. */
  write(): void;
}

/**
 * Compiles `main` with the cache in `file` (none: `off`). Self-contained, builtins required inside: the engine
 * worker runs it from its source text (a worker started with `eval`).
 */
export function compileWithCodeCache(main: string, file: string | undefined, source?: string): CompiledBundle {
  /* eslint-disable @typescript-eslint/no-require-imports -- self-contained: see above */
  const fs = require('node:fs') as typeof import('node:fs');
  const vm = require('node:vm') as typeof import('node:vm');
  const path = require('node:path') as typeof import('node:path');
  const { createRequire } = require('node:module') as typeof import('node:module');
  /* eslint-enable @typescript-eslint/no-require-imports */
  let cached: Buffer | undefined;
  if (file) {
    try {
      cached = fs.readFileSync(file);
    } catch {
      cached = undefined; // none yet
    }
  }
  const code = source ?? fs.readFileSync(main, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${code}\n});`, { filename: main, cachedData: cached });
  const state: CompiledBundle['state'] = !file ? 'off' : !cached ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  return {
    state,
    run() {
      const mod = { exports: {}, filename: main, id: main, loaded: false, children: [], paths: [] };
      (script.runInThisContext() as (e: object, r: NodeJS.Require, m: object, f: string, d: string) => void).call(mod.exports, mod.exports, createRequire(main), mod, main, path.dirname(main));
    },
    write() {
      if (!file || state === 'hit') return;
      const dir = path.dirname(file);
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
        const parts = /^(.*)-[0-9a-f]{32}(.*)$/.exec(path.basename(file));
        if (!parts) return;
        for (const name of fs.readdirSync(dir)) {
          const other = /^(.*)-[0-9a-f]{32}(.*)$/.exec(name);
          if (other && other[1] === parts[1] && other[2] === parts[2] && name !== path.basename(file)) fs.rmSync(path.join(dir, name), { force: true });
        }
      } catch {
        fs.rmSync(tmp, { force: true }); // no cache this time: the next run compiles as usual
      }
    },
  };
}
