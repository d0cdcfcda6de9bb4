/**
 * `blob-copy` (bundled to dist/cli.js): starts the CLI bundle next to it (dist/cli-main.js, from src/cli/main.ts)
 * with a V8 code cache, see codeCache.ts.
 */
import * as path from 'node:path';
import { runWithCodeCache } from './codeCache';

runWithCodeCache(path.join(__dirname, 'cli-main.js'), process.argv.slice(2).find((a) => !a.startsWith('-')));
