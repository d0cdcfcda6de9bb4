// The one test command (`npm test`): install the dependencies if missing or stale, lint, type-check, build, then
//   1. plain-Node tests (node:test), every folder of out/test but ui/ and helpers/, several files at a time: unit
//      tests (test/unit) and integration tests against a real Azurite or the real VS Code workbench
//   2. extension tests inside a real VS Code extension host (VS Code server + Chromium, see vscode-runtime.mjs)
// and a closing line "tests: N passed, N failed", after the failed tests by name. Nothing is skipped: a missing
// runtime is installed, or the run fails. Where each kind of test goes: test/README.md.
//   node scripts/test.mjs [--only unit|node|ui] [--no-lint] [--concurrency N]
//   --only unit: test/unit alone, transpiled by esbuild (no type-check, no Azurite, no VS Code): the fast loop
//   --only node (or core): all plain-Node tests; --only ui: the extension-host tests
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDependencies } from './deps.mjs';
import { formatFailures, tapFailures } from './test-failures.mjs';
import { install, root, runExtensionTests } from './vscode-runtime.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = option('--only') === 'core' ? 'node' : option('--only');
if (only !== undefined && !['unit', 'node', 'ui'].includes(only)) {
  console.log(`--only ${only}: expected unit, node or ui`);
  process.exit(2);
}
const lint = !args.includes('--no-lint') && only !== 'unit';
// Test files mostly wait (for Azurite, a server, an outage to pass): more files than cores at a time pays.
const concurrency = Number(option('--concurrency') ?? Math.max(4, availableParallelism() + 2));
const started = Date.now();
const npx = (bin) => join(root, 'node_modules', '.bin', bin);

/** Runs one step, its output kept to print later. */
function run({ cmd, args: cmdArgs }) {
  return new Promise((resolve) => {
    const t = Date.now();
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => (out += `${err.message}\n`));
    child.on('close', (code, signal) => resolve({ code: code ?? signal, out, seconds: (Date.now() - t) / 1000 }));
  });
}

/**
 * Runs two lanes of steps side by side, each lane in order (eslint and tsc are single-threaded: two lanes keep both
 * cores busy), then prints every step's output in order. A failed step ends the run, unless tolerated.
 */
