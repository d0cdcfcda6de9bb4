/**
 * Test-only loopback shim in front of Azurite.
 *
 * Azurite 3.37 answers 501 APINotImplemented to three "from URL" operations that a real storage account supports:
 *   - Put Blob From URL        PUT /acct/c/blob                   x-ms-blob-type: BlockBlob + x-ms-copy-source
 *   - Append Block From URL    PUT /acct/c/blob?comp=appendblock  x-ms-copy-source
 *   - Put Page From URL        PUT /acct/c/blob?comp=page         x-ms-copy-source (+ x-ms-page-write: update)
 * This shim implements exactly those three, following the REST reference (required headers, source range, source
 * conditions, limits, error format), on top of Azurite's own Put Blob / Append Block / Put Page. Every other request
 * (including Put Block From URL, Copy Blob, Copy Blob From URL, which Azurite implements) is forwarded untouched:
 * method, path, query, every header (Host and Authorization included) and the body are streamed both ways.
 * Forwarding keeps SharedKey and SAS signatures valid because their string-to-sign covers the account, path and
 * query, not the host:port.
 *
 * Authorization of the three implemented operations: the shim checks only that the request carries an
 * Authorization header (SharedKey / Bearer) naming a known account, or a SAS (`sig` in the query). It does NOT
 * verify signatures: it is a loopback test fixture, and it writes to Azurite with the account key it knows
 * (AzuriteInstance.accounts), through the real SDK (StorageSharedKeyCredential), so Azurite validates that write.
 * The copy source is read the way the service reads it: with `x-ms-copy-source-authorization` when given, else with
 * the SAS in the source URL (or anonymously for a public container), so a source without read access fails
 * with CannotVerifyCopySource as on Azure.
 *
 * Choices where the reference leaves the exact code open (documented so tests and the engine can rely on them):
 *   - a source condition that fails → 412 SourceConditionNotMet (the code Azurite's Put Block From URL uses too);
 *   - a source that cannot be read → CannotVerifyCopySource with the source's HTTP status;
 *   - malformed / misaligned / unequal ranges → 400 InvalidHeaderValue naming the header (the real service answers
 *     a misaligned Put Page range with 400 InvalidHeaderValue, HeaderName Range);
 *   - a range (or a Put Blob From URL source) over the per-call limit → 413 RequestBodyTooLarge with MaxLimit;
 *   - x-ms-source-content-crc64 is accepted but not verified (x-ms-source-content-md5 is verified → 400 Md5Mismatch);
 *   - x-ms-source-if-tags and customer-provided keys are not supported (ignored / forwarded as Azurite would).
 * Only loopback copy sources are read (the test machines allow no other address).
 *
 * Azurite ignores `x-ms-copy-source-authorization` (bearer source authorization). With the option
 * `requireSourceAuthorization`, the shim checks that header on every request that names a copy source (the three it
 * implements and the forwarded ones: Put Block From URL, Copy Blob From URL, Copy Blob): a missing or rejected value
 * gets 403 CannotVerifyCopySource with copy-source status 401, as the service answers for a source it may not read.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AppendBlobClient,
  BlobHTTPHeaders,
  BlockBlobClient,
  PageBlobClient,
  Pipeline,
  RestError,
  StorageSharedKeyCredential,
  newPipeline,
} from '@azure/storage-blob';
import type { AzuriteInstance } from '../helpers/azurite';

export interface FromUrlShim {
  readonly port: number;
  /** Blob endpoint of an account through the shim, e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  endpoint(account?: string): string;
  connectionString(account?: string): string;
  /** How many requests the shim implemented itself, per operation (for tests that want to prove it was used). */
  readonly counts: Readonly<Record<ShimOperation, number>>;
  stop(): Promise<void>;
}

export type ShimOperation = 'putBlobFromUrl' | 'appendBlockFromUrl' | 'putPageFromUrl' | 'forwarded';

