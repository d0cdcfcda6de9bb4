/**
 * `npm run bench -- --latency[=0,100] [--reps=N] [--blobs=2000] [--baseline-cli=PATH] [--server=harness]
 * [--profile=DIR] [--only=cli,worker,…]` (bundled and run by scripts/bench.mjs): small blobs over a real network's round trip. Not a test.
 *
 * Azurite in memory; N × 1 KiB blobs in one folder (default 2,000). With --server=harness, the loopback endpoint of
 * bench/harness.ts instead (it answers at once: only the round trip and the client are measured, not Azurite's
 * CPU, which a loaded machine makes the limit at any RTT). For each RTT (ms; default 0 and 100) the clients
 * reach Azurite through a TCP proxy in this process that delays every chunk by RTT/2 in each direction, in order
 * (at 0 ms they reach Azurite directly). Per RTT, interleaved (the order rotates every run), a same-account folder
 * copy to a fresh container by:
 *   cli          `blob-copy copy --recursive --json` (dist/cli.js), defaults;
 *   cli-before   the same with another build (--baseline-cli=PATH/dist/cli.js), e.g. the commit before a change;
 *   worker       the extension's engine as the extension runs it: dist/core.js's WorkerEngine (the engine in its worker
 *                thread, events crossing to the calling thread), a streamed folder copy with the defaults, the worker
 *                compiled with the V8 code cache that a single-blob copy before the measured runs wrote (the extension
 *                keeps it in its global storage from its first finished batch on);
 *   worker-warm  the same engine in a worker that already ran a copy (one blob) in this process, as in a VS Code
 *                session after its first copy: the process, the host thread's dist/core.js and the worker thread
 *                are started before the measured copy, which alone is timed (see "from the copy's start" below);
 *   worker-planned  a fresh worker that starts the copy as the extension's copy command does: it plans the folder
 *                first (engine.summarize, keeping up to 5,000 items: what the "planning…" notification and the
 *                confirmation show), then starts that plan (engine.start; a larger copy streams: startStreaming); its
 *                whole-process figure includes the planning, its figure from the copy's start begins after it (after
 *                the user's confirmation);
 *   sdk-32       the bare SDK, no engine: list the folder, then 32 Copy Blob From URL in flight (source blob SAS);
 *   sdk-256      the same with 256 in flight.
 * Every client runs in its own process, started with spawn (never spawnSync: this process is the proxy). Reported:
 * blobs/s over the whole process (spawn to exit), each copier's ratio to the 256 loop of the same RTT, and its CPU time
 * (user + system, from /usr/bin/time) per blob and peak RSS: on one machine the client's CPU is often the limit.
 * Then blobs/s from the copy's start, start-up excluded (the CLI's --json totalMs; the loops from before their
 * listing; the worker from its engine's creation, worker-warm from the measured copy's start, worker-planned from
 * engine.start) and the ratio of each to the 256 loop's: what a copy costs once the process runs (VS Code's
 * extension host runs for the whole session, the CLI starts with every command). worker-warm has no whole-process
 * figure (its process also ran the priming copy).
 * --profile=DIR: a CPU profile of each client process, and of the worker's thread (node --cpu-prof), for finding
 * per-blob overhead.
 * Writes bench/latency-results.json.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { connectionStringAt, DEV_ACCOUNT, startAzurite } from '../test/helpers/azurite';
import { Harness, HARNESS_PREFIX, HARNESS_SOURCE, nameOf } from './harness';
import { cliJson, measured, median } from './run';
import { cliCommand } from '../test/helpers/cli';
import { PANEL_RETAINED } from '../src/core/base/defaults';
import { SETTLED_LINE } from '../src/core/engine/jobTable';
import type { PlannedCopy } from '../src/core/base/types';

const root = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1];

type Who = 'cli' | 'cli-before' | 'worker' | 'worker-warm' | 'worker-planned' | 'sdk-32' | 'sdk-256';

/** Up to this many blobs the extension's copy command starts the plan it made (src/extension/copy/flow.ts). */
const PLAN_IN_MEMORY = 5000;

/**
 * A TCP proxy that delays every chunk by oneWayMs in each direction, keeping their order. Each direction is one
 * queue drained by one timer: a timer per chunk could deliver two chunks out of order (Node orders timers of
 * different durations that fall due in the same millisecond as it likes). A side that ended is ended on the other side
 * after its last chunk, not destroyed: destroy() dropped what the other socket had not yet flushed, and a peer then
 * read a truncated response (a listing's XML that did not parse).
 */
