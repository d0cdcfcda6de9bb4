/**
 * Connection strings and account names, without the storage SDK: the extension parses and names connections with
 * these at start-up, before the engine (and the SDK) is loaded. connections.ts re-exports them.
 */
import { redact } from '../base/redact';

/** The emulator's well-known development account: public, documented, not a secret. */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(host = '127.0.0.1', port = 10000): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
    `BlobEndpoint=http://${host}:${port}/${AZURITE_ACCOUNT_NAME};`
  );
}

export interface ParsedConnectionString {
  accountName?: string;
  accountKey?: string;
  blobEndpoint: string;
  sas?: string;
}

/** Parses a storage connection string; throws a clear error (never echoing the key) when it is malformed. */
export function parseConnectionString(connectionString: string): ParsedConnectionString {
  const trimmed = connectionString.trim();
  if (trimmed === 'UseDevelopmentStorage=true') {
    return { accountName: AZURITE_ACCOUNT_NAME, accountKey: AZURITE_ACCOUNT_KEY, blobEndpoint: `http://127.0.0.1:10000/${AZURITE_ACCOUNT_NAME}` };
  }
  const parts = new Map<string, string>();
  for (const segment of trimmed.split(';')) {
    if (!segment.trim()) continue;
    const eq = segment.indexOf('=');
    if (eq <= 0) {
      throw new Error('Malformed connection string: expected "Key=Value" pairs separated by ";" (e.g. "DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…").');
    }
    parts.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim());
  }
  const accountName = parts.get('accountname');
  const accountKey = parts.get('accountkey');
  const sas = parts.get('sharedaccesssignature');
  let blobEndpoint = parts.get('blobendpoint');
  if (!blobEndpoint) {
    if (!accountName) {
      throw new Error('Malformed connection string: it names neither AccountName nor BlobEndpoint.');
    }
    const protocol = parts.get('defaultendpointsprotocol') ?? 'https';
    const suffix = parts.get('endpointsuffix') ?? 'core.windows.net';
    blobEndpoint = `${protocol}://${accountName}.blob.${suffix}`;
  }
  const problem = endpointUrlProblem(blobEndpoint, parts.has('blobendpoint') ? 'BlobEndpoint' : 'The endpoint made of AccountName and EndpointSuffix');
  if (problem) throw new Error(problem);
  if (!accountName && !accountNameFromEndpoint(blobEndpoint)) {
    throw new Error(`BlobEndpoint ${JSON.stringify(redact(blobEndpoint))} names no account, and AccountName is missing (for the emulator: http://127.0.0.1:10000/devstoreaccount1).`);
  }
  if (!accountKey && !sas) {
    throw new Error('Malformed connection string: it has neither AccountKey nor SharedAccessSignature.');
  }
  if (accountKey && !/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) {
    throw new Error('Malformed connection string: AccountKey is not base64. Copy the key again from the portal (Access keys).');
  }
  return { accountName, accountKey, blobEndpoint: blobEndpoint.replace(/\/+$/, ''), sas };
}

/**
 * Why `value` is not a usable blob endpoint (an http(s) URL with a host), or undefined. `field` names where it came
 * from (BlobEndpoint, Blob endpoint…) so the message says what to fix.
 */
export function endpointUrlProblem(value: string, field: string): string | undefined {
  let u: URL | undefined;
  try {
    u = new URL(value);
  } catch {
    u = undefined;
  }
  const quoted = JSON.stringify(redact(value));
  if (!u || !u.hostname) return `${field} ${quoted} is not a valid URL (expected e.g. https://account.blob.core.windows.net).`;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `${field} ${quoted} must start with https:// (or http:// for the emulator).`;
  return undefined;
}

export function accountNameFromEndpoint(endpoint: string): string {
  const u = new URL(endpoint);
  const host = u.hostname;
  // Path-style (emulator, IP hosts): http://127.0.0.1:10000/devstoreaccount1
  if (/^(\d+\.){3}\d+$/.test(host) || host === 'localhost' || host.startsWith('[')) {
    return decodeURIComponent(u.pathname.split('/').filter(Boolean)[0] ?? '');
  }
  return host.split('.')[0];
}