export interface FromUrlShimOptions {
  /**
   * Check x-ms-copy-source-authorization on every request with x-ms-copy-source: the header's value (undefined when
   * absent) must satisfy this, e.g. `(v) => v === \`Bearer ${token}\``. A request that passes goes on without the
   * header (Azurite cannot verify it): its source must be readable through the URL (a SAS, or a public container),
   * and a forwarded request must be authorized by a SAS, not SharedKey (SharedKey signs the x-ms-* headers).
   */
  requireSourceAuthorization?: (value: string | undefined) => boolean;
}

const MiB = 1024 * 1024;
/** Service limits the shim enforces (REST reference). */
export const SHIM_LIMITS = {
  /** Put Blob From URL: source size up to 5000 MiB (versions 2020-04-08+ allowed 256 MiB; raised to 5000 MiB). */
  putBlobFromUrlMaxBytes: 5000 * MiB,
  /** Append Block From URL: 4 MiB per block; 100 MiB for x-ms-version 2022-11-02 and later. */
  appendBlockMaxBytesLegacy: 4 * MiB,
  appendBlockMaxBytes: 100 * MiB,
  appendBlockLargeFromVersion: '2022-11-02',
  /** Put Page From URL: up to 4 MiB per call, 512-byte aligned. */
  putPageMaxBytes: 4 * MiB,
  pageSize: 512,
} as const;

class ShimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, string> = {},
    readonly requestId?: string,
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (Array.isArray(v)) return v.join(',');
  return v === undefined ? undefined : String(v);
}

function parseRange(value: string | undefined, headerName: string, required: boolean): { start: number; end: number } | undefined {
  if (value === undefined || value === '') {
    if (required) throw new ShimError(400, 'MissingRequiredHeader', 'An HTTP header that\'s mandatory for this request is not specified.', { HeaderName: headerName });
    return undefined;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m) throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: headerName, HeaderValue: value });
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: headerName, HeaderValue: value });
  }
  return { start, end };
}

function parseDate(value: string | undefined, headerName: string): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: headerName, HeaderValue: value });
  }
  return d;
}

function versionAtLeast(version: string | undefined, min: string): boolean {
  return (version ?? '') >= min; // ISO dates compare lexicographically
}

interface SourceRead {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  length: number;
}

interface ParsedTarget {
  account: string;
  /** Raw (still URL-encoded) path, e.g. /devstoreaccount1/c/a%20b */
  rawPath: string;
}

