/**
 * The copy engine in a worker thread of its own: what the VS Code extension runs. The engine's memory is then bounded
 * by the worker's heap limit (ENGINE_HEAP_MB, thread.ts) instead of the extension host's 4 GiB, where V8 let the
 * garbage of a long copy grow the host by ~10 KiB per blob; and the engine's CPU no longer competes with the host's
 * other extensions on one event loop.
 *
 * This thread keeps a mirror of what the UI reads synchronously (mirror.ts: jobs(), batch(), liveJobs()), fed by the
 * worker's coalesced events; calls with an answer cross as messages. The worker asks this thread for connection specs
 * and Entra ID tokens (VS Code's sign-in is reachable only here). dispose() waits (bounded) until the worker wrote the
 * journal, as CopyEngine.dispose() does synchronously.
 *
 * The worker runs this very file (dist/core.js in the release build, out/src/core/workerEngine.js compiled by tsc):
 * at load, in a thread marked by its workerData, it serves the engine instead.
 */
import { randomUUID } from 'node:crypto';
import { isMainThread, parentPort, workerData, type ResourceLimits, type Worker } from 'node:worker_threads';
import type { PlanPageListener, PlanSummary } from '../plan/wholePlan';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { ConnectionSpec } from '../storage/connections';
import type { EngineApi } from '../engine/engineApi';
import type { EngineTuning } from '../engine/engineOptions';
import { CopyError, retryRefusal } from '../base/errors';
import type { Disposable } from '../base/events';
import type { BatchStats, BatchSummary } from '../engine/jobEvents';
import type { Logger } from '../base/log';
import type { TimingOptions } from '../operations/operationChoice';
import type { CopyPlan, CopyRequest, JobSnapshot, PlannedCopy, UnfinishedBatch } from '../base/types';
import { serveEngine } from './server';
import type { CrossingOptions } from './crossing';
import { EngineMirror } from './mirror';
import { hostCertificates, startEngineThread } from './thread';
import { fromWireError, toWireError, toWireSpec, type CallName, type FromWorker, type PostName, type TokenOptions, type SpecAnswer, type ToWorker, type WorkerInit } from './protocol';

/** Longest dispose() waits for the worker to write the journal (ms). */
const DISPOSE_WAIT_MS = 5_000;

