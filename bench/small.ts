/**
 * `npm run bench -- --small[=1000,10000] [--reps=N]` (bundled and run by scripts/bench.mjs): the small-blob workload.
 * Not a test.
 *
 * Azurite in memory, two accounts. For each size N: N × 1 KiB blobs in one folder, then per run, interleaved (the
 * order rotates every run), for the same account (other container) and across accounts (second account):
 *   cli        `blob-copy copy --recursive --json` (dist/cli.js): whole process (start, list, plan, copy), and the
 *              phase timings it reports;
 *   engine     the engine in a worker process: startStreaming → done (listing, planning and copying);
 *   sdk-sync   the bare SDK, no engine: list the folder, then 32 parallel Copy Blob From URL (source blob SAS);
 *   sdk-copy   the bare SDK: list, then 32 parallel Copy Blob (beginCopyFromURL + pollUntilDone; source blob SAS).
 * Every peer runs in its own process. Reported: in-process time (list + copy) and whole-process time; blobs/s;
 * ratios vs the fastest bare SDK loop of the case and size (engine vs SDK in-process, CLI vs SDK whole-process).
 * Writes bench/small-results.json.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { CopyEngine, createAccountClient } from '../src/core';
import type { AccountClient, CopyRequest } from '../src/core';
import { median, pool } from './run';
import { cliCommand } from '../test/helpers/cli';
import { connectionStringAt, DEV_ACCOUNT, SECOND_ACCOUNT, type AzuriteAccount, startAzurite } from '../test/helpers/azurite';

const root = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);

type Who = 'cli' | 'engine' | 'sdk-sync' | 'sdk-copy';
type Case = 'same' | 'cross';

interface PeerSpec {
  who: Exclude<Who, 'cli'>;
  host: string;
  port: number;
  from: { account: AzuriteAccount; container: string; prefix: string };
  to: { account: AzuriteAccount; container: string };
}

interface PeerResult {
  count: number;
  /** list + copy, inside the process. */
  ms: number;
  listMs?: number;
  phases?: Record<string, number>;
  operations?: Record<string, number>;
}


const endpointOf = (host: string, port: number, a: AzuriteAccount) => `http://${host}:${port}/${a.name}`;

/** One peer, in its own process (this file with --peer <json>). */
async function peer(spec: PeerSpec): Promise<PeerResult> {
  const t0 = performance.now();
  const srcCred = new StorageSharedKeyCredential(spec.from.account.name, spec.from.account.key);
  if (spec.who === 'engine') {
    const clients: Record<string, AccountClient> = {
      src: createAccountClient({ kind: 'sharedKey', accountName: spec.from.account.name, accountKey: spec.from.account.key, blobEndpoint: endpointOf(spec.host, spec.port, spec.from.account) }),
      dst: createAccountClient({ kind: 'sharedKey', accountName: spec.to.account.name, accountKey: spec.to.account.key, blobEndpoint: endpointOf(spec.host, spec.port, spec.to.account) }),
    };
    const engine = new CopyEngine({ resolve: async (id) => clients[id], log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const request: CopyRequest = {
      sources: [{ kind: 'location', location: { connectionId: 'src', container: spec.from.container, path: spec.from.prefix } }],
      destination: { connectionId: 'dst', container: spec.to.container, path: '' },
      options: { strategy: 'auto' },
    };
    const batchId = await engine.startStreaming(request);
    const summary = await engine.waitForBatch(batchId);
    const ms = performance.now() - t0;
    const stats = engine.batchStats?.(batchId);
    engine.dispose();
    if (summary.succeeded !== summary.total) throw new Error(`engine: ${summary.succeeded} of ${summary.total} succeeded`);
    return { count: summary.total, ms, phases: stats?.phases, operations: stats?.operations };
  }
  const service = new BlobServiceClient(endpointOf(spec.host, spec.port, spec.from.account), srcCred);
  const dstService =
    spec.to.account.name === spec.from.account.name
      ? service
      : new BlobServiceClient(endpointOf(spec.host, spec.port, spec.to.account), new StorageSharedKeyCredential(spec.to.account.name, spec.to.account.key));
  const src = service.getContainerClient(spec.from.container);
  const dst = dstService.getContainerClient(spec.to.container);
  const names: string[] = [];
  for await (const b of src.listBlobsFlat({ prefix: spec.from.prefix })) names.push(b.name);
  const listMs = performance.now() - t0;
  const expiresOn = new Date(Date.now() + 3600_000);
  await pool(names, 32, async (name) => {
    const sas = generateBlobSASQueryParameters({ containerName: spec.from.container, blobName: name, permissions: BlobSASPermissions.parse('r'), expiresOn }, srcCred).toString();
    const url = `${src.getBlobClient(name).url}?${sas}`;
    const target = dst.getBlobClient(name.slice(spec.from.prefix.length));
    if (spec.who === 'sdk-sync') await target.syncCopyFromURL(url);
    else await (await target.beginCopyFromURL(url)).pollUntilDone();
  });
  return { count: names.length, ms: performance.now() - t0, listMs };
}

interface Run {
  n: number;
  case: Case;
  who: Who;
  rep: number;
  /** Whole process, spawn to exit. */
  wallMs: number;
  /** Inside the process (the CLI: its reported durationMs, which starts after start-up). */
  ms: number;
  phases?: Record<string, number>;
  operations?: Record<string, number>;
}

function spawnTimed(cmd: string[]): Promise<{ ms: number; out: string; err: string; code: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AZURE_STORAGE_CONNECTION_STRING: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('close', (code) => resolve({ ms: performance.now() - t0, out, err, code: code ?? 1 }));
  });
}

