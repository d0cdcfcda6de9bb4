/**
 * List Blobs (flat) for the copy's hot path: a folder copy's source and destination folders, a sync's two sides.
 * The request goes through the SDK client's own pipeline (its credential, its retry policy, the engine's gate), as
 * every SDK call does; only the answer is read here, with sax (strict XML), as it streams in.
 *
 * Why not ContainerClient.listBlobsFlat: its answer costs ~110 µs of CPU per listed blob (core-xml validates the
 * page, fast-xml-parser builds an object tree of it, core-client's generic mapper copies that twice), a sixth of
 * a small blob's whole copy in the client and most of its allocations; read here it costs ~25 µs (bench: `npm run
 * bench -- --cost`). What is read is what the engine uses, named and typed as the SDK's BlobItem names them;
 * test/core/listBlobs.test.ts lists the same blobs both ways and compares them.
 *
 * A page is only taken whole: the answer must be well-formed XML that closes its root element, and every blob must
 * have a name (a cut answer would otherwise end the listing early and silently leave blobs out of a copy).
 */
import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import type { ContainerClient } from '@azure/storage-blob';
import * as sax from 'sax';
import type { SAXParser } from 'sax';
import { refusal, storageContextOf } from './blobRequests';

/** A listed blob: the SDK's BlobItem fields the engine reads, with the SDK's names and types. */
export interface ListedBlob {
  name: string;
  properties: {
    blobType?: string;
    contentLength?: number;
    etag?: string;
    lastModified?: Date;
    contentMD5?: Uint8Array;
    contentType?: string;
    contentEncoding?: string;
    contentLanguage?: string;
    contentDisposition?: string;
    cacheControl?: string;
    accessTier?: string;
    accessTierInferred?: boolean;
  };
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface ListedPage {
  blobs: ListedBlob[];
  /** The NextMarker: undefined on the last page. */
  continuationToken?: string;
}

interface ListPageOptions {
  prefix?: string;
  continuationToken?: string;
  maxPageSize: number;
  includeMetadata?: boolean;
  includeTags?: boolean;
  abortSignal?: AbortSignal;
}

/** One page of the container's blobs (List Blobs, no delimiter). Throws the RestError the SDK would for a refusal. */
export async function listBlobsFlatPage(container: ContainerClient, options: ListPageOptions): Promise<ListedPage> {
  const context = storageContextOf(container);
  const include = [options.includeMetadata ? 'metadata' : '', options.includeTags ? 'tags' : ''].filter(Boolean).join(',');
  const query = [
    'restype=container',
    'comp=list',
    options.prefix ? `prefix=${encodeURIComponent(options.prefix)}` : '',
    options.continuationToken ? `marker=${encodeURIComponent(options.continuationToken)}` : '',
    `maxresults=${options.maxPageSize}`,
    include ? `include=${encodeURIComponent(include)}` : '',
  ].filter(Boolean);
  const url = container.url;
  const request = createPipelineRequest({
    url: `${url}${url.includes('?') ? '&' : '?'}${query.join('&')}`,
    method: 'GET',
    abortSignal: options.abortSignal,
    // As the SDK's own requests: its client context allows http (Azurite, a local endpoint) for every request.
    allowInsecureConnection: true,
    // A streamed body is not parsed by the pipeline (core-client parses every XML answer it reads as text).
    streamResponseStatusCodes: new Set([200]),
  });
  request.headers.set('x-ms-version', context.version);
  request.headers.set('accept', 'application/xml');
  const response = await context.sendRequest(request);
  if (response.status !== 200) throw refusal(response);
  const body = response.readableStreamBody;
  if (!body) throw new RestError('List Blobs answered 200 without a body.', { statusCode: 200, code: RestError.PARSE_ERROR, request, response });
  const reader = new ListBlobsReader();
  (body as NodeJS.ReadableStream & { setEncoding(e: string): void }).setEncoding('utf8');
  for await (const chunk of body) reader.write(chunk as string);
  return reader.end();
}

/** The container's pages under a prefix, one request each, until the last (names and properties only). */
export async function* listBlobsFlatPages(container: ContainerClient, prefix: string | undefined, maxPageSize: number, abortSignal?: AbortSignal): AsyncGenerator<ListedPage> {
  let token: string | undefined;
  do {
    const page = await listBlobsFlatPage(container, { prefix, continuationToken: token, maxPageSize, abortSignal });
    token = page.continuationToken;
    yield page;
  } while (token);
}

/**
 * Reads a List Blobs answer written to it in pieces (`write`), and gives the page at the end. The elements are
 * those of the REST reference's List Blobs response: EnumerationResults > Blobs > Blob > Name, Properties, Metadata,
 * Tags > TagSet > Tag > Key, Value; and NextMarker. sax in its strict mode refuses what is not well-formed XML, as the
 * SDK's validation pass did.
 */
export class ListBlobsReader {
  private readonly blobs: ListedBlob[] = [];
  private readonly path: string[] = [];
  private text = '';
  private blob?: ListedBlob;
  private nameEncoded = false;
  private tagKey = '';
  private tagValue = '';
  private token?: string;
  private closed = false;
  private readonly parser: SAXParser;

