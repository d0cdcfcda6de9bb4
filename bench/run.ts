/** What the benchmark scripts share: a bounded pool of async work, and a child process timed with its peak RSS. */
import { spawn } from 'node:child_process';

/** Runs `fn` on every item, at most `n` at a time. */
export async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** Runs `cmd` under /usr/bin/time: wall time, peak RSS (KiB), stdout and exit code; a failure's stderr goes out tagged. */
export function timed(cmd: string[], env: NodeJS.ProcessEnv, tag: string): Promise<{ seconds: number; peakKiB: number; out: string; code: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KIB=%M', ...cmd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => {
      const peak = Number(/PEAK_KIB=(\d+)/.exec(err)?.[1] ?? 0);
      if (code !== 0) process.stderr.write(`${tag} exited ${code}: ${err}\n`);
      resolve({ seconds: (performance.now() - t0) / 1000, peakKiB: peak, out, code: code ?? 1 });
    });
  });
}
