/**
 * Test-only loopback fault proxy between the SDK (or the engine) and Azurite.
 *
 * Every request is forwarded untouched: method, path, query, every header (Host and Authorization included) and the
 * body are streamed both ways. SharedKey and SAS signatures stay valid because their string-to-sign covers the
 * account, path and query, not host:port.
 *
 * Faults, chosen per request by a seeded PRNG (deterministic for a given request order) and changeable at runtime
 * with setRules():
 *   - throttle503: answer 503 ServerBusy (or 500 InternalError) with Retry-After, without forwarding;
 *   - reset: destroy the client connection before forwarding (the client sees ECONNRESET / socket hang up);
 *   - cut: forward, then send the response headers and only part of the body before destroying the connection
 *     (a body-less response is cut before its headers: the service did the work, the client never hears it);
 *   - delay: hold the request delayMs (at most 30 s) before doing anything else with it.
 * Throttle, reset and cut count against maxFaults (default 1000): once it is spent, requests pass untouched, so
 * every fault storm is bounded in count; delays are bounded in time per request and count against maxDelays.
 *
 * When the upstream (Azurite) is down, the proxy resets the client connection, as a dead server would.
 *
 * Outages, with setDown(): 'refuse' stops listening and drops every open connection (new connections get
 * ECONNREFUSED, as from a host whose service is down); setDown(false) listens again on the SAME port. 'reset' keeps
 * listening but destroys every connection, open or new (ECONNRESET / socket hang up). An outage lasts at most
 * maxDownMs (default and cap 120 s): then the proxy comes back by itself, so a failing test cannot leave it down.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from './wait';

export type FaultKind = 'throttle503' | 'reset' | 'cut' | 'delay';

/** What a rule's match() and the request log see of a request. */
export interface ProxyRequestInfo {
  readonly seq: number;
  readonly method: string;
  /** Path without the query, as sent (percent-encoded). */
  readonly path: string;
  /** The query string without "?". */
  readonly query: string;
  /** `comp` query parameter, e.g. "block", "blocklist", "copy" (undefined for a plain blob request). */
  readonly comp?: string;
  readonly headers: http.IncomingHttpHeaders;
  /** x-ms-copy-source, when the request has one (a from-URL or copy operation). */
  readonly copySource?: string;
}

export interface ProxyLogEntry {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly comp?: string;
  readonly copySource?: string;
  /** Scheme of the Authorization header ("Bearer", "SharedKey"…), never its value; undefined when absent. */
  readonly authScheme?: string;
  /** Whether the query carries a SAS signature (sig=…). */
  readonly sas: boolean;
  /**
   * The request's x-ms-client-request-id: the SDK sends one with every call, the same one with each retry of it; a
   * storage service's own read of a copy source (Azurite's, the shim's) has none.
   */
  readonly clientRequestId?: string;
  /** x-ms-blob-type, when present (Put Blob, Put Blob From URL). */
  readonly blobType?: string;
  /** x-ms-requires-sync: true (Copy Blob From URL, the synchronous Copy Blob). */
  readonly requiresSync?: boolean;
  /** Scheme of x-ms-copy-source-authorization, never its value. */
  readonly copySourceAuthScheme?: string;
  /** The proxy added the Authorization of an in-flight copy's x-ms-copy-source-authorization (emulation). */
  sourceAuthorizationInjected?: boolean;
  /** The fault applied to this request, if any (a delayed request that was otherwise forwarded says "delay"). */
  fault?: FaultKind;
  /** Status the client received (undefined when the connection was reset or cut before headers). */
  status?: number;
  /** Status the service answered, while the answer is held (holdResponseUntil). */
  upstreamStatus?: number;
}

