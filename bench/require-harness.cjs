// `npm run bench -- --startup`: how long a fresh Node process takes to require() a release bundle given as argument
// (dist/extension.js: what VS Code requires at activation; dist/core.js: the engine, required on first use), with a
// stub `vscode` module (every member a no-op proxy). Not the extension host: its own Node version and loader differ;
// this is the part of activation the extension's own timing of activate() misses.
/* global require, process, performance, console */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS harness run with plain node
const Module = require('node:module');

const original = Module._load;
const stub = new Proxy(function () {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : stub), apply: () => stub, construct: () => stub });
Module._load = function load(request, ...rest) {
  return request === 'vscode' ? stub : original.call(this, request, ...rest);
};
const t0 = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle under test
require(process.argv[2]);
console.log(JSON.stringify({ requireMs: performance.now() - t0 }));
