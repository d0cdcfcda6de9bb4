/**
 * A small blob's one copy request, Copy Blob From URL (same account) or Put Blob From URL (across accounts), built
 * here and sent through the SDK client's own pipeline (its credential and Shared Key signing, its retry policy, the
 * engine's gate), as listBlobs.ts sends List Blobs.
 *
 * Why not BlobClient.syncCopyFromURL / BlockBlobClient.syncUploadFromURL: per small blob the SDK built a BlobClient
 * (two URL parses and a client context) and ran core-client's generic serializer and response mapper, ~90 µs of
 * client CPU of a copy's ~550 (bench: `npm run bench -- --cost`). The requests are the REST reference's: the same
 * headers the SDK sends for the options the engine uses, which test/core/blobRequests.test.ts compares request by
 * request against the SDK's.
 */
import { createPipelineRequest, RestError, type Pipeline as CorePipeline, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { BlobClient, BlobHTTPHeaders, BlobServiceClient, ContainerClient, Metadata, Tags } from '@azure/storage-blob';
import { escapePath } from '../base/urls';

/** What the engine uses of an SDK client's generated context (see storageContextOf). */
interface StorageContext {
  readonly pipeline: CorePipeline;
  /** The service version the SDK sends (x-ms-version). */
  readonly version: string;
  /** Sends a request through the client's whole pipeline (credential, retry, the gate) and parses nothing of it. */
  sendRequest(request: PipelineRequest): Promise<PipelineResponse>;
}

/**
 * The generated client context behind an SDK client (service, container or blob): a core-client ServiceClient with
 * the SDK's v2 pipeline, built once per SDK Pipeline and shared by every client derived from the service client. Not
 * public API of @azure/storage-blob: it throws if an SDK update moved it (test/core/connections-pipeline.test.ts
 * fails then too).
 */
export function storageContextOf(client: BlobServiceClient | ContainerClient): StorageContext {
  const context = (client as unknown as { storageClientContext?: Partial<StorageContext> }).storageClientContext;
  const pipeline = context?.pipeline;
  const usable =
    context && pipeline && typeof pipeline.addPolicy === 'function' && typeof pipeline.getOrderedPolicies === 'function' && typeof context.sendRequest === 'function' && typeof context.version === 'string';
  if (!usable) throw new Error('@azure/storage-blob no longer exposes its request pipeline where Blob Copy expects it; this SDK version is not supported.');
  return context as StorageContext;
}

/** The RestError of a refused request, as the SDK builds it: the status, the service's code and message. */
export function refusal(response: PipelineResponse): RestError {
  const parsed = (response as { parsedBody?: { Code?: unknown; Message?: unknown } }).parsedBody;
  const code = response.headers.get('x-ms-error-code') ?? (typeof parsed?.Code === 'string' ? parsed.Code : undefined);
  const message = typeof parsed?.Message === 'string' ? parsed.Message : '';
  return new RestError(message, { statusCode: response.status, code, request: response.request, response });
}

/** A container's URL split where a blob's name goes in (before its query: a SAS connection's container URL has one). */
interface ContainerUrl {
  readonly base: string;
  readonly query: string;
}
const containerUrls = new WeakMap<ContainerClient, ContainerUrl>();

/** Names the SDK's URL handling changes beyond encoding each segment: a quote (%27) and "." or ".." segments. */
const UNUSUAL_NAME = /'|(?:^|\/)\.\.?(?:\/|$)/;

/**
 * The URL of a blob in the container, the one ContainerClient.getBlobClient(name).url gives, without building that
 * client: each "/"-separated segment URI-encoded (the SDK's EscapePath). Names the SDK's URL parsing would change
 * otherwise (see UNUSUAL_NAME) take the SDK's own path.
 */
export function blobUrlIn(container: ContainerClient, name: string): string {
  if (UNUSUAL_NAME.test(name)) return container.getBlobClient(name).url;
  let at = containerUrls.get(container);
  if (!at) {
    const url = container.url;
    const q = url.indexOf('?');
    const base = q < 0 ? url : url.slice(0, q);
    at = { base: base.endsWith('/') ? base : `${base}/`, query: q < 0 ? '' : url.slice(q) };
    containerUrls.set(container, at);
  }
  return `${at.base}${escapePath(name)}${at.query}`;
}

/**
 * What a one-call copy (Copy Blob From URL, Put Blob From URL) sets and checks besides its source: the options of
 * BlobClient.syncCopyFromURL and BlockBlobClient.syncUploadFromURL the engine uses.
 */
interface FromUrlOptions {
  readonly metadata?: Metadata;
  readonly tier?: string;
  readonly tags?: Tags;
  /** The destination's conditions: If-None-Match "*" when it must not exist. */
  readonly conditions?: { readonly ifNoneMatch?: string; readonly ifMatch?: string };
  /** The source pinned to its ETag (x-ms-source-if-match). */
  readonly sourceConditions?: { readonly ifMatch?: string };
  readonly sourceContentMD5?: Uint8Array;
  /** x-ms-copy-source-authorization (a source read with a bearer token). */
  readonly sourceAuthorization?: { readonly scheme: string; readonly value: string };
  readonly abortSignal?: AbortSignal;
}

/** Put Blob From URL also sets the content headers (Copy Blob From URL takes the source's). */
export interface PutFromUrlOptions extends FromUrlOptions {
  readonly blobHTTPHeaders?: BlobHTTPHeaders;
}

/** The answer's headers the engine may read (names as the SDK's responses have them). */
interface FromUrlResult {
  readonly etag?: string;
  readonly lastModified?: Date;
  /** Copy Blob From URL only. */
  readonly copyId?: string;
  /** Copy Blob From URL only: "success". */
  readonly copyStatus?: string;
  readonly requestId?: string;
}

const base64 = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

/**
 * Copy Blob From URL (x-ms-requires-sync, answered 202) or Put Blob From URL (a block blob from the source, answered
 * 201) of `sourceUrl` to the blob at `destUrl` (a URL of blobUrlIn(container)), through the container client's
 * pipeline. Resolves on the success status; throws the RestError the SDK would for anything else.
 */
async function sendFromUrl(put: boolean, container: ContainerClient, destUrl: string, sourceUrl: string, o: PutFromUrlOptions): Promise<FromUrlResult> {
  const context = storageContextOf(container);
  // As the SDK's own requests: its client context allows http (Azurite, a local endpoint) for every request.
  const request = createPipelineRequest({ url: destUrl, method: 'PUT', abortSignal: o.abortSignal, allowInsecureConnection: true });
  const h = request.headers;
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) h.set(name, value);
  };
  // The header names of the SDK's operation specs (copyFromURLOperationSpec, putBlobFromUrlOperationSpec).
  h.set('x-ms-version', context.version);
  h.set('Accept', 'application/xml');
  if (put) h.set('Content-Length', '0');
  if (o.metadata) for (const key of Object.keys(o.metadata)) h.set(`x-ms-meta-${key}`, o.metadata[key]);
  set('If-Match', o.conditions?.ifMatch);
  set('If-None-Match', o.conditions?.ifNoneMatch);
  const ch = put ? o.blobHTTPHeaders : undefined;
  if (ch) {
    set('x-ms-blob-cache-control', ch.blobCacheControl);
    set('x-ms-blob-content-type', ch.blobContentType);
    if (ch.blobContentMD5 !== undefined) h.set('x-ms-blob-content-md5', base64(ch.blobContentMD5));
    set('x-ms-blob-content-encoding', ch.blobContentEncoding);
    set('x-ms-blob-content-language', ch.blobContentLanguage);
    set('x-ms-blob-content-disposition', ch.blobContentDisposition);
  }
  set('x-ms-access-tier', o.tier);
  set('x-ms-source-if-match', o.sourceConditions?.ifMatch);
  h.set('x-ms-copy-source', sourceUrl);
  if (o.tags !== undefined) h.set('x-ms-tags', tagsHeader(o.tags));
  if (!put) h.set('x-ms-requires-sync', 'true');
  if (o.sourceContentMD5 !== undefined) h.set('x-ms-source-content-md5', base64(o.sourceContentMD5));
  if (o.sourceAuthorization) h.set('x-ms-copy-source-authorization', `${o.sourceAuthorization.scheme} ${o.sourceAuthorization.value}`);
  if (put) h.set('x-ms-blob-type', 'BlockBlob');
  const response = await context.sendRequest(request);
  if (response.status !== (put ? 201 : 202)) throw refusal(response);
  const r = response.headers;
  const lastModified = r.get('last-modified');
  return {
    etag: r.get('etag'),
    lastModified: lastModified === undefined ? undefined : new Date(lastModified),
    copyId: r.get('x-ms-copy-id'),
    copyStatus: r.get('x-ms-copy-status'),
    requestId: r.get('x-ms-request-id'),
  };
}

