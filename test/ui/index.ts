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

/** A failed test as the launcher's summary names it: compiled file, full title, first line of its error. */
export interface UiFailure {
  file: string;
  title: string;
  error: string;
}

/**
 * A plain-text reporter: the extension host forwards console.log arguments unformatted, so mocha's printf-style
 * "spec" output would show "%s". One line per test, failures with their stack.
 */
class LineReporter {
  static failures: UiFailure[] = [];
  constructor(runner: Mocha.Runner) {
    const started = Date.now();
    let passes = 0;
    let failures = 0;
    runner.on('suite', (suite: Mocha.Suite) => {
      if (suite.title) console.log(`\n${suite.fullTitle()}`);
    });
    runner.on('pass', (test: Mocha.Test) => {
      passes++;
      console.log(`  ✔ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on('pending', (test: Mocha.Test) => console.log(`  - ${test.title} (pending)`));
    runner.on('fail', (test: Mocha.Test, err: Error) => {
      failures++;
      const file = test.file ?? test.parent?.file ?? '';
      LineReporter.failures.push({
        file: file ? path.relative(path.resolve(__dirname, '..', '..', '..'), file) : 'out/test/ui',
        title: test.fullTitle(),
        error: String(err?.message ?? err).split('\n').find((l) => l.trim()) ?? 'failed',
      });
      console.log(`  ✘ ${test.fullTitle()}\n    ${(err.stack ?? err.message).split('\n').slice(0, 8).join('\n    ')}`);
    });
    runner.once('end', () => console.log(`\n${passes} passing, ${failures} failing (${((Date.now() - started) / 1000).toFixed(1)} s)`));
  }
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: LineReporter as unknown as typeof Mocha.reporters.Base });
  const grep = process.env.BLOB_COPY_UI_GREP;
  if (grep) mocha.grep(grep);
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  let stats: { passed: number; failed: number; pending: number; failures?: UiFailure[] } = { passed: 0, failed: 0, pending: 0 };
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
    LineReporter.failures.push({ file: 'out/test/ui/index.js', title: 'mocha', error: `mocha could not run: ${err instanceof Error ? err.message : String(err)}` });
  } finally {
    await stopEnv();
  }
  stats.failures = LineReporter.failures;
  console.log('[blob-copy-ui] ' + JSON.stringify(stats));
  if (stats.failed > 0) throw new Error(`${stats.failed} extension test(s) failed`);
}
