/**
 * `npm run bench` (via scripts/bench.mjs, which bundles this file with esbuild and runs it). Not a test.
 *
 * Azurite on disk (temp folder, two accounts). Workloads:
 *   W1  1 GiB block blob → other container, same account                (engine: auto)
 *   W2  1 GiB block blob → second account                                (engine: put-block-from-url, auto)
 *   W3  folder of 2,000 × 4 KiB blobs → second account, recursive        (engine: auto)
 * Peers in the same run: (a) AzCopy 10 (S2S, service/container SAS URLs), (b) naive download + upload through Node,
 * (d) the bare SDK doing the same server-side operation without the engine (where the server is the limit),
 * (c) Azurite's write limit: uploading the same bytes from this machine.
 * Each measurement runs in a fresh worker process (this file with --worker), so peak RSS and byte counters belong
 * to that one measurement. Median of 3 (--quick: smaller data, 1 run).
 *
 * "Bytes through our process" is measured inside the worker by wrapping node:http's request(): blob content bytes =
 * request bodies of content-carrying PUTs (Put Blob / Put Block / Append Block / Put Page without x-ms-copy-source)
 * plus response bodies (Content-Length) of successful Get Blob; wire bytes = bytesRead + bytesWritten of every socket
 * the worker opened (headers, XML listings and bodies). AzCopy runs as its own process: its bytes are not counted
 * (its S2S copy uses Put Block From URL / Put Blob From URL, so it moves no content either); its peak RSS is VmHWM.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { CopyEngine, createAccountClient } from '../src/core';
import type { AccountClient, CopyRequest, StrategyChoice } from '../src/core';
import { AzuriteAccount, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../test/helpers/azurite';
import { median } from './run';

const MiB = 1024 * 1024;

// ------------------------------------------------------------------------------------------------ worker side

interface AzuriteRef {
  host: string;
  port: number;
  accounts: AzuriteAccount[];
}

type WorkerTask =
  | { kind: 'engine'; request: CopyRequest; concurrency?: number }
  | { kind: 'naive-big'; from: BlobRef; to: BlobRef }
  | { kind: 'naive-folder'; from: { account: string; container: string; prefix: string }; to: { account: string; container: string; prefix: string } }
  | { kind: 'upload-file'; file: string; to: BlobRef }
  | { kind: 'upload-many'; count: number; size: number; to: { account: string; container: string; prefix: string } }
  /** Bare SDK, no engine: list, then 32 concurrent Copy Blob From URL (source blob SAS) — the server's own small-copy limit. */
  | { kind: 'sdk-copy-many'; from: { account: string; container: string; prefix: string }; to: { account: string; container: string; prefix: string } }
  /** Bare SDK, no engine: Put Block From URL, 32 MiB blocks, 4 in flight, then Put Block List — the server's S2S limit. */
  | { kind: 'sdk-stage-blocks'; from: BlobRef; to: BlobRef };

interface BlobRef {
  account: string;
  container: string;
  blob: string;
}

interface WorkerSpec {
  azurite: AzuriteRef;
  task: WorkerTask;
}

export interface WorkerResult {
  ok: boolean;
  ms: number;
  contentBytes: number;
  wireBytes: number;
  maxRssMiB: number;
  detail?: string;
  operations?: string[];
}

const counters = { contentUp: 0, contentDown: 0, sockets: new Set<import('node:net').Socket>() };

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  }
  return undefined;
}

/** Wraps node:http request() to count blob content bytes and remember sockets (see the file comment). */
function installCounters(): void {
  // The real module object (not an ES import binding): every bundled module that uses node:http sees the patch.
  const httpModule = createRequire(__filename)('node:http') as { request: typeof http.request };
  const original = httpModule.request;
  const patched = function (this: unknown, ...args: unknown[]) {
    const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    const opts = (typeof args[0] === 'object' && !(args[0] instanceof URL) ? args[0] : args[1]) as
      | { method?: string; path?: string; headers?: Record<string, unknown> }
      | undefined;
    const method = (opts?.method ?? 'GET').toUpperCase();
    const u = new URL(opts?.path ?? '/', 'http://x');
    const comp = u.searchParams.get('comp');
    const isBlobPath = u.pathname.split('/').filter(Boolean).length >= 3;
    const copySource = headerOf(opts?.headers, 'x-ms-copy-source') !== undefined;
    const contentWrite =
      method === 'PUT' && isBlobPath && !copySource && (comp === null ? headerOf(opts?.headers, 'x-ms-blob-type') !== undefined : ['block', 'appendblock', 'page'].includes(comp));
    if (contentWrite) counters.contentUp += Number(headerOf(opts?.headers, 'content-length') ?? 0);
    if (method === 'GET' && isBlobPath && comp === null) {
      req.on('response', (res: http.IncomingMessage) => {
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) counters.contentDown += Number(res.headers['content-length'] ?? 0);
      });
    }
    req.on('socket', (s) => counters.sockets.add(s));
    return req;
  };
  httpModule.request = patched as typeof http.request;
}