export interface FaultRules {
  /** Answer this share of matching requests with 503 ServerBusy (or `status`) and a Retry-After header. */
  throttle503?: { ratio: number; retryAfterSeconds?: number; status?: 500 | 503 };
  /** Share of matching requests whose connection is reset before they are forwarded. */
  resetRatio?: number;
  /** Delay every matching request this long before handling it (capped at 30 000 ms). */
  delayMs?: number;
  /**
   * Matching requests wait until this settles, then go on as usual: a test that acts at a point of a copy holds the
   * copy there until it is done (exact, where a delay is a window a slow machine can miss).
   */
  holdUntil?: Promise<unknown>;
  /**
   * Matching requests are forwarded at once, but their answers wait until this settles: the service did the work and
   * the client has not heard (a client stopped now never hears of it).
   */
  holdResponseUntil?: Promise<unknown>;
  /** Share of matching requests whose response is cut off: headers and part of the body, then the socket dies. */
  cutResponseRatio?: number;
  /** Only requests for which this returns true are subject to faults (default: all). */
  match?: (req: ProxyRequestInfo) => boolean;
  /** Upper bound of throttle + reset + cut faults under these rules (default 1000). */
  maxFaults?: number;
  /** Upper bound of delayed requests under these rules (default 10 000). */
  maxDelays?: number;
  /** PRNG seed (default 1): the same rules and request order give the same faults. */
  seed?: number;
  /**
   * Answer every matching request with this storage error instead of forwarding it (not counted as a fault):
   * e.g. 403 AuthorizationPermissionMismatch for Get User Delegation Key.
   */
  refuse?: { status: number; code: string; message?: string };
}

export interface FaultStats {
  /** Requests received. */
  requests: number;
  /** Requests forwarded to the upstream (including cut ones). */
  forwarded: number;
  faults: Record<FaultKind, number>;
  /** Requests whose forwarding failed because the upstream was unreachable or dropped the connection. */
  upstreamErrors: number;
}

export type DownMode = 'refuse' | 'reset';

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  setRules(rules: FaultRules): void;
  /** Starts ('refuse' | 'reset') or ends (false) an outage; resolves once the proxy is in that state. */
  setDown(mode: DownMode | false, options?: { maxDownMs?: number }): Promise<void>;
  /** The current outage mode (false when up). */
  down(): DownMode | false;
  /** Resolves once the proxy accepts connections again (a 'refuse' outage ends by listening on the port anew). */
  whenUp(timeoutMs?: number): Promise<void>;
  stats(): FaultStats;
  resetStats(): void;
  /** The last requests (at most logLimit), oldest first. */
  requestLog(): readonly ProxyLogEntry[];
  /** Called for every request as it arrives (before any fault): lets a test act at an exact point of a copy. */
  onRequest(listener: (req: ProxyRequestInfo) => void): { dispose(): void };
  /**
   * Refuses connections from the first request `trigger` matches (asked until then), for at most maxDownMs; `at` is
   * when it went down (0: not yet); end() brings it back (and stops watching).
   */
  refuseAtFirst(trigger: (req: ProxyRequestInfo) => boolean, maxDownMs: number): { readonly at: number; end(): Promise<void> };
  /** Blob endpoint of an account through the proxy, e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  endpoint(account: string): string;
  connectionString(account: string, key: string): string;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Size of the request log ring (default 20 000). */
  logLimit?: number;
  /**
   * Listen on HTTPS with this certificate and forward over HTTPS (to Azurite started with `oauth`); the process
   * must trust the certificate (NODE_EXTRA_CA_CERTS, see helpers/entra.ts).
   */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /**
   * Emulate bearer source authorization, which Azurite ignores: while a request with x-ms-copy-source (pointing at
   * this proxy) and x-ms-copy-source-authorization is in flight, the service's own read of that source (a GET/HEAD
   * without Authorization, for the same path and query) is forwarded with that value as its Authorization, so
   * Azurite checks the token as the service would. Without the header nothing is added (the read stays anonymous).
   */
  emulateCopySourceAuthorization?: boolean;
}

const MAX_DELAY_MS = 30_000;
const MAX_DOWN_MS = 120_000;

/** mulberry32: a small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Kills the client connection: the client sees ECONNRESET / "socket hang up" as with a reset. A plain destroy()
 * (FIN), not socket.resetAndDestroy() (RST): on Node 20 the latter now and then left the process spinning in
 * libuv after an upstream crash (seen in the Azurite-restart test), and the SDK treats both the same way.
 */
function resetSocket(socket: Socket | null | undefined): void {
  if (!socket || socket.destroyed) return;
  socket.destroy();
}

const emptyFaults = (): Record<FaultKind, number> => ({ throttle503: 0, reset: 0, cut: 0, delay: 0 });

