/**
 * node:test suites for Entra ID tests: Node reads NODE_EXTRA_CA_CERTS only when a process starts, so a test file
 * that finds the harness certificate untrusted runs itself again in a child process that trusts it (runTrusted);
 * scripts/test.mjs may instead set the variable for the whole run.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ensureTestCertificate, type TestCertificate } from './entra';

/** Result of running a test file again in a child process that trusts the certificate. */
export interface TrustedRun {
  readonly code: number | null;
  readonly passed: number;
  readonly failed: number;
  /** The child's reporter output (spec), for the assertion message. */
  readonly output: string;
}

/**
 * Runs `testFile` with `node --test` in a child process started with NODE_EXTRA_CA_CERTS = the harness
 * certificate. Asynchronous on purpose (no spawnSync). Bounded by `timeoutMs`.
 */
export async function runTrusted(testFile: string, certificate: TestCertificate, timeoutMs = 10 * 60_000): Promise<TrustedRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certPath };
  // The child is a test run of its own, not a subtest of ours (node:test marks its children with this variable).
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', testFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const count = (k: string) => Number(new RegExp(`^ℹ ${k} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  return { code, passed: count('pass'), failed: count('fail'), output };
}

/**
 * Whether this process was started trusting `certificate` (NODE_EXTRA_CA_CERTS names it and it existed then):
 * Node reads that variable only at start-up.
 */
export function trustedAtStart(certificate: TestCertificate): boolean {
  const env = process.env.NODE_EXTRA_CA_CERTS;
  if (!env || path.resolve(env) !== path.resolve(certificate.certPath)) return false;
  const startedAt = Date.now() - process.uptime() * 1000;
  return fs.statSync(certificate.certPath).mtimeMs <= startedAt;
}

/**
 * Declares an Entra ID suite. In a process that trusts the harness certificate the suite runs here; otherwise one
 * test runs this file again in a child process that does (runTrusted) and passes only when every test there passed.
 */
export function describeEntra(name: string, file: string, body: (certificate: TestCertificate) => void): void {
  const certificate = ensureTestCertificate();
  if (trustedAtStart(certificate)) {
    describe(name, () => body(certificate));
    return;
  }
  describe(name, () => {
    it('runs in a child process that trusts the test certificate (NODE_EXTRA_CA_CERTS)', async (t) => {
      const run = await runTrusted(file, certificate);
      const failing = run.output.indexOf('✖ failing tests:');
      const tail = (failing >= 0 ? run.output.slice(failing) : run.output).split('\n').slice(0, 80).join('\n');
      assert.equal(run.code, 0, `child test run failed (exit ${run.code}):\n${tail}`);
      assert.equal(run.failed, 0, tail);
      assert.ok(run.passed > 0, `the child ran no test:\n${tail}`);
      t.diagnostic(`${name}: ${run.passed} passed in the child process`);
    });
  });
}