function wireBytes(): number {
  let n = 0;
  for (const s of counters.sockets) n += (s.bytesRead ?? 0) + (s.bytesWritten ?? 0);
  return n;
}

function sharedKeyClient(az: AzuriteRef, account: string): AccountClient {
  const acc = az.accounts.find((a) => a.name === account)!;
  return createAccountClient({ kind: 'sharedKey', accountName: acc.name, accountKey: acc.key, blobEndpoint: `http://${az.host}:${az.port}/${acc.name}` });
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]);
      }
    }),
  );
}

async function runWorker(spec: WorkerSpec): Promise<WorkerResult> {
  installCounters();
  const az = spec.azurite;
  const client = (account: string) => sharedKeyClient(az, account).service;
  const task = spec.task;
  let detail: string | undefined;
  let ok = true;
  let operations: string[] | undefined;
  let t0 = 0;
  switch (task.kind) {
    case 'engine': {
      const resolved = new Map<string, AccountClient>();
      const engine = new CopyEngine({
        resolve: async (id) => {
          let c = resolved.get(id);
          if (!c) {
            c = sharedKeyClient(az, id);
            resolved.set(id, c);
          }
          return c;
        },
        concurrency: task.concurrency,
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      t0 = performance.now();
      const summary = await engine.copy(task.request);
      const ms = performance.now() - t0;
      const jobs = engine.jobs();
      operations = [...new Set(jobs.map((j) => j.operation ?? j.strategy))];
      ok = summary.failed === 0 && summary.canceled === 0 && summary.succeeded + summary.skipped === summary.total && summary.total > 0;
      if (!ok) {
        const failed = jobs.find((j) => j.error);
        detail = `${summary.succeeded}/${summary.total} succeeded${failed?.error ? `; first error: ${failed.error.message} (${failed.error.code ?? ''})` : ''}`;
      }
      engine.dispose();
      return finish(ok, ms, detail, operations);
    }
    case 'naive-big': {
      const src = client(task.from.account).getContainerClient(task.from.container).getBlobClient(task.from.blob);
      const dst = client(task.to.account).getContainerClient(task.to.container).getBlockBlobClient(task.to.blob);
      t0 = performance.now();
      const download = await src.download();
      await dst.uploadStream(download.readableStreamBody as import('node:stream').Readable, 8 * MiB, 4);
      return finish(true, performance.now() - t0);
    }
    case 'naive-folder': {
      const srcC = client(task.from.account).getContainerClient(task.from.container);
      const dstC = client(task.to.account).getContainerClient(task.to.container);
      t0 = performance.now();
      const names: string[] = [];
      for await (const b of srcC.listBlobsFlat({ prefix: task.from.prefix })) names.push(b.name);
      await pool(names, 32, async (name) => {
        const data = await srcC.getBlobClient(name).downloadToBuffer();
        const rel = name.slice(task.from.prefix.length);
        await dstC.getBlockBlobClient(task.to.prefix + rel).upload(data, data.length);
      });
      return finish(true, performance.now() - t0);
    }
    case 'upload-file': {
      const dst = client(task.to.account).getContainerClient(task.to.container).getBlockBlobClient(task.to.blob);
      t0 = performance.now();
      await dst.uploadFile(task.file, { blockSize: 8 * MiB, concurrency: 8 });
      return finish(true, performance.now() - t0);
    }
    case 'sdk-copy-many': {
      const srcC = client(task.from.account).getContainerClient(task.from.container);
      const dstC = client(task.to.account).getContainerClient(task.to.container);
      const acc = az.accounts.find((a) => a.name === task.from.account)!;
      t0 = performance.now(); // listing included, as for the engine (which plans from a listing)
      const names: string[] = [];
      for await (const b of srcC.listBlobsFlat({ prefix: task.from.prefix })) names.push(b.name);
      await pool(names, 32, async (name) => {
        const url = `${srcC.getBlobClient(name).url}?${blobSas(acc, task.from.container, name)}`;
        await dstC.getBlobClient(task.to.prefix + name.slice(task.from.prefix.length)).syncCopyFromURL(url);
      });
      return finish(true, performance.now() - t0);
    }
    case 'sdk-stage-blocks': {
      const src = client(task.from.account).getContainerClient(task.from.container).getBlobClient(task.from.blob);
      const dst = client(task.to.account).getContainerClient(task.to.container).getBlockBlobClient(task.to.blob);
      const acc = az.accounts.find((a) => a.name === task.from.account)!;
      t0 = performance.now();
      const size = (await src.getProperties()).contentLength ?? 0;
      const url = `${src.url}?${blobSas(acc, task.from.container, task.from.blob)}`;
      const bs = 32 * MiB;
      const ids = Array.from({ length: Math.ceil(size / bs) }, (_, i) => Buffer.from(`blk-${String(i).padStart(6, '0')}`).toString('base64'));
      await pool(
        ids.map((id, i) => ({ id, i })),
        4,
        async ({ id, i }) => {
          await dst.stageBlockFromURL(id, url, i * bs, Math.min(bs, size - i * bs));
        },
      );
      await dst.commitBlockList(ids);
      return finish(true, performance.now() - t0);
    }
    case 'upload-many': {
      const dstC = client(task.to.account).getContainerClient(task.to.container);
      const data = crypto.randomBytes(task.size);
      const names = Array.from({ length: task.count }, (_, i) => `${task.to.prefix}f${String(i).padStart(5, '0')}.bin`);
      t0 = performance.now();
      await pool(names, 32, async (name) => {
        await dstC.getBlockBlobClient(name).upload(data, data.length);
      });
      return finish(true, performance.now() - t0);
    }
  }
}

function finish(ok: boolean, ms: number, detail?: string, operations?: string[]): WorkerResult {
  return {
    ok,
    ms,
    contentBytes: counters.contentUp + counters.contentDown,
    wireBytes: wireBytes(),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    detail,
    operations,
  };
}

// ------------------------------------------------------------------------------------------------ orchestrator

interface Measurement {
  workload: 'W1' | 'W2' | 'W3';
  label: string;
  peer: 'blob-copy' | 'azcopy' | 'naive' | 'upload' | 'sdk';
  runs: WorkerResult[];
  note?: string;
}

function runWorkerProcess(spec: WorkerSpec, timeoutMs: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [__filename, '--worker', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)) as WorkerResult);
      else resolve({ ok: false, ms: NaN, contentBytes: 0, wireBytes: 0, maxRssMiB: 0, detail: `worker exited ${code}: ${errText.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

function containerSas(acc: AzuriteAccount, container: string, perms: string): string {
  return generateBlobSASQueryParameters(
    { containerName: container, permissions: ContainerSASPermissions.parse(perms), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 6 * 3600_000) },
    new StorageSharedKeyCredential(acc.name, acc.key),
  ).toString();
}

function blobSas(acc: AzuriteAccount, container: string, blob: string): string {
  return generateBlobSASQueryParameters(
    { containerName: container, blobName: blob, permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 6 * 3600_000) },
    new StorageSharedKeyCredential(acc.name, acc.key),
  ).toString();
}

interface AzcopyInfo {
  path?: string;
  version?: string;
  unavailable?: string;
}

function runAzcopy(azcopy: string, args: string[], tmp: string, timeoutMs: number): Promise<WorkerResult & { status: string }> {
  return new Promise((resolve) => {
    const logDir = path.join(tmp, 'azcopy-logs');
    const planDir = path.join(tmp, 'azcopy-plans');
    fs.mkdirSync(logDir, { recursive: true });
    fs.mkdirSync(planDir, { recursive: true });
    const t0 = performance.now();
    const child = spawn(azcopy, args, {
      env: { ...process.env, AZCOPY_LOG_LOCATION: logDir, AZCOPY_JOB_PLAN_LOCATION: planDir, AZCOPY_DISABLE_SYSLOG: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    }, 100);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      clearInterval(poll);
      clearTimeout(timer);
      const status = timedOut ? 'Timeout' : (/Final Job Status:\s*(\w+)/.exec(out)?.[1] ?? `exit ${code}`);
      const failedN = /Number of (?:File )?Transfers Failed:\s*(\d+)/.exec(out)?.[1];
      const ok = !timedOut && code === 0 && status === 'Completed';
      let detail: string | undefined;
      if (!ok) {
        // Find the reason in AzCopy's log: the first failed request with a 5xx status (else the first 4xx), named
        // by its REST operation.
        let reason = '';
        try {
          const logs = fs.readdirSync(logDir).filter((f) => f.endsWith('.log') && !f.includes('scanning')).map((f) => path.join(logDir, f));
          logs.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
          const text = logs[0] ? fs.readFileSync(logs[0], 'utf8') : '';
          const failures = text
            .split('==> REQUEST/RESPONSE')
            .slice(1)
            .map((chunk) => {
              const status = /RESPONSE Status: (\d+)([^\n]*)/.exec(chunk);
              const req = /^\s*(GET|PUT|HEAD|POST|DELETE) (\S+)/m.exec(chunk);
              const url = req ? new URL(req[2]) : undefined;
              const comp = url?.searchParams.get('comp');
              const copySource = /x-ms-copy-source:/i.test(chunk);
              const op =
                req?.[1] === 'PUT' && copySource && !comp && /x-ms-blob-type: BlockBlob/i.test(chunk)
                  ? 'Put Blob From URL'
                  : req?.[1] === 'PUT' && copySource && comp === 'block'
                    ? 'Put Block From URL'
                    : `${req?.[1] ?? '?'} ${comp ? `comp=${comp}` : url?.searchParams.get('restype') ?? 'blob'}`;
              return status ? { code: Number(status[1]), text: `${op} → ${status[1]}${status[2]}`.trim() } : undefined;
            })
            .filter((f): f is { code: number; text: string } => f !== undefined);
          reason = (failures.find((f) => f.code >= 500) ?? failures.find((f) => f.code >= 400))?.text ?? '';
        } catch {
          /* no log */
        }
        detail = `AzCopy ${status}${failedN ? `, ${failedN} transfer(s) failed` : ''}${reason ? `: ${reason.replace(/sig=[^&\s]*/g, 'sig=REDACTED')}` : ''}`;
      }
      resolve({ ok, ms, contentBytes: NaN, wireBytes: NaN, maxRssMiB: hwm, detail, status });
    });
  });
}

async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const fd = fs.openSync(file, 'w');
  try {
    const chunk = 8 * MiB;
    for (let off = 0; off < bytes; off += chunk) {
      fs.writeSync(fd, crypto.randomBytes(Math.min(chunk, bytes - off)));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function fmtS(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 1000 ? `${(ms / 1000).toFixed(3)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (n < 1024) return `${n} B`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / MiB).toFixed(1)} MiB`;
}

async function orchestrate(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const skipAzcopy = argv.includes('--skip-azcopy');
  const repsArg = argv.find((a) => a.startsWith('--reps='));
  // --only=W2[,W3]: run only these workloads (the rest of results.json is kept from its previous run).
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',').map((w) => w.trim().toUpperCase())) : undefined;
  const wants = (w: string) => !only || only.has(w);
  const cfg = {
    bigBytes: quick ? 256 * MiB : 1024 * MiB,
    smallCount: quick ? 500 : 2000,
    smallSize: 4 * 1024,
    reps: repsArg ? Math.max(1, Number(repsArg.slice(7))) : quick ? 1 : 3,
  };
  const azcopy: AzcopyInfo = JSON.parse(process.env.BLOB_COPY_BENCH_AZCOPY ?? '{}') as AzcopyInfo;
  if (skipAzcopy) azcopy.unavailable = 'skipped (--skip-azcopy)';
  const outFile = path.resolve(process.env.BLOB_COPY_BENCH_OUT ?? path.join(process.cwd(), 'bench', 'results.json'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-bench-'));
  const started = Date.now();
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const log = (m: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);
  log(`temp folder ${tmp}; ${quick ? 'QUICK: ' : ''}big blob ${fmtBytes(cfg.bigBytes)}, ${cfg.smallCount} × ${cfg.smallSize} B, ${cfg.reps} run(s) each`);
  fs.mkdirSync(path.join(tmp, 'azurite'), { recursive: true });
  const azurite = await startAzurite({ location: path.join(tmp, 'azurite'), timeoutMs: 60_000 });
  const azRef: AzuriteRef = { host: azurite.host, port: azurite.port, accounts: [...azurite.accounts] };
  const A = DEV_ACCOUNT.name;
  const B = SECOND_ACCOUNT.name;
  const svc = (acc: string): BlobServiceClient => azurite.serviceClient(acc);
  const measurements: Measurement[] = [];
  const get = (workload: Measurement['workload'], label: string, peer: Measurement['peer']): Measurement => {
    let m = measurements.find((x) => x.workload === workload && x.label === label);
    if (!m) measurements.push((m = { workload, label, peer, runs: [] }));
    return m;
  };
  try {
    // ---- data
    const bigFile = path.join(tmp, 'big.bin');
    log('writing the source data');
    await writeRandomFile(bigFile, cfg.bigBytes);
    await svc(A).createContainer('src');
    await svc(A).getContainerClient('src').getBlockBlobClient('big.bin').uploadFile(bigFile, { blockSize: 8 * MiB, concurrency: 8 });
    const small = crypto.randomBytes(cfg.smallSize);
    await pool(Array.from({ length: cfg.smallCount }, (_, i) => i), 32, async (i) => {
      await svc(A).getContainerClient('src').getBlockBlobClient(`small/f${String(i).padStart(5, '0')}.bin`).upload(small, small.length);
    });
    const srcBigUrl = `${azurite.endpoint(A)}/src/big.bin`;
    const bigTimeout = Math.max(300_000, (cfg.bigBytes / MiB) * 600);

    const engineRun = async (m: Measurement, request: CopyRequest, concurrency?: number) => {
      const r = await runWorkerProcess({ azurite: azRef, task: { kind: 'engine', request, concurrency } }, bigTimeout);
      m.runs.push(r);
      log(`${m.workload} ${m.label}: ${r.ok ? fmtS(r.ms) : `FAILED (${r.detail})`}${r.operations ? ` [${r.operations.join(', ')}]` : ''}`);
    };
    const azcopyRun = async (m: Measurement, args: string[]) => {
      if (!azcopy.path) {
        m.note = `AzCopy not run: ${azcopy.unavailable ?? 'not installed'}`;
        return;
      }
      const r = await runAzcopy(azcopy.path, ['copy', ...args, '--from-to=BlobBlob', '--log-level=ERROR', '--output-level=essential'], tmp, bigTimeout);
      m.runs.push(r);
      if (!r.ok) m.note = r.detail;
      log(`${m.workload} ${m.label}: ${r.ok ? fmtS(r.ms) : `did not finish (${fmtS(r.ms)}): ${r.detail}`}`);
    };
    const workerRun = async (m: Measurement, task: WorkerTask) => {
      const r = await runWorkerProcess({ azurite: azRef, task }, bigTimeout);
      m.runs.push(r);
      log(`${m.workload} ${m.label}: ${r.ok ? fmtS(r.ms) : `FAILED (${r.detail})`}`);
    };

    for (let rep = 1; rep <= cfg.reps; rep++) {
      log(`---- run ${rep} of ${cfg.reps}`);
      // W1: same account, other container.
      if (wants('W1')) {
        const c = `w1-r${rep}`;
        await svc(A).createContainer(c);
        await engineRun(get('W1', 'blob-copy auto', 'blob-copy'), {
          sources: [{ kind: 'location', location: { connectionId: A, container: 'src', path: 'big.bin' } }],
          destination: { connectionId: A, container: c, path: 'big.bin' },
          options: { strategy: 'auto' },
        });
        const ca = `w1-azcopy-r${rep}`;
        await svc(A).createContainer(ca);
        await azcopyRun(get('W1', 'AzCopy 10 (S2S)', 'azcopy'), [
          `${srcBigUrl}?${blobSas(DEV_ACCOUNT, 'src', 'big.bin')}`,
          `${azurite.endpoint(A)}/${ca}/big.bin?${containerSas(DEV_ACCOUNT, ca, 'racwl')}`,
        ]);
      }
      // W2: second account. Upload and naive also stand for W1 (same Azurite, same disk, same bytes).
      if (wants('W2') || wants('W1')) {
        const cu = `w2-upload-r${rep}`;
        await svc(B).createContainer(cu);
        await workerRun(get('W2', 'Azurite write limit (upload 1 GiB)', 'upload'), { kind: 'upload-file', file: bigFile, to: { account: B, container: cu, blob: 'big.bin' } });
        for (const strategy of ['put-block-from-url', 'auto'] as StrategyChoice[]) {
          const c = `w2-${strategy}-r${rep}`;
          await svc(B).createContainer(c);
          await engineRun(get('W2', `blob-copy ${strategy}`, 'blob-copy'), {
            sources: [{ kind: 'location', location: { connectionId: A, container: 'src', path: 'big.bin' } }],
            destination: { connectionId: B, container: c, path: 'big.bin' },
            options: { strategy },
          });
        }
        const cs = `w2-sdk-r${rep}`;
        await svc(B).createContainer(cs);
        await workerRun(get('W2', 'bare SDK: Put Block From URL 32 MiB × 4 + commit (server S2S limit)', 'sdk'), {
          kind: 'sdk-stage-blocks',
          from: { account: A, container: 'src', blob: 'big.bin' },
          to: { account: B, container: cs, blob: 'big.bin' },
        });
        const ca = `w2-azcopy-r${rep}`;
        await svc(B).createContainer(ca);
        await azcopyRun(get('W2', 'AzCopy 10 (S2S)', 'azcopy'), [
          `${srcBigUrl}?${blobSas(DEV_ACCOUNT, 'src', 'big.bin')}`,
          `${azurite.endpoint(B)}/${ca}/big.bin?${containerSas(SECOND_ACCOUNT, ca, 'racwl')}`,
        ]);
        const cn = `w2-naive-r${rep}`;
        await svc(B).createContainer(cn);
        await workerRun(get('W2', 'naive download+upload (Node)', 'naive'), {
          kind: 'naive-big',
          from: { account: A, container: 'src', blob: 'big.bin' },
          to: { account: B, container: cn, blob: 'big.bin' },
        });
      }
      // W3: 2,000 × 4 KiB folder → second account.
      if (wants('W3')) {
        const cu = `w3-upload-r${rep}`;
        await svc(B).createContainer(cu);
        await workerRun(get('W3', `Azurite write limit (upload ${cfg.smallCount} blobs, 32 in flight)`, 'upload'), {
          kind: 'upload-many',
          count: cfg.smallCount,
          size: cfg.smallSize,
          to: { account: B, container: cu, prefix: 'small/' },
        });
        const c = `w3-r${rep}`;
        await svc(B).createContainer(c);
        await engineRun(get('W3', 'blob-copy auto (recursive)', 'blob-copy'), {
          sources: [{ kind: 'location', location: { connectionId: A, container: 'src', path: 'small/' } }],
          destination: { connectionId: B, container: c, path: 'small/' },
          options: { strategy: 'auto' },
        });
        const cs = `w3-sdk-r${rep}`;
        await svc(B).createContainer(cs);
        await workerRun(get('W3', 'bare SDK: 32 × Copy Blob From URL (server copy limit)', 'sdk'), {
          kind: 'sdk-copy-many',
          from: { account: A, container: 'src', prefix: 'small/' },
          to: { account: B, container: cs, prefix: 'small/' },
        });
        const ca = `w3-azcopy-r${rep}`;
        await svc(B).createContainer(ca);
        await azcopyRun(get('W3', 'AzCopy 10 (S2S, recursive)', 'azcopy'), [
          `${azurite.endpoint(A)}/src/small?${containerSas(DEV_ACCOUNT, 'src', 'rl')}`,
          `${azurite.endpoint(B)}/${ca}?${containerSas(SECOND_ACCOUNT, ca, 'racwl')}`,
          '--recursive',
        ]);
        const cn = `w3-naive-r${rep}`;
        await svc(B).createContainer(cn);
        await workerRun(get('W3', 'naive download+upload (Node, 32 in flight)', 'naive'), {
          kind: 'naive-folder',
          from: { account: A, container: 'src', prefix: 'small/' },
          to: { account: B, container: cn, prefix: 'small/' },
        });
      }
    }
  } finally {
    await azurite.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // ---- report
  const summarize = (m: Measurement) => {
    const good = m.runs.filter((r) => r.ok);
    return {
      workload: m.workload,
      label: m.label,
      peer: m.peer,
      runs: m.runs.length,
      finished: good.length,
      medianMs: good.length ? median(good.map((r) => r.ms)) : NaN,
      allMs: m.runs.map((r) => Math.round(r.ms * 10) / 10),
      contentBytes: good.length ? median(good.map((r) => r.contentBytes)) : NaN,
      wireBytes: good.length ? median(good.map((r) => r.wireBytes)) : NaN,
      peakRssMiB: m.runs.length ? Math.max(...m.runs.map((r) => r.maxRssMiB)) : NaN,
      operations: [...new Set(m.runs.flatMap((r) => r.operations ?? []))],
      note: m.note ?? m.runs.find((r) => !r.ok)?.detail,
    };
  };
  const rows = measurements.map(summarize);
  const ref = (workload: string, peer: string) => rows.find((r) => r.workload === workload && r.peer === peer && Number.isFinite(r.medianMs));
  const w2Upload = ref('W2', 'upload');
  const w2Naive = ref('W2', 'naive');
  const table: string[] = [];
  const line = (cells: string[]) => table.push(`| ${cells.join(' | ')} |`);
  line(['workload', 'peer', 'median', 'runs ok', 'vs AzCopy', '% of write limit', 'content bytes via us', 'wire bytes via us', 'peak RSS', 'note']);
  line(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']);
  for (const r of rows) {
    const az = ref(r.workload, 'azcopy');
    const up = r.workload === 'W1' ? w2Upload : ref(r.workload, 'upload');
    const vsAz = az && Number.isFinite(r.medianMs) && r.peer !== 'azcopy' ? `${(r.medianMs / az.medianMs).toFixed(r.medianMs / az.medianMs < 0.1 ? 4 : 2)}×` : '';
    const ofLimit = up && Number.isFinite(r.medianMs) && r.peer !== 'upload' ? `${Math.round((up.medianMs / r.medianMs) * 100)} %` : '';
    const extra = r.workload === 'W3' && Number.isFinite(r.medianMs) ? ` (${Math.round(cfg.smallCount / (r.medianMs / 1000))} blobs/s)` : '';
    line([
      r.workload,
      r.label + (r.operations.length ? ` [${r.operations.join(', ')}]` : ''),
      fmtS(r.medianMs) + extra,
      `${r.finished}/${r.runs}`,
      vsAz,
      ofLimit,
      fmtBytes(r.contentBytes),
      fmtBytes(r.wireBytes),
      Number.isFinite(r.peakRssMiB) ? `${r.peakRssMiB.toFixed(0)} MiB` : 'n/a',
      (r.note ?? '').slice(0, 160),
    ]);
  }
  if (w2Upload || w2Naive) {
    table.push('');
    table.push('W1 uses the W2 upload and naive rows as its write-limit / naive references (same Azurite, same disk, same bytes).');
  }
  const w1 = ref('W1', 'blob-copy');
  const w1Az = ref('W1', 'azcopy');
  const w2 = ['blob-copy auto', 'blob-copy put-block-from-url'].map((l) => rows.find((r) => r.workload === 'W2' && r.label === l));
  const w2Az = ref('W2', 'azcopy');
  const w3 = ref('W3', 'blob-copy');
  const targets = {
    'W1 ≥ 100× faster than AzCopy': w1 && w1Az ? w1Az.medianMs / w1.medianMs >= 100 : null,
    'W2 auto ≤ 0.85× AzCopy': w2[0] && w2Az && Number.isFinite(w2[0].medianMs) ? w2[0].medianMs / w2Az.medianMs <= 0.85 : null,
    'W2 auto ≥ 95 % of the write limit': w2[0] && w2Upload && Number.isFinite(w2[0].medianMs) ? w2Upload.medianMs / w2[0].medianMs >= 0.95 : null,
    'W3 ≥ 1,000 blobs/s': w3 ? cfg.smallCount / (w3.medianMs / 1000) >= 1000 : null,
    '0 content bytes through blob-copy (all workloads)': rows.filter((r) => r.peer === 'blob-copy').every((r) => r.contentBytes === 0),
  };
  const w3Sdk = ref('W3', 'sdk');
  const w2Sdk = ref('W2', 'sdk');
  const pct = (a?: { medianMs: number }, b?: { medianMs: number }) => (a && b ? `${Math.round((a.medianMs / b.medianMs) * 100)} %` : null);
  // Where the server (Azurite) is the limit: the same operation through the bare SDK, no engine, same run.
  const serverLimits = {
    'W3 bare SDK (32 × Copy Blob From URL) blobs/s': w3Sdk ? Math.round(cfg.smallCount / (w3Sdk.medianMs / 1000)) : null,
    'W3 blob-copy speed as % of bare SDK (both incl. listing)': pct(w3Sdk, w3),
    'W2 bare SDK (Put Block From URL 32 MiB × 4) s': w2Sdk ? Math.round(w2Sdk.medianMs) / 1000 : null,
    'W2 blob-copy auto speed as % of bare SDK': pct(w2Sdk, w2[0]),
    'W2 bare SDK speed as % of the write limit': pct(w2Upload, w2Sdk),
  };
  // With --only, rows of the other workloads (and the small-blob section, see small.ts) come from the previous file.
  let previous: { rows?: Array<{ workload: string }>; smallBlobs?: unknown } = {};
  try {
    previous = JSON.parse(fs.readFileSync(outFile, 'utf8')) as typeof previous;
  } catch {
    /* first run */
  }
  const results = {
    date: new Date().toISOString(),
    only: only ? [...only] : undefined,
    loadAverage: { start: loadAtStart, end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    quick,
    config: cfg,
    machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3), platform: `${os.platform()} ${os.release()}` },
    azurite: 'azurite 3.37.0, on disk (temp folder), --loose --skipApiVersionCheck',
    azcopy: azcopy.path ? azcopy.version : azcopy.unavailable,
    method: {
      timing: 'wall clock around the copy call inside a fresh worker process (excludes process start); AzCopy: process wall time',
      median: `median of the runs that finished (${cfg.reps} run(s) each)`,
      contentBytes: 'blob content bytes through the worker: Content-Length of content PUTs (Put Blob/Block/Append Block/Put Page without x-ms-copy-source) + Content-Length of successful Get Blob responses, counted by wrapping node:http request()',
      wireBytes: 'bytesRead + bytesWritten of every TCP socket the worker opened (headers, listings, bodies)',
      peakRss: 'process.resourceUsage().maxRSS of the worker (whole process, includes ~60–80 MiB of Node + SDK); AzCopy: VmHWM',
    },
    rows: only ? [...(previous.rows ?? []).filter((r) => !rows.some((x) => x.workload === r.workload)), ...rows] : rows,
    targets,
    serverLimits,
    smallBlobs: previous.smallBlobs,
    durationS: Math.round((Date.now() - started) / 1000),
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${table.join('\n')}\n\nTargets:\n`);
  for (const [k, v] of Object.entries(targets)) process.stdout.write(`  ${v === null ? 'n/a ' : v ? 'met ' : 'MISS'}  ${k}\n`);
  process.stdout.write(`\nServer limits (bare SDK, same run):\n`);
  for (const [k, v] of Object.entries(serverLimits)) process.stdout.write(`  ${k}: ${v ?? 'n/a'}\n`);
  process.stdout.write(`Load average (1/5/15 min): start ${loadAtStart.join(' ')}, end ${results.loadAverage.end.join(' ')}\n`);
  process.stdout.write(`\nJSON: ${outFile}\n${JSON.stringify({ rows: rows.map((r) => ({ workload: r.workload, label: r.label, medianMs: r.medianMs, contentBytes: r.contentBytes, peakRssMiB: r.peakRssMiB, note: r.note })), targets })}\n`);
  log(`done in ${results.durationS} s`);
}

// ------------------------------------------------------------------------------------------------ entry

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  runWorker(JSON.parse(process.argv[workerIndex + 1]) as WorkerSpec).then(
    (r) => {
      process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
} else {
  orchestrate(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
