// esbuild options for the Node bundles (extension host, CLI), shared by scripts/build.mjs and the CLI tests.

/**
 * @azure/storage-common's ESM build calls createRequire(import.meta.url) at load time; in a CJS bundle esbuild turns
 * import.meta into {}, so the bundle crashed on start. Give it the bundle's own file URL.
 */
const importMetaUrl = "const __blobCopyImportMetaUrl = require('node:url').pathToFileURL(__filename).href;";

/**
 * The CLI runs with a 256 MiB old space: a copy's live data is small and flat (a window of jobs), but V8 lets the
 * garbage of a long copy grow the heap with the number of blobs when left to its default limit (peak RSS 188 MiB at
 * 2,000 blobs, 530 MiB at 100,000, while the heap in use after a GC stayed under 2 MiB). `env -S` passes the flag.
 */
const SHEBANG = '#!/usr/bin/env -S node --max-old-space-size=256\n';

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
