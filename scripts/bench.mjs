// npm run bench [-- --quick] [-- --reps=N] [-- --skip-azcopy] [-- --only=W2]   |   npm run bench -- --scale[=2000,20000] [--scale-1m]
//   |   npm run bench -- --small[=1000,10000] [--reps=N]
// Bundles bench/bench.ts with esbuild into .cache/bench, makes sure AzCopy 10 is available (npm package
// @azure-tools/azcopy-linux@10.32.2 installed into .cache/azcopy; Debian's libsecret-1-0 when root), then runs the
// benchmark. Results: a table on stdout and bench/results.json. Not a test: never part of `npm test`.
import * as esbuild from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const AZCOPY_PACKAGE = '@azure-tools/azcopy-linux@10.32.2';
const azcopyPrefix = join(root, '.cache', 'azcopy');
const azcopyBin = join(azcopyPrefix, 'node_modules', '@azure-tools', 'azcopy-linux', 'dist', 'bin', 'azcopy_linux_amd64');
const args = process.argv.slice(2);

function hasLibsecret() {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return r.status === 0 && /libsecret-1\.so\.0/.test(r.stdout);
}

function ensureAzcopy() {
  if (args.includes('--skip-azcopy')) return { unavailable: 'skipped (--skip-azcopy)' };
  if (process.platform !== 'linux' || process.arch !== 'x64') return { unavailable: `AzCopy npm binary is linux-x64 only (this is ${process.platform}-${process.arch})` };
  if (!existsSync(azcopyBin)) {
    console.error(`[bench] installing ${AZCOPY_PACKAGE} into .cache/azcopy`);
    const r = spawnSync('npm', ['install', '--prefix', azcopyPrefix, '--no-save', '--no-audit', '--no-fund', AZCOPY_PACKAGE], { stdio: 'inherit', timeout: 300_000 });
    if (r.status !== 0 || !existsSync(azcopyBin)) return { unavailable: `npm install ${AZCOPY_PACKAGE} failed` };
  }
  chmodSync(azcopyBin, 0o755);
  if (!hasLibsecret()) {
    if (process.getuid?.() === 0) {
      console.error('[bench] installing libsecret-1-0 (AzCopy needs it)');
      spawnSync('apt-get', ['install', '-y', 'libsecret-1-0'], { stdio: 'inherit', timeout: 300_000 });
    }
    if (!hasLibsecret()) return { unavailable: 'AzCopy needs libsecret-1-0 (apt-get install -y libsecret-1-0, as root)' };
  }
  try {
    const version = execFileSync(azcopyBin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
    return { path: azcopyBin, version };
  } catch (e) {
    return { unavailable: `azcopy --version failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

// --scale[=N,N,…] [--scale-1m]: the scale workload (bench/scale.ts: the CLI against the bare SDK at several sizes).
const scale = args.some((a) => a === '--scale' || a.startsWith('--scale='));
// --small[=N,N,…] [--reps=N]: the small-blob workload W4 (bench/small.ts: CLI, engine and the bare SDK loops, interleaved).
const small = !scale && args.some((a) => a === '--small' || a.startsWith('--small='));
if ((scale || small) && spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const entry = scale ? 'scale' : small ? 'small' : 'bench';
const outfile = join(root, '.cache', 'bench', `${entry}.js`);
await esbuild.build({
  entryPoints: [join(root, 'bench', `${entry}.ts`)],
  outfile,
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // The Azurite harness resolves azurite's entry at run time (require.resolve).
  external: ['azurite', 'azurite/*'],
  // @azure/storage-common's ESM build needs import.meta.url at load time (see scripts/build.mjs).
  define: { 'import.meta.url': '__benchImportMetaUrl' },
  banner: { js: "const __benchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

const azcopy = scale || small ? { unavailable: 'not used by the scale / small workloads' } : ensureAzcopy();
if (azcopy.unavailable) console.error(`[bench] AzCopy unavailable: ${azcopy.unavailable}`);

const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BLOB_COPY_BENCH_AZCOPY: JSON.stringify(azcopy), BLOB_COPY_BENCH_OUT: join(root, 'bench', 'results.json') },
});
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('close', (code) => {
  process.exitCode = code ?? 1;
});
