// esbuild options for the Node bundles (extension host, CLI), shared by scripts/build.mjs and the CLI tests.

/**
 * @azure/storage-common's ESM build calls createRequire(import.meta.url) at load time; in a CJS bundle esbuild turns
 * import.meta into {}, so the bundle crashed on start. Give it the bundle's own file URL.
 */
const importMetaUrl = "const __blobCopyImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

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
    banner: { js: `${shebang ? '#!/usr/bin/env node\n' : ''}${importMetaUrl}` },
  };
}