export async function startDelayProxy(target: { host: string; port: number }, oneWayMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const relay = (from: net.Socket, to: net.Socket) => {
    const queue: Array<{ at: number; fn: () => void }> = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      timer = undefined;
      const now = Date.now();
      let i = 0;
      while (i < queue.length && queue[i].at <= now) queue[i++].fn();
      queue.splice(0, i);
      if (queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0].at - now));
    };
    const later = (fn: () => void) => {
      queue.push({ at: Date.now() + oneWayMs, fn });
      timer ??= setTimeout(pump, oneWayMs);
    };
    let ended = false;
    from.on('data', (chunk) => later(() => to.destroyed || to.write(chunk)));
    from.on('end', () => {
      ended = true;
      later(() => to.destroyed || to.end());
    });
    from.on('error', () => later(() => to.destroy()));
    from.on('close', () => ended || later(() => to.destroy()));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface PeerSpec {
  endpoint: string;
  container: string;
  prefix: string;
  dest: string;
  inFlight: number;
}

interface WorkerPeerSpec extends PeerSpec {
  connectionString: string;
  /** Where the worker keeps its V8 code cache, as the extension does (its global storage). */
  codeCacheDir?: string;
  /** A copy that only writes the code cache before the measured runs (the extension has it from its first batch on). */
  prime?: boolean;
  /** worker-warm: a copy (one blob) the same engine runs first, untimed: the measured copy starts in a running worker. */
  warmUp?: { prefix: string; dest: string };
  /** worker-planned: plan first, then start the plan, as the extension's copy command (timed from the start). */
  planned?: boolean;
}

/** The bare SDK loop, in its own process: list, then Copy Blob From URL with `inFlight` in flight. */
async function peer(spec: PeerSpec): Promise<void> {
  const t0 = performance.now();
  const cred = new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
  const service = new BlobServiceClient(spec.endpoint, cred);
  const src = service.getContainerClient(spec.container);
  const dst = service.getContainerClient(spec.dest);
  const names: string[] = [];
  for await (const b of src.listBlobsFlat({ prefix: spec.prefix })) names.push(b.name);
  const expiresOn = new Date(Date.now() + 3600_000);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(spec.inFlight, names.length) }, async () => {
      while (i < names.length) {
        const name = names[i++];
        const sas = generateBlobSASQueryParameters({ containerName: spec.container, blobName: name, permissions: BlobSASPermissions.parse('r'), expiresOn }, cred).toString();
        await dst.getBlobClient(name.slice(spec.prefix.length)).syncCopyFromURL(`${src.getBlobClient(name).url}?${sas}`);
      }
    }),
  );
  process.stdout.write(`RESULT ${JSON.stringify({ count: names.length, ms: performance.now() - t0 })}\n`);
}


/** The extension's engine in its worker thread (dist/core.js, as the extension loads it), in its own process. */
async function workerPeer(spec: WorkerPeerSpec): Promise<void> {
  let t0 = performance.now();
  // Required at run time, not bundled: the worker thread runs the file its WorkerEngine class comes from.
  const core = createRequire(__filename)(path.join(root, 'dist', 'core.js')) as typeof import('../src/core');
  // Its log's one line per copy that says where the requests in flight settled (stderr: the bench prints it).
  const log = { info: (m: string) => m.startsWith(SETTLED_LINE) && process.stderr.write(`${m}\n`), warn: () => undefined, error: () => undefined };
  const engine = new core.WorkerEngine({ spec: async () => ({ kind: 'connectionString', connectionString: spec.connectionString }), log, retainFinished: PANEL_RETAINED, codeCacheDir: spec.codeCacheDir });
  try {
    if (spec.warmUp) {
      const id = await engine.startStreaming({
        sources: [{ kind: 'location', location: { connectionId: 'bench', container: spec.container, path: spec.warmUp.prefix } }],
        destination: { connectionId: 'bench', container: spec.warmUp.dest, path: '' },
      });
      const w = await engine.waitForBatch(id);
      if (w.succeeded !== 1) throw new Error(`worker-warm: the warm-up copy did not succeed (${JSON.stringify(w)})`);
      t0 = performance.now();
    }
    const request = {
      sources: [{ kind: 'location' as const, location: { connectionId: 'bench', container: spec.container, path: spec.prefix } }],
      destination: { connectionId: 'bench', container: spec.dest, path: '' },
    };
    let batchId: string;
    if (spec.planned) {
      const items: PlannedCopy[] = [];
      const s = await engine.summarize(request, undefined, (page) => void items.push(...page), PLAN_IN_MEMORY);
      t0 = performance.now();
      // Up to 5,000 blobs the command starts the plan it made; a larger copy is planned again as it streams.
      if (s.totals.count > PLAN_IN_MEMORY) batchId = await engine.startStreaming(request);
      else {
        if (items.length !== s.totals.count) throw new Error(`worker-planned: ${s.totals.count} blobs planned, ${items.length} kept`);
        batchId = engine.start({ id: '', request, items, totals: s.totals, warnings: s.warnings, cost: s.cost, refused: s.refused });
      }
    } else batchId = await engine.startStreaming(request);
    const b = await engine.waitForBatch(batchId);
    if (b.failed || b.error) throw new Error(`worker: ${b.failed} failed${b.error ? `, ${b.error.message}` : ''}`);
    // Priming: the worker writes its code cache after its first finished batch; wait (bounded) until it is there.
    for (let i = 0; spec.prime && i < 100 && !codeCached(spec.codeCacheDir); i++) await new Promise((r) => setTimeout(r, 50));
    process.stdout.write(`RESULT ${JSON.stringify({ count: b.succeeded, ms: performance.now() - t0 })}\n`);
  } finally {
    engine.dispose();
  }
}