export interface SmallRow {
  n: number;
  case: Case;
  who: Who;
  runs: number;
  medianMs: number;
  medianWallMs: number;
  blobsPerSecond: number;
  wallBlobsPerSecond: number;
  /** engine/sdk: in-process rate ÷ the fastest bare SDK loop's in-process rate; cli: whole-process ÷ whole-process. */
  ratio?: number;
  phases?: Record<string, number>;
  operations?: Record<string, number>;
}

async function main(): Promise<void> {
  if (args[0] === '--peer') {
    const r = await peer(JSON.parse(args[1]) as PeerSpec);
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    return;
  }
  const sizeArg = args.find((a) => a.startsWith('--small='));
  const sizes = sizeArg ? sizeArg.slice('--small='.length).split(',').map(Number) : [1000, 10000];
  const repsArg = args.find((a) => a.startsWith('--reps='));
  const reps = repsArg ? Math.max(1, Number(repsArg.slice(7))) : 3;
  // --profile=DIR: CPU profiles of every peer process (node --cpu-prof), for finding per-blob overhead.
  const profileDir = args.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
  const prof = () => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : []);
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const az = await startAzurite({ accounts: [DEV_ACCOUNT, SECOND_ACCOUNT] });
  const runs: Run[] = [];
  const log = (m: string) => process.stderr.write(`[small] ${m}\n`);
  try {
    const A = DEV_ACCOUNT;
    const B = SECOND_ACCOUNT;
    const svcA = az.serviceClient(A);
    const svcB = az.serviceClient(B);
    const cs = (a: AzuriteAccount) => connectionStringAt(endpointOf(az.host, az.port, a), a);
    const src = svcA.getContainerClient('small-src');
    await src.createIfNotExists();
    const body = Buffer.alloc(1024, 7);
    let seq = 0;
    for (const n of sizes) {
      const prefix = `n${n}/`;
      const t0 = performance.now();
      await pool(Array.from({ length: n }, (_, i) => `${prefix}f${String(i).padStart(6, '0')}.bin`), 64, async (name) => {
        await src.getBlockBlobClient(name).upload(body, body.length);
      });
      log(`${n.toLocaleString('en-US')} × 1 KiB source blobs uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const order: Array<[Case, Who]> = [];
      for (const c of ['same', 'cross'] as Case[]) for (const w of ['cli', 'engine', 'sdk-sync', 'sdk-copy'] as Who[]) order.push([c, w]);
      for (let rep = 1; rep <= reps; rep++) {
        // Rotate the order each run: no peer always goes first (or last) on a warming / loaded machine.
        const rotated = order.map((_, i) => order[(i + (rep - 1) * 3) % order.length]);
        for (const [c, who] of rotated) {
          const destAccount = c === 'same' ? A : B;
          const destSvc = c === 'same' ? svcA : svcB;
          const dest = `d${++seq}-${who}-${n}`;
          await destSvc.getContainerClient(dest).create();
          let r: Run;
          if (who === 'cli') {
            const res = await spawnTimed([
              ...cliCommand(cli, prof()), 'copy', `${endpointOf(az.host, az.port, A)}/small-src/${prefix}`, `${endpointOf(az.host, az.port, destAccount)}/${dest}/`,
              '--recursive', '--json', '--source-connection-string', cs(A), '--destination-connection-string', cs(destAccount),
            ]);
            if (res.code !== 0) throw new Error(`cli ${c} ${n}: exit ${res.code}: ${res.err}`);
            const j = JSON.parse(res.out) as { durationMs: number; total: number; phases?: Record<string, number>; operations?: Record<string, number> };
            r = { n, case: c, who, rep, wallMs: res.ms, ms: j.durationMs, phases: j.phases, operations: j.operations };
          } else {
            const spec: PeerSpec = { who, host: az.host, port: az.port, from: { account: A, container: 'small-src', prefix }, to: { account: destAccount, container: dest } };
            const res = await spawnTimed([process.execPath, ...prof(), __filename, '--peer', JSON.stringify(spec)]);
            const line = res.out.split('\n').find((l) => l.startsWith('RESULT '));
            if (res.code !== 0 || !line) throw new Error(`${who} ${c} ${n}: exit ${res.code}: ${res.err}`);
            const p = JSON.parse(line.slice(7)) as PeerResult;
            r = { n, case: c, who, rep, wallMs: res.ms, ms: p.ms, phases: p.phases ?? (p.listMs !== undefined ? { listMs: p.listMs } : undefined), operations: p.operations };
          }
          let count = 0;
          for await (const page of destSvc.getContainerClient(dest).listBlobsFlat().byPage({ maxPageSize: 5000 })) count += page.segment.blobItems.length;
          if (count !== n) throw new Error(`${who} ${c} ${n}: ${count} of ${n} blobs arrived`);
          await destSvc.getContainerClient(dest).delete();
          runs.push(r);
          log(`${n} ${c.padEnd(5)} ${who.padEnd(8)} run ${rep}: ${(r.ms / 1000).toFixed(2)} s in process (${Math.round(n / (r.ms / 1000))}/s), ${(r.wallMs / 1000).toFixed(2)} s whole process (${Math.round(n / (r.wallMs / 1000))}/s)${r.operations ? ` ${JSON.stringify(r.operations)}` : ''}`);
        }
      }
    }
  } finally {
    await az.stop();
  }
  const rows: SmallRow[] = [];
  for (const n of sizes) {
    for (const c of ['same', 'cross'] as Case[]) {
      for (const who of ['cli', 'engine', 'sdk-sync', 'sdk-copy'] as Who[]) {
        const mine = runs.filter((r) => r.n === n && r.case === c && r.who === who);
        const phaseKeys = [...new Set(mine.flatMap((r) => Object.keys(r.phases ?? {})))];
        const ops: Record<string, number> = {};
        for (const r of mine) for (const [k, v] of Object.entries(r.operations ?? {})) ops[k] = (ops[k] ?? 0) + v;
        const medianMs = median(mine.map((r) => r.ms));
        const medianWallMs = median(mine.map((r) => r.wallMs));
        rows.push({
          n,
          case: c,
          who,
          runs: mine.length,
          medianMs,
          medianWallMs,
          blobsPerSecond: n / (medianMs / 1000),
          wallBlobsPerSecond: n / (medianWallMs / 1000),
          phases: phaseKeys.length ? Object.fromEntries(phaseKeys.map((k) => [k, Math.round(median(mine.map((r) => r.phases?.[k] ?? NaN).filter(Number.isFinite)))])) : undefined,
          operations: Object.keys(ops).length ? ops : undefined,
        });
      }
      const sdk = rows.filter((r) => r.n === n && r.case === c && r.who.startsWith('sdk'));
      const fastest = Math.max(...sdk.map((r) => r.blobsPerSecond));
      const fastestWall = Math.max(...sdk.map((r) => r.wallBlobsPerSecond));
      for (const r of rows.filter((x) => x.n === n && x.case === c)) r.ratio = r.who === 'cli' ? r.wallBlobsPerSecond / fastestWall : r.blobsPerSecond / fastest;
    }
  }
  const loadAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log('\nW4 small blobs: N × 1 KiB folder copy (Azurite in memory); medians of interleaved runs');
  console.log('blobs   case   who       in-process s  blobs/s  whole-process s  blobs/s  ratio vs fastest SDK  phases (ms)  operations');
  for (const r of rows) {
    console.log(
      `${String(r.n).padEnd(7)} ${r.case.padEnd(6)} ${r.who.padEnd(9)} ${(r.medianMs / 1000).toFixed(2).padStart(12)}  ${r.blobsPerSecond.toFixed(0).padStart(7)}  ` +
        `${(r.medianWallMs / 1000).toFixed(2).padStart(15)}  ${r.wallBlobsPerSecond.toFixed(0).padStart(7)}  ${(r.ratio ?? NaN).toFixed(2).padStart(8)}${r.who === 'cli' ? ' (whole)' : ' (in-proc)'}` +
        `  ${r.phases ? JSON.stringify(r.phases) : ''} ${r.operations ? JSON.stringify(r.operations) : ''}`,
    );
  }
  console.log(`Load average (1/5/15 min): start ${loadAtStart.join(' ')}, end ${loadAtEnd.join(' ')}`);
  const result = { date: new Date().toISOString(), loadAverage: { start: loadAtStart, end: loadAtEnd }, sizes, reps, rows, runs };
  const out = path.join(root, 'bench', 'small-results.json');
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  // The summary also goes into bench/results.json (section smallBlobs, workload W4), next to W1–W3.
  const main = path.join(root, 'bench', 'results.json');
  try {
    const all = JSON.parse(fs.readFileSync(main, 'utf8')) as Record<string, unknown>;
    all.smallBlobs = { workload: 'W4', date: result.date, loadAverage: result.loadAverage, sizes, reps, method: 'see bench/small.ts', rows };
    fs.writeFileSync(main, `${JSON.stringify(all, null, 2)}\n`);
  } catch (e) {
    console.error(`bench/results.json not updated: ${e instanceof Error ? e.message : String(e)}`);
  }
  console.log(`written ${path.relative(root, out)} and the smallBlobs section of bench/results.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
