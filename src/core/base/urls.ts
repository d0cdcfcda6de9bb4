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

/** Names of this machine: an account reached through any of them on one port is one account. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127(\.\d+){3}$/.test(hostname) || hostname === '[::1]';
}

/**
 * "origin/account" key: two endpoints with the same key are the same storage account. Loopback names (localhost,
 * 127.0.0.1, [::1]) are one host, so the emulator's account reached through two of them is still one account.
 */
export function accountKey(endpoint: string): string {
  const u = new URL(endpoint);
  const pathStyle = isPathStyleHost(u.hostname);
  const account = pathStyle ? decodeURIComponent(u.pathname.split('/').filter(Boolean)[0] ?? '') : u.hostname.split('.')[0];
  const origin = isLoopback(u.hostname) ? `${u.protocol}//loopback:${u.port || (u.protocol === 'https:' ? '443' : '80')}` : u.origin.toLowerCase();
  return `${origin}/${account.toLowerCase()}`;
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

/** A blob name as a URL path, as the SDK escapes it (EscapePath in @azure/storage-blob): each "/"-separated segment URI-encoded. */
export function escapePath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}