/** A V8 code cache of the engine's worker is in `dir`. */
function codeCached(dir: string | undefined): boolean {
  return dir !== undefined && fs.readdirSync(dir).some((f) => f.endsWith('.v8cache'));
}

/** The CLI's own account of a run (--json): its phases and where its requests in flight settled. */
function cliDiagnostics(out: string): string {
  const j = cliJson(out);
  if (!j) return 'no --json output';
  const p = j.phases ?? {};
  return `start-up ${p.startupMs} ms, first copy after ${p.firstCopyAfterMs} ms, listing ${p.listMs} ms, copying ${p.copyMs} ms; ${j.settled ?? 'no settled line'}`;
}

async function main(): Promise<void> {
  if (args[0] === '--peer') return peer(JSON.parse(args[1]) as PeerSpec);
  if (args[0] === '--worker-peer') return workerPeer(JSON.parse(args[1]) as WorkerPeerSpec);
  const rtts = (arg('latency') ?? '0,100').split(',').map(Number);
  const reps = Math.max(1, Number(arg('reps') ?? 2));
  const n = Math.max(1, Number(arg('blobs') ?? 2000));
  const baseline = arg('baseline-cli');
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli) || !fs.existsSync(path.join(root, 'dist', 'core.js'))) throw new Error('dist/cli.js or dist/core.js is missing: run `node scripts/build.mjs` first.');
  if (baseline && !fs.existsSync(baseline)) throw new Error(`--baseline-cli: ${baseline} does not exist.`);
  const profileDir = arg('profile');
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const all: Who[] = ['cli', ...(baseline ? (['cli-before'] as Who[]) : []), 'worker', 'worker-warm', 'worker-planned', 'sdk-32', 'sdk-256'];
  // --only=a,b: these copiers only (ratios need sdk-256 among them).
  const only = arg('only')?.split(',');
  const who = only ? all.filter((w) => only.includes(w)) : all;
  if (who.length === 0) throw new Error(`--only: none of ${all.join(', ')}`);
  const log = (m: string) => process.stderr.write(`[latency] ${m}\n`);
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const useHarness = arg('server') === 'harness';
  const harness = useHarness ? new Harness(n) : undefined;
  await harness?.start();
  const az = harness
    ? { host: '127.0.0.1', port: harness.port, serviceClient: () => undefined, stop: () => harness.stop() }
    : await startAzurite();
  const srcContainer = harness ? HARNESS_SOURCE : 'lat-src';
  const runs: Array<{ rtt: number; who: Who; rep: number; ms: number; copyMs: number; blobsPerSecond: number; cpuMsPerBlob: number; peakMiB: number }> = [];
  let codeCacheDir: string | undefined;
  try {
    const svc = az.serviceClient();
    const prefix = harness ? HARNESS_PREFIX : `n${n}/`;
    /** The i-th source blob's name (the harness generates its own). */
    const sourceName = (i: number) => (harness ? nameOf(i) : `${prefix}f${String(i).padStart(6, '0')}.bin`);
    if (svc) {
      const src = svc.getContainerClient(srcContainer);
      await src.createIfNotExists();
      const body = Buffer.alloc(1024, 7);
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < n) {
            const i = next++;
            await src.getBlockBlobClient(sourceName(i)).upload(body, body.length);
          }
        }),
      );
      log(`${n} × 1 KiB source blobs uploaded`);
    }
    let seq = 0;
    // The extension's worker compiles the engine with the V8 code cache its first finished batch wrote (global
    // storage): one single-blob copy writes it here before the measured runs, which then start as the extension does.
    codeCacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-bench-cc-'));
    {
      const dest = 'lat-prime';
      if (svc) await svc.getContainerClient(dest).createIfNotExists();
      const cs = connectionStringAt(`http://${az.host}:${az.port}/${DEV_ACCOUNT.name}`);
      const spec: WorkerPeerSpec = { endpoint: '', container: srcContainer, prefix: sourceName(0), dest, inFlight: 0, connectionString: cs, codeCacheDir, prime: true };
      const res = await measured([process.execPath, __filename, '--worker-peer', JSON.stringify(spec)]);
      if (res.code !== 0 || !codeCached(codeCacheDir)) throw new Error(`priming the worker's code cache failed (exit ${res.code}): ${res.err}`);
      log(`the worker's code cache is written (${fs.readdirSync(codeCacheDir).join(', ')})`);
    }
    for (const rtt of rtts) {
      const proxy = rtt > 0 ? await startDelayProxy({ host: az.host, port: az.port }, rtt / 2) : undefined;
      const port = proxy?.port ?? az.port;
      const endpoint = `http://${az.host}:${port}/${DEV_ACCOUNT.name}`;
      const cs = connectionStringAt(endpoint);
      try {
        for (let rep = 1; rep <= reps; rep++) {
          const order = who.map((_, i) => who[(i + rep - 1) % who.length]);
          for (const w of order) {
            const dest = `lat${++seq}-${w}`;
            if (svc) await svc.getContainerClient(dest).create();
            harness?.reset(n);
            let res;
            if (w === 'cli' || w === 'cli-before') {
              res = await measured([...cliCommand(w === 'cli' ? cli : baseline!, prof), 'copy', `${endpoint}/${srcContainer}/${prefix}`, `${endpoint}/${dest}/`, '--recursive', '--json', '--source-connection-string', cs, '--destination-connection-string', cs]);
            } else if (w === 'worker' || w === 'worker-warm' || w === 'worker-planned') {
              const warmUp = w === 'worker-warm' ? { prefix: sourceName(0), dest: 'lat-prime' } : undefined;
              const spec: WorkerPeerSpec = { endpoint, container: srcContainer, prefix, dest, inFlight: 0, connectionString: cs, codeCacheDir, warmUp, planned: w === 'worker-planned' };
              res = await measured([process.execPath, ...prof, __filename, '--worker-peer', JSON.stringify(spec)]);
            } else {
              const spec: PeerSpec = { endpoint, container: srcContainer, prefix, dest, inFlight: w === 'sdk-32' ? 32 : 256 };
              res = await measured([process.execPath, ...prof, __filename, '--peer', JSON.stringify(spec)]);
            }
            if (res.code !== 0) throw new Error(`${w} at ${rtt} ms: exit ${res.code}: ${res.err}`);
            let count = 0;
            if (svc) {
              for await (const page of svc.getContainerClient(dest).listBlobsFlat().byPage({ maxPageSize: 5000 })) count += page.segment.blobItems.length;
              await svc.getContainerClient(dest).delete();
            } else count = harness!.copies.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
            if (count !== n) throw new Error(`${w} at ${rtt} ms: ${count} of ${n} blobs arrived`);
            const copyMs = w === 'cli' || w === 'cli-before' ? Number(cliJson(res.out)?.phases?.totalMs) : Number((JSON.parse(/RESULT (.*)/.exec(res.out)?.[1] ?? '{}') as { ms?: number }).ms);
            if (!Number.isFinite(copyMs)) throw new Error(`${w} at ${rtt} ms: no copy time in its output`);
            const r = { rtt, who: w, rep, ms: res.seconds * 1000, copyMs, blobsPerSecond: n / res.seconds, cpuMsPerBlob: (res.cpuSeconds * 1000) / n, peakMiB: res.peakMiB };
            runs.push(r);
            log(`${rtt} ms ${w.padEnd(11)} run ${rep}: ${res.seconds.toFixed(2)} s (copy ${(copyMs / 1000).toFixed(2)} s), ${r.blobsPerSecond.toFixed(0)} blobs/s, client CPU ${r.cpuMsPerBlob.toFixed(2)} ms/blob, peak RSS ${r.peakMiB.toFixed(0)} MiB`);
            if (w === 'cli' || w === 'cli-before') log(`  ${cliDiagnostics(res.out)}`);
            if (w.startsWith('worker')) log(`  ${res.err.split('\n').filter((l) => l.startsWith(SETTLED_LINE)).pop() ?? 'no settled line'}`); // the measured copy's (worker-warm: after the warm-up's)
          }
        }
      } finally {
        await proxy?.stop();
      }
    }
  } finally {
    await az.stop();
    if (codeCacheDir) fs.rmSync(codeCacheDir, { recursive: true, force: true });
  }
  const rows = rtts.flatMap((rtt) =>
    who.map((w) => {
      const mine = runs.filter((r) => r.rtt === rtt && r.who === w);
      // worker-warm's process also ran the warm-up copy: it has only the figure from the copy's start.
      const whole = w !== 'worker-warm';
      return {
        rtt,
        who: w,
        runs: mine.length,
        medianMs: whole ? median(mine.map((r) => r.ms)) : undefined,
        blobsPerSecond: whole ? n / (median(mine.map((r) => r.ms)) / 1000) : undefined,
        ratio: undefined as number | undefined,
        cpuMsPerBlob: whole ? median(mine.map((r) => r.cpuMsPerBlob)) : undefined,
        peakMiB: median(mine.map((r) => r.peakMiB)),
        copyMedianMs: median(mine.map((r) => r.copyMs)),
        copyBlobsPerSecond: n / (median(mine.map((r) => r.copyMs)) / 1000),
        copyRatio: undefined as number | undefined,
      };
    }),
  );
  for (const r of rows) {
    const loop = rows.find((x) => x.rtt === r.rtt && x.who === 'sdk-256');
    r.ratio = r.blobsPerSecond === undefined || !loop ? undefined : r.blobsPerSecond / loop.blobsPerSecond!;
    r.copyRatio = loop ? r.copyBlobsPerSecond / loop.copyBlobsPerSecond : undefined;
  }
  const cell = (v: number | undefined, digits: number, width: number) => (v === undefined ? '—' : v.toFixed(digits)).padStart(width);
  const loadAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(`\nLatency: same-account folder copy of ${n.toLocaleString('en-US')} × 1 KiB through a TCP proxy adding the RTT (${harness ? 'bench/harness.ts, answering at once' : 'Azurite in memory'}); whole-process blobs/s, medians of ${reps} interleaved run(s)`);
  console.log(`copier       ${rtts.map((r) => `${String(r).padStart(5)} ms RTT  ratio vs sdk-256  CPU ms/blob  peak MiB`).join('   ')}`);
  for (const w of who) {
    const cells = rtts.map((rtt) => {
      const r = rows.find((x) => x.rtt === rtt && x.who === w)!;
      return `${cell(r.blobsPerSecond, 0, 12)}  ${cell(r.ratio, 2, 16)}  ${cell(r.cpuMsPerBlob, 2, 11)}  ${cell(r.peakMiB, 0, 8)}`;
    });
    console.log(`${w.padEnd(12)} ${cells.join('   ')}`);
  }
  console.log(`\nFrom the copy's start (start-up excluded: the CLI's --json totalMs, the loops from their listing, the worker from its engine's creation, worker-warm from the measured copy's start, worker-planned from engine.start after its plan); blobs/s, medians`);
  console.log(`copier       ${rtts.map((r) => `${String(r).padStart(5)} ms RTT  ratio vs sdk-256`).join('   ')}`);
  for (const w of who) {
    const cells = rtts.map((rtt) => {
      const r = rows.find((x) => x.rtt === rtt && x.who === w)!;
      return `${cell(r.copyBlobsPerSecond, 0, 12)}  ${cell(r.copyRatio, 2, 16)}`;
    });
    console.log(`${w.padEnd(12)} ${cells.join('   ')}`);
  }
  console.log(`Load average (1/5/15 min): start ${loadAtStart.join(' ')}, end ${loadAtEnd.join(' ')}`);
  const out = path.join(root, 'bench', harness ? 'latency-harness-results.json' : 'latency-results.json');
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), server: harness ? 'bench/harness.ts' : 'azurite', blobs: n, rtts, reps, baseline: baseline ? path.relative(root, baseline) : undefined, loadAverage: { start: loadAtStart, end: loadAtEnd }, rows, runs }, null, 2)}\n`);
  console.log(`written ${path.relative(root, out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
