/**
 * The set-up the storage-outage suites share (test/reliability/outage-*.test.ts, split so their outages, which
 * are waited out in real time, run side by side): Azurite behind the from-URL shim behind the fault proxy, with
 * DEFAULT settings (the SDK's default retries from createAccountClient, the engine's default outage tolerance).
 *
 * Path: engine → fault proxy (outages, 503 storms) → from-URL shim (Append Block / Put Page From URL, which Azurite
 * lacks) → Azurite. The service reads copy sources through the same proxy, so an outage takes the whole "storage"
 * away. Bytes are checked straight in Azurite.
 */
import { after, before } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from './azurite';
import { DownMode, FaultProxy, ProxyRequestInfo, startFaultProxy } from './faultProxy';
import { FromUrlShim, startFromUrlShim } from '../shim/fromUrlShim';
import { CopyEngine, CopyEngineOptions, CopyRequest, JobSnapshot } from '../../src/core';
import { A1, A2, fromSdk, MemoryLog, resolverThrough, tempDir, waitFor } from './proxiedEngine';

/** No pipeline options: createAccountClient's default retries (5 tries, 0.5 … 10 s). */
export const DEFAULTS = {};

export interface OutageRun {
  waits: JobSnapshot[];
  downAt: number;
  t0: number;
  elapsedMs: number;
  job: JobSnapshot;
  /** Whether the destination existed (straight in Azurite) while storage was down. */
  destDuringOutage?: boolean;
}

export interface OutageSuite {
  readonly azurite: AzuriteInstance;
  readonly proxy: FaultProxy;
  /** The first account's container "src". */
  readonly src: ContainerClient;
  /** The second account's container "far". */
  readonly far: () => ContainerClient;
  /** An engine through the proxy with default settings (disposed in after()). */
  readonly engine: (options?: Partial<CopyEngineOptions>) => { engine: CopyEngine; log: MemoryLog };
  /** An extra proxy to stop in after() too (a test that times out never reaches its own finally). */
  readonly track: (proxy: FaultProxy) => void;
  readonly copyOf: (path: string, to: string, strategy?: 'put-block-from-url') => CopyRequest;
  /** The n-th request of an operation (comp) the engine sends, with a copy source: the moment to go down. */
  readonly nth: (comp: string, n: number) => (r: ProxyRequestInfo) => boolean;
  /** Storage refuses connections for downMs from the first request trigger() matches; end() brings it back. */
  readonly refuseAtFirst: (trigger: (r: ProxyRequestInfo) => boolean, downMs: number) => { at: number; end(): Promise<void> };
  /** Copies with storage going down (mode) for downMs when trigger() first matches; storage comes back by itself. */
  readonly copyThroughOutage: (e: CopyEngine, request: CopyRequest, trigger: (r: ProxyRequestInfo) => boolean, mode: DownMode, downMs: number, destName: string) => Promise<OutageRun>;
  /**
   * A restart mid-copy, then someone else writes the destination anew: the copy of `source` to far/`destName` runs
   * with a journal until its third write of `comp` (those wait at the proxy), its engine is disposed (the process
   * ends), `writeTheirs` writes the destination over 2 s later (creation times are to the second), and a new engine
   * resumes the journal. Its job and log.
   */
  readonly resumeAfterWrittenAnew: (comp: string, source: string, destName: string, writeTheirs: () => Promise<void>) => Promise<{ job?: JobSnapshot; log: MemoryLog }>;
}

/** Registers before()/after() in the calling describe(); seed() uploads the suite's source blobs to "src". */
export function outageSuite(seed: (src: ContainerClient) => Promise<void>): OutageSuite {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const engines: CopyEngine[] = [];
  const proxies: FaultProxy[] = [];
  const far = () => azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far');

  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    proxy = await startFaultProxy({ host: '127.0.0.1', port: shim.port });
    src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    await far().create();
    await seed(src);
  });
  after(async () => {
    for (const e of engines) e.dispose();
    for (const p of proxies) await p.stop();
    await proxy?.stop();
    await shim?.stop();
    await azurite?.stop();
  });

  const suite: OutageSuite = {
    get azurite() {
      return azurite;
    },
    get proxy() {
      return proxy;
    },
    get src() {
      return src;
    },
    far,
    engine(options = {}) {
      const log = new MemoryLog();
      const e = new CopyEngine({ resolve: resolverThrough(proxy, DEFAULTS), log, ...options });
      engines.push(e);
      return { engine: e, log };
    },
    track(p) {
      proxies.push(p);
    },
    copyOf(path, to, strategy) {
      return {
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path } }],
        destination: { connectionId: A2, container: 'far', path: to },
        options: strategy ? { strategy } : undefined,
      };
    },
    nth(comp, n) {
      let seen = 0;
      return (r) => r.comp === comp && r.copySource !== undefined && fromSdk(r) && ++seen === n;
    },
    refuseAtFirst: (trigger, downMs) => proxy.refuseAtFirst(trigger, downMs),
    async copyThroughOutage(e, request, trigger, mode, downMs, destName) {
      const waits: JobSnapshot[] = [];
      const sub = e.onJob((j) => j.waiting && waits.push(j));
      let downAt = 0;
      let probe: Promise<boolean> | undefined;
      const hook = proxy.onRequest((r) => {
        if (downAt || !trigger(r)) return;
        downAt = Date.now();
        void proxy.setDown(mode, { maxDownMs: downMs });
        probe = new Promise((res) => setTimeout(res, 2000)).then(() => far().getBlobClient(destName).exists());
      });
      const t0 = Date.now();
      try {
        const plan = await e.plan(request);
        const summary = await e.waitForBatch(e.start(plan));
        const job = e.jobs().find((j) => j.batchId === summary.batchId)!;
        return { waits, downAt, t0, elapsedMs: Date.now() - t0, job, destDuringOutage: await probe };
      } finally {
        hook.dispose();
        sub.dispose();
        await proxy.setDown(false);
      }
    },
    async resumeAfterWrittenAnew(comp, source, destName, writeTheirs) {
      const journalDir = tempDir(`written-anew-${comp}`);
      const { engine: first } = suite.engine({ journalDir });
      let writes = 0;
      let release!: () => void;
      proxy.setRules({ match: (r) => r.comp === comp && r.copySource !== undefined && ++writes >= 3, holdUntil: new Promise<void>((r) => (release = r)) });
      try {
        first.start(await first.plan(suite.copyOf(source, destName)));
        await waitFor(() => writes >= 3, 40_000, `the third ${comp} write`, 20);
        first.dispose(); // the process ends; the job stays in the journal
        await new Promise((r) => setTimeout(r, 2_100));
        await writeTheirs();
      } finally {
        proxy.setRules({});
        release();
      }
      const { engine: second, log } = suite.engine({ journalDir });
      await second.resume();
      await second.whenIdle();
      return { job: second.jobs().find((j) => j.destination === `far/${destName}`), log };
    },
  };
  return suite;
}
