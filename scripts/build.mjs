// Bundles the extension host code, the CLI and the webview with esbuild.
//   node scripts/build.mjs               development build (source maps)
//   node scripts/build.mjs --production  minified release build
//   node scripts/build.mjs --watch       rebuild on change
// Node bundles: dist/extension.js (activation), dist/core.js (the engine and the storage SDK, required on first use),
// dist/cli.js (launcher) and dist/cli-main.js (the CLI); browser: dist/webview/main.js.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliBundles, extensionBundles } from './build-config.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  absWorkingDir: root,
  legalComments: 'none',
};

const builds = [
  // dist/extension.js and dist/core.js (the engine and the SDK, loaded on first use); the build fails when the
  // extension bundle holds the SDK (see build-config.mjs).
  ...extensionBundles('dist').map((b) => ({ ...common, ...b })),
  // dist/cli.js (the bin: a launcher with a V8 code cache) and dist/cli-main.js (the CLI).
  ...cliBundles(root, join(root, 'dist')).map((b) => ({ ...common, ...b })),
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    tsconfig: 'src/webview/tsconfig.json',
  },
];

function copyAssets() {
  // Codicons font + CSS for the webview, served from the bundle folder (no remote content).
  const out = join(root, 'dist', 'webview');
  mkdirSync(out, { recursive: true });
  const codicons = join(root, 'node_modules', '@vscode', 'codicons', 'dist');
  cpSync(join(codicons, 'codicon.css'), join(out, 'codicon.css'));
  cpSync(join(codicons, 'codicon.ttf'), join(out, 'codicon.ttf'));
}

copyAssets();
if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[watch] watching for changes');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
