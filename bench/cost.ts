/**
 * `npm run bench -- --cost[=1000000] [--sdk-blobs=N] [--reps=N] [--resume] [--only=cli|sdk] [--sdk-like-cli] [--profile=DIR]` (bundled and run by
 * scripts/bench.mjs): the client's own cost per blob at sizes Azurite cannot hold. A benchmark tool only: no test
 * claims correctness from it.
 *
 * This process is the loopback storage endpoint of bench/harness.ts (stores nothing, answers List Blobs with
 * NextMarker paging, Get Properties and the copy calls at once, counts copy calls per name). Clients run in their
 * own processes (spawn) under /usr/bin/time:
 *   cli   `blob-copy copy --recursive --json` of the folder (dist/cli.js), defaults;
 *   sdk   the bare SDK loop: list the folder, then 256 Copy Blob From URL in flight (source blob SAS).
 *         --sdk-like-cli: the loop sends what the CLI's copies send besides (lists with metadata and tags in pages
 *         of 1,000; each copy pinned to the source's ETag, with its MD5, and given an abort signal), so the ratio
 *         shows the engine's own cost, not the requests a safe copy needs.
 * Reported: blobs/s, peak RSS, client CPU (user + system) per blob, and copy calls per name (none twice).
 * --reps=N (default 1): N runs of each copier, interleaved (cli, sdk; then sdk, cli; …), and the CPU-per-blob ratio
 * cli / sdk of each pair, its median, min and max: on a shared machine one run's CPU per blob varies by ±20 %, and
 * pairing keeps a drift of the machine's speed out of the ratio.
 * --resume: the engine (in its own process, journal in a temporary folder) copies N blobs and is killed (SIGKILL)
 * at about half; a second process resumes from the journal; the harness says how many names were copied twice.
 * Writes bench/cost-results.json.
 *
 * `npm run bench -- --cost --names[=100000,300000]`: what a plan of several sources keeps per destination name (it
 * remembers every name planned, to find two sources mapping to one). A summary of two sources, the harness's folder
 * twice (so each name of the second is refused), to "backup/" (names of 20 characters), in a process of its own under
 * --expose-gc that collects and reads its live heap every 250 ms: the peak over its starting heap at each size, and
 * the bytes per name between the sizes. Writes bench/names-results.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { CopyEngine, createAccountClient } from '../src/core';
import type { AccountClient } from '../src/core';
import { connectionStringAt, DEV_ACCOUNT } from '../test/helpers/azurite';
import { Harness, HARNESS_PREFIX, HARNESS_SOURCE } from './harness';
import { cliJson, measured, median } from './run';
import { cliCommand } from '../test/helpers/cli';

const root = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1];
const ACCOUNT = DEV_ACCOUNT.name;
const PREFIX = HARNESS_PREFIX;
const SOURCE = HARNESS_SOURCE;

interface PeerSpec {
  endpoint: string;
  dest: string;
  journalDir?: string;
  resume?: boolean;
  /** The loop sends what the CLI's copies send (see --sdk-like-cli). */
  likeCli?: boolean;
}

/** The bare SDK loop, in its own process: list, then 256 Copy Blob From URL in flight. */
async function sdkPeer(spec: PeerSpec): Promise<void> {
  const cred = new StorageSharedKeyCredential(ACCOUNT, DEV_ACCOUNT.key);
  const service = new BlobServiceClient(spec.endpoint, cred, { retryOptions: { maxTries: 1 } });
  const src = service.getContainerClient(SOURCE);
  const dst = service.getContainerClient(spec.dest);
  const names: string[] = [];
  const pinned: Array<{ etag?: string; md5?: Uint8Array }> = [];
  if (spec.likeCli) {
    for await (const page of src.listBlobsFlat({ prefix: PREFIX, includeMetadata: true, includeTags: true }).byPage({ maxPageSize: 1000 })) {
      for (const b of page.segment.blobItems) {
        names.push(b.name);
        pinned.push({ etag: b.properties.etag, md5: b.properties.contentMD5 });
      }
    }
  } else for await (const b of src.listBlobsFlat({ prefix: PREFIX })) names.push(b.name);
  const expiresOn = new Date(Date.now() + 24 * 3600_000);
  let i = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (i < names.length) {
        const at = i++;
        const name = names[at];
        const sas = generateBlobSASQueryParameters({ containerName: SOURCE, blobName: name, permissions: BlobSASPermissions.parse('r'), expiresOn }, cred).toString();
        const options = spec.likeCli ? { sourceConditions: { ifMatch: pinned[at].etag }, sourceContentMD5: pinned[at].md5, abortSignal: new AbortController().signal } : {};
        await dst.getBlobClient(name.slice(PREFIX.length)).syncCopyFromURL(`${src.getBlobClient(name).url}?${sas}`, options);
      }
    }),
  );
  process.stdout.write(`RESULT ${names.length}\n`);
}

