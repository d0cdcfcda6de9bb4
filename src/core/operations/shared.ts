/** Helpers the operation modules share: source pinning, 501 detection, bounded parallel ranges. */
import pLimit from 'p-limit';
import { CopyError, restDetails, toCopyError } from '../base/errors';
import { normalizeEtag } from '../base/headers';
import type { OperationContext } from './types';

export function isNotImplemented(err: unknown): boolean {
  const d = restDetails(err);
  return d.status === 501 || d.code === 'APINotImplemented' || d.code === 'NotImplemented';
}

/** Source conditions that pin the source to the ETag seen at planning (a changed source answers 412). */
export function pinnedSource(ctx: OperationContext): { ifMatch: string } | undefined {
  return ctx.etag ? { ifMatch: ctx.etag } : undefined;
}

/** x-ms-copy-source-authorization for the From-URL calls, when the source is read with a bearer token. */
export function sourceAuthorization(ctx: OperationContext): { scheme: string; value: string } | undefined {
  return ctx.access.authorization;
}

/** Fails with SourceChanged when the source's ETag is no longer the pinned one (after multi-call copies). */
export async function assertSourceUnchanged(ctx: OperationContext): Promise<void> {
  let etag: string | undefined;
  try {
    etag = normalizeEtag((await ctx.source().getProperties({ abortSignal: ctx.signal })).etag);
  } catch (e) {
    throw toCopyError(e, `${ctx.what}: read the source`, 'source');
  }
  if (etag !== ctx.etag) {
    throw new CopyError({ message: `${ctx.what}: the source changed during the copy.`, hint: 'Retry the job to copy the new version.', status: 412, code: 'SourceChanged' });
  }
}

/** Runs fn over items with at most `concurrency` in flight; the first failure stops the rest and is thrown. */
export async function forEachRange<T>(items: readonly T[], concurrency: number, signal: AbortSignal, fn: (x: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const limit = pLimit(concurrency);
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let first: unknown;
  try {
    await Promise.all(
      items.map((x) =>
        limit(async () => {
          if (inner.signal.aborted) return;
          try {
            await fn(x, inner.signal);
          } catch (e) {
            if (first === undefined) first = e;
            inner.abort();
          }
        }),
      ),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  signal.throwIfAborted();
  if (first !== undefined) throw first;
}
