// `npm run package`: release build (minified, no source maps) and a .vsix made by @vscode/vsce, offline.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './vscode-runtime.mjs';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, ['scripts/build.mjs', '--production']);
const out = `${pkg.name}-${pkg.version}.vsix`;
// --no-dependencies: the bundle already contains every runtime dependency.
run(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out]);
console.log(`[package] ${out}: ${(statSync(join(root, out)).size / 1024).toFixed(0)} KiB`);