/** The engine with a journal, in its own process: copies the folder, or resumes what the journal holds. */
/** The engine's client of the harness's account. */
function harnessClient(endpoint: string): AccountClient {
  return createAccountClient({ kind: 'connectionString', connectionString: connectionStringAt(endpoint) });
}

async function enginePeer(spec: PeerSpec): Promise<void> {
  const client = harnessClient(spec.endpoint);
  const engine = new CopyEngine({ resolve: async () => client, journalDir: spec.journalDir, log: { info: (m) => process.stderr.write(`${m}\n`), warn: () => undefined, error: (m) => process.stderr.write(`error: ${m}\n`) } });
  const ids = spec.resume
    ? await engine.resume()
    : [await engine.startStreaming({ sources: [{ kind: 'location', location: { connectionId: 'src', container: SOURCE, path: PREFIX } }], destination: { connectionId: 'dst', container: spec.dest, path: '' } })];
  let total = 0;
  let succeeded = 0;
  for (const id of ids) {
    const s = await engine.waitForBatch(id);
    total += s.total;
    succeeded += s.succeeded;
  }
  engine.dispose();
  process.stdout.write(`RESULT ${JSON.stringify({ batches: ids.length, total, succeeded })}\n`);
}

/** --names: the peak live heap of a two-source summary (see the file's comment), in this process (--expose-gc). */
async function namesPeer(spec: { endpoint: string }): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('--names-peer needs node --expose-gc');
  const client = harnessClient(spec.endpoint);
  const engine = new CopyEngine({ resolve: async () => client, log: { info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`error: ${m}\n`) } });
  const live = () => (gc(), v8.getHeapStatistics().used_heap_size);
  const base = live();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, live())), 250);
  const source = { kind: 'location' as const, location: { connectionId: 'src', container: SOURCE, path: PREFIX } };
  const s = await engine.summarize({ sources: [source, { ...source, location: { ...source.location } }], destination: { connectionId: 'dst', container: 'names-dest', path: 'backup/' } });
  clearInterval(timer);
  peak = Math.max(peak, live());
  engine.dispose();
  process.stdout.write(`RESULT ${JSON.stringify({ planned: s.totals.count, refused: s.refused?.count ?? 0, peakBytes: peak - base })}\n`);
}

async function names(sizes: number[]): Promise<void> {
  const harness = new Harness(0);
  await harness.start();
  const endpoint = `http://127.0.0.1:${harness.port}/${ACCOUNT}`;
  const rows: Array<{ names: number; planned: number; refused: number; peakMiB: number }> = [];
  try {
    for (const n of sizes) {
      harness.reset(n);
      const r = await measured([process.execPath, '--expose-gc', __filename, '--names-peer', JSON.stringify({ endpoint })]);
      const m = /RESULT (.*)/.exec(r.out);
      if (r.code !== 0 || !m) throw new Error(`names peer failed: ${r.err.slice(-500)}`);
      const j = JSON.parse(m[1]) as { planned: number; refused: number; peakBytes: number };
      if (j.planned !== n || j.refused !== n) throw new Error(`expected ${n} planned and ${n} refused, got ${JSON.stringify(j)}`);
      rows.push({ names: n, planned: j.planned, refused: j.refused, peakMiB: Math.round((j.peakBytes / 2 ** 20) * 10) / 10 });
      process.stderr.write(`[names] ${JSON.stringify(rows[rows.length - 1])}\n`);
    }
  } finally {
    await harness.stop();
  }
  const [a, b] = [rows[0], rows[rows.length - 1]];
  const perName = rows.length > 1 ? Math.round(((b.peakMiB - a.peakMiB) * 2 ** 20) / (b.names - a.names)) : undefined;
  console.log('\nA plan of two sources: peak live heap over its start (names of 20 characters; every name of the second source refused)');
  for (const r of rows) console.log(`${String(r.names).padStart(9)} names  ${String(r.peakMiB).padStart(7)} MiB`);
  if (perName !== undefined) console.log(`per name, between ${a.names} and ${b.names}: ${perName} bytes`);
  fs.writeFileSync(path.join(root, 'bench', 'names-results.json'), `${JSON.stringify({ date: new Date().toISOString(), rows, bytesPerName: perName }, null, 2)}\n`);
  console.log('written bench/names-results.json');
}

