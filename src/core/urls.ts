/** Blob URL parsing shared by the planner and the engine (path-style emulator URLs and virtual-host Azure URLs). */

export interface ParsedBlobUrl {
  /** Blob endpoint without query, without trailing slash (path-style includes the account). */
  readonly endpoint: string;
  readonly accountName: string;
  readonly container: string;
  /** Blob name, or prefix ending in "/", or "". */
  readonly path: string;
  /** Query string without "?", or undefined. */
  readonly query?: string;
}

function isPathStyleHost(hostname: string): boolean {
  return /^(\d+\.){3}\d+$/.test(hostname) || hostname === 'localhost' || hostname.startsWith('[');
}

export function parseBlobUrl(url: string): ParsedBlobUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('Not a URL: expected https://<account>.blob.core.windows.net/<container>/<blob>.');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('A source URL must start with https:// (or http:// for the emulator).');
  const pathStyle = isPathStyleHost(u.hostname);
  // Keep the raw segments: a blob name may contain "%2F"-free "/" and encoded "#", "?", "%".
  const raw = u.pathname.replace(/^\//, '');
  const segments = raw.split('/');
  let accountName: string;
  let rest: string[];
  if (pathStyle) {
    accountName = decodeURIComponent(segments[0] ?? '');
    rest = segments.slice(1);
  } else {
    accountName = u.hostname.split('.')[0];
    rest = segments;
  }
  const container = decodeURIComponent(rest[0] ?? '');
  const path = rest.slice(1).map((s) => decodeURIComponent(s)).join('/');
  const endpoint = `${u.protocol}//${u.host}${pathStyle ? `/${encodeURIComponent(accountName)}` : ''}`;
  const query = u.search.replace(/^\?/, '') || undefined;
  return { endpoint, accountName, container, path, query };
}

/** "origin/account" key: two endpoints with the same key are the same storage account. */
export function accountKey(endpoint: string): string {
  const u = new URL(endpoint);
  const pathStyle = isPathStyleHost(u.hostname);
  const account = pathStyle ? decodeURIComponent(u.pathname.split('/').filter(Boolean)[0] ?? '') : u.hostname.split('.')[0];
  return `${u.origin.toLowerCase()}/${account.toLowerCase()}`;
}

const origins = new Map<string, string>();
/** The endpoint's origin, lower case (asked once per copy attempt: remembered, a URL parse each was measurable). */
export function originOf(endpoint: string): string {
  let o = origins.get(endpoint);
  if (o === undefined) {
    o = new URL(endpoint).origin.toLowerCase();
    if (origins.size >= 1000) origins.clear();
    origins.set(endpoint, o);
  }
  return o;
}
