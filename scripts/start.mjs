// `npm start`: install if needed, build, start Azurite with demo data, open the extension against it.
//   desktop VS Code (`code` on PATH): code --extensionDevelopmentPath=<this folder>
//   otherwise: the offline runtime (VS Code server, see vscode-runtime.mjs) and its local URL is printed
// Ctrl-C stops everything this script started.
//   node scripts/start.mjs [--no-open] [--exit-after-ready]
import { spawn, spawnSync } from 'node:child_process';
import { ensureDependencies } from './deps.mjs';
import { root, startServer } from './vscode-runtime.mjs';

const args = process.argv.slice(2);
const exitAfterReady = args.includes('--exit-after-ready');

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed`);
}

ensureDependencies(root, { prefix: '[start]' });
run(process.execPath, ['scripts/build.mjs']);

const { startDemoAzurite, seedDemoData, demoAccountsEnv, SECOND_ACCOUNT } = await import('./demo.mjs');
const azurite = await startDemoAzurite();
console.log(`[start] Azurite (pid ${azurite.pid}) on http://127.0.0.1:${azurite.port} — accounts devstoreaccount1, acct2; data in .azurite-demo/`);
const seeded = await seedDemoData(azurite.client(), azurite.client(SECOND_ACCOUNT));
console.log(`[start] demo data ${seeded ? 'created' : 'already there'}: containers photos, backups, archive, empty-target (block, append, page blobs)`);

// The second account reaches the extension through its environment (never through settings: it carries a key).
const extensionEnv = demoAccountsEnv(azurite.port);
console.log(`[start] the tree shows Azurite (devstoreaccount1) and "acct2 (Azurite, second account)": copy between them to try a cross-account copy`);

const cleanups = [() => azurite.stop()];
let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const hasCode = !args.includes('--no-open') && spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).status === 0 && !exitAfterReady;
if (hasCode) {
  if (azurite.port !== 10000) console.log(`[start] port 10000 was busy: set "blobCopy.azurite.port": ${azurite.port} in your settings`);
  const code = spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, root], { stdio: 'inherit', env: { ...process.env, ...extensionEnv } });
  code.on('exit', () => console.log('[start] VS Code launched; Ctrl-C here stops Azurite'));
} else {
  const srv = await startServer({ workspace: root, env: extensionEnv, machineSettings: { 'blobCopy.azurite.port': azurite.port } });
  cleanups.push(() => srv.stop());
  console.log(`[start] VS Code (offline runtime, Extension Development Host): ${srv.url}`);
  console.log('[start] open that URL in a browser on this machine; Ctrl-C stops VS Code and Azurite');
}
if (exitAfterReady) await stopAll(0);