export async function startFaultProxy(target: { host: string; port: number }, rules: FaultRules = {}, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const logLimit = options.logLimit ?? 20_000;
  const tls = options.tls;
  let port = 0;
  // No kept-alive upstream connections: one the upstream closes for idleness just as it is reused resets the
  // client's request, a fault nobody asked for (seen as extra SDK retries on a busy machine).
  const agent = tls ? new https.Agent({ keepAlive: false, maxSockets: 128 }) : new http.Agent({ keepAlive: false, maxSockets: 128 });
  let current: FaultRules = {};
  let random: () => number = prng(1);
  let faultsUnderRules = 0;
  let delaysUnderRules = 0;
  let stats: FaultStats = { requests: 0, forwarded: 0, faults: emptyFaults(), upstreamErrors: 0 };
  let seq = 0;
  let log: ProxyLogEntry[] = [];
  const listeners = new Set<(req: ProxyRequestInfo) => void>();

  const setRules = (r: FaultRules) => {
    current = { ...r };
    random = prng(r.seed ?? 1);
    faultsUnderRules = 0;
    delaysUnderRules = 0;
  };
  setRules(rules);

  const record = (entry: ProxyLogEntry) => {
    log.push(entry);
    if (log.length > logLimit) log = log.slice(log.length - Math.floor(logLimit / 2));
  };

  const decide = (info: ProxyRequestInfo): { delay: number; fault?: Exclude<FaultKind, 'delay'> } => {
    const r = current;
    if (r.match && !r.match(info)) return { delay: 0 };
    let delay = 0;
    if (r.delayMs && r.delayMs > 0 && delaysUnderRules < (r.maxDelays ?? 10_000)) {
      delaysUnderRules++;
      delay = Math.min(r.delayMs, MAX_DELAY_MS);
    }
    if (faultsUnderRules >= (r.maxFaults ?? 1000)) return { delay };
    // One draw per kind, in a fixed order, so the sequence is deterministic whatever the ratios.
    const t = random();
    const x = random();
    const c = random();
    let fault: Exclude<FaultKind, 'delay'> | undefined;
    if (r.throttle503 && t < r.throttle503.ratio) fault = 'throttle503';
    else if (r.resetRatio && x < r.resetRatio) fault = 'reset';
    else if (r.cutResponseRatio && c < r.cutResponseRatio) fault = 'cut';
    if (fault) faultsUnderRules++;
    return { delay, fault };
  };

  const throttle = (req: http.IncomingMessage, res: http.ServerResponse, entry: ProxyLogEntry) => {
    const spec = current.throttle503 ?? { ratio: 0 };
    const status = spec.status ?? 503;
    const code = status === 503 ? 'ServerBusy' : 'InternalError';
    const requestId = crypto.randomUUID();
    const text = status === 503 ? 'The server is busy.' : 'The server encountered an internal error. Please retry the request.';
    const body =
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code>` +
      `<Message>${text}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
    const send = () => {
      if (res.headersSent || res.destroyed) return;
      const headers: http.OutgoingHttpHeaders = {
        'Content-Type': 'application/xml',
        'Content-Length': Buffer.byteLength(body),
        'x-ms-error-code': code,
        'x-ms-request-id': requestId,
        'Retry-After': String(spec.retryAfterSeconds ?? 1),
        Date: new Date().toUTCString(),
      };
      const clientRequestId = req.headers['x-ms-client-request-id'];
      if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      entry.status = status;
    };
    // Read the whole request body first, as the service does, so the client is not cut off mid-upload.
    if (req.readableEnded) send();
    else {
      req.on('end', send);
      req.on('error', () => res.destroy());
      req.resume();
    }
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, entry: ProxyLogEntry, cut: boolean, holdResponse?: Promise<unknown>) => {
    stats.forwarded++;
    const upstream = (tls ? https.request : http.request)(
      { host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        if (cut) {
          const length = Number(upRes.headers['content-length'] ?? NaN);
          const hasBody = req.method !== 'HEAD' && !(length === 0);
          if (!hasBody) {
            // Nothing to cut in the middle of: the request was done upstream, the client never gets an answer.
            upRes.resume();
            upRes.on('end', () => resetSocket(req.socket));
            return;
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
          entry.status = upRes.statusCode;
          // Pass on about half of the body (at least one byte), then kill the connection.
          const budgetTotal = Number.isFinite(length) ? Math.max(1, Math.floor(length / 2)) : 1;
          let budget = budgetTotal;
          upRes.on('data', (chunk: Buffer) => {
            if (budget <= 0) return;
            const part = chunk.subarray(0, budget);
            budget -= part.length;
            res.write(part);
            if (budget <= 0) {
              upRes.destroy();
              // Let the partial body leave before the reset.
              setImmediate(() => resetSocket(req.socket));
            }
          });
          upRes.on('end', () => resetSocket(req.socket));
          return;
        }
        const answer = () => {
          if (res.destroyed) return void upRes.resume();
          res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
          entry.status = upRes.statusCode;
          upRes.pipe(res);
        };
        upRes.on('error', () => res.destroy());
        if (holdResponse) {
          entry.upstreamStatus = upRes.statusCode;
          upRes.pause();
          void holdResponse.then(answer, answer);
        } else answer();
      },
    );
    upstream.on('error', () => {
      stats.upstreamErrors++;
      entry.status = undefined;
      resetSocket(req.socket);
    });
    req.on('aborted', () => upstream.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, entry: ProxyLogEntry, spec: NonNullable<FaultRules['refuse']>) => {
    const requestId = crypto.randomUUID();
    const body =
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${spec.code}</Code>` +
      `<Message>${spec.message ?? 'This request is not authorized to perform this operation.'}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
    const send = () => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(spec.status, {
        'Content-Type': 'application/xml',
        'Content-Length': Buffer.byteLength(body),
        'x-ms-error-code': spec.code,
        'x-ms-request-id': requestId,
        Date: new Date().toUTCString(),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      entry.status = spec.status;
    };
    if (req.readableEnded) send();
    else {
      req.on('end', send);
      req.on('error', () => res.destroy());
      req.resume();
    }
  };

  const scheme = (v: string | string[] | undefined) => (typeof v === 'string' ? v.split(' ')[0] : undefined);
  /** In-flight copy sources (path + query as this proxy receives them) → their x-ms-copy-source-authorization. */
  const sourceAuthorizations = new Map<string, { value: string; count: number }>();
  const holdSourceAuthorization = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const value = req.headers['x-ms-copy-source-authorization'];
    const source = req.headers['x-ms-copy-source'];
    if (typeof value !== 'string' || typeof source !== 'string') return;
    let key: string;
    try {
      const u = new URL(source);
      if (Number(u.port) !== port) return;
      key = `${u.pathname}${u.search}`;
    } catch {
      return;
    }
    const held = sourceAuthorizations.get(key);
    if (held) held.count++;
    else sourceAuthorizations.set(key, { value, count: 1 });
    res.once('close', () => {
      const h = sourceAuthorizations.get(key);
      if (h && --h.count <= 0) sourceAuthorizations.delete(key);
    });
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    stats.requests++;
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q + 1);
    const comp = new URLSearchParams(query).get('comp') ?? undefined;
    const copySourceHeader = req.headers['x-ms-copy-source'];
    const copySource = typeof copySourceHeader === 'string' ? copySourceHeader : undefined;
    const info: ProxyRequestInfo = { seq: ++seq, method: req.method ?? 'GET', path, query, comp, headers: req.headers, copySource };
    const entry: ProxyLogEntry = {
      seq: info.seq,
      method: info.method,
      path,
      query,
      comp,
      copySource,
      authScheme: scheme(req.headers.authorization),
      sas: new URLSearchParams(query).has('sig'),
      clientRequestId: typeof req.headers['x-ms-client-request-id'] === 'string' ? req.headers['x-ms-client-request-id'] : undefined,
      blobType: typeof req.headers['x-ms-blob-type'] === 'string' ? req.headers['x-ms-blob-type'] : undefined,
      requiresSync: String(req.headers['x-ms-requires-sync'] ?? '').toLowerCase() === 'true' || undefined,
      copySourceAuthScheme: scheme(req.headers['x-ms-copy-source-authorization']),
    };
    record(entry);
    if (options.emulateCopySourceAuthorization) {
      holdSourceAuthorization(req, res);
      const held = !req.headers.authorization && (req.method === 'GET' || req.method === 'HEAD') ? sourceAuthorizations.get(raw) : undefined;
      if (held) {
        req.headers.authorization = held.value;
        entry.sourceAuthorizationInjected = true;
      }
    }
    for (const l of [...listeners]) {
      try {
        l(info);
      } catch {
        /* a test listener must not break the proxy */
      }
    }
    if (current.refuse && (!current.match || current.match(info))) {
      refuse(req, res, entry, current.refuse);
      return;
    }
    const { delay, fault } = decide(info);
    const hold = current.holdUntil && (!current.match || current.match(info)) ? current.holdUntil : undefined;
    const holdResponse = current.holdResponseUntil && (!current.match || current.match(info)) ? current.holdResponseUntil : undefined;
    const act = () => {
      if (req.socket.destroyed) return;
      if (fault) {
        stats.faults[fault]++;
        entry.fault = fault;
      }
      if (fault === 'throttle503') throttle(req, res, entry);
      else if (fault === 'reset') resetSocket(req.socket);
      else forward(req, res, entry, fault === 'cut', holdResponse);
    };
    const go = () => {
      if (delay > 0) {
        stats.faults.delay++;
        entry.fault ??= 'delay';
        req.pause();
        setTimeout(act, delay);
      } else act();
    };
    if (hold) {
      req.pause();
      void hold.then(go, go);
    } else go();
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 5000;

  // Open client connections, so an outage can drop them.
  const sockets = new Set<Socket>();
  let downMode: DownMode | false = false;
  let downTimer: NodeJS.Timeout | undefined;
  server.on('connection', (socket: Socket) => {
    if (downMode === 'reset') {
      resetSocket(socket);
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const dropAll = () => {
    for (const s of [...sockets]) resetSocket(s);
    sockets.clear();
  };

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  port = await listen(0);
  const host = '127.0.0.1';

  const setDown = async (mode: DownMode | false, options: { maxDownMs?: number } = {}): Promise<void> => {
    if (downTimer) clearTimeout(downTimer);
    downTimer = undefined;
    const was = downMode;
    downMode = mode;
    if (mode) {
      downTimer = setTimeout(() => void setDown(false).catch(() => undefined), Math.min(options.maxDownMs ?? MAX_DOWN_MS, MAX_DOWN_MS));
      downTimer.unref();
    }
    if (mode === 'refuse' && was !== 'refuse') {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      server.closeAllConnections();
      await closed;
    } else if (mode === 'reset') {
      dropAll();
    }
    if (mode !== 'refuse' && was === 'refuse') {
      // The same port again; the OS may hold it a moment: a few bounded tries.
      for (let i = 0; ; i++) {
        try {
          await listen(port);
          break;
        } catch (e) {
          if (i >= 20 || (e as { code?: string }).code !== 'EADDRINUSE') throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  };
  const endpoint = (account: string) => `${tls ? 'https' : 'http'}://${host}:${port}/${account}`;

  return {
    host,
    port,
    setRules,
    setDown,
    down: () => downMode,
    whenUp: (timeoutMs = 10_000) => waitFor(() => !downMode && server.listening, timeoutMs, 'the fault proxy to listen again', 5),
    stats: () => ({ ...stats, faults: { ...stats.faults } }),
    resetStats: () => {
      stats = { requests: 0, forwarded: 0, faults: emptyFaults(), upstreamErrors: 0 };
      log = [];
    },
    requestLog: () => log.slice(),
    onRequest: (listener) => {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
    refuseAtFirst: (trigger, maxDownMs) => {
      const listener = (r: ProxyRequestInfo) => {
        if (down.at || !trigger(r)) return;
        down.at = Date.now();
        void setDown('refuse', { maxDownMs });
      };
      const down = {
        at: 0,
        end: async () => {
          listeners.delete(listener);
          await setDown(false);
        },
      };
      listeners.add(listener);
      return down;
    },
    endpoint,
    connectionString: (account, key) => `DefaultEndpointsProtocol=${tls ? 'https' : 'http'};AccountName=${account};AccountKey=${key};BlobEndpoint=${endpoint(account)};`,
    stop: async () => {
      listeners.clear();
      if (downTimer) clearTimeout(downTimer);
      downTimer = undefined;
      const wasListening = downMode !== 'refuse';
      downMode = 'reset';
      await new Promise<void>((resolve) => {
        if (wasListening) server.close(() => resolve());
        else resolve();
        dropAll();
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
