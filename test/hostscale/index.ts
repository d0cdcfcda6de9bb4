/**
 * `npm run bench -- --scale-host[=2000,20000]` (bench/scale.ts): the extension host's memory for a folder copy run
 * through the extension in the real VS Code host, with the Copy Jobs panel open. Not a test: an
 * extensionTestsPath entry of its own (not under test/ui, so `npm test` does not run it).
 *
 * For each size N: N × 1 KiB blobs in one folder (Azurite is a child process), then `blobCopy.copyFolderTo` of the
 * folder, while `process.memoryUsage().rss` of the extension host is sampled every 100 ms. One line per size:
 *   [blob-copy-ui-scale] {"blobs":N,"seconds":…,"rssBeforeMiB":…,"peakRssMiB":…,"heldViews":…,…}
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { createContainer, getEnv, stopEnv, uniqueName, waitFor, waitForBatch, type Env } from '../ui/env';

/** The source blobs, uploaded by a child process (upload.ts): the host's own heap stays as it was. */
function upload(connectionString: string, container: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'upload.js'), connectionString, container, String(count)], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the upload exited ${code}`))));
  });
}

const MiB = 2 ** 20;

/** The heap in use after a full GC (MiB): what the host really keeps, apart from garbage not yet collected. */
function liveHeapMiB(): number {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed / MiB;
}

/**
 * The folder to copy and where to. Azurite: N blobs uploaded to a new container. With BLOB_COPY_SCALE_HOST_ENDPOINT
 * (bench --server=harness): a connection to that endpoint, whose source folder holds N generated names already.
 */
async function copyPair(env: Env, n: number): Promise<{ connectionId: string; source: { container: string; path: string }; destination: string }> {
  const endpoint = process.env.BLOB_COPY_SCALE_HOST_ENDPOINT;
  if (endpoint) {
    const [container, ...rest] = (process.env.BLOB_COPY_SCALE_HOST_SOURCE ?? '').split('/');
    const account = env.azurite.accounts[0];
    const conn = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'accountKey', label: `harness ${n}`, accountName: account.name, accountKey: account.key, blobEndpoint: endpoint })) as { id: string };
    return { connectionId: conn.id, source: { container, path: rest.join('/') }, destination: uniqueName('hs-dst') };
  }
  const src = await createContainer(env.dev, uniqueName('hs-src'));
  const t0 = Date.now();
  await upload(env.azurite.connectionString(), src.containerName, n);
  console.log(`[scale-host] ${n.toLocaleString('en-US')} source blobs uploaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const dst = await createContainer(env.dev, uniqueName('hs-dst'));
  return { connectionId: 'azurite', source: { container: src.containerName, path: 'many/' }, destination: dst.containerName };
}

