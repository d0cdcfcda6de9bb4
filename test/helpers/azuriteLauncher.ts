/**
 * Runs the Azurite bundle named by the first argument (see azurite.ts: azuriteCommand) with a V8 code cache beside
 * it, so a test file's Azurite starts in about a third of the CPU time. The rest of the arguments are Azurite's.
 * One cache per Node version: the test files run on Node 20, the extension-host tests on VS Code's Node 24.
 */
import { readFileSync } from 'node:fs';
import { codeCacheKey, compileWithCodeCache } from '../../src/core/base/codeCache';

const bundle = process.argv[2];
const text = readFileSync(bundle);
const compiled = compileWithCodeCache(bundle, `${bundle.replace(/\.js$/, '')}-node${process.versions.node}-${codeCacheKey(text)}.cache`, text.toString('utf8').replace(/^#!.*/, ''));
process.argv.splice(1, 1); // Azurite reads its options from process.argv.slice(2): [node, bundle, ...options]
compiled.run();
// Written once the start-up code has run (a cache then holds its compiled functions too); a later start takes it.
setTimeout(() => compiled.write(), 1000).unref();

// The process that started this Azurite (a test file, a benchmark) may be killed outright (SIGKILL, a runner giving
// up on it): no exit handler of its runs, and this process is left to pid 1 with nothing to serve. It ends itself then.
const starter = process.ppid;
setInterval(() => process.ppid !== starter && process.exit(0), 250).unref();