export interface WorkerEngineOptions {
  /** A connection's spec, secrets included, by id (asked once per connection until forget()). */
  spec(connectionId: string): Promise<ConnectionSpec>;
  journalDir?: string;
  retainFinished?: number;
  batchWindow?: number;
  tuning?: EngineTuning;
  operationChoice?: TimingOptions;
  log?: Logger;
  /** Network settings of the host (VS Code's http.proxy, http.systemCertificates), which its worker lacks otherwise. */
  network?: { proxyUrl?: string; systemCertificates?: boolean };
  /** Whether the worker sends debug lines (default false: one per blob copied); see setDebugLog(). */
  debugLog?: boolean;
  /** Which job events cross to this thread (default: a batch's first 1,000, then those it has a use for). */
  crossing?: CrossingOptions;
  /** The worker's old-space limit, MiB (default ENGINE_HEAP_MB, thread.ts). */
  heapMb?: number;
  /**
   * A folder for the worker's V8 code cache (the extension's global storage): the worker compiles this bundle with
   * the bytecode kept from an earlier worker, written after its first finished batch. Unset: no cache.
   */
  codeCacheDir?: string;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onPage?: PlanPageListener;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class WorkerEngine implements EngineApi {
  private worker?: Worker;
  private disposedFlag?: Int32Array;
  private readonly mirror = new EngineMirror();
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 1;
  private readonly credentials = new Map<string, TokenCredential>();
  private readonly tuning: EngineTuning;
  private disposed = false;
  private debugLog: boolean;
  /** The CA list the worker trusts (as sent). */
  private sentCa?: readonly string[];
  /** Worker threads started (1 unless one stopped unexpectedly). */
  starts = 0;

  constructor(private readonly options: WorkerEngineOptions) {
    this.tuning = { ...options.tuning };
    this.debugLog = options.debugLog ?? false;
    this.ensure();
  }

  /** The worker's resource limits (as Node reports them) and thread id. */
  get thread(): { threadId: number; resourceLimits?: ResourceLimits } | undefined {
    return this.worker && { threadId: this.worker.threadId, resourceLimits: this.worker.resourceLimits };
  }

  // ---------------------------------------------------------------- the worker

  private ensure(): Worker {
    if (this.disposed) throw new CopyError({ message: 'The copy engine was disposed.' });
    if (this.worker) return this.worker;
    const disposed = new SharedArrayBuffer(4);
    const init: WorkerInit = {
      blobCopyEngineWorker: true,
      journalDir: this.options.journalDir,
      retainFinished: this.options.retainFinished,
      batchWindow: this.options.batchWindow,
      tuning: this.tuning,
      operationChoice: this.options.operationChoice,
      debugLog: this.debugLog,
      ca: (this.sentCa = hostCertificates()),
      systemCertificates: this.options.network?.systemCertificates,
      proxyUrl: this.options.network?.proxyUrl,
      crossing: this.options.crossing,
      disposed,
    };
    const worker = startEngineThread(__filename, init, this.options.codeCacheDir, this.options.heapMb);
    this.worker = worker;
    this.disposedFlag = new Int32Array(disposed);
    this.starts++;
    worker.on('message', (m: FromWorker) => this.onMessage(worker, m));
    worker.on('error', (e) => this.lost(worker, e.message));
    worker.on('exit', (code) => this.lost(worker, `exit code ${code}`));
    return worker;
  }

  private send(m: ToWorker): void {
    this.ensure().postMessage(m);
  }

  private call<T>(method: CallName, args: readonly unknown[], signal?: AbortSignal, onPage?: PlanPageListener): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.disposed) return reject(new CopyError({ message: 'The copy engine was disposed.' }));
      const id = this.nextCall++;
      const pending: PendingCall = { resolve: resolve as (v: unknown) => void, reject, onPage, signal };
      if (signal) {
        pending.onAbort = () => this.worker?.postMessage({ t: 'abort', id } satisfies ToWorker);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.calls.set(id, pending);
      try {
        this.send({ t: 'call', id, method, args });
      } catch (e) {
        this.settle(id);
        return reject(e);
      }
      if (signal?.aborted) pending.onAbort?.();
    });
  }

  private settle(id: number): PendingCall | undefined {
    const c = this.calls.get(id);
    this.calls.delete(id);
    if (c?.onAbort) c.signal?.removeEventListener('abort', c.onAbort);
    return c;
  }

  private post(method: PostName, args: readonly unknown[]): void {
    this.send({ t: 'post', method, args });
  }

  private onMessage(worker: Worker, m: FromWorker): void {
    if (worker !== this.worker) return;
    switch (m.t) {
      case 'events':
        for (const e of m.events) this.mirror.apply(e);
        break;
      case 'reply': {
        const c = this.settle(m.id);
        if (!c) break;
        if (m.ok) c.resolve(m.value);
        else c.reject(fromWireError(m.error));
        break;
      }
      case 'page':
        this.calls.get(m.id)?.onPage?.(m.items as PlannedCopy[], m.count, m.waiting);
        break;
      case 'request':
        void this.answer(worker, m.id, m.method === 'spec' ? () => this.wireSpec(m.args[0]) : () => this.token(m.args[0], m.args[1], m.args[2]));
        break;
      case 'log':
        this.options.log?.[m.level]?.(m.message);
        break;
    }
  }

  private async answer(worker: Worker, id: number, run: () => Promise<unknown>): Promise<void> {
    let message: ToWorker;
    try {
      message = { t: 'answer', id, ok: true, value: await run() };
    } catch (e) {
      message = { t: 'answer', id, ok: false, error: toWireError(e) };
    }
    if (worker === this.worker) worker.postMessage(message);
  }

  /** A connection's spec, with this thread's CA list when it changed since the worker got it (trust added at run time). */
  private async wireSpec(connectionId: string): Promise<SpecAnswer> {
    const spec = await this.options.spec(connectionId);
    if (spec.kind === 'token') this.credentials.set(connectionId, spec.credential);
    const ca = hostCertificates();
    const changed = ca !== undefined && (ca.length !== this.sentCa?.length || ca.some((c, i) => c !== this.sentCa![i]));
    if (changed) this.sentCa = ca;
    return { spec: toWireSpec(spec), ca: changed ? ca : undefined };
  }

  private async token(connectionId: string, scopes: string | string[], options: TokenOptions): Promise<AccessToken | null> {
    let credential = this.credentials.get(connectionId);
    if (!credential) {
      const spec = await this.options.spec(connectionId);
      if (spec.kind !== 'token') throw new CopyError({ message: `Connection ${connectionId} does not use Entra ID.` });
      credential = spec.credential;
      this.credentials.set(connectionId, credential);
    }
    const t = await credential.getToken(scopes, options);
    // Only data crosses: the token, its expiry, when to refresh it.
    return t && { token: t.token, expiresOnTimestamp: t.expiresOnTimestamp, refreshAfterTimestamp: t.refreshAfterTimestamp, tokenType: t.tokenType };
  }

  /** The worker stopped on its own (out of memory, a crash): its calls fail, its live jobs show as failed. */
  private lost(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.disposed) return;
    const message = `The copy engine stopped unexpectedly (${reason}).`;
    const hint = 'Unfinished copies are in the journal: run "Blob Copy: Resume Unfinished Copies".';
    this.options.log?.error(`${message} ${hint}`);
    for (const id of [...this.calls.keys()]) this.settle(id)?.reject(new CopyError({ message, hint }));
    this.mirror.engineLost({ message, hint });
  }

  // ---------------------------------------------------------------- EngineApi

  configure(o: EngineTuning): void {
    Object.assign(this.tuning, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
    if (this.worker) this.post('configure', [o]); // a worker started later gets this.tuning
  }

  plan(request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan> {
    return this.call('plan', [request], signal);
  }

  startStreaming(request: CopyRequest, signal?: AbortSignal): Promise<string> {
    return this.call('startStreaming', [request], signal);
  }

  start(plan: CopyPlan): string {
    const batchId = randomUUID();
    this.post('start', [plan, batchId]);
    return batchId;
  }

  copy(request: CopyRequest, signal?: AbortSignal): Promise<BatchSummary> {
    return this.call('copy', [request], signal);
  }

  waitForBatch(batchId: string, signal?: AbortSignal): Promise<BatchSummary> {
    return this.call('waitForBatch', [batchId], signal);
  }

  jobs(): JobSnapshot[] {
    return this.mirror.jobs();
  }

  liveJobs(batchId: string): JobSnapshot[] {
    return this.mirror.liveJobs(batchId);
  }

  summarize(request: CopyRequest, signal?: AbortSignal, onPage?: PlanPageListener, keepItems?: number): Promise<PlanSummary> {
    return this.call('summarize', [request, keepItems ?? Infinity], signal, onPage);
  }

  batch(batchId: string): BatchSummary | undefined {
    return this.mirror.batch(batchId);
  }

  batches(): BatchSummary[] {
    return this.mirror.batches();
  }

  /** Where a batch's time went (see CopyEngine.batchStats). */
  batchStats(batchId: string): Promise<BatchStats | undefined> {
    return this.call('batchStats', [batchId]);
  }

  /** The worker thread's V8 heap (the benchmark samples it). */
  heap(): Promise<import('node:v8').HeapInfo> {
    return this.call('heap', []);
  }

  onJob(listener: (job: JobSnapshot) => void): Disposable {
    return this.mirror.onJob(listener);
  }

  onBatch(listener: (b: BatchSummary) => void): Disposable {
    return this.mirror.onBatch(listener);
  }

  onJobsRemoved(listener: (jobIds: readonly string[]) => void): Disposable {
    return this.mirror.onJobsRemoved(listener);
  }

  onBatchesRemoved(listener: (batchIds: readonly string[]) => void): Disposable {
    return this.mirror.onBatchesRemoved(listener);
  }

  cancel(jobId: string): void {
    this.post('cancel', [jobId]);
  }

  cancelBatch(batchId: string): void {
    this.post('cancelBatch', [batchId]);
  }

  retry(jobId: string): void {
    // The engine's own check, on the mirror: the caller hears of a wrong job at once.
    const refused = retryRefusal(jobId, this.mirror.stateOf(jobId));
    if (refused) throw refused;
    this.post('retry', [jobId]);
  }

  abort(jobId: string): Promise<void> {
    return this.call('abort', [jobId]);
  }

  /** The engine clears; its removal events (jobs, batches, new counters) update the mirror. */
  clearFinished(): void {
    this.post('clearFinished', []);
  }

  syncEnded(batchId: string): void {
    this.post('syncEnded', [batchId]);
  }

  unfinished(): Promise<JobSnapshot[]> {
    return this.call('unfinished', []);
  }

  unfinishedBatches(): Promise<UnfinishedBatch[]> {
    return this.call('unfinishedBatches', []);
  }

  resume(): Promise<string[]> {
    return this.call('resume', []);
  }

  whenIdle(): Promise<void> {
    return this.call('whenIdle', []);
  }

  /** Whether debug lines cross from the worker (the host's log level changed). */
  setDebugLog(on: boolean): void {
    this.debugLog = on;
    this.worker?.postMessage({ t: 'debugLog', on } satisfies ToWorker);
  }

  /** Connections changed (removed, Azurite settings): the worker resolves them again. */
  forget(): void {
    this.credentials.clear();
    this.worker?.postMessage({ t: 'forget' } satisfies ToWorker);
  }

  /** Stops all work; waits (at most DISPOSE_WAIT_MS) for the worker to write the journal, then ends the thread. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const worker = this.worker;
    const flag = this.disposedFlag;
    this.worker = undefined;
    if (worker && flag) {
      worker.postMessage({ t: 'dispose' } satisfies ToWorker);
      Atomics.wait(flag, 0, 0, DISPOSE_WAIT_MS);
      void worker.terminate();
    }
    for (const id of [...this.calls.keys()]) this.settle(id)?.reject(new CopyError({ message: 'The copy engine was disposed.' }));
    this.mirror.dispose();
  }
}

// In the engine's worker thread: serve the engine (see the file's comment).
if (!isMainThread && parentPort && (workerData as Partial<WorkerInit> | null)?.blobCopyEngineWorker) serveEngine(parentPort, workerData as WorkerInit);
