/**
 * The checks of a "Copy from URL" source before anything is planned: the URL's form (pure), and one HEAD request
 * telling a blob from a web page pasted by mistake. No `vscode` here (plain-Node tests load it).
 */
import type { Logger } from '../../core';
import { redact } from '../../core/base/redact';
import { errorMessage } from '../logger';

/** Copy from URL takes http(s) URLs only: anything else is refused before any request. */
export function urlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `Not a URL: "${redact(text).slice(0, 80)}". Enter an http:// or https:// URL of a blob or file.`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    return `Copy from URL accepts only http:// and https:// URLs, not ${u.protocol}//: the storage service fetches the source over HTTP(S). Enter the blob's https:// URL (with a SAS when it is private).`;
  }
  if (u.username || u.password) return 'The URL carries a user name or password: the storage service cannot use them. Use a URL with a SAS instead.';
  return undefined;
}

/** The URL's last path segment, decoded: the default destination blob name. '' when there is none. */
export function lastSegment(url: string): string {
  try {
    const segs = new URL(url).pathname.split('/').filter(Boolean);
    return decodeURIComponent(segs[segs.length - 1] ?? '');
  } catch {
    return '';
  }
}

/** What a HEAD answer tells about the source (pure). */
interface HeadAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
}

/**
 * A server that answers with a web page (text/html) and none of the storage service's headers is not serving a
 * blob (a portal or login page pasted by mistake): the message saying so, else undefined.
 */
export function headProblem(url: string, answer: HeadAnswer): string | undefined {
  const type = answer.headers.get('content-type') ?? '';
  if (isStorageAnswer(answer)) return undefined;
  if (/^text\/html\b/i.test(type)) {
    return `${where(url)} answered with a web page (${answer.status}, ${type.split(';')[0]}), not a blob: it is not an Azure Storage blob URL. Copy the blob's URL (https://<account>.blob.core.windows.net/<container>/<blob>, with a SAS when it is private).`;
  }
  return undefined;
}

function isStorageAnswer(answer: HeadAnswer): boolean {
  return answer.headers.has('x-ms-request-id') || answer.headers.has('x-ms-blob-type');
}

/** The URL for messages and logs: no query (a SAS), redacted. */
function where(url: string): string {
  return redact(url.split('?')[0]);
}

/**
 * One HEAD before planning (see headProblem). Network failures are left to the planner, which reports them with
 * the service's words.
 */
export async function notStorageProblem(url: string, log: Required<Logger>, fetchImpl: typeof fetch = fetch): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetchImpl(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    log.debug(`Copy from URL: HEAD ${where(url)} failed: ${errorMessage(err)}`);
    return undefined;
  }
  const type = res.headers.get('content-type') ?? '';
  log.info(`Copy from URL: HEAD ${where(url)} → ${res.status} ${type || '(no content type)'}${isStorageAnswer(res) ? ', storage service' : ''}`);
  return headProblem(url, res);
}
