/**
 * `npm run bench -- --scale` (bundled and run by scripts/bench.mjs): the scale workload. Not a test.
 *
 * Azurite in memory. For each size N (default 2,000 / 20,000 / 100,000; `--scale=2000,20000`; `--scale-1m` adds
 * 1,000,000): N × 1 KiB blobs in one folder, then, interleaved in the same run,
 *   cli   `blob-copy copy --recursive` of the folder to another container of the same account (dist/cli.js), and
 *   sdk   the peer: the bare SDK, no engine — list the folder, then 32 parallel Copy Blob From URL,
 * each in its own process under /usr/bin/time (peak RSS). Prints time, blobs/s, peak RSS, and the growth in peak RSS
 * per extra blob between consecutive sizes, and writes bench/scale-results.json.
 *
 * `--scale-host[=2000,20000]`: the same folder copy run through the EXTENSION in the real VS Code extension host
 * (the offline runtime, scripts/vscode-runtime.mjs; the workload is test/hostscale/index.ts, compiled to out/), with
 * the Copy Jobs panel open: the host's peak RSS (`process.memoryUsage().rss` sampled in the host) at each size, and
 * its growth per extra blob. Writes bench/scale-host-results.json. `--server=harness`: the source is the loopback
 * endpoint of bench/harness.ts in this process (answers at once, stores nothing, counts copy calls per name), not
 * Azurite, for sizes Azurite cannot be seeded with in a session (1,000,000).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { connectionStringAt, DEV_ACCOUNT, startAzurite } from '../test/helpers/azurite';
import { Harness, HARNESS_PREFIX, HARNESS_SOURCE } from './harness';
import { pool, timed } from './run';

const root = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);


/** The peer, in its own process: `scale.js --peer <blobEndpoint> <container> <prefix> <destContainer>`. */
async function peer(endpoint: string, container: string, prefix: string, destContainer: string): Promise<void> {
  const cred = new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
  const service = new BlobServiceClient(endpoint, cred);
  const src = service.getContainerClient(container);
  const dst = service.getContainerClient(destContainer);
  const names: string[] = [];
  for await (const b of src.listBlobsFlat({ prefix })) names.push(b.name);
  const expiresOn = new Date(Date.now() + 3600_000);
  await pool(names, 32, async (name) => {
    const sas = generateBlobSASQueryParameters({ containerName: container, blobName: name, permissions: BlobSASPermissions.parse('r'), expiresOn }, cred).toString();
    await dst.getBlobClient(name).syncCopyFromURL(`${src.getBlobClient(name).url}?${sas}`);
  });
  process.stdout.write(`${names.length}\n`);
}

interface Run {
  who: 'cli' | 'sdk';
  blobs: number;
  seconds: number;
  blobsPerSecond: number;
  peakRssMiB: number;
}


interface HostRun {
  blobs: number;
  succeeded: number;
  seconds: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  growthMiB: number;
  heldViews: number;
  maxHeldViews: number;
  /** Job snapshots that crossed from the engine's worker to the host thread. */
  jobEvents?: number;
  messagesPerSecond: number;
  known: number;
  liveHeapBeforeMiB?: number;
  liveHeapAfterMiB?: number;
  /** --server=harness: what the endpoint saw. */
  harness?: { copyCalls: number; namesCopied: number; namesCopiedTwice: number };
}

