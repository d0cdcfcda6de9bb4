/**
 * The ONE redaction function. Every message the engine logs, throws or puts in a snapshot goes through it.
 * Removes: SAS signatures and other SAS query parameters, AccountKey= values, Authorization headers,
 * SharedKey / Bearer credentials, and x-ms-copy-source-authorization values.
 */

import type { BlobLocation, CopySource } from './types';

/** Query parameters that make up (or reveal) a SAS token. The value is replaced; the name stays for diagnosis. */
const SAS_PARAMS = ['sig', 'se', 'st', 'sp', 'sv', 'sr', 'ss', 'srt', 'spr', 'sip', 'si', 'skoid', 'sktid', 'skt', 'ske', 'sks', 'skv', 'saoid', 'suoid', 'scid', 'sdd', 'ses', 'rscc', 'rscd', 'rsce', 'rscl', 'rsct'];
const SAS_RE = new RegExp(`([?&;](?:${SAS_PARAMS.join('|')})=)[^&\\s"'<>;]*`, 'gi');

const REDACTED = 'REDACTED';

export function redact(text: string): string {
  if (!text) return text;
  let out = String(text);
  // SAS parameters in URLs or bare tokens ("sv=...&sig=..." at the start of a string).
  out = out.replace(SAS_RE, `$1${REDACTED}`);
  out = out.replace(/(^|\s)((?:sig|sv|se|sp)=)[^&\s"'<>;]*/gi, `$1$2${REDACTED}`);
  // Percent-encoded signature inside an encoded URL (e.g. in x-ms-copy-source echoed back).
  out = out.replace(/((?:%3F|%26)sig%3D)[^&\s"'<>;%]*(?:%[0-9A-F]{2}[^&\s"'<>;%]*)*/gi, `$1${REDACTED}`);
  // Connection strings.
  out = out.replace(/(AccountKey\s*=\s*)[^;\s"']*/gi, `$1${REDACTED}`);
  out = out.replace(/(SharedAccessSignature\s*=\s*)[^;\s"']*/gi, `$1${REDACTED}`);
  // Account keys in JSON or code ("accountKey": "…", accountKey: '…'), e.g. a serialized connection spec.
  out = out.replace(/(["']?account_?key["']?\s*:\s*["'])[^"'\r\n]*/gi, `$1${REDACTED}`);
  // A bare account key anywhere: 88 base64 characters with padding (Azure keys are 64 random bytes: "…==").
  out = out.replace(/(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{86}(?:==|[A-Za-z0-9+/]=)(?![A-Za-z0-9+/=])/g, `$1${REDACTED}`);
  // Headers and credentials.
  out = out.replace(/((?:x-ms-copy-source-authorization|authorization|proxy-authorization)["']?\s*[:=]\s*["']?)[^"'\r\n,}]*/gi, `$1${REDACTED}`);
  out = out.replace(/\b(SharedKey(?:Lite)?\s+[^:\s"']+:)[A-Za-z0-9+/=]+/g, `$1${REDACTED}`);
  out = out.replace(/\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, `$1${REDACTED}`);
  return out;
}

/** A copy source as messages name it: `container/path`, or its URL without the query (a SAS), redacted. */
export function describeSource(s: CopySource): string {
  return s.kind === 'url' ? redact(s.url.split('?')[0]) : describeLocation(s.location);
}

/** A blob location as messages name it: `container/path`. */
export function describeLocation(l: Pick<BlobLocation, 'container' | 'path'>): string {
  return `${l.container}/${l.path}`;
}