async function main(): Promise<void> {
  if (args[0] === '--peer') return sdkPeer(JSON.parse(args[1]) as PeerSpec);
  if (args[0] === '--engine-peer') return enginePeer(JSON.parse(args[1]) as PeerSpec);
  if (args[0] === '--names-peer') return namesPeer(JSON.parse(args[1]) as { endpoint: string });
  if (args.some((a) => a === '--names' || a.startsWith('--names='))) return names((arg('names') ?? '100000,300000').split(',').map(Number));
  const sizes = (arg('cost') ?? '1000000').split(',').map(Number);
  const reps = Math.max(1, Number(arg('reps') ?? 1));
  const only = arg('only');
  const likeCli = args.includes('--sdk-like-cli');
  // --profile=DIR: a CPU profile of each client process (node --cpu-prof), for finding per-blob overhead.
  const profileDir = arg('profile');
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const log = (m: string) => process.stderr.write(`[cost] ${m}\n`);
  const cli = path.join(root, 'dist', 'cli.js');
  const harness = new Harness(0);
  await harness.start();
  const endpoint = `http://127.0.0.1:${harness.port}/${ACCOUNT}`;
  const cs = connectionStringAt(endpoint);
  const rows: Array<Record<string, unknown>> = [];
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  let seq = 0;
  try {
    for (const n of sizes) {
      const sdkBlobs = Math.min(n, Number(arg('sdk-blobs') ?? 200_000));
      // --only=none: no copier runs (with --resume: only the resume).
      const copiers = (['cli', 'sdk'] as const).filter((w) => !only || only === w);
      const order = Array.from({ length: reps }, (_, i) => (i % 2 ? [...copiers].reverse() : copiers).map((w) => ({ w, rep: i + 1 }))).flat();
      for (const { w, rep } of order) {
        const count = w === 'cli' ? n : sdkBlobs;
        harness.reset(count);
        const dest = `cost-dst-${++seq}`;
        let timePid = 0;
        // Every minute: copy calls so far and the client's RSS now and at its peak (a run too long to wait for still says something).
        const progress = setInterval(() => log(`${w} ${count}: ${harness.copyCalls.toLocaleString('en-US')} copy calls; client ${clientMemory(timePid)}`), 60_000);
        const r =
          w === 'cli'
            ? await measured([...cliCommand(cli, prof), 'copy', `${endpoint}/${SOURCE}/${PREFIX}`, `${endpoint}/${dest}/`, '--recursive', '--json', '--source-connection-string', cs, '--destination-connection-string', cs], { onStart: (c) => (timePid = c.pid ?? 0) })
            : await measured([process.execPath, ...prof, __filename, '--peer', JSON.stringify({ endpoint, dest, likeCli } satisfies PeerSpec)], { onStart: (c) => (timePid = c.pid ?? 0) });
        clearInterval(progress);
        if (r.code !== 0) throw new Error(`${w} ${count}: exit ${r.code}: ${r.err}`);
        const copied = harness.copies.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
      harness.reflectCopies = false;
        const settled = w === 'cli' ? cliJson(r.out)?.settled : undefined;
        const row = {
          who: w,
          rep,
          blobs: count,
          seconds: Math.round(r.seconds * 10) / 10,
          blobsPerSecond: Math.round(count / r.seconds),
          peakRssMiB: Math.round(r.peakMiB),
          cpuSeconds: r.cpuSeconds,
          cpuMsPerBlob: Math.round((r.cpuSeconds * 1000 * 1000) / count) / 1000,
          sysMsPerBlob: Math.round((r.sysSeconds * 1000 * 1000) / count) / 1000,
          copyCalls: harness.copyCalls,
          namesCopied: copied,
          namesCopiedTwice: harness.twice,
          otherRequests: Object.fromEntries(harness.other),
          settled,
        };
        if (copied !== count) throw new Error(`${w} ${count}: ${copied} of ${count} names copied`);
        rows.push(row);
        log(JSON.stringify(row));
      }
    }
    if (args.includes('--resume')) {
      const n = sizes[sizes.length - 1];
      // The destination lists and HEADs what was copied to it, as a real account: a resume can see what the killed
      // process copied without hearing of it.
      harness.reflectCopies = true;
      harness.reset(n);
      const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-cost-journal-'));
      const spec: PeerSpec = { endpoint, dest: `cost-dst-${++seq}`, journalDir };
      let killedAt = 0;
      let journalBytes = 0;
      const first = await measured([process.execPath, __filename, '--engine-peer', JSON.stringify(spec)], {
        onStart: (child) => {
          const poll = setInterval(() => {
            if (harness.copyCalls >= n / 2) {
              clearInterval(poll);
              killedAt = harness.copyCalls;
              journalBytes = dirBytes(journalDir);
              // /usr/bin/time's child, by its id: the engine's process (the one that must die without a word).
              const pid = Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
              if (pid > 0) process.kill(pid, 'SIGKILL');
            }
          }, 50);
          child.on('close', () => clearInterval(poll));
        },
      });
      log(`resume: first process ended (exit ${first.code}) after ${killedAt.toLocaleString('en-US')} copy calls; journal ${journalBytes} bytes`);
      const second = await measured([process.execPath, __filename, '--engine-peer', JSON.stringify({ ...spec, resume: true })]);
      const result = JSON.parse(/RESULT (.*)/.exec(second.out)?.[1] ?? '{}') as { batches?: number; total?: number; succeeded?: number };
      const copied = harness.copies.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
      const row = {
        who: 'engine-resume',
        blobs: n,
        killedAfterCopyCalls: killedAt,
        journalBytesAtKill: journalBytes,
        resumed: result,
        resumeSeconds: Math.round(second.seconds * 10) / 10,
        resumePeakRssMiB: Math.round(second.peakMiB),
        copyCalls: harness.copyCalls,
        namesCopied: copied,
        namesCopiedTwice: harness.twice,
        // Listing order is index order: names copied twice near the kill were in flight then (the service did the
        // copy, the killed client never heard it); none from before it.
        twiceIndexRange: harness.twice ? harness.twiceRange : undefined,
      };
      rows.push(row);
      log(JSON.stringify(row));
      if (second.code !== 0) throw new Error(`resume: exit ${second.code}: ${second.err}`);
      fs.rmSync(journalDir, { recursive: true, force: true });
    }
  } finally {
    await harness.stop();
  }
  const loadAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log('\nClient cost: same-account folder copy of N × 1 KiB against a loopback endpoint that answers at once (bench/cost.ts)');
  console.log('who            blobs        s   blobs/s  peak RSS MiB  CPU ms/blob  copy calls  copied twice');
  for (const r of rows.filter((x) => x.who !== 'engine-resume')) {
    console.log(
      `${String(r.who).padEnd(8)} ${String(r.blobs).padStart(11)} ${String(r.seconds).padStart(8)} ${String(r.blobsPerSecond).padStart(9)} ${String(r.peakRssMiB).padStart(13)} ${String(r.cpuMsPerBlob).padStart(12)} ${String(r.copyCalls).padStart(11)} ${String(r.namesCopiedTwice).padStart(13)}`,
    );
  }
  const ratios = cpuRatios(rows);
  for (const r of ratios) {
    console.log(`CPU per blob, cli / ${likeCli ? 'sdk (like the CLI)' : 'sdk'}, ${r.blobs} blobs: median ${r.median} over ${r.pairs.length} pair(s) (min ${Math.min(...r.pairs)}, max ${Math.max(...r.pairs)}); cli median ${r.cli} ms, sdk median ${r.sdk} ms`);
  }
  for (const r of rows.filter((x) => x.who === 'engine-resume')) console.log(`resume: ${JSON.stringify(r)}`);
  console.log(`Load average (1/5/15 min): start ${loadAtStart.join(' ')}, end ${loadAtEnd.join(' ')}`);
  const out = path.join(root, 'bench', 'cost-results.json');
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
  } catch {
    /* first run */
  }
  all[`${sizes.join(',')}${likeCli ? '-sdk-like-cli' : ''}`] = { date: new Date().toISOString(), loadAverage: { start: loadAtStart, end: loadAtEnd }, reps, sdkLikeCli: likeCli, cpuRatios: ratios, rows };
  fs.writeFileSync(out, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`written ${path.relative(root, out)}`);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Per size: the CPU-per-blob ratio cli / sdk of each rep (both copiers ran in it at that size), and medians. */
