// An export nobody imports (not the code, not a test, not a benchmark) is dead: `npm run lint` fails on it.
// Uses ts-unused-exports over every TypeScript file of src (the webview too), test and bench. The entries of bundles
// are left out of the report, their exports are read by require(): src/core/index.ts (the CLI and dist/core.js),
// src/extension/azure/cloud.ts (dist/azure.js) and the extension's entry (VS Code calls it).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(relative(root, p));
  }
};
for (const d of ['src', 'test', 'bench']) walk(join(root, d));
const bin = process.env.TS_UNUSED_EXPORTS_BIN ?? join(root, 'node_modules', 'ts-unused-exports', 'bin', 'ts-unused-exports');
const public_ = ['src/core/index.ts', 'src/extension/azure/cloud.ts', 'src/extension/extension.ts', 'test/', 'bench/'];
const r = spawnSync(process.execPath, [bin, 'tsconfig.json', ...files, `--excludePathsFromReport=${public_.join(';')}`, '--exitWithCount'], { cwd: root, encoding: 'utf8' });
if (r.status !== 0) {
  process.stdout.write(r.stdout.replace(/^(\d+) modules? with unused exports/m, 'Exported but never imported (drop the `export`, or the code): $1 files'));
  process.stderr.write(r.stderr);
  process.exit(1);
}