/** `--scale-host`: the folder copy through the extension in the real VS Code host; its peak RSS per size. */
async function hostScale(sizes: number[]): Promise<void> {
  const entry = path.join(root, 'out', 'test', 'hostscale', 'index.js');
  if (!fs.existsSync(entry)) throw new Error('out/test/hostscale/index.js is missing: run `npx tsc -p tsconfig.test.json` first.');
  const runtime = (await import(pathToFileURL(path.join(root, 'scripts', 'vscode-runtime.mjs')).href)) as {
    runExtensionTests(o: { extensionTestsPath: string; env?: Record<string, string>; onLine?: (l: string) => void; timeoutMs?: number }): Promise<{ code: number }>;
  };
  const runs: HostRun[] = [];
  const harness = args.includes('--server=harness') ? new Harness(0) : undefined;
  await harness?.start();
  // One fresh extension host per size: each peak starts from the same baseline (sizes run in one host compared a
  // host that had already grown with the earlier copies).
  for (const n of sizes) {
    const before = runs.length;
    harness?.reset(n);
    const server: Record<string, string> = harness ? { BLOB_COPY_SCALE_HOST_ENDPOINT: `http://127.0.0.1:${harness.port}/${DEV_ACCOUNT.name}`, BLOB_COPY_SCALE_HOST_SOURCE: `${HARNESS_SOURCE}/${HARNESS_PREFIX}` } : {};
    const { code } = await runtime.runExtensionTests({
      extensionTestsPath: entry,
      env: { BLOB_COPY_SCALE_HOST: String(n), ...server },
      timeoutMs: 150 * 60_000,
      onLine: (line) => {
        const m = /^\[blob-copy-ui-scale\] (\{.*\})$/.exec(line.trim());
        if (m) runs.push(JSON.parse(m[1]) as HostRun);
        console.error(line);
      },
    });
    if (code !== 0 || runs.length !== before + 1) throw new Error(`the extension host run for ${n} blobs exited ${code} without its figures`);
    if (harness) {
      const copied = harness.copies.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
      runs[runs.length - 1].harness = { copyCalls: harness.copyCalls, namesCopied: copied, namesCopiedTwice: harness.twice };
      console.error(`[scale-host] the harness saw ${harness.copyCalls.toLocaleString('en-US')} copy calls for ${copied.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} names, ${harness.twice} names copied twice`);
    }
  }
  await harness?.stop();
  console.log('\nScale in the extension host: same-account folder copy of N × 1 KiB blobs through the extension, Copy Jobs panel open, one host per size');
  console.log('blobs       time (s)  blobs/s  RSS before (MiB)  peak RSS (MiB)  peak per extra blob (KiB)  growth per extra blob (KiB)  held views  job events  messages/s  live heap before → after a GC (MiB)');
  runs.forEach((r, i) => {
    const prev = runs[i - 1];
    const per = prev ? ((r.peakRssMiB - prev.peakRssMiB) * 1024) / (r.blobs - prev.blobs) : undefined;
    const growth = prev ? ((r.growthMiB - prev.growthMiB) * 1024) / (r.blobs - prev.blobs) : undefined;
    console.log(
      `${r.blobs.toLocaleString('en-US').padEnd(11)} ${r.seconds.toFixed(1).padStart(8)}  ${(r.blobs / r.seconds).toFixed(0).padStart(7)}  ${r.rssBeforeMiB.toFixed(0).padStart(16)}  ` +
        `${r.peakRssMiB.toFixed(0).padStart(14)}  ${(per === undefined ? '—' : per.toFixed(3)).padStart(25)}  ${(growth === undefined ? '—' : growth.toFixed(3)).padStart(27)}  ${String(r.maxHeldViews).padStart(10)}  ${(r.jobEvents?.toLocaleString('en-US') ?? '?').padStart(10)}  ${r.messagesPerSecond.toFixed(1).padStart(10)}  ${r.liveHeapBeforeMiB?.toFixed(0) ?? '?'} → ${r.liveHeapAfterMiB?.toFixed(0) ?? '?'}`,
    );
  });
  const out = path.join(root, 'bench', 'scale-host-results.json');
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), loadAverage: (await import('node:os')).loadavg(), server: harness ? 'harness' : 'azurite', runs }, null, 2)}\n`);
  console.log(`written ${path.relative(root, out)}`);
}

async function main(): Promise<void> {
  if (args[0] === '--peer') return peer(args[1], args[2], args[3], args[4]);
  const hostArg = args.find((a) => a === '--scale-host' || a.startsWith('--scale-host='));
  if (hostArg) return hostScale(hostArg.includes('=') ? hostArg.slice('--scale-host='.length).split(',').map(Number) : [2000, 20000]);
  const sizeArg = args.find((a) => a.startsWith('--scale='));
  const sizes = sizeArg ? sizeArg.slice('--scale='.length).split(',').map(Number) : [2000, 20000, 100000];
  if (args.includes('--scale-1m')) sizes.push(1_000_000);
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
  // Run as users run it: the bin itself (its shebang sets the CLI's heap limit), with this Node first on PATH.
  fs.chmodSync(cli, 0o755);
  const az = await startAzurite({ accounts: [DEV_ACCOUNT] });
  const runs: Run[] = [];
  try {
    const service = az.serviceClient(DEV_ACCOUNT);
    const endpoint = `http://${az.host}:${az.port}/${DEV_ACCOUNT.name}`;
    const cs = connectionStringAt(endpoint);
    const src = service.getContainerClient('scale-src');
    await src.createIfNotExists();
    const body = Buffer.alloc(1024, 7);
    for (const n of sizes) {
      const prefix = `n${n}/`;
      const t0 = performance.now();
      await pool(Array.from({ length: n }, (_, i) => `${prefix}f${String(i).padStart(7, '0')}.bin`), 64, async (name) => {
        await src.getBlockBlobClient(name).upload(body, body.length);
      });
      console.error(`[scale] ${n.toLocaleString('en-US')} × 1 KiB source blobs uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      for (const who of ['cli', 'sdk'] as const) {
        const dest = `scale-${who}-${n}`;
        await service.getContainerClient(dest).createIfNotExists();
        const cmd =
          who === 'cli'
            ? [cli, 'copy', `${endpoint}/scale-src/${prefix}`, `${endpoint}/${dest}/`, '--recursive', '--source-connection-string', cs, '--destination-connection-string', cs]
            : [process.execPath, __filename, '--peer', endpoint, 'scale-src', prefix, dest];
        const r = await timed(cmd, { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, AZURE_STORAGE_CONNECTION_STRING: '' }, `[scale] ${cmd.slice(0, 3).join(' ')}`);
        let count = 0;
        for await (const page of service.getContainerClient(dest).listBlobsFlat().byPage({ maxPageSize: 5000 })) count += page.segment.blobItems.length;
        if (r.code !== 0 || count !== n) throw new Error(`${who} at ${n}: exit ${r.code}, ${count} of ${n} blobs arrived`);
        runs.push({ who, blobs: n, seconds: r.seconds, blobsPerSecond: n / r.seconds, peakRssMiB: r.peakKiB / 1024 });
        console.error(`[scale] ${who} ${n}: ${r.seconds.toFixed(1)} s, ${(n / r.seconds).toFixed(0)} blobs/s, peak RSS ${(r.peakKiB / 1024).toFixed(0)} MiB`);
        await service.getContainerClient(dest).delete();
      }
    }
  } finally {
    await az.stop();
  }
  const rows = runs.map((r) => {
    const prev = runs.filter((p) => p.who === r.who && p.blobs < r.blobs).pop();
    const perExtraKiB = prev ? ((r.peakRssMiB - prev.peakRssMiB) * 1024) / (r.blobs - prev.blobs) : undefined;
    return { ...r, perExtraBlobKiB: perExtraKiB };
  });
  console.log('\nScale: same-account folder copy of N × 1 KiB blobs (Azurite in memory)');
  console.log('who  blobs       time (s)  blobs/s  peak RSS (MiB)  RSS per extra blob (KiB)  rate vs sdk');
  for (const r of rows) {
    const sdk = rows.find((x) => x.who === 'sdk' && x.blobs === r.blobs);
    console.log(
      `${r.who.padEnd(4)} ${r.blobs.toLocaleString('en-US').padEnd(11)} ${r.seconds.toFixed(1).padStart(8)}  ${r.blobsPerSecond.toFixed(0).padStart(7)}  ` +
        `${r.peakRssMiB.toFixed(0).padStart(14)}  ${(r.perExtraBlobKiB === undefined ? '—' : r.perExtraBlobKiB.toFixed(3)).padStart(24)}  ${sdk ? (r.blobsPerSecond / sdk.blobsPerSecond).toFixed(2) : ''}`,
    );
  }
  const cliRuns = rows.filter((r) => r.who === 'cli');
  if (cliRuns.length >= 2) {
    const a = cliRuns[0];
    const b = cliRuns[cliRuns.length - 1];
    console.log(
      `\ncli ${a.blobs.toLocaleString('en-US')} → ${b.blobs.toLocaleString('en-US')}: +${((b.peakRssMiB - a.peakRssMiB) * 1024 / (b.blobs - a.blobs)).toFixed(3)} KiB peak RSS per extra blob (goal ≤ 1); ` +
        `rate ${(b.blobsPerSecond / a.blobsPerSecond).toFixed(2)}× (goal ≥ 0.9)`,
    );
  }
  const out = path.join(root, 'bench', 'scale-results.json');
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), loadAverage: (await import('node:os')).loadavg(), runs: rows }, null, 2)}\n`);
  console.log(`written ${path.relative(root, out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