/** x-ms-tags as the SDK writes it (toBlobTagsString): key=value pairs, each side URI-encoded, joined by "&". */
function tagsHeader(tags: Tags): string {
  return Object.keys(tags)
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(tags[k])}`)
    .join('&');
}

/**
 * A copy's destination blob: its URL, its SDK client built on first use (building one per blob was ~50 µs of client
 * CPU: two URL parses and a client context), and the small copy's one request, sent without that client.
 */
export class BlobTarget {
  readonly url: string;
  private built?: BlobClient;

  constructor(
    readonly container: ContainerClient,
    readonly name: string,
  ) {
    this.url = blobUrlIn(container, name);
  }

  /** The SDK's client of this blob (ContainerClient.getBlobClient), built once. */
  client(): BlobClient {
    return (this.built ??= this.container.getBlobClient(this.name));
  }

  /** Copy Blob From URL to this blob: the request BlobClient.syncCopyFromURL sends with these options. */
  copyFromUrl(sourceUrl: string, options: FromUrlOptions): Promise<FromUrlResult> {
    return sendFromUrl(false, this.container, this.url, sourceUrl, options);
  }

  /** Put Blob From URL to this blob: the request BlockBlobClient.syncUploadFromURL sends with these options. */
  putFromUrl(sourceUrl: string, options: PutFromUrlOptions): Promise<FromUrlResult> {
    return sendFromUrl(true, this.container, this.url, sourceUrl, options);
  }
}