  constructor() {
    const p = (this.parser = sax.parser(true));
    p.onopentag = (tag) => this.open(tag.name, tag.attributes as Record<string, string>);
    p.ontext = (text) => {
      this.text += text;
    };
    p.oncdata = p.ontext;
    p.onclosetag = (name) => this.close(name);
    p.onerror = (e) => {
      throw new RestError(`List Blobs answered a page that is not well-formed XML: ${e.message.split('\n')[0]}`, { code: RestError.PARSE_ERROR, statusCode: 200 });
    };
  }

  write(chunk: string): void {
    this.parser.write(chunk);
  }

  end(): ListedPage {
    this.parser.close();
    if (!this.closed) throw new RestError('List Blobs answered a page that ends before its </EnumerationResults>: it was cut short.', { code: RestError.PARSE_ERROR, statusCode: 200 });
    return { blobs: this.blobs, continuationToken: this.token || undefined };
  }

  private open(name: string, attributes: Record<string, string>): void {
    if (this.closed) this.parser.onerror(new Error('a second root element'));
    const path = this.path;
    path.push(name);
    this.text = '';
    const depth = path.length;
    if (depth === 3 && name === 'Blob' && path[1] === 'Blobs') this.blob = { name: '', properties: {} };
    else if (depth === 4 && this.blob) {
      if (name === 'Name') this.nameEncoded = attributes.Encoded === 'true';
      else if (name === 'Metadata') this.blob.metadata = {};
      else if (name === 'Tags') this.blob.tags = {};
    } else if (depth === 6 && name === 'Tag') this.tagKey = this.tagValue = '';
  }

  private close(name: string): void {
    const path = this.path;
    const depth = path.length;
    const text = this.text;
    this.text = '';
    path.pop();
    if (depth === 1) {
      if (name === 'EnumerationResults') this.closed = true;
      return;
    }
    if (depth === 2) {
      if (name === 'NextMarker') this.token = text;
      return;
    }
    const blob = this.blob;
    if (!blob) return;
    if (depth === 3) {
      if (name !== 'Blob') return;
      if (!blob.name) throw new RestError('List Blobs answered a blob without a name.', { code: RestError.PARSE_ERROR, statusCode: 200 });
      this.blobs.push(blob);
      this.blob = undefined;
    } else if (path[2] !== 'Blob') {
      return;
    } else if (depth === 4) {
      if (name === 'Name') blob.name = this.nameEncoded ? decodeURIComponent(text) : text;
    } else if (depth === 5) {
      const parent = path[3];
      if (parent === 'Properties') setProperty(blob.properties, name, text);
      else if (parent === 'Metadata') blob.metadata![name] = text;
    } else if (depth === 7 && path[3] === 'Tags') {
      if (name === 'Key') this.tagKey = text;
      else if (name === 'Value') this.tagValue = text;
    } else if (depth === 6 && name === 'Tag' && path[3] === 'Tags') {
      blob.tags![this.tagKey] = this.tagValue;
    }
  }
}

/** One element of a blob's Properties, converted as the SDK's mappers convert it. */
function setProperty(p: ListedBlob['properties'], name: string, text: string): void {
  switch (name) {
    case 'BlobType':
      p.blobType = text;
      break;
    case 'Content-Length':
      p.contentLength = parseFloat(text);
      break;
    case 'Etag':
      p.etag = text;
      break;
    case 'Last-Modified':
      p.lastModified = new Date(text);
      break;
    case 'Content-MD5':
      p.contentMD5 = new Uint8Array(Buffer.from(text, 'base64'));
      break;
    case 'Content-Type':
      p.contentType = text;
      break;
    case 'Content-Encoding':
      p.contentEncoding = text;
      break;
    case 'Content-Language':
      p.contentLanguage = text;
      break;
    case 'Content-Disposition':
      p.contentDisposition = text;
      break;
    case 'Cache-Control':
      p.cacheControl = text;
      break;
    case 'AccessTier':
      p.accessTier = text;
      break;
    case 'AccessTierInferred':
      p.accessTierInferred = text === 'true';
      break;
  }
}