export async function startFromUrlShim(azurite: AzuriteInstance, options: FromUrlShimOptions = {}): Promise<FromUrlShim> {
  // No kept-alive connections to Azurite: one it closes for idleness just as the shim reuses it resets the request
  // (on a busy machine this answered copies with 500 ECONNRESET / CannotVerifyCopySource, faults no test asked for).
  const agent = new http.Agent({ keepAlive: false, maxSockets: 256 });
  const pipelines = new Map<string, Pipeline>();
  const pipelineFor = (account: string): Pipeline => {
    let p = pipelines.get(account);
    if (!p) {
      const acc = azurite.accounts.find((a) => a.name === account);
      if (!acc) throw new ShimError(403, 'AuthenticationFailed', `Server failed to authenticate the request: account ${account} is not known to this emulator.`);
      p = newPipeline(new StorageSharedKeyCredential(acc.name, acc.key), { retryOptions: { maxTries: 1 }, keepAliveOptions: { enable: false } });
      pipelines.set(account, p);
    }
    return p;
  };
  const counts: Record<ShimOperation, number> = { putBlobFromUrl: 0, appendBlockFromUrl: 0, putPageFromUrl: 0, forwarded: 0 };
  let shimPort = 0;

  const sendError = (req: http.IncomingMessage, res: http.ServerResponse, err: ShimError) => {
    const requestId = err.requestId ?? crypto.randomUUID();
    const extra = Object.entries(err.details)
      .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
      .join('');
    const body =
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${xmlEscape(err.code)}</Code>` +
      `<Message>${xmlEscape(`${err.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`)}</Message>${extra}</Error>`;
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
      'x-ms-error-code': err.code,
      'x-ms-request-id': requestId,
      'x-ms-version': header(req, 'x-ms-version') ?? '2025-01-05',
      Date: new Date().toUTCString(),
      Server: 'Azurite-Blob (blob-copy from-URL test shim)',
    };
    const clientRequestId = header(req, 'x-ms-client-request-id');
    if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
    if (!res.headersSent) res.writeHead(err.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const toShimError = (e: unknown): ShimError => {
    if (e instanceof ShimError) return e;
    if (e instanceof RestError) {
      const code = e.code ?? (e.response?.headers.get('x-ms-error-code') || 'InternalError');
      const requestId = e.response?.headers.get('x-ms-request-id') ?? undefined;
      const firstLine = (e.message || code).split('\n')[0];
      return new ShimError(e.statusCode ?? 500, code, firstLine, {}, requestId);
    }
    return new ShimError(500, 'InternalError', `Server encountered an internal error: ${(e as Error)?.message ?? String(e)}`);
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse) => {
    counts.forwarded++;
    const upstream = http.request(
      { host: azurite.host, port: azurite.port, method: req.method, path: req.url, headers: req.headers, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.rawHeaders);
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else sendError(req, res, new ShimError(502, 'InternalError', `The shim could not reach Azurite: ${err.message}`));
    });
    req.on('aborted', () => upstream.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };

  /** Minimal authorization check (see the file comment): a SharedKey/Bearer header naming the account, or a SAS. */
  const checkAuthorization = (req: http.IncomingMessage, url: URL, account: string) => {
    const auth = header(req, 'authorization');
    if (auth) {
      const m = /^SharedKey(?:Lite)? ([^:]+):/.exec(auth);
      if (m && m[1] !== account) throw new ShimError(403, 'AuthenticationFailed', 'Server failed to authenticate the request. The account in the Authorization header does not match the request URI.');
      return;
    }
    if (url.searchParams.has('sig')) return;
    throw new ShimError(401, 'NoAuthenticationInformation', 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.');
  };

  const parseTarget = (url: URL): ParsedTarget => {
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments.length < 3) throw new ShimError(400, 'InvalidUri', 'The requested URI does not represent any resource on the server.');
    const account = decodeURIComponent(segments[0]);
    if (!azurite.accounts.some((a) => a.name === account)) {
      throw new ShimError(403, 'AuthenticationFailed', `Server failed to authenticate the request: account ${account} is not known to this emulator.`);
    }
    return { account, rawPath: url.pathname };
  };

  /** Reads the copy source (a range of it, or all of it) the way the service does. */
  const readSource = async (req: http.IncomingMessage, range: { start: number; end: number } | undefined): Promise<SourceRead> => {
    const copySource = header(req, 'x-ms-copy-source');
    if (!copySource) throw new ShimError(400, 'MissingRequiredHeader', 'An HTTP header that\'s mandatory for this request is not specified.', { HeaderName: 'x-ms-copy-source' });
    let src: URL;
    try {
      src = new URL(copySource);
    } catch {
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: 'x-ms-copy-source', HeaderValue: copySource.replace(/sig=[^&]*/i, 'sig=REDACTED') });
    }
    if (src.protocol !== 'http:' && src.protocol !== 'https:') {
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: 'x-ms-copy-source' });
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(src.hostname);
    if (!loopback) {
      throw new ShimError(404, 'CannotVerifyCopySource', 'The test shim reads copy sources on loopback addresses only.');
    }
    // A source on the shim itself or on Azurite is read from Azurite directly; other loopback servers as given.
    const srcPort = Number(src.port || (src.protocol === 'https:' ? 443 : 80));
    const viaAzurite = srcPort === shimPort || srcPort === azurite.port;
    const headers: http.OutgoingHttpHeaders = {
      'x-ms-version': header(req, 'x-ms-version') ?? '2025-01-05',
      'x-ms-date': new Date().toUTCString(),
      'accept-encoding': 'identity',
    };
    const sourceAuth = header(req, 'x-ms-copy-source-authorization');
    if (sourceAuth) headers.authorization = sourceAuth;
    if (range) headers['x-ms-range'] = `bytes=${range.start}-${range.end}`;
    const cond: Array<[string, string]> = [
      ['x-ms-source-if-match', 'if-match'],
      ['x-ms-source-if-none-match', 'if-none-match'],
      ['x-ms-source-if-modified-since', 'if-modified-since'],
      ['x-ms-source-if-unmodified-since', 'if-unmodified-since'],
    ];
    for (const [from, to] of cond) {
      const v = header(req, from);
      if (v !== undefined) {
        if (to.endsWith('since')) parseDate(v, from);
        headers[to] = v;
      }
    }
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request(
        {
          host: viaAzurite ? azurite.host : src.hostname.replace(/^\[|\]$/g, ''),
          port: viaAzurite ? azurite.port : srcPort,
          method: 'GET',
          path: `${src.pathname}${src.search}`,
          headers,
          agent,
        },
        resolve,
      );
      r.on('error', reject);
      r.end();
    }).catch((e: Error) => {
      throw new ShimError(500, 'CannotVerifyCopySource', `Could not verify the copy source within the specified time: ${e.message}`);
    });
    const status = res.statusCode ?? 500;
    if (status === 304 || status === 412) {
      res.resume();
      throw new ShimError(412, 'SourceConditionNotMet', 'The source condition specified using HTTP conditional header(s) is not met.');
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      const sourceCode = header(res, 'x-ms-error-code');
      const msg = status === 404 ? 'The specified resource does not exist.' : `The copy source could not be read (${status}${sourceCode ? ` ${sourceCode}` : ''}).`;
      throw new ShimError(status, 'CannotVerifyCopySource', msg, sourceCode ? { SourceErrorCode: sourceCode } : {});
    }
    const length = Number(res.headers['content-length'] ?? NaN);
    if (!Number.isFinite(length)) {
      res.resume();
      throw new ShimError(500, 'CannotVerifyCopySource', 'The copy source answered without a Content-Length.');
    }
    if (range && length !== range.end - range.start + 1) {
      res.resume();
      throw new ShimError(416, 'CannotVerifyCopySource', 'The range specified is invalid for the current size of the resource.');
    }
    return { status, headers: res.headers, body: res, length };
  };

  const readAll = async (stream: http.IncomingMessage, limit: number): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      n += b.length;
      if (n > limit) {
        stream.destroy();
        throw new ShimError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.', { MaxLimit: String(limit) });
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  };

  const checkSourceMd5 = (req: http.IncomingMessage, data: Buffer) => {
    const expected = header(req, 'x-ms-source-content-md5');
    if (!expected) return;
    const actual = crypto.createHash('md5').update(data).digest('base64');
    if (actual !== expected) {
      throw new ShimError(400, 'Md5Mismatch', 'The MD5 value specified in the request did not match with the MD5 value calculated by the server.', {
        UserSpecifiedMd5: expected,
        ServerCalculatedMd5: actual,
      });
    }
  };

  const destinationConditions = (req: http.IncomingMessage) => ({
    ifMatch: header(req, 'if-match'),
    ifNoneMatch: header(req, 'if-none-match'),
    ifModifiedSince: parseDate(header(req, 'if-modified-since'), 'If-Modified-Since'),
    ifUnmodifiedSince: parseDate(header(req, 'if-unmodified-since'), 'If-Unmodified-Since'),
    leaseId: header(req, 'x-ms-lease-id'),
    tagConditions: header(req, 'x-ms-if-tags'),
  });

  const requireEmptyBody = async (req: http.IncomingMessage) => {
    const len = header(req, 'content-length');
    if (len !== undefined && len !== '0') {
      req.resume();
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: 'Content-Length', HeaderValue: len });
    }
    for await (const _ of req) {
      /* drain */
    }
  };

  const success = (req: http.IncomingMessage, res: http.ServerResponse, upstreamHeaders: { get(name: string): string | undefined }, names: string[]) => {
    const out: http.OutgoingHttpHeaders = {
      'Content-Length': 0,
      Date: new Date().toUTCString(),
      'x-ms-version': header(req, 'x-ms-version') ?? upstreamHeaders.get('x-ms-version') ?? '2025-01-05',
      'x-ms-request-id': upstreamHeaders.get('x-ms-request-id') ?? crypto.randomUUID(),
      Server: 'Azurite-Blob (blob-copy from-URL test shim)',
    };
    for (const name of names) {
      const v = upstreamHeaders.get(name);
      if (v !== undefined && v !== '') out[name] = v;
    }
    const clientRequestId = header(req, 'x-ms-client-request-id');
    if (clientRequestId) out['x-ms-client-request-id'] = clientRequestId;
    res.writeHead(201, out);
    res.end();
  };

  const putBlobFromUrl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    counts.putBlobFromUrl++;
    const target = parseTarget(url);
    checkAuthorization(req, url, target.account);
    await requireEmptyBody(req);
    const conditions = destinationConditions(req);
    const client = new BlockBlobClient(`http://${azurite.host}:${azurite.port}${target.rawPath}`, pipelineFor(target.account));
    // The service checks the destination first: If-None-Match: * on an existing blob is 409 BlobAlreadyExists.
    if (conditions.ifNoneMatch === '*' && (await client.exists())) {
      throw new ShimError(409, 'BlobAlreadyExists', 'The specified blob already exists.');
    }
    const source = await readSource(req, undefined);
    if (source.length > SHIM_LIMITS.putBlobFromUrlMaxBytes) {
      source.body.destroy();
      throw new ShimError(413, 'RequestBodyTooLarge', 'The source blob is larger than the 5000 MiB that Put Blob From URL accepts; use Put Block From URL.', { MaxLimit: String(SHIM_LIMITS.putBlobFromUrlMaxBytes) });
    }
    const copyProps = (header(req, 'x-ms-copy-source-blob-properties') ?? 'true').toLowerCase() !== 'false';
    const pick = (incoming: string, sourceName: string): string | undefined =>
      header(req, incoming) ?? (copyProps ? (source.headers[sourceName] as string | undefined) : undefined);
    const md5 = pick('x-ms-blob-content-md5', 'content-md5');
    const blobHTTPHeaders: BlobHTTPHeaders = {
      blobContentType: pick('x-ms-blob-content-type', 'content-type'),
      blobContentEncoding: pick('x-ms-blob-content-encoding', 'content-encoding'),
      blobContentLanguage: pick('x-ms-blob-content-language', 'content-language'),
      blobContentDisposition: pick('x-ms-blob-content-disposition', 'content-disposition'),
      blobCacheControl: pick('x-ms-blob-cache-control', 'cache-control'),
      blobContentMD5: md5 ? Buffer.from(md5, 'base64') : undefined,
    };
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.startsWith('x-ms-meta-') && v !== undefined) metadata[k.slice('x-ms-meta-'.length)] = Array.isArray(v) ? v.join(',') : v;
    }
    let tags: Record<string, string> | undefined;
    const tagOption = (header(req, 'x-ms-copy-source-tag-option') ?? 'REPLACE').toUpperCase();
    if (tagOption === 'COPY') {
      if (header(req, 'x-ms-tags')) {
        source.body.destroy();
        throw new ShimError(400, 'InvalidHeaderValue', 'x-ms-tags cannot be combined with x-ms-copy-source-tag-option: COPY.', { HeaderName: 'x-ms-tags' });
      }
      tags = await readSourceTags(req);
    } else {
      const tagString = header(req, 'x-ms-tags');
      if (tagString) tags = Object.fromEntries(new URLSearchParams(tagString));
    }
    const tier = header(req, 'x-ms-access-tier');
    let response;
    try {
      response = await client.upload(() => source.body, source.length, {
        blobHTTPHeaders,
        metadata,
        tags,
        tier,
        conditions,
      });
    } catch (e) {
      source.body.destroy();
      throw e;
    }
    success(req, res, response._response.headers, [
      'etag',
      'last-modified',
      'content-md5',
      'x-ms-content-crc64',
      'x-ms-request-server-encrypted',
      'x-ms-version-id',
      'x-ms-encryption-scope',
    ]);
  };

  /** For x-ms-copy-source-tag-option: COPY: Get Blob Tags on the source with the same source authorization. */
  const readSourceTags = async (req: http.IncomingMessage): Promise<Record<string, string>> => {
    const src = new URL(header(req, 'x-ms-copy-source')!);
    src.searchParams.set('comp', 'tags');
    const headers: http.OutgoingHttpHeaders = { 'x-ms-version': header(req, 'x-ms-version') ?? '2025-01-05', 'x-ms-date': new Date().toUTCString() };
    const sourceAuth = header(req, 'x-ms-copy-source-authorization');
    if (sourceAuth) headers.authorization = sourceAuth;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request({ host: azurite.host, port: azurite.port, method: 'GET', path: `${src.pathname}${src.search}`, headers, agent }, resolve);
      r.on('error', reject);
      r.end();
    });
    const body = (await readAll(res, MiB)).toString('utf8');
    if (res.statusCode !== 200) throw new ShimError(res.statusCode ?? 500, 'CannotVerifyCopySource', 'The tags of the copy source could not be read.');
    const tags: Record<string, string> = {};
    for (const m of body.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)) tags[m[1]] = m[2];
    return tags;
  };

  const appendBlockFromUrl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    counts.appendBlockFromUrl++;
    const target = parseTarget(url);
    checkAuthorization(req, url, target.account);
    await requireEmptyBody(req);
    const limit = versionAtLeast(header(req, 'x-ms-version'), SHIM_LIMITS.appendBlockLargeFromVersion)
      ? SHIM_LIMITS.appendBlockMaxBytes
      : SHIM_LIMITS.appendBlockMaxBytesLegacy;
    const range = parseRange(header(req, 'x-ms-source-range'), 'x-ms-source-range', false);
    if (range && range.end - range.start + 1 > limit) {
      throw new ShimError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.', { MaxLimit: String(limit) });
    }
    const parseNum = (name: string): number | undefined => {
      const v = header(req, name);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: name, HeaderValue: v });
      return Number(v);
    };
    const appendPosition = parseNum('x-ms-blob-condition-appendpos');
    const maxSize = parseNum('x-ms-blob-condition-maxsize');
    const conditions = { ...destinationConditions(req), appendPosition, maxSize };
    const source = await readSource(req, range);
    const data = await readAll(source.body, limit);
    checkSourceMd5(req, data);
    const client = new AppendBlobClient(`http://${azurite.host}:${azurite.port}${target.rawPath}`, pipelineFor(target.account));
    const response = await client.appendBlock(data, data.length, { conditions });
    success(req, res, response._response.headers, [
      'etag',
      'last-modified',
      'content-md5',
      'x-ms-content-crc64',
      'x-ms-blob-append-offset',
      'x-ms-blob-committed-block-count',
      'x-ms-request-server-encrypted',
      'x-ms-encryption-scope',
    ]);
  };

  const putPageFromUrl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    counts.putPageFromUrl++;
    const target = parseTarget(url);
    checkAuthorization(req, url, target.account);
    await requireEmptyBody(req);
    const pageWrite = header(req, 'x-ms-page-write');
    if (pageWrite === undefined) throw new ShimError(400, 'MissingRequiredHeader', 'An HTTP header that\'s mandatory for this request is not specified.', { HeaderName: 'x-ms-page-write' });
    if (pageWrite.toLowerCase() !== 'update') {
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: 'x-ms-page-write', HeaderValue: pageWrite });
    }
    const rangeHeaderName = header(req, 'x-ms-range') !== undefined ? 'x-ms-range' : 'Range';
    const dest = parseRange(header(req, 'x-ms-range') ?? header(req, 'range'), rangeHeaderName, true)!;
    const srcRange = parseRange(header(req, 'x-ms-source-range'), 'x-ms-source-range', true)!;
    const aligned = (r: { start: number; end: number }) => r.start % SHIM_LIMITS.pageSize === 0 && (r.end + 1) % SHIM_LIMITS.pageSize === 0;
    if (!aligned(dest)) {
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: rangeHeaderName, HeaderValue: `bytes=${dest.start}-${dest.end}` });
    }
    if (!aligned(srcRange)) {
      throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: 'x-ms-source-range', HeaderValue: `bytes=${srcRange.start}-${srcRange.end}` });
    }
    const count = dest.end - dest.start + 1;
    if (srcRange.end - srcRange.start + 1 !== count) {
      throw new ShimError(400, 'InvalidHeaderValue', 'The source range and the destination range must have the same length.', { HeaderName: 'x-ms-source-range', HeaderValue: `bytes=${srcRange.start}-${srcRange.end}` });
    }
    if (count > SHIM_LIMITS.putPageMaxBytes) {
      throw new ShimError(413, 'RequestBodyTooLarge', 'The request body is too large and exceeds the maximum permissible limit.', { MaxLimit: String(SHIM_LIMITS.putPageMaxBytes) });
    }
    const parseNum = (name: string): number | undefined => {
      const v = header(req, name);
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new ShimError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.', { HeaderName: name, HeaderValue: v });
      return Number(v);
    };
    const conditions = {
      ...destinationConditions(req),
      ifSequenceNumberLessThanOrEqualTo: parseNum('x-ms-if-sequence-number-le'),
      ifSequenceNumberLessThan: parseNum('x-ms-if-sequence-number-lt'),
      ifSequenceNumberEqualTo: parseNum('x-ms-if-sequence-number-eq'),
    };
    const source = await readSource(req, srcRange);
    const data = await readAll(source.body, SHIM_LIMITS.putPageMaxBytes);
    checkSourceMd5(req, data);
    const client = new PageBlobClient(`http://${azurite.host}:${azurite.port}${target.rawPath}`, pipelineFor(target.account));
    const response = await client.uploadPages(data, dest.start, count, { conditions });
    success(req, res, response._response.headers, [
      'etag',
      'last-modified',
      'content-md5',
      'x-ms-content-crc64',
      'x-ms-blob-sequence-number',
      'x-ms-request-server-encrypted',
      'x-ms-encryption-scope',
    ]);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shim.invalid');
    const comp = url.searchParams.get('comp');
    const hasCopySource = header(req, 'x-ms-copy-source') !== undefined;
    if (hasCopySource && options.requireSourceAuthorization && !options.requireSourceAuthorization(header(req, 'x-ms-copy-source-authorization'))) {
      req.resume();
      sendError(req, res, new ShimError(403, 'CannotVerifyCopySource', 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.', {
        CopySourceStatusCode: '401',
        CopySourceErrorCode: 'InvalidAuthenticationInfo',
        CopySourceErrorMessage: 'x-ms-copy-source-authorization is missing or not accepted.',
      }));
      return;
    }
    // Checked here: Azurite cannot verify the token (it reads the source with it as if it were its own), so the
    // source is then read the way the URL allows (its SAS, or a public container).
    if (hasCopySource && options.requireSourceAuthorization) delete req.headers['x-ms-copy-source-authorization'];
    let handler: ((req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>) | undefined;
    if (req.method === 'PUT' && hasCopySource) {
      if (comp === null && (header(req, 'x-ms-blob-type') ?? '').toLowerCase() === 'blockblob') handler = putBlobFromUrl;
      else if (comp === 'appendblock') handler = appendBlockFromUrl;
      else if (comp === 'page') handler = putPageFromUrl;
    }
    if (!handler) {
      forward(req, res);
      return;
    }
    handler(req, res, url).catch((e: unknown) => {
      req.resume();
      sendError(req, res, toShimError(e));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  shimPort = (server.address() as AddressInfo).port;
  const accountOf = (a?: string) => {
    const acc = a === undefined ? azurite.accounts[0] : azurite.accounts.find((x) => x.name === a);
    if (!acc) throw new Error(`Azurite was not started with account ${a}`);
    return acc;
  };
  const endpoint = (a?: string) => `http://127.0.0.1:${shimPort}/${accountOf(a).name}`;
  return {
    port: shimPort,
    endpoint,
    connectionString: (a?: string) => {
      const acc = accountOf(a);
      return `DefaultEndpointsProtocol=http;AccountName=${acc.name};AccountKey=${acc.key};BlobEndpoint=${endpoint(acc.name)};`;
    },
    counts,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
