// esbuild options for the Node bundles (extension host, its engine bundle, CLI), shared by scripts/build.mjs and the
// tests (CLI tests, the bundle test).
import { join, relative, sep } from 'node:path';

/**
 * @azure/storage-common's ESM build calls createRequire(import.meta.url) at load time; in a CJS bundle esbuild turns
 * import.meta into {}, so the bundle crashed on start. Give it the bundle's own file URL.
 */
const importMetaUrl = "const __blobCopyImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/**
 * The CLI's old-space limit, 2,048 MiB: the smallest at which V8 grows the old generation 4× its live size between
 * full collections (below it, 1.3–2×, and at 256 MiB barely 16 MiB a time). A copy over a round trip holds every
 * request in flight long enough to be promoted, so at 256 MiB it ran four times the full collections of an unlimited
 * process: at 100 ms RTT, 20,000 small blobs, four alternating pairs, 0.98 → 0.86 ms of CPU per blob, peak RSS
 * 150 → 237 MiB. The copy's live data stays flat (10,000,000 blobs at 286 MiB of peak RSS); the limit bounds a fault.
 * `env -S` passes the flag.
 */
const SHEBANG = '#!/usr/bin/env -S node --max-old-space-size=2048\n';

/**
 * A CommonJS bundle for Node 20 (and VS Code's extension host).
 * @param {{ entry: string, outfile: string, shebang?: boolean, external?: string[] }} options
 * @returns {import('esbuild').BuildOptions}
 */
export function nodeBundle({ entry, outfile, shebang = false, external = [] }) {
  return {
    bundle: true,
    entryPoints: [entry],
    outfile,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external,
    define: { 'import.meta.url': '__blobCopyImportMetaUrl' },
    banner: { js: `${shebang ? SHEBANG : ''}${importMetaUrl}` },
  };
}

/**
 * The CLI as two bundles: `cli.js`, the `blob-copy` bin, is a small launcher (with the shebang) that
 * compiles `cli-main.js`, the CLI itself, with a V8 code cache (src/cli/codeCache.ts).
 * @param {string} root the repository
 * @param {string} outdir where both go
 * @returns {import('esbuild').BuildOptions[]}
 */
export function cliBundles(root, outdir) {
  return [
    // Without whitespace and comments (names kept for stack traces; the source map, in a development build, maps
    // back): 2.6 → 1.6 MB, and only ASCII (the dependencies' comments held other characters, which made V8 keep the
    // whole source as a two-byte string). Each start reads, decodes and compiles less: a one-blob copy, 14 alternating
    // pairs, 0.35 → 0.32 s of CPU.
    { ...nodeBundle({ entry: join(root, 'src', 'cli', 'main.ts'), outfile: join(outdir, 'cli-main.js') }), minifyWhitespace: true },
    nodeBundle({ entry: join(root, 'src', 'cli', 'launcher.ts'), outfile: join(outdir, 'cli.js'), shebang: true }),
  ];
}

/**
 * The extension ships as two bundles (start-up time): dist/extension.js (UI shells, what VS Code requires
 * at activation) and dist/core.js (src/core: the engine and the storage SDK), required on first use by
 * src/extension/loadCore.ts's `require('../core')`. This plugin keeps exactly that require out of the extension bundle:
 * it stays a require of ./core.js next to it. Any other import of src/core's index is bundled as usual (and then
 * caught by sdkGuard).
 */
export const LAZY_CORE_IMPORTER = join('src', 'extension', 'loadCore.ts');
export const LAZY_CORE_OUTFILE = 'core.js';
/** The Azure sign-in and account discovery (src/extension/azure/cloud.ts): its own bundle, required on first use too. */
export const LAZY_AZURE_OUTFILE = 'azure.js';
/** What loadCore.ts requires lazily → the bundle next to extension.js that the require stays a require of. */
const LAZY_REQUIRES = { '../core': LAZY_CORE_OUTFILE, './azure/cloud': LAZY_AZURE_OUTFILE };

