// npm run bench [-- --quick] [-- --reps=N] [-- --skip-azcopy] [-- --only=W2]   |   npm run bench -- --scale[=2000,20000] [--scale-1m]
//   |   npm run bench -- --scale-host[=2000,20000]   |   npm run bench -- --small[=1000,10000] [--reps=N]
//   |   npm run bench -- --latency[=0,100] [--reps=N] [--blobs=2000] [--baseline-cli=PATH]
//   |   npm run bench -- --cost[=1000000] [--sdk-blobs=N] [--resume] [--only=cli|sdk]   |   npm run bench -- --cost --names[=100000,300000]
// npm run bench -- --startup [--reps=N]: only the start-up part (bundle sizes, activation time), which the full run
// also does after its workloads.
// Bundles bench/bench.ts with esbuild into .cache/bench, makes sure AzCopy 10 is available (npm package
// @azure-tools/azcopy-linux@10.32.2 installed into .cache/azcopy; Debian's libsecret-1-0 when root), then runs the
// benchmark. Results: a table on stdout and bench/results.json. Not a test: never part of `npm test`.
import * as esbuild from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const AZCOPY_PACKAGE = '@azure-tools/azcopy-linux@10.32.2';
const azcopyPrefix = join(root, '.cache', 'azcopy');
const azcopyBin = join(azcopyPrefix, 'node_modules', '@azure-tools', 'azcopy-linux', 'dist', 'bin', 'azcopy_linux_amd64');
const args = process.argv.slice(2);
const resultsFile = join(root, 'bench', 'results.json');

/**
 * Start-up: the release build's sizes (scripts/package.mjs: minified dist/extension.js and dist/core.js, the webview
 * bundle, the .vsix) and the extension's activation time in the real VS Code extension host (the offline runtime):
 * the extension measures its own activate() with performance.now() and reports it through its test API
 * (bench/startup-host.cjs), with the first use after it (creating the engine: require of dist/core.js). One host
 * launch per run; the time VS Code takes to require() the bundle is not in it: measured apart in plain Node, for
 * dist/extension.js (at activation) and dist/core.js (deferred to the first use), so no part is left out.
 */
async function startup(reps) {
  console.error('[bench] start-up: release build and .vsix (scripts/package.mjs)');
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (built.status !== 0) throw new Error('scripts/package.mjs failed');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  const webviewDir = join(root, 'dist', 'webview');
  const webviewFiles = readdirSync(webviewDir).filter((f) => !f.endsWith('.map'));
  const sizes = {
    'dist/extension.js': statSync(join(root, 'dist', 'extension.js')).size,
    'dist/core.js': statSync(join(root, 'dist', 'core.js')).size,
    'dist/webview/main.js': statSync(join(webviewDir, 'main.js')).size,
    'dist/webview (all files)': webviewFiles.reduce((n, f) => n + statSync(join(webviewDir, f)).size, 0),
    [`${pkg.name}-${pkg.version}.vsix`]: statSync(vsix).size,
  };
  const { install, runExtensionTests } = await import('./vscode-runtime.mjs');
  install();
  const runs = [];
  for (let i = 0; i < reps; i++) {
    let sample;
    const { code } = await runExtensionTests({
      extensionTestsPath: join(root, 'bench', 'startup-host.cjs'),
      timeoutMs: 180_000,
      onLine: (line) => {
        const m = /^\[blob-copy-startup\] (\{.*\})$/.exec(line.trim());
        if (m) sample = JSON.parse(m[1]);
      },
    });
    if (code !== 0 || !sample) throw new Error(`the extension host run ${i + 1} reported no activation time (exit ${code})`);
    runs.push(sample);
    console.error(`[bench] start-up run ${i + 1}/${reps}: activate() ${sample.activateMs.toFixed(1)} ms; first use (engine) ${sample.firstUseMs.toFixed(1)} ms`);
  }
  const round = (x) => Math.round(x * 10) / 10;
  const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ms = runs.map((r) => r.activateMs).sort((a, b) => a - b);
  const median = medianOf(ms);
  const firstUse = runs.map((r) => r.firstUseMs);
  // The host's require() of the bundles is not in the extension's own timing: measured apart, in plain Node.
  const requireTimes = (bundle) => {
    const times = [];
    for (let i = 0; i < Math.max(3, reps); i++) {
      const r = spawnSync(process.execPath, [join(root, 'bench', 'require-harness.cjs'), join(root, 'dist', bundle)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`require harness failed (${bundle}): ${r.stderr}`);
      times.push(JSON.parse(r.stdout.trim().split('\n').pop()).requireMs);
    }
    return times;
  };
  const requires = requireTimes('extension.js');
  const requireMedian = medianOf(requires);
  const coreRequires = requireTimes('core.js');
  const result = {
    date: new Date().toISOString(),
    method:
      'activation: activate() of the release bundle (minified dist/extension.js) timed by the extension itself with performance.now() ' +
      'in a real VS Code extension host (offline code-server runtime, scripts/vscode-runtime.mjs), one host launch per run, median; ' +
      "the host's require() of the bundle is not included there: requireMs measures it apart. The engine and the storage SDK " +
      '(dist/core.js) are not loaded at activation (engineAtActivation, coreAtActivation): coreRequireMs is their require() in plain ' +
      'Node, firstUseMs the first use in the host after activation (require of dist/core.js + creating the engine). ' +
      'Sizes: bytes of the release build (scripts/package.mjs).',
    activationMs: { median: round(median), runs: ms.map(round) },
    requireMs: {
      median: round(requireMedian),
      runs: requires.map(round),
      method: `require() of the release dist/extension.js in a fresh plain Node ${process.version} process with a stub vscode module (bench/require-harness.cjs)`,
    },
    requirePlusActivateMs: { median: round(requireMedian + median), goal: 50, met: requireMedian + median < 50 },
    deferred: {
      engineAtActivation: runs.some((r) => r.engineAtActivation),
      coreAtActivation: runs.some((r) => r.coreAtActivation),
      coreRequireMs: {
        median: round(medianOf(coreRequires)),
        runs: coreRequires.map(round),
        method: `require() of the release dist/core.js in a fresh plain Node ${process.version} process (bench/require-harness.cjs): paid at the first use, not at activation`,
      },
      firstUseMs: {
        median: round(medianOf(firstUse)),
        runs: firstUse.map(round),
        method: 'in the VS Code host right after activation: reading the test API\'s engine (loads dist/core.js, creates the engine), timed by bench/startup-host.cjs',
      },
    },
    bytes: sizes,
  };
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  process.stdout.write(
    `\nStart-up (release build):\n  activate() in the VS Code host: median ${result.activationMs.median} ms of ${reps} run(s) (${result.activationMs.runs.join(', ')})\n` +
      `  require() of dist/extension.js (plain Node, stub vscode): median ${result.requireMs.median} ms (${result.requireMs.runs.join(', ')})\n` +
      `  require + activate: ${result.requirePlusActivateMs.median} ms; goal < 50 ms: ${result.requirePlusActivateMs.met ? 'met' : 'MISS'}\n` +
      `  at activation: engine created ${result.deferred.engineAtActivation ? 'YES' : 'no'}, dist/core.js loaded ${result.deferred.coreAtActivation ? 'YES' : 'no'}\n` +
      `  deferred to the first use: require() of dist/core.js (plain Node): median ${result.deferred.coreRequireMs.median} ms (${result.deferred.coreRequireMs.runs.join(', ')}); ` +
      `first use in the host (load + create the engine): median ${result.deferred.firstUseMs.median} ms (${result.deferred.firstUseMs.runs.join(', ')})\n`,
  );
  for (const [k, v] of Object.entries(sizes)) process.stdout.write(`  ${k}: ${kib(v)}\n`);
  let results = {};
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    /* no earlier results */
  }
  results.startup = result;
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`JSON: ${resultsFile} (startup)\n`);
}

