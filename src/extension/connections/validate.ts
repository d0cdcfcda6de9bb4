/** Checks a connection against its endpoint before it is saved: one cheap listing call, bounded by a timeout. */
import type { AccountClient, ConnectionSpec } from '../../core';
import { redact } from '../../core/base/redact';
import { loadCore } from '../loadCore';

const VALIDATION_TIMEOUT_MS = 10_000;

/**
 * Checks a SAS token's expiry (`se=`) before any request: an expired token gets a message that says so, instead of
 * the service's bare 403. `sas` is a query string ("sv=…&se=…&sig=…") or a URL carrying one.
 */
export function sasExpiryProblem(sas: string, now = Date.now()): string | undefined {
  const query = sas.includes('?') ? sas.slice(sas.indexOf('?') + 1) : sas;
  const se = new URLSearchParams(query).get('se');
  if (!se) return undefined;
  const expires = Date.parse(se);
  if (!Number.isFinite(expires) || expires > now) return undefined;
  const when = new Date(expires).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `The SAS token expired on ${when}: generate a new one (Azure portal › the storage account or container › Shared access signature / tokens) and add the connection again.`;
}

/** Resolves when the endpoint answers the credentials; rejects with a clear, redacted message otherwise. */
export async function validateConnection(spec: ConnectionSpec, timeoutMs = VALIDATION_TIMEOUT_MS): Promise<AccountClient> {
  let account: AccountClient;
  try {
    // No SDK retries here: a wrong port should fail in a second, not after five back-offs.
    account = loadCore().createAccountClient(spec, { retryOptions: { maxTries: 1, tryTimeoutInMs: timeoutMs } });
  } catch (err) {
    throw new Error(redact(err instanceof Error ? err.message : String(err)));
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    if (account.container) {
      const it = account.service.getContainerClient(account.container).listBlobsFlat({ abortSignal: controller.signal }).byPage({ maxPageSize: 1 });
      await it.next();
    } else {
      const it = account.service.listContainers({ abortSignal: controller.signal }).byPage({ maxPageSize: 1 });
      await it.next();
    }
    return account;
  } catch (err) {
    throw new Error(describeFailure(err, account.endpoint, controller.signal.aborted, timeoutMs));
  } finally {
    clearTimeout(timer);
  }
}

function describeFailure(err: unknown, endpoint: string, timedOut: boolean, timeoutMs: number): string {
  const e = (err ?? {}) as { statusCode?: number; code?: string; message?: string; name?: string; details?: { errorCode?: string } };
  const where = redact(endpoint);
  if (timedOut || e.name === 'AbortError') return `No answer from ${where} within ${Math.round(timeoutMs / 1000)} s: check the endpoint and the network.`;
  const code = e.details?.errorCode ?? e.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN' || (e.statusCode === undefined && /ECONNREFUSED|ENOTFOUND|getaddrinfo|connect/i.test(e.message ?? ''))) {
    return `Cannot reach ${where} (${code ?? 'connection failed'}): check the endpoint, or start the emulator.`;
  }
  if (e.statusCode === 403 || e.statusCode === 401) {
    return `${where} rejected the credentials (${e.statusCode}${code ? ` ${code}` : ''}): check the key or SAS (it needs list permission), or the account's role assignment.`;
  }
  if (e.statusCode === 404) return `${where} answered 404${code ? ` (${code})` : ''}: check the account name and the container.`;
  return redact(`Checking ${where} failed${e.statusCode ? ` (${e.statusCode}${code ? ` ${code}` : ''})` : ''}: ${(e.message ?? String(err)).split('\n')[0]}`);
}
