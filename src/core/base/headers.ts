/**
 * One mapping between the SDK's shapes of a blob's content headers (listing items, HEAD responses, the headers a
 * write sends) and the engine's SourceProperties; plus the small value helpers every path needs.
 */
import type { BlobHTTPHeaders, Metadata } from '@azure/storage-blob';
import type { SourceProperties } from './types';

/** Content headers as the SDK names them on listing items and HEAD responses. */
interface ContentHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentMD5?: Uint8Array;
}

/** ETags in quotes, as HEAD returns them (listings may return them bare). */
export function normalizeEtag(etag?: string): string | undefined {
  return etag ? `"${etag.replace(/^W\//, '').replace(/"/g, '')}"` : undefined;
}

/** Content-MD5 bytes → base64 ("" or missing → undefined). */
export function md5b64(v?: Uint8Array): string | undefined {
  return v && v.length ? Buffer.from(v).toString('base64') : undefined;
}

/** What a write sends from what a listing or HEAD returned. */
export function toHttpHeaders(h: ContentHeaders): BlobHTTPHeaders {
  return {
    blobContentType: h.contentType,
    blobContentEncoding: h.contentEncoding,
    blobContentLanguage: h.contentLanguage,
    blobContentDisposition: h.contentDisposition,
    blobCacheControl: h.cacheControl,
    blobContentMD5: h.contentMD5,
  };
}

/** The content headers of SourceProperties (the MD5 travels separately, base64, on the planned item). */
export function contentHeadersOf(sp: SourceProperties, contentMD5?: string): ContentHeaders {
  return {
    contentType: sp.contentType,
    contentEncoding: sp.contentEncoding,
    contentLanguage: sp.contentLanguage,
    contentDisposition: sp.contentDisposition,
    cacheControl: sp.cacheControl,
    contentMD5: contentMD5 ? Buffer.from(contentMD5, 'base64') : undefined,
  };
}

/** SourceProperties from a listing item's properties (tags only when the listing asked for them). */
export function sourcePropertiesOf(
  p: ContentHeaders & { accessTier?: string; accessTierInferred?: boolean },
  metadata: Metadata | undefined,
  tags: Record<string, string> | undefined,
  tagsKnown: boolean,
): SourceProperties {
  return {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    contentLanguage: p.contentLanguage,
    contentDisposition: p.contentDisposition,
    cacheControl: p.cacheControl,
    metadata: metadata ?? {},
    tags: tagsKnown ? (tags ?? {}) : undefined,
    tagsKnown,
    accessTier: p.accessTier && !p.accessTierInferred ? p.accessTier : undefined,
  };
}

/** Does the destination (HEAD) differ from the headers the copy wants? */
export function headersDiffer(dest: ContentHeaders, want: BlobHTTPHeaders): boolean {
  return (
    (dest.contentType ?? '') !== (want.blobContentType ?? '') ||
    (dest.contentEncoding ?? '') !== (want.blobContentEncoding ?? '') ||
    (dest.contentLanguage ?? '') !== (want.blobContentLanguage ?? '') ||
    (dest.contentDisposition ?? '') !== (want.blobContentDisposition ?? '') ||
    (dest.cacheControl ?? '') !== (want.blobCacheControl ?? '') ||
    (want.blobContentMD5 !== undefined && md5b64(dest.contentMD5) !== md5b64(want.blobContentMD5))
  );
}

/** Metadata equal up to key case (the service lower-cases nothing, but HTTP headers are case-insensitive). */
export function sameMetadata(a: Metadata = {}, b: Metadata = {}): boolean {
  const lower = (m: Metadata) => new Map(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));
  const la = lower(a);
  const lb = lower(b);
  if (la.size !== lb.size) return false;
  for (const [k, v] of la) if (lb.get(k) !== v) return false;
  return true;
}