const repsArg = args.find((a) => a.startsWith('--reps='));
if (args.includes('--startup')) {
  await startup(repsArg ? Math.max(1, Number(repsArg.slice(7))) : 3);
  process.exit(0);
}

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
// --scale-host[=N,N]: the same folder copy through the extension in the real VS Code extension host (bench/scale.ts).
// --sync-scale[=N,N]: the peak RSS of `blob-copy sync` (bench/syncScale.ts).
const syncScale = args.some((a) => a === '--sync-scale' || a.startsWith('--sync-scale='));
const scaleHost = args.some((a) => a === '--scale-host' || a.startsWith('--scale-host='));
const scale = syncScale || scaleHost || args.some((a) => a === '--scale' || a.startsWith('--scale='));
// --small[=N,N,…] [--reps=N]: the small-blob workload W4 (bench/small.ts: CLI, engine and the bare SDK loops, interleaved).
const small = !scale && args.some((a) => a === '--small' || a.startsWith('--small='));
// --latency[=RTT,RTT] [--reps=N] [--blobs=N] [--baseline-cli=PATH]: small blobs through a proxy adding a round trip (bench/latency.ts).
const latency = !scale && !small && args.some((a) => a === '--latency' || a.startsWith('--latency='));
// --cost[=N,N] [--sdk-blobs=N] [--resume] [--only=cli|sdk] [--sdk-like-cli]: the client's CPU and memory per blob against a loopback endpoint (bench/cost.ts);
// --cost --names[=N,N]: the memory a plan of several sources keeps per destination name (bench/cost.ts).
const cost = !scale && !small && !latency && args.some((a) => a === '--cost' || a.startsWith('--cost='));
if ((scale || small || latency || cost) && spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
if (scaleHost && spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const entry = syncScale ? 'syncScale' : scale ? 'scale' : small ? 'small' : latency ? 'latency' : cost ? 'cost' : 'bench';
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
  // The Azurite harness resolves azurite's entry at run time (require.resolve), and runs the package as installed
  // here (BLOB_COPY_AZURITE=modules below), not the tests' bundle, so esbuild is never loaded.
  external: ['azurite', 'azurite/*', 'esbuild'],
  // @azure/storage-common's ESM build needs import.meta.url at load time (see scripts/build.mjs).
  define: { 'import.meta.url': '__benchImportMetaUrl' },
  banner: { js: "const __benchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

const azcopy = scale || small || latency || cost ? { unavailable: 'not used by the scale / small / latency / cost workloads' } : ensureAzcopy();
if (azcopy.unavailable) console.error(`[bench] AzCopy unavailable: ${azcopy.unavailable}`);

const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { BLOB_COPY_AZURITE: 'modules', ...process.env, BLOB_COPY_BENCH_AZCOPY: JSON.stringify(azcopy), BLOB_COPY_BENCH_OUT: resultsFile },
});
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('close', (code) => {
  process.exitCode = code ?? 1;
  if (code !== 0 || scale || small || latency || cost) return;
  startup(args.includes('--quick') ? 1 : 3).catch((e) => {
    console.error(`[bench] start-up failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
});
