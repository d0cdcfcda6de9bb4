/**
 * The engine's side of the worker thread (see workerEngine.ts): a CopyEngine whose connections, tokens and log lines
 * come from the extension host's thread, and whose events go back coalesced (the newest snapshot per job, at most
 * every EVENT_FLUSH_MS), flushed before every reply so a reply never overtakes the events before it.
 */
import * as tls from 'node:tls';
import * as v8 from 'node:v8';
import type { MessagePort } from 'node:worker_threads';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { createAccountClient, type AccountClient } from '../storage/connections';
import { CopyEngine } from '../engine/engine';
import { JobCrossing } from './crossing';
import type { Logger } from '../base/log';
import type { CopyRequest, JobSnapshot } from '../base/types';
import { CALLS, POSTS, WITH_SIGNAL, fromWireError, fromWireSpec, jobEvent, toWireError, type CallName, type EngineEvent, type FromWorker, type PostName, type SpecAnswer, type TokenOptions, type ToWorker, type WorkerInit } from './protocol';

/** Longest an event waits in the worker before it is posted (ms): bounds the host's messages per second. */
const EVENT_FLUSH_MS = 30;

type TlsStore = { getCACertificates?(type?: string): string[]; setDefaultCACertificates?(certs: string[]): void };

/**
 * The worker trusts what the host thread trusts: its CA list (which a runtime addition or NODE_EXTRA_CA_CERTS
 * changed) and, as VS Code does with http.systemCertificates, the operating system's. VS Code adds those to the
 * extension host's own thread only. Needs Node ≥ 22.19 / 24.5 (setDefaultCACertificates); older: Node's defaults.
 */
function trust(init: WorkerInit): void {
  const store = tls as unknown as TlsStore;
  if (typeof store.setDefaultCACertificates !== 'function' || typeof store.getCACertificates !== 'function') return;
  if (!init.ca && !init.systemCertificates) return;
  const certs = new Set(init.ca ?? store.getCACertificates('default'));
  if (init.systemCertificates) {
    try {
      for (const c of store.getCACertificates('system')) certs.add(c);
    } catch {
      // no readable system store: the host's list stands
    }
  }
  store.setDefaultCACertificates([...certs]);
}

/** StoragePipelineOptions.proxyOptions from a proxy URL (http://user:pass@host:port); none for no or a malformed URL. */
export function proxyOptions(url: string | undefined): StoragePipelineOptions {
  if (!url) return {};
  try {
    const u = new URL(url);
    return { proxyOptions: { host: `${u.protocol}//${u.hostname}`, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80), username: decodeURIComponent(u.username) || undefined, password: decodeURIComponent(u.password) || undefined } };
  } catch {
    return {};
  }
}

