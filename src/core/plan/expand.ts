/**
 * Expanding copy sources into blobs: one listing per folder/container source (properties, metadata and, where
 * readable, tags come with it), one HEAD per single-blob source.
 */
import * as path from 'node:path';
import { AnonymousCredential, BlobClient, ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from '../storage/connections';
import { listBlobsFlatPage, type ListedBlob, type ListedPage } from '../storage/listBlobs';
import { CopyError, toCopyError } from '../base/errors';
import { md5b64, normalizeEtag, sourcePropertiesOf } from '../base/headers';
import { validateContainerName } from '../base/limits';
import { redact } from '../base/redact';
import type { CopySource, SourceProperties } from '../base/types';
import { accountKey, escapePath, parseBlobUrl } from '../base/urls';
import type { BlobType, RestCall } from '../../shared/vocabulary';

interface SourceResolver {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
}

export interface Expanded {
  source: CopySource;
  sourceName: string;
  relative: string;
  blobType: BlobType;
  size: number;
  etag?: string;
  lastModified?: Date;
  contentMD5?: string;
  sourceAccountKey: string;
  sourceProperties?: SourceProperties;
}

/** A source with its query redacted (not dropped): the message shows the URL carried a SAS. */
function describeWithQuery(s: CopySource): string {
  return s.kind === 'url' ? redact(s.url) : `${s.location.container}/${s.location.path}`;
}

/** Source blob client for a source (URL sources: anonymous, the URL carries its own SAS if any). */
async function sourceBlobClient(ctx: SourceResolver, source: CopySource): Promise<{ blob: BlobClient; accountKey: string }> {
  if (source.kind === 'url') {
    const p = parseBlobUrl(source.url);
    return { blob: new BlobClient(source.url, new AnonymousCredential(), ctx.pipelineOptions), accountKey: accountKey(p.endpoint) };
  }
  const acct = await ctx.resolve(source.location.connectionId);
  return { blob: acct.service.getContainerClient(source.location.container).getBlobClient(source.location.path), accountKey: accountKey(acct.endpoint) };
}

export function isPrefixPath(p: string): boolean {
  return p === '' || p.endsWith('/');
}

/**
 * Listing order of the Blob service: names compared as UTF-8 bytes, i.e. by code point. Without allocating: UTF-16
 * code units order the same way except that a surrogate (a code point above U+FFFF) must sort after U+E000–U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The blobs of one source, a listing page at a time (at most 5,000 per page), so a folder of millions is never in
 * memory at once. `after`: skip names up to and including it (resume of a batch whose earlier blobs are done).
 */
export async function* expandPages(
  ctx: SourceResolver,
  source: CopySource,
  filter: (rel: string) => boolean,
  signal?: AbortSignal,
  after?: string,
  onCall?: (call: RestCall) => void,
): AsyncGenerator<Expanded[]> {
  let container: ContainerClient;
  let prefix: string;
  let key: string;
  let urlSas: string | undefined;
  let urlBase: string | undefined;
  if (source.kind === 'url') {
    const p = parseBlobUrl(source.url);
    key = accountKey(p.endpoint);
    if (!p.container) throw new CopyError({ message: `Source ${redact(source.url)} names no container.`, hint: 'Use a blob URL, or a container/prefix URL ending in "/".' });
    if (!isPrefixPath(p.path)) {
      if (after === undefined) onCall?.('Get Blob Properties');
      if (after === undefined) yield [await headOne(ctx, source, p.path, key, signal)].filter((e) => filter(e.relative));
      return;
    }
    urlSas = p.query;
    urlBase = `${p.endpoint}/${encodeURIComponent(p.container)}`;
    container = new ContainerClient(urlSas ? `${urlBase}?${urlSas}` : urlBase, new AnonymousCredential(), ctx.pipelineOptions);
    prefix = p.path;
  } else {
    const acct = await ctx.resolve(source.location.connectionId);
    key = accountKey(acct.endpoint);
    const msg = validateContainerName(source.location.container);
    if (msg) throw new CopyError({ message: `Source container "${source.location.container}": ${msg}` });
    if (!isPrefixPath(source.location.path)) {
      if (after === undefined) onCall?.('Get Blob Properties');
      if (after === undefined) yield [await headOne(ctx, source, source.location.path, key, signal)].filter((e) => filter(e.relative));
      return;
    }
    container = acct.service.getContainerClient(source.location.container);
    prefix = source.location.path;
  }
  const toExpanded = (b: ListedBlob, withTags: boolean): Expanded => {
    const child: CopySource =
      source.kind === 'url'
        ? { kind: 'url', url: `${urlBase}/${escapePath(b.name)}${urlSas ? `?${urlSas}` : ''}` }
        : { kind: 'location', location: { ...source.location, path: b.name } };
    return {
      ...expanded(child, b.name, b.name.slice(prefix.length), b.properties, key),
      sourceProperties: sourcePropertiesOf(b.properties, b.metadata, b.tags, withTags),
    };
  };
  // Tags in the listing need tag-read permission: a SAS/URL source lists without them (the copy then HEADs).
  let withTags = source.kind === 'location';
  // One request per page. The first page is small, so copying starts soon after the command does (a 5,000-blob page
  // took ~0.5 s on Azurite, 500 took 180 ms); later pages grow threefold up to PAGE_SIZE and are read one ahead, while
  // the current one is planned and fed, so the next page arrives before the copies of the current one run out.
  const fetchPage = (tags: boolean, token: string | undefined, size: number): Promise<ListedPage> =>
    listBlobsFlatPage(container, { prefix: prefix || undefined, includeMetadata: true, includeTags: tags, abortSignal: signal, maxPageSize: size, continuationToken: token });
  let size = FIRST_PAGE_SIZE;
  let pending: Promise<ListedPage> | undefined = fetchPage(withTags, undefined, size);
  let first = true;
  while (pending) {
    let page: ListedPage | undefined;
    try {
      page = await pending;
      onCall?.('List Blobs');
    } catch (e) {
      onCall?.('List Blobs');
      const err = toCopyError(e, `List source ${describeWithQuery(source)}`, 'source');
      if (first && withTags && (err.info.status === 403 || err.info.status === 400)) {
        withTags = false;
        pending = fetchPage(false, undefined, FIRST_PAGE_SIZE);
        continue;
      }
      throw err;
    }
    first = false;
    const token: string | undefined = page.continuationToken;
    size = Math.min(PAGE_SIZE, size * 3);
    pending = token ? fetchPage(withTags, token, size) : undefined;
    pending?.catch(() => undefined); // read ahead: its failure is thrown when it is awaited (never unhandled)
    const out: Expanded[] = [];
    for (const b of page.blobs) {
      const relative = b.name.slice(prefix.length);
      // The folder's own directory marker ("data/" when copying "data/") comes too: the planner decides.
      if ((!relative && !prefix) || !filter(relative)) continue;
      if (after !== undefined && compareNames(b.name, after) <= 0) continue;
      out.push(toExpanded(b, withTags));
    }
    // Let the page go before the consumer, which may take seconds to copy it, gets what was made of it.
    page = undefined;
    if (out.length) yield out;
  }
}

/**
 * Blobs in the first listing page of a source (then 300, 900, …), and at most in any page. Not the service's maximum
 * (5,000): a copy holds the page it feeds and the one read ahead, and 1,000 keeps that near 4 MiB (at 5,000 it was
 * 40 MiB of the CLI's heap) while listing stays ahead of copying (a page of 1,000 lists in ~0.2 s on
 * Azurite; copying it takes ~1 s at the fastest rate measured).
 */
const FIRST_PAGE_SIZE = 100;
const PAGE_SIZE = 1000;

async function headOne(ctx: SourceResolver, source: CopySource, name: string, key: string, signal?: AbortSignal): Promise<Expanded> {
  const { blob } = await sourceBlobClient(ctx, source);
  let props: Awaited<ReturnType<BlobClient['getProperties']>>;
  try {
    props = await blob.getProperties({ abortSignal: signal });
  } catch (e) {
    const err = toCopyError(e, `Read source ${describeWithQuery(source)}`, 'source');
    if (source.kind === 'url' && !source.url.includes('?') && (err.info.status === 404 || err.info.status === 403 || err.info.status === 401)) {
      throw new CopyError(
        {
          ...err.info,
          message: `Read source ${describeWithQuery(source)}: the source is private (or does not exist) and the URL carries no SAS.`,
          hint: 'Add a SAS with read permission to the URL, or copy from a connection that can read the account.',
        },
        { cause: e },
      );
    }
    throw err;
  }
  return expanded(source, name, path.posix.basename(name), props, key);
}

/** An expanded blob from its listing item's properties or its HEAD response (the same names in both). */
function expanded(
  source: CopySource,
  name: string,
  relative: string,
  p: { blobType?: string; contentLength?: number; etag?: string; lastModified?: Date; contentMD5?: Uint8Array },
  key: string,
): Expanded {
  return {
    source,
    sourceName: name,
    relative,
    blobType: (p.blobType ?? 'BlockBlob') as BlobType,
    size: p.contentLength ?? 0,
    etag: normalizeEtag(p.etag),
    lastModified: p.lastModified,
    contentMD5: md5b64(p.contentMD5),
    sourceAccountKey: key,
  };
}
