/** What the benchmark scripts share: a median, a bounded pool of async work, and a child process measured by /usr/bin/time. */
import { spawn, type ChildProcess } from 'node:child_process';

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` on every item, at most `n` at a time. */
export async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** What /usr/bin/time says of a child process, with its wall time, its stdout and the end of its stderr. */
export interface Measured {
  code: number;
  seconds: number;
  peakMiB: number;
  /** User + system CPU time. */
  cpuSeconds: number;
  /** Of which the kernel's (system calls: sockets, files). */
  sysSeconds: number;
  out: string;
  err: string;
}

/** Runs `cmd` under /usr/bin/time (default environment: this one without AZURE_STORAGE_CONNECTION_STRING). */
export function measured(cmd: string[], options: { env?: NodeJS.ProcessEnv; onStart?: (c: ChildProcess) => void } = {}): Promise<Measured> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const env = options.env ?? { ...process.env, AZURE_STORAGE_CONNECTION_STRING: '' };
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_KIB=%M USER=%U SYS=%S', ...cmd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    options.onStart?.(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-8000)));
    child.on('close', (code) => {
      const m = /PEAK_KIB=(\d+) USER=([\d.]+) SYS=([\d.]+)/.exec(err);
      resolve({ code: code ?? 1, seconds: (performance.now() - t0) / 1000, peakMiB: Number(m?.[1] ?? 0) / 1024, cpuSeconds: Number(m?.[2] ?? 0) + Number(m?.[3] ?? 0), sysSeconds: Number(m?.[3] ?? 0), out, err });
    });
  });
}

/** measured(), with peak RSS in KiB; a failure's stderr goes out tagged. */
export async function timed(cmd: string[], env: NodeJS.ProcessEnv, tag: string): Promise<{ seconds: number; peakKiB: number; out: string; code: number }> {
  const r = await measured(cmd, { env });
  if (r.code !== 0) process.stderr.write(`${tag} exited ${r.code}: ${r.err}\n`);
  return { seconds: r.seconds, peakKiB: r.peakMiB * 1024, out: r.out, code: r.code };
}

/** What the benches read of the CLI's `--json` (undefined when its output is not that JSON). */
export function cliJson(out: string): { phases?: Record<string, number>; settled?: string } | undefined {
  try {
    return JSON.parse(out) as { phases?: Record<string, number>; settled?: string };
  } catch {
    return undefined;
  }
}
