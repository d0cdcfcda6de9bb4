// Installs the npm dependencies when they are missing or stale, so `npm test` and `npm start` work on a fresh clone.
//   stale: node_modules is older than package-lock.json (npm's own record, node_modules/.package-lock.json, is
//   older) and the two name different package versions. A lock file that was only touched (a checkout) installs
//   nothing.
// Node built-ins only: this runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Name → version of every package a lock file records (root entry left out). */
function versions(file) {
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8'));
    return new Map(Object.entries(lock.packages ?? {}).filter(([path]) => path !== '').map(([path, p]) => [path, { version: p.version, optional: !!p.optional }]));
  } catch {
    return undefined;
  }
}

/** Every package of the lock is installed at its version (optional ones for other platforms may be absent). */
function sameVersions(lockFile, installedFile) {
  const wanted = versions(lockFile);
  const installed = versions(installedFile);
  if (!wanted || !installed) return false;
  for (const [path, p] of wanted) {
    const got = installed.get(path);
    if (got ? got.version !== p.version : !p.optional) return false;
  }
  return true;
}

/** Why an install is needed ('' when it is not) and which command runs it. */
export function installNeed(root) {
  const modules = join(root, 'node_modules');
  const lock = join(root, 'package-lock.json');
  const command = existsSync(lock) ? 'ci' : 'install';
  if (!existsSync(modules)) return { reason: 'node_modules is missing', command };
  if (command === 'install') return { reason: '', command };
  const record = join(modules, '.package-lock.json');
  const installedAt = statSync(existsSync(record) ? record : modules).mtimeMs;
  if (statSync(lock).mtimeMs <= installedAt) return { reason: '', command };
  if (sameVersions(lock, record)) return { reason: '', command };
  return { reason: 'node_modules is older than package-lock.json', command };
}

/** Runs `npm ci` (or `npm install` without a lock file) when needed, saying so in one line. Throws when it fails. */
export function ensureDependencies(root, { prefix = '[deps]' } = {}) {
  const { reason, command } = installNeed(root);
  if (!reason) return false;
  const modules = join(root, 'node_modules');
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    // A shared node_modules (a link to another checkout's): `npm ci` would empty the other checkout's.
    console.log(`${prefix} ${reason}, but node_modules is a link to another folder: not reinstalling it here (run npm ${command} there)`);
    return false;
  }
  console.log(`${prefix} ${reason}: running npm ${command} first`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, [command, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm ${command} failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
  return true;
}
