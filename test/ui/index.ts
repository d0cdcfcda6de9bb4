/**
 * Entry of the extension-host tests (loaded by VS Code through extensionTestsPath): runs every compiled
 * out/test/ui/**\/*.test.js with mocha, prints one summary line for the launcher, rejects when a test failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { stopEnv } from './env';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = process.env.BLOB_COPY_UI_GREP;
  if (grep) mocha.grep(grep);
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  let stats = { passed: 0, failed: 0, pending: 0 };
  try {
    stats = await new Promise((resolve, reject) => {
      try {
        const runner = mocha.run(() => resolve({ passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? 0, pending: runner.stats?.pending ?? 0 }));
      } catch (err) {
        reject(err);
      }
    });
  } catch (err) {
    console.error(`[blob-copy-ui] mocha could not run: ${err instanceof Error ? err.stack : String(err)}`);
    stats = { passed: 0, failed: 1, pending: 0 };
  } finally {
    await stopEnv();
  }
  console.log('[blob-copy-ui] ' + JSON.stringify(stats));
  if (stats.failed > 0) throw new Error(`${stats.failed} extension test(s) failed`);
}