function cpuRatios(rows: Array<Record<string, unknown>>): Array<{ blobs: number; pairs: number[]; median: number; cli: number; sdk: number }> {
  const out = [];
  for (const blobs of new Set(rows.filter((r) => r.who === 'cli').map((r) => r.blobs as number))) {
    const of = (who: string) => rows.filter((r) => r.who === who && r.blobs === blobs);
    const pairs = of('cli').flatMap((c) => of('sdk').filter((x) => x.rep === c.rep).map((x) => round3((c.cpuMsPerBlob as number) / (x.cpuMsPerBlob as number))));
    if (!pairs.length) continue;
    out.push({ blobs, pairs, median: round3(median(pairs)), cli: round3(median(of('cli').map((r) => r.cpuMsPerBlob as number))), sdk: round3(median(of('sdk').map((r) => r.cpuMsPerBlob as number))) });
  }
  return out;
}

/** RSS now and at its peak (VmRSS, VmHWM) of the process /usr/bin/time started, from /proc. */
function clientMemory(timePid: number): string {
  try {
    const child = fs.readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8').trim().split(' ')[0];
    const status = fs.readFileSync(`/proc/${child}/status`, 'utf8');
    const kib = (k: string) => Math.round(Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
    return `RSS ${kib('VmRSS')} MiB, peak ${kib('VmHWM')} MiB`;
  } catch {
    return 'RSS unknown';
  }
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += fs.statSync(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
  }
  return n;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