async function lanes(...list) {
  const t0 = Date.now();
  const results = new Map();
  await Promise.all(
    list.map(async (lane) => {
      for (const step of lane) results.set(step, await run(step));
    }),
  );
  let failed = false;
  for (const step of list.flat()) {
    const { code, out, seconds } = results.get(step);
    console.log(`\n=== ${step.name}`);
    if (out.trim()) process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    if (code === 0) console.log(`--- ${step.name}: ok (${seconds.toFixed(1)} s)`);
    else if (step.tolerate) console.log(`--- ${step.name}: errors tolerated (--no-lint, development run)`);
    else {
      console.log(`\n${step.name} failed (exit ${code})`);
      failed = true;
    }
  }
  if (failed) {
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
  console.log(`--- lint, type-check and build: ${((Date.now() - t0) / 1000).toFixed(1)} s in two lanes`);
}

try {
  ensureDependencies(root, { prefix: '[test]' });
} catch (err) {
  console.log(`\n${err.message}`);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

/**
 * Removes what tsc emitted into out/ for a source that no longer exists (a deleted or renamed test would still run);
 * the rest stays for the incremental compile.
 */
function pruneOut() {
  const out = join(root, 'out');
  if (!existsSync(out)) return;
  for (const e of readdirSync(out, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath ?? e.path, e.name);
    const rel = relative(out, file);
    const m = /^(.*)\.js(\.map)?$/.exec(rel);
    const source = m ? `${m[1]}.ts` : rel.endsWith('.json') ? rel : undefined;
    if (source && !existsSync(join(root, source))) rmSync(file);
  }
}

/** Every *.test.js below dir, as paths relative to the repository. */
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.js'))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

if (only === 'unit') {
  // The fast loop: esbuild transpiles test/ and src/ file by file (as tsc would emit them, without type-checking).
  const t0 = Date.now();
  const outdir = join(root, '.cache', 'out-unit');
  rmSync(outdir, { recursive: true, force: true });
  const esbuild = await import('esbuild');
  const sources = ['src', 'test'].flatMap((d) =>
    readdirSync(join(root, d), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => join(e.parentPath ?? e.path, e.name)),
  );
  await esbuild.build({ entryPoints: sources, outdir, outbase: root, format: 'cjs', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' });
  copyFileSync(join(root, 'package.json'), join(outdir, 'package.json'));
  console.log(`\n--- transpile tests (esbuild): ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
} else {
  pruneOut();
  // eslint and tsc remember what they checked (.cache/, and out/ for the compile): a second run re-checks only what
  // changed. eslint compares contents, not times, so a checkout that touches files costs nothing more.
  const incremental = (name) => ['--incremental', '--tsBuildInfoFile', join('.cache', 'tsc', `${name}.tsbuildinfo`)];
  await lanes(
    lint
      ? [
          { name: 'lint (eslint)', cmd: npx('eslint'), args: ['.', '--cache', '--cache-strategy', 'content', '--cache-location', join('.cache', 'eslint', '')] },
          { name: 'lint (exports nobody imports)', cmd: process.execPath, args: ['scripts/unused-exports.mjs'] },
          { name: 'type-check webview (tsc, strict)', cmd: npx('tsc'), args: ['-p', 'src/webview', '--noEmit', ...incremental('webview')] },
          { name: 'type-check benchmarks (tsc, strict)', cmd: npx('tsc'), args: ['-p', 'bench', '--noEmit', ...incremental('bench')] },
        ]
      : [],
    [
      { name: 'build (esbuild)', cmd: process.execPath, args: ['scripts/build.mjs'] },
      // tsconfig.test.json is tsconfig.json (src and test, strict) with output: this one run is also the type-check.
      // tsc emits even with type errors; a development run (--no-lint) goes on, `npm test` does not. Its build info
      // lives in out/, so a removed out/ is rebuilt whole.
      { name: 'type-check and compile (tsc, strict)', cmd: npx('tsc'), args: ['-p', 'tsconfig.test.json', '--incremental', '--tsBuildInfoFile', join('out', '.tsbuildinfo')], tolerate: !lint },
    ],
  );
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const suites = [];

async function nodeTests() {
  // Every compiled test folder but the extension-host one (ui) and the helpers; a new folder is picked up as is.
  const base = only === 'unit' ? join(root, '.cache', 'out-unit', 'test', 'unit') : join(root, 'out', 'test');
  const dirs = only === 'unit' ? [base] : readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory() && !['ui', 'helpers'].includes(d.name)).map((d) => join(base, d.name));
  // `node --test` runs its files in the order of their names, whatever the order given. The run is CPU-bound on 2
  // cores (measured: a pool of our own, longest file first, ended no sooner), so the order is left to it.
  const files = dirs.flatMap(testFiles);
  mkdirSync(join(root, '.cache'), { recursive: true });
  const tap = join(root, '.cache', 'node-tests.tap');
  console.log(`\n=== plain-Node tests: ${files.length} files in ${dirs.map((d) => relative(root, d)).join(', ')}, ${concurrency} at a time`);
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
      { cwd: root, stdio: 'inherit' },
    );
    // A test file whose process does not end (a leaked handle) must not hold CI until its limit: 40 min at most.
    const watchdog = setTimeout(() => {
      console.log('\nplain-Node tests still running after 40 min: stopped (counted as a failure)');
      child.kill('SIGKILL');
    }, 40 * 60_000);
    child.on('exit', (c) => {
      clearTimeout(watchdog);
      resolve(c ?? 1);
    });
  });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const r = { name: 'node', passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
  r.failures = tapFailures(text, root);
  if (code !== 0 && r.failed === 0) r.failed = 1;
  if (r.passed + r.failed === 0) r.failed = 1; // ran no test: that is a failure
  if (r.failed > r.failures.length) r.failures.push({ file: 'out/test', title: '(plain-Node run)', error: code !== 0 ? `node --test ended with exit code ${code}; see the output above` : 'no test ran' });
  suites.push({ ...r, seconds: (Date.now() - t0) / 1000 });
}

async function uiTests() {
  console.log('\n=== extension tests in a real VS Code extension host');
  const t0 = Date.now();
  let summary;
  let code;
  let crash;
  try {
    ({ code } = await runExtensionTests({
      extensionTestsPath: join(root, 'out', 'test', 'ui', 'index.js'),
      onLine: (line) => {
        const m = /^\[blob-copy-ui\] (\{.*\})$/.exec(line.trim());
        if (m) summary = JSON.parse(m[1]);
        console.log(line);
      },
    }));
  } catch (err) {
    // The launcher itself failed (the server, the browser): still a summary, with the reason.
    console.log(err?.stack ?? String(err));
    crash = String(err?.message ?? err).split('\n')[0];
    code = 1;
  }
  const r = { name: 'vscode', passed: summary?.passed ?? 0, failed: summary?.failed ?? 0, skipped: summary?.pending ?? 0, failures: summary?.failures ?? [] };
  if (crash) r.failures.push({ file: 'scripts/vscode-runtime.mjs', title: 'extension host launch', error: crash });
  if (code !== 0 && r.failed === 0) r.failed = 1;
  if (!summary) {
    console.log('extension tests printed no summary: counted as a failure');
    r.failed = Math.max(r.failed, 1);
  }
  if (r.failed > r.failures.length) r.failures.push({ file: 'out/test/ui', title: '(extension host)', error: summary ? `the extension host ended with exit code ${code}` : 'the extension tests printed no summary; see the output above' });
  suites.push({ ...r, seconds: (Date.now() - t0) / 1000 });
}

if (only === 'unit') {
  await nodeTests();
} else {
  // The offline VS Code runtime is needed by the workbench test (node) and the extension-host tests: install it
  // first (a no-op when cached), so a machine without it installs it instead of skipping anything.
  console.log('\n=== VS Code runtime');
  install();
  // Entra ID tests: every test process trusts the harness's loopback certificate from the start.
  const { ensureTestCertificate } = await import(pathToFileURL(join(root, 'out', 'test', 'helpers', 'entra.js')).href);
  process.env.NODE_EXTRA_CA_CERTS ??= ensureTestCertificate().certPath;
  // Azurite as one bundle (test/helpers/azurite.ts), built here once rather than by the first test files at once.
  const { azuriteBundle } = await import(pathToFileURL(join(root, 'out', 'test', 'helpers', 'azurite.js')).href);
  await azuriteBundle();
  // One after the other: side by side on 2 cores, both halves took about twice as long and the whole run longer.
  if (only !== 'ui') await nodeTests();
  if (only !== 'node') await uiTests();
}

console.log('\n=== summary');
for (const s of suites) {
  totals.passed += s.passed;
  totals.failed += s.failed;
  totals.skipped += s.skipped;
  console.log(`${s.name.padEnd(8)} ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped (${s.seconds.toFixed(1)} s)`);
}
console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
// The failed tests last, so the last screen of a CI log says which test failed and why.
// Named by their source file: out/test/x.test.js and .cache/out-unit/test/x.test.js are test/x.test.ts.
const sourceOf = (file) => file.replace(/^(out|\.cache\/out-unit)\/(test\/.*)\.js$/, '$2.ts');
for (const s of suites) for (const line of formatFailures(s.name, s.failures.map((f) => ({ ...f, file: sourceOf(f.file) })))) console.log(line);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed === 0 && totals.passed > 0 ? 0 : 1);
