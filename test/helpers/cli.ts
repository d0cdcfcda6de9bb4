/**
 * The `blob-copy` CLI for tests: bundled with exactly the esbuild options `npm run build` uses for dist/cli.js (into a
 * folder of the test's own under .cache), and run as a child process in a clean environment (no AZURE_* variables
 * from the machine), asynchronously (some tests serve a token endpoint in this process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const up = path.resolve(__dirname, '..', '..', '..');
/** The repository (tests run compiled from out/ or .cache/out-dev/). */
export const repoRoot = fs.existsSync(path.join(up, 'package.json')) ? up : path.resolve(up, '..');

// scripts/build-config.mjs is ESM: load it without TypeScript rewriting import() to require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<{ cliBundles(root: string, outdir: string): object[] }>;

/** Bundles the CLI as `npm run build` does (the launcher cli.js and cli-main.js) to .cache/<folder>/; returns cli.js. */
export async function bundleCli(folder: string): Promise<string> {
  const outdir = path.join(repoRoot, '.cache', folder);
  const esbuild = await import('esbuild');
  const { cliBundles } = await importEsm(path.join(repoRoot, 'scripts', 'build-config.mjs'));
  for (const b of cliBundles(repoRoot, outdir)) await esbuild.build({ ...b, logLevel: 'warning' });
  return path.join(outdir, 'cli.js');
}

/** The tests' code cache folder (not the user's cache folder). */
export const TEST_CODE_CACHE_DIR = path.join(repoRoot, '.cache', 'cli-code-cache');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run. */
  ms: number;
}

/**
 * The CLI as users run it (`blob-copy` is its file, started by its shebang): this Node with the Node flags of the
 * file's `#!/usr/bin/env -S node …` line (the heap's limit among them), then `nodeFlags` (a profiler's), then the file.
 */
export function cliCommand(cli: string, nodeFlags: readonly string[] = []): string[] {
  const first = fs.readFileSync(cli, 'utf8').slice(0, 300).split('\n', 1)[0];
  const shebang = /^#!\/usr\/bin\/env -S node((?: +-[^ ]+)*) *$/.exec(first);
  if (!shebang) throw new Error(`${cli}: its first line is not a \`#!/usr/bin/env -S node\` shebang: ${first.slice(0, 80)}`);
  return [process.execPath, ...shebang[1].split(' ').filter(Boolean), ...nodeFlags, cli];
}

/** Starts the CLI as users run it (cliCommand); `done` settles when it exits, or rejects (after killing it) past the time limit. */
export function startCli(cliPath: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = Date.now();
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BLOB_COPY_CACHE_DIR: TEST_CODE_CACHE_DIR, ...env };
  const [node, ...flagsAndFile] = cliCommand(cliPath);
  const child = spawn(node, [...flagsAndFile, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: CliResult = { code: null, stdout: '', stderr: '', ms: 0 };
  child.stdout!.on('data', (d: Buffer) => (r.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (r.stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`blob-copy ${args.join(' ')} did not finish within ${timeoutMs} ms.\nstdout:${r.stdout}\nstderr:${r.stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      r.code = code;
      r.ms = Date.now() - t0;
      resolve(r);
    });
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function runCli(cliPath: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return startCli(cliPath, args, env, timeoutMs).done;
}