/** @returns {import('esbuild').Plugin} */
export function lazyCorePlugin() {
  return {
    name: 'blob-copy-lazy-core',
    setup(build) {
      const root = build.initialOptions.absWorkingDir ?? process.cwd();
      build.onResolve({ filter: /^(\.\.\/core|\.\/azure\/cloud)$/ }, (args) => {
        if (args.kind !== 'require-call' || relative(root, args.importer) !== LAZY_CORE_IMPORTER) return undefined;
        return { path: `./${LAZY_REQUIRES[args.path]}`, external: true };
      });
    },
  };
}

/**
 * dist/azure.js without @azure/identity (and MSAL, ~0.9 MB): the sign-in library imports it only for its Azure DevOps
 * pipeline provider, which the extension does not use (VS Code's own Microsoft sign-in hands out the tokens).
 * @returns {import('esbuild').Plugin}
 */
export function withoutIdentityPlugin() {
  return {
    name: 'blob-copy-without-identity',
    setup(build) {
      build.onResolve({ filter: /^@azure\/identity$/ }, () => ({ path: '@azure/identity', namespace: 'blob-copy-unused' }));
      build.onLoad({ filter: /.*/, namespace: 'blob-copy-unused' }, () => ({
        contents: "throw new Error('@azure/identity is not part of dist/azure.js');",
        loader: 'js',
      }));
    },
  };
}

/** Packages the extension bundle must not contain: the storage SDK and Entra ID (they belong in dist/core.js). */
export const SDK_PACKAGES = [
  '@azure/storage-blob',
  '@azure/storage-common',
  '@azure/identity',
  '@azure/msal-node',
  '@azure/arm-storage',
  '@azure/arm-resources-subscriptions',
  '@microsoft/vscode-azext-azureauth',
];

/**
 * The SDK packages among a metafile's inputs, each with the first input that holds it.
 * @param {import('esbuild').Metafile} metafile
 * @returns {{ pkg: string, input: string }[]}
 */
export function sdkInputs(metafile) {
  const found = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const path = input.split(sep).join('/');
    const pkg = SDK_PACKAGES.find((p) => path.includes(`node_modules/${p}/`));
    if (pkg && !found.has(pkg)) found.set(pkg, input);
  }
  return [...found].map(([pkg, input]) => ({ pkg, input }));
}

/**
 * Fails the build when the bundle contains any of SDK_PACKAGES: an eager import of src/core (its index, or a module
 * that imports the SDK) slipped into the extension. Needs `metafile: true`.
 * @returns {import('esbuild').Plugin}
 */
export function sdkGuardPlugin() {
  return {
    name: 'blob-copy-sdk-guard',
    setup(build) {
      build.onEnd((result) => {
        if (!result.metafile) return { errors: [{ text: 'blob-copy-sdk-guard needs metafile: true' }] };
        const found = sdkInputs(result.metafile);
        if (found.length === 0) return undefined;
        return {
          errors: [
            {
              text:
                `${build.initialOptions.outfile} must not contain the storage SDK, but it bundles ${found.map((f) => f.pkg).join(', ')} ` +
                `(e.g. ${found[0].input}). The extension loads the engine and the SDK on first use, through loadCore() ` +
                '(src/extension/loadCore.ts): import only types from src/core\'s index, and values from SDK-free core modules.',
            },
          ],
        };
      });
    },
  };
}

/**
 * The extension's bundles: dist/extension.js (with the lazy requires and the guard), dist/core.js and dist/azure.js.
 * @param {string} dir the output folder (dist)
 * @returns {import('esbuild').BuildOptions[]}
 */
export function extensionBundles(dir) {
  return [
    {
      ...nodeBundle({ entry: 'src/extension/extension.ts', outfile: join(dir, 'extension.js'), external: ['vscode'] }),
      metafile: true,
      plugins: [lazyCorePlugin(), sdkGuardPlugin()],
    },
    nodeBundle({ entry: 'src/core/index.ts', outfile: join(dir, LAZY_CORE_OUTFILE) }),
    { ...nodeBundle({ entry: 'src/extension/azure/cloud.ts', outfile: join(dir, LAZY_AZURE_OUTFILE), external: ['vscode'] }), metafile: true, plugins: [withoutIdentityPlugin()] },
  ];
}
