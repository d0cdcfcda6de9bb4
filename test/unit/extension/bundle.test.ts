/**
 * The extension's two bundles (start-up time), built here with exactly the options of `npm run build`
 * (scripts/build-config.mjs) into .cache/bundle-test: dist/extension.js holds no storage SDK and loads neither
 * dist/core.js nor any package when VS Code requires it; dist/core.js is the engine; and the build guard fails a
 * bundle that imports the engine eagerly.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import type { Metafile } from 'esbuild';
import { repoRoot } from '../../helpers/cli';

interface BuildConfig {
  extensionBundles(dir: string): Array<Record<string, unknown>>;
  sdkInputs(metafile: Metafile): Array<{ pkg: string; input: string }>;
  sdkGuardPlugin(): unknown;
  lazyCorePlugin(): unknown;
  nodeBundle(o: { entry: string; outfile: string; external?: string[] }): Record<string, unknown>;
  SDK_PACKAGES: string[];
}

// scripts/build-config.mjs is ESM: load it without TypeScript rewriting import() to require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<BuildConfig>;
const outDir = path.join(repoRoot, '.cache', 'bundle-test');

/** Requires `file` with a stub `vscode` (as bench/require-harness.cjs does); returns every request made meanwhile. */
function requireRecording(file: string): string[] {
  const requests: string[] = [];
  const loader = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const original = loader._load;
  const stub: unknown = new Proxy(function () {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : stub), apply: () => stub, construct: () => stub as object });
  loader._load = function (this: unknown, request: string, ...rest: unknown[]) {
    requests.push(request);
    return request === 'vscode' ? stub : original.call(this, request, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle under test
    require(file);
  } finally {
    loader._load = original;
  }
  return requests;
}

describe('the extension bundles: the engine and the SDK are loaded on first use', () => {
  let config: BuildConfig;
  let esbuild: typeof import('esbuild');
  let metafile: Metafile;
  let azureMetafile: Metafile;

  before(async () => {
    config = await importEsm(path.join(repoRoot, 'scripts', 'build-config.mjs'));
    esbuild = await import('esbuild');
    fs.rmSync(outDir, { recursive: true, force: true });
    const results = await Promise.all(config.extensionBundles(outDir).map((b) => esbuild.build({ ...b, absWorkingDir: repoRoot, minify: true, logLevel: 'silent' })));
    metafile = results[0].metafile!;
    azureMetafile = results[2].metafile!;
  });
  after(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('extension.js bundles no SDK package, and leaves exactly one require of ./core.js', () => {
    assert.deepEqual(config.sdkInputs(metafile), []);
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.some((i) => i.endsWith('src/extension/extension.ts')));
    assert.deepEqual(inputs.filter((i) => i.includes('node_modules/@azure/')), [], 'no @azure package at all');
    assert.ok(!inputs.includes('src/core/index.ts'), "src/core's index is not in the extension bundle");
    const text = fs.readFileSync(path.join(outDir, 'extension.js'), 'utf8');
    assert.equal(text.match(/require\("\.\/core\.js"\)/g)?.length, 1, text.match(/require\([^)]*\)/g)?.join(' '));
    assert.equal(text.match(/require\("\.\/azure\.js"\)/g)?.length, 1, 'the Azure sign-in is required lazily too');
    assert.ok(!text.includes('BlobServiceClient'), "the storage SDK's client is not in the text");
    assert.ok(fs.statSync(path.join(outDir, 'extension.js')).size < 200 * 1024, 'extension.js stays small');
  });

  it('requiring extension.js (as VS Code does at activation) loads neither core.js nor any package', () => {
    const file = path.join(outDir, 'extension.js');
    const requests = requireRecording(file).filter((r) => r !== file);
    assert.ok(requests.includes('vscode'));
    assert.ok(requests.some((r) => Module.isBuiltin(r)), 'a Node built-in (the recording works)');
    assert.deepEqual(requests.filter((r) => r !== 'vscode' && !Module.isBuiltin(r)), [], 'only vscode and Node built-ins');
    assert.ok(!Object.keys(require.cache).some((f) => f.startsWith(outDir) && f.endsWith('core.js')), 'core.js not loaded');
  });

  it('core.js is the engine: what loadCore() returns', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle under test
    const core = require(path.join(outDir, 'core.js')) as typeof import('../../../src/core');
    assert.equal(typeof core.CopyEngine, 'function');
    assert.equal(typeof core.createAccountClient, 'function');
    assert.equal(typeof core.listBlobsPage, 'function');
    assert.equal(typeof core.createDefaultAzureCredential, 'function');
  });

  it('azure.js is the Azure sign-in and discovery, without @azure/identity or the storage SDK', () => {
    const inputs = Object.keys(azureMetafile.inputs).map((i) => i.split(path.sep).join('/'));
    assert.ok(inputs.some((i) => i.includes('node_modules/@microsoft/vscode-azext-azureauth/')));
    assert.ok(inputs.some((i) => i.includes('node_modules/@azure/arm-storage/')));
    assert.deepEqual(inputs.filter((i) => /node_modules\/@azure\/(identity|msal-node|storage-blob)\//.test(i)), []);
  });

  it('the build fails when the extension imports the engine eagerly', async () => {
    // A module of the extension that imports a value from src/core's index: the SDK comes with it.
    const entry = path.join(outDir, 'eager.ts');
    fs.writeFileSync(entry, "import { CopyEngine } from '../../src/core';\nexport const engine = CopyEngine;\n");
    const [extension] = config.extensionBundles(outDir);
    await assert.rejects(
      esbuild.build({ ...extension, entryPoints: [entry], outfile: path.join(outDir, 'eager.js'), absWorkingDir: repoRoot, logLevel: 'silent' }),
      (err: Error) => /must not contain the storage SDK/.test(err.message) && /@azure\/storage-blob/.test(err.message),
    );
  });
});