export async function run(): Promise<void> {
  const sizes = (process.env.BLOB_COPY_SCALE_HOST ?? '2000,20000').split(',').map(Number).filter((n) => n > 0);
  const env = await getEnv();
  try {
    for (const n of sizes) {
      const { connectionId, source, destination } = await copyPair(env, n);
      console.log(`[scale-host] ${n.toLocaleString('en-US')}: opening the panel`);
      env.api.engine.clearFinished();
      env.api.panel.current?.dispose();
      const panel = env.api.panel.show();
      await waitFor('the Copy Jobs webview to be ready', () => (panel.stats().ready ? true : undefined), 30_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const liveBefore = liveHeapMiB();
      // BLOB_COPY_HEAP_SNAPSHOTS=<folder>: the host's heap before and after the copy, to find what it keeps.
      const snapshots = process.env.BLOB_COPY_HEAP_SNAPSHOTS;
      if (snapshots) v8.writeHeapSnapshot(path.join(snapshots, `host-before-${n}.heapsnapshot`));
      // BLOB_COPY_HEAP_PROFILE=<folder>: where the host thread allocates during the copy (V8's sampling heap profiler,
      // objects collected or not), to find the garbage that grows its heap.
      const heapProfile = process.env.BLOB_COPY_HEAP_PROFILE;
      const session = heapProfile ? new inspector.Session() : undefined;
      const post = (method: string, params?: object) =>
        new Promise<unknown>((resolve, reject) => session!.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
      if (session) {
        session.connect();
        await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      }
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      let maxHeld = 0;
      let atPeak = process.memoryUsage();
      // The engine's worker thread: its V8 heap, sampled less often (a message round trip).
      let workerPeak = { used: 0, total: 0, limit: 0 };
      const workerSampler = setInterval(() => {
        void env.api.engine.heap().then((h) => {
          if (h.total_heap_size > workerPeak.total) workerPeak = { used: h.used_heap_size / MiB, total: h.total_heap_size / MiB, limit: h.heap_size_limit / MiB };
        }, () => undefined);
      }, 500);
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        if (m.rss > peak) atPeak = m;
        peak = Math.max(peak, m.rss);
        maxHeld = Math.max(maxHeld, panel.stats().heldViews);
      }, 100);
      // Job snapshots that crossed from the engine's worker to the host thread (past a batch's first 1,000, only the
      // jobs the host has a use for; the others are in the batch's counters).
      let jobEvents = 0;
      const jobSub = env.api.engine.onJob(() => jobEvents++);
      const before = panel.stats();
      console.log(`[scale-host] ${n.toLocaleString('en-US')}: copying`);
      const started = Date.now();
      let outcome: CopyOutcome | undefined;
      try {
        outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
          sources: [{ connectionId, container: source.container, path: source.path }],
          destination: { connectionId, container: destination, path: '' },
        })) as CopyOutcome;
        if (!outcome?.batchId) throw new Error(`the copy did not start: ${JSON.stringify(outcome)}`);
        await waitForBatch(env.api, outcome.batchId, 120 * 60_000);
        await new Promise((r) => setTimeout(r, 1_000)); // the panel's last updates
      } finally {
        clearInterval(sampler);
        clearInterval(workerSampler);
        jobSub.dispose();
      }
      if (session) {
        const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
        fs.writeFileSync(path.join(heapProfile!, `host-${n}.heapprofile`), JSON.stringify(profile));
        session.disconnect();
      }
      const seconds = (Date.now() - started) / 1000;
      const summary = env.api.engine.batch(outcome.batchId!);
      const after = panel.stats();
      // With the panel still open and the batch's jobs still listed: what the copy left in the heap.
      const liveAfter = liveHeapMiB();
      if (snapshots) v8.writeHeapSnapshot(path.join(snapshots, `host-after-${n}.heapsnapshot`));
      const line = {
        blobs: n,
        succeeded: summary?.succeeded ?? 0,
        seconds,
        rssBeforeMiB: rssBefore / MiB,
        peakRssMiB: peak / MiB,
        growthMiB: (peak - rssBefore) / MiB,
        heldViews: after.heldViews,
        maxHeldViews: maxHeld,
        jobEvents,
        messagesPerSecond: (after.messagesPosted - before.messagesPosted) / seconds,
        known: after.lastRendered?.known ?? 0,
        liveHeapBeforeMiB: liveBefore,
        liveHeapAfterMiB: liveAfter,
        // Where the peak was: V8's heap (used and reserved), memory outside it (buffers, sockets), the heap's limit.
        atPeakMiB: { heapUsed: atPeak.heapUsed / MiB, heapTotal: atPeak.heapTotal / MiB, external: atPeak.external / MiB, arrayBuffers: atPeak.arrayBuffers / MiB },
        heapLimitMiB: v8.getHeapStatistics().heap_size_limit / MiB,
        workerHeapAtLargestMiB: workerPeak,
      };
      console.log(`[blob-copy-ui-scale] ${JSON.stringify(line)}`);
      if (line.succeeded !== n) throw new Error(`${line.succeeded} of ${n} blobs copied`);
      panel.dispose();
      env.api.engine.clearFinished();
      console.log(`[scale-host] ${n.toLocaleString('en-US')}: done`);
    }
  } finally {
    await stopEnv();
  }
}
