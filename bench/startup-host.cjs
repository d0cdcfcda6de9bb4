// Extension-tests entry for `npm run bench -- --startup` (scripts/bench.mjs): runs inside the real VS Code extension
// host (the offline runtime of scripts/vscode-runtime.mjs), activates Blob Copy and prints what the extension measured
// around its own activate() (its test API's `activation`), whether activation created the engine or loaded
// dist/core.js, and then the first use: creating the engine (require of dist/core.js + the engine), timed here.
// Not a test: it asserts nothing.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS entry the extension host requires
const vscode = require('vscode');

/* global require, exports, performance, console */

exports.run = async function run() {
  const ext = vscode.extensions.getExtension('blob-copy.blob-copy');
  if (!ext) throw new Error('Blob Copy is not loaded in this host');
  const t0 = performance.now();
  const api = await ext.activate();
  const activateCallMs = performance.now() - t0;
  if (!api || !api.activation) throw new Error('the extension returned no activation timing (not in test mode?)');
  const engineAtActivation = api.engineCreated;
  const coreAtActivation = api.coreLoaded;
  const t1 = performance.now();
  void api.engine; // first use: loads dist/core.js and creates the engine
  const firstUseMs = performance.now() - t1;
  console.log(
    `[blob-copy-startup] ${JSON.stringify({ activateMs: api.activation.ms, activateCallMs, moduleLoadedAt: api.activation.moduleLoadedAt, activateStartedAt: api.activation.activateStartedAt, alreadyActive: activateCallMs < api.activation.ms, engineAtActivation, coreAtActivation, firstUseMs, coreLoadedByFirstUse: api.coreLoaded })}`,
  );
};
