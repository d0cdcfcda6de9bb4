/**
 * scripts/test-failures.mjs: the summary of `npm test` names each failed plain-Node test from node:test's own TAP
 * report (written here by a real `node --test` run of small failing files), with its file and first error line.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../helpers/cli';

interface Failure {
  file: string;
  title: string;
  error: string;
}
type Module = { tapFailures(tap: string, root: string): Failure[]; formatFailures(label: string, f: Failure[]): string[] };
// An ESM script: load it without TypeScript rewriting import() to require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<Module>;

const FILES: Record<string, string> = {
  'a.test.js': `const { describe, it, test } = require('node:test');
const assert = require('node:assert');
describe('outer', () => {
  it('passes', () => {});
  it("fails 'quoted'", () => assert.equal(1, 2, 'numbers differ\\nsecond line'));
  describe('inner #2', () => it('throws', async () => { throw new Error('boom'); }));
});
test('top', () => assert.deepEqual({ a: 1 }, { a: 2 }));
`,
  'b.test.js': `const { test, before } = require('node:test');
before(() => { throw new Error('hook broke'); });
test('after a broken hook', () => {});
`,
  'c.test.js': `require('node:test').test('ok', () => {});
process.exitCode = 3;
`,
};

describe('npm test summary: failed plain-Node tests', () => {
  let dir: string;
  let failures: Failure[];
  let lines: string[];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-tap-'));
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
    const tap = path.join(dir, 'report.tap');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // a test run of its own, not a subtest of this one
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...Object.keys(FILES)], { cwd: dir, env, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0, 'the fixture run fails');
    const m = await importEsm(path.join(repoRoot, 'scripts', 'test-failures.mjs'));
    failures = m.tapFailures(fs.readFileSync(tap, 'utf8'), dir);
    lines = m.formatFailures('node', failures);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names each failed test with its file, suites and first error line, and no suite that failed only through them', () => {
    assert.deepEqual(failures, [
      { file: 'a.test.js', title: "outer > fails 'quoted'", error: 'numbers differ' },
      { file: 'a.test.js', title: 'outer > inner #2 > throws', error: 'boom' },
      { file: 'a.test.js', title: 'top', error: 'Expected values to be loosely deep-equal:' },
      { file: 'b.test.js', title: 'after a broken hook', error: 'hook broke' },
      { file: 'c.test.js', title: 'c.test.js', error: 'test failed (exit code 3, signal -)' },
    ]);
  });

  it('prints a count, then one block per failure', () => {
    assert.equal(lines[0], 'node: 5 failed');
    assert.equal(lines[2], '  ✘ a.test.js › outer > inner #2 > throws\n      boom');
    assert.equal(lines.length, 6);
  });
});