export function serveEngine(port: MessagePort, init: WorkerInit): void {
  trust(init);
  const pipeline = proxyOptions(init.proxyUrl);
  const post = (m: FromWorker) => port.postMessage(m);

  // ---- requests to the host's thread (connection specs, tokens)
  let nextRequest = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  const request = <T>(method: 'spec' | 'getToken', args: readonly unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextRequest++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      post({ t: 'request', id, method, args } as FromWorker);
    });

  /** A token credential that asks the host's thread (VS Code's sign-in or @azure/identity live there). */
  const tokenCredential = (connectionId: string): TokenCredential => ({
    getToken: (scopes, options) => {
      const o: TokenOptions = { tenantId: options?.tenantId, claims: options?.claims, enableCae: options?.enableCae };
      return request<AccessToken | null>('getToken', [connectionId, scopes, o]);
    },
  });

  let clients = new Map<string, Promise<AccountClient>>();
  const resolve = (connectionId: string): Promise<AccountClient> => {
    let client = clients.get(connectionId);
    if (!client) {
      client = request<SpecAnswer>('spec', [connectionId]).then(({ spec, ca }) => {
        if (ca) trust({ ...init, ca }); // the host trusts more (or less) than when this thread started
        return createAccountClient(fromWireSpec(spec, () => tokenCredential(connectionId)), pipeline);
      });
      // A failed resolution is not kept: the next job asks again.
      client.catch(() => clients.get(connectionId) === client && clients.delete(connectionId));
      clients.set(connectionId, client);
    }
    return client;
  };

  let debugLog = init.debugLog;
  const log: Logger = {
    info: (message) => post({ t: 'log', level: 'info', message }),
    warn: (message) => post({ t: 'log', level: 'warn', message }),
    error: (message) => post({ t: 'log', level: 'error', message }),
    debug: (message) => debugLog && post({ t: 'log', level: 'debug', message }),
  };

  const engine = new CopyEngine({
    resolve,
    journalDir: init.journalDir,
    retainFinished: init.retainFinished,
    batchWindow: init.batchWindow,
    operationChoice: init.operationChoice,
    log,
    ...init.tuning,
  });

  // ---- events, coalesced: one entry per job and per batch, in the order of their newest event
  let pending = new Map<string, EngineEvent>();
  let removals = 0;
  let timer: NodeJS.Timeout | undefined;
  // The snapshot the host holds of each job it holds (it drops one on a removal event, as the engine does).
  const held = new Map<string, JobSnapshot>();
  // Which jobs the host is told of (all of a batch's first 10,000; beyond, those it has a use for: crossing.ts).
  const crossing = new JobCrossing(init.crossing);
  let dueTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    for (const job of crossing.due()) pending.set(`j${job.id}`, { k: 'job', job });
    if (pending.size === 0) return;
    const events: EngineEvent[] = [];
    const crosses = new Set<string>();
    for (const e of pending.values()) if (e.k === 'job' && crossing.crosses(e.job, held.has(e.job.id))) crosses.add(e.job.id);
    for (const e of pending.values()) {
      if (e.k === 'batch') events.push(crossing.unreportedOf(e.summary.batchId) > 0 ? { k: 'batch', summary: { ...e.summary, unreported: crossing.unreportedOf(e.summary.batchId) } } : e);
      else if (e.k !== 'job') events.push(e);
      else if (crosses.has(e.job.id)) {
        events.push(jobEvent(e.job, held.get(e.job.id)));
        held.set(e.job.id, e.job);
      }
    }
    pending = new Map();
    if (crossing.waiting) dueTimer ??= setTimeout(() => ((dueTimer = undefined), flush()), crossing.checkEveryMs);
    if (events.length > 0) post({ t: 'events', events });
  };
  const queue = (key: string, e: EngineEvent) => {
    pending.delete(key);
    pending.set(key, e);
    timer ??= setTimeout(flush, EVENT_FLUSH_MS);
  };
  engine.onJob((job) => queue(`j${job.id}`, { k: 'job', job }));
  // The first finished batch has run the copy code: the V8 code cache (when the worker was started with one) is
  // written now, once, so the next worker compiles none of it again.
  let cacheWritten = false;
  engine.onBatch((summary) => {
    if (summary.done && !cacheWritten) {
      cacheWritten = true;
      (globalThis as { blobCopyWriteCodeCache?: () => void }).blobCopyWriteCodeCache?.();
    }
    queue(`b${summary.batchId}`, { k: 'batch', summary });
  });
  engine.onBatchesRemoved((ids) => {
    for (const batchId of ids) {
      pending.delete(`b${batchId}`);
      crossing.forgetBatch(batchId);
      queue(`g${batchId}`, { k: 'batchGone', batchId });
    }
  });
  engine.onJobsRemoved((ids) => {
    // A job removed after its newest event: drop that event (the removal says it all). Only the jobs the host holds
    // cross: it never heard of the others.
    const told: string[] = [];
    for (const id of ids) {
      pending.delete(`j${id}`);
      crossing.forget(id);
      if (held.delete(id)) told.push(id);
    }
    if (told.length > 0) queue(`r${removals++}`, { k: 'removed', ids: told });
  });

  // ---- calls from the host's thread
  const controllers = new Map<number, AbortController>();
  const reply = (id: number, run: () => unknown) => {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(run());
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(
      (value) => {
        controllers.delete(id);
        flush();
        post({ t: 'reply', id, ok: true, value });
      },
      (e: unknown) => {
        controllers.delete(id);
        flush();
        post({ t: 'reply', id, ok: false, error: toWireError(e) });
      },
    );
  };

  const call = (id: number, method: CallName, args: readonly unknown[]): unknown => {
    if (!CALLS.includes(method)) throw new Error(`Unknown engine call ${String(method)}.`);
    if (method === 'heap') return v8.getHeapStatistics();
    if (!WITH_SIGNAL.has(method)) return (engine[method] as (...a: unknown[]) => unknown)(...args);
    const controller = new AbortController();
    controllers.set(id, controller);
    if (method === 'summarize') {
      const [request, keepItems] = args as [CopyRequest, number];
      return engine.summarize(request, controller.signal, (items, count) => post({ t: 'page', id, items, count }), keepItems);
    }
    return (engine[method] as (...a: unknown[]) => unknown)(...args, controller.signal);
  };

  const postCall = (method: PostName, args: readonly unknown[]) => {
    if (!POSTS.includes(method)) throw new Error(`Unknown engine method ${String(method)}.`);
    (engine[method] as (...a: unknown[]) => unknown)(...args);
  };

  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'call':
        reply(m.id, () => call(m.id, m.method, m.args));
        break;
      case 'abort':
        controllers.get(m.id)?.abort();
        break;
      case 'post':
        try {
          postCall(m.method, m.args);
        } catch (e) {
          log.error(`${m.method}: ${e instanceof Error ? e.message : String(e)}`);
        }
        break;
      case 'answer': {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (!w) break;
        if (m.ok) w.resolve(m.value);
        else w.reject(fromWireError(m.error));
        break;
      }
      case 'forget':
        clients = new Map();
        break;
      case 'debugLog':
        debugLog = m.on;
        break;
      case 'dispose': {
        flush();
        if (dueTimer) clearTimeout(dueTimer);
        engine.dispose(); // the journal is written synchronously here
        const flag = new Int32Array(init.disposed);
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        port.close();
        break;
      }
    }
  });
}
