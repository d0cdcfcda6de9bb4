/**
 * `npm run bench -- --sync-scale[=10000,100000]` (bundled and run by scripts/bench.mjs): the peak RSS of
 * `blob-copy sync` at several sizes. Not a test.
 *
 * Azurite in memory, one account. For each size N: N × 1 KiB source blobs in one folder, and N / 10 extras in the
 * destination folder (names only there). Then, each run in its own process under /usr/bin/time (peak RSS):
 *   first   `blob-copy sync --delete-destination`: N new blobs copied, N / 10 extras deleted;
 *   second  the same command again: the merge of two listings of N names each, nothing copied or deleted.
 * `--mostly-same`: the destination holds the first 99 % of the source's blobs already (uploaded alike, so the same by
 * Content-MD5) and N / 100 extras; the runs are a dry run, the sync (N / 100 copied, N / 100 deleted) and the same
 * sync again. In-memory Azurite slows down with every blob it holds (a copy of 100,000 new blobs did not end within
 * 15 minutes on a loaded 2-core machine), so this measures the merge of two listings of N names at every size.
 * Prints time and peak RSS per run, and writes bench/sync-scale-results.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectionStringAt, DEV_ACCOUNT, startAzurite } from '../test/helpers/azurite';
import { pool, timed } from './run';

const root = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);



async function main(): Promise<void> {
  const sizeArg = args.find((a) => a.startsWith('--sync-scale='));
  const sizes = sizeArg ? sizeArg.slice('--sync-scale='.length).split(',').map(Number) : [10_000, 100_000];
  const mostlySame = args.includes('--mostly-same');
  const cli = path.join(root, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
  fs.chmodSync(cli, 0o755);
  const az = await startAzurite({ accounts: [DEV_ACCOUNT] });
  const runs: Array<{ blobs: number; run: string; seconds: number; peakRssMiB: number; stdout: string }> = [];
  try {
    const service = az.serviceClient(DEV_ACCOUNT);
    const endpoint = `http://${az.host}:${az.port}/${DEV_ACCOUNT.name}`;
    const cs = connectionStringAt(endpoint);
    const src = service.getContainerClient('sync-src');
    await src.createIfNotExists();
    const body = Buffer.alloc(1024, 7);
    for (const n of sizes) {
      const prefix = `n${n}/`;
      const dst = service.getContainerClient(`sync-dst-${n}`);
      await dst.createIfNotExists();
      const t0 = performance.now();
      await pool(Array.from({ length: n }, (_, i) => `${prefix}f${String(i).padStart(7, '0')}.bin`), 64, async (name) => {
        await src.getBlockBlobClient(name).upload(body, body.length);
      });
      const extras = mostlySame ? n / 100 : n / 10;
      const same = mostlySame ? n - n / 100 : 0;
      await pool(Array.from({ length: same }, (_, i) => `mirror/f${String(i).padStart(7, '0')}.bin`), 64, async (name) => {
        await dst.getBlockBlobClient(name).upload(body, body.length);
      });
      await pool(Array.from({ length: extras }, (_, i) => `mirror/x${String(i).padStart(7, '0')}.bin`), 64, async (name) => {
        await dst.getBlockBlobClient(name).upload(body, body.length);
      });
      console.error(`[sync-scale] ${n.toLocaleString('en-US')} source blobs, ${same.toLocaleString('en-US')} of them and ${extras.toLocaleString('en-US')} extras at the destination, uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const cmd = [cli, 'sync', `${endpoint}/sync-src/${prefix}`, `${endpoint}/sync-dst-${n}/mirror/`, '--delete-destination', '--source-connection-string', cs, '--destination-connection-string', cs];
      for (const run of mostlySame ? ['dry run', 'first', 'second'] : ['first', 'second']) {
        const r = await timed(run === 'dry run' ? [...cmd, '--dry-run'] : cmd, { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, AZURE_STORAGE_CONNECTION_STRING: '' }, '[sync-scale]');
        if (run === 'dry run') {
          if (r.code !== 0) throw new Error(`sync --dry-run at ${n}: exit ${r.code}`);
          const lines = r.out.trim().split('\n');
          runs.push({ blobs: n, run, seconds: r.seconds, peakRssMiB: r.peakKiB / 1024, stdout: lines.slice(0, 5).join('\n') });
          console.error(`[sync-scale] ${run} of ${n}: ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakKiB / 1024).toFixed(0)} MiB:\n${lines.slice(0, 5).join('\n')}`);
          continue;
        }
        let count = 0;
        for await (const page of dst.listBlobsFlat().byPage({ maxPageSize: 5000 })) count += page.segment.blobItems.length;
        if (r.code !== 0 || count !== n) throw new Error(`sync ${run} at ${n}: exit ${r.code}, ${count} of ${n} blobs at the destination`);
        runs.push({ blobs: n, run, seconds: r.seconds, peakRssMiB: r.peakKiB / 1024, stdout: r.out.trim() });
        console.error(`[sync-scale] ${run} sync of ${n}: ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakKiB / 1024).toFixed(0)} MiB: ${r.out.trim()}`);
      }
      // The container is kept: deleting one of many blobs kept Azurite (in memory) from answering for minutes.
    }
  } finally {
    await az.stop();
  }
  fs.writeFileSync(path.join(root, 'bench', 'sync-scale-results.json'), `${JSON.stringify({ node: process.version, when: new Date().toISOString(), runs }, null, 2)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
