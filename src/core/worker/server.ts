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
import { EventOutbox } from './outbox';
import type { Logger } from '../base/log';
import type { CopyRequest } from '../base/types';
import { CALLS, POSTS, WITH_SIGNAL, fromWireError, fromWireSpec, toWireError, type CallName, type FromWorker, type PostName, type SpecAnswer, type TokenOptions, type ToWorker, type WorkerInit } from './protocol';

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
  const debugLine = (message: string) => post({ t: 'log', level: 'debug', message });
  const log: Logger = {
    info: (message) => post({ t: 'log', level: 'info', message }),
    warn: (message) => post({ t: 'log', level: 'warn', message }),
    error: (message) => post({ t: 'log', level: 'error', message }),
    // Undefined while off: the engine then does not build its debug lines (see redactingLogger).
    get debug() {
      return debugLog ? debugLine : undefined;
    },
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

  // ---- events, coalesced (outbox.ts), posted at most every EVENT_FLUSH_MS
  const outbox = new EventOutbox(init.crossing);
  let timer: NodeJS.Timeout | undefined;
  let dueTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const events = outbox.take();
    // A large batch's live jobs the host was not told of: looked at again, for those that become long.
    if (outbox.unreported) dueTimer ??= setTimeout(() => ((dueTimer = undefined), flush()), outbox.checkEveryMs);
    if (events.length > 0) post({ t: 'events', events });
  };
  const later = () => (timer ??= setTimeout(flush, EVENT_FLUSH_MS));
  engine.onJob((job) => (outbox.job(job), later()));
  // The first finished batch has run the copy code: the V8 code cache (when the worker was started with one) is
  // written now, once, so the next worker compiles none of it again.
  let cacheWritten = false;
  engine.onBatch((summary) => {
    if (summary.done && !cacheWritten) {
      cacheWritten = true;
      (globalThis as { blobCopyWriteCodeCache?: () => void }).blobCopyWriteCodeCache?.();
    }
    outbox.batch(summary);
    later();
  });
  engine.onBatchesRemoved((ids) => (outbox.batchesRemoved(ids), later()));
  engine.onJobsRemoved((ids) => {
    outbox.jobsRemoved(ids);
    if (outbox.pendingEvents) later();
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
      return engine.summarize(request, controller.signal, (items, count, waiting) => post({ t: 'page', id, items, count, waiting }), keepItems);
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
