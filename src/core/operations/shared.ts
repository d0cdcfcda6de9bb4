/** Helpers the operation modules share: source pinning, 501 detection, bounded parallel ranges. */
import pLimit from 'p-limit';
import { CopyError, restDetails, toCopyError } from '../base/errors';
import { normalizeEtag } from '../base/headers';
import type { BlobClient } from '@azure/storage-blob';
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

/**
 * The creation time (x-ms-creation-time, ms) of the blob an append or page copy just created: journaled, it tells that
 * blob from one someone else writes there anew later (ownPartial). Undefined where the service does not say.
 */
export async function creationTime(dest: BlobClient, signal: AbortSignal): Promise<number | undefined> {
  return (await dest.getProperties({ abortSignal: signal })).createdOn?.getTime();
}

/** The partial blob a copy created, as it is now. */
interface OwnBlob {
  readonly etag?: string;
  readonly contentLength?: number;
}

/**
 * The blob an append or page copy created and writes piece by piece (`created`, `createdAt`: its creation time,
 * journaled), as it is at the destination now: its ETag while it is still that blob, 'replaced' when the
 * destination is another blob since (someone wrote it anew: its creation time differs), 'gone' when there is none.
 * Nothing is appended onto, or removed from, a blob this copy did not create.
 */
export async function ownPartial(
  dest: BlobClient,
  p: { readonly createdAt?: number },
  signal?: AbortSignal,
): Promise<OwnBlob | 'replaced' | 'gone'> {
  let props;
  try {
    props = await dest.getProperties({ abortSignal: signal });
  } catch (e) {
    if (restDetails(e).status === 404) return 'gone';
    throw e;
  }
  // The same header read right after the copy's Put Blob (to the second: a blob written anew within that second is
  // not told apart). A journal from before this check has no createdAt: the blob is taken as this copy's, as before.
  if (p.createdAt !== undefined && props.createdOn && props.createdOn.getTime() !== p.createdAt) return 'replaced';
  return { etag: props.etag, contentLength: props.contentLength };
}

/**
 * A resumed append or page copy's decision on what ownPartial found: write on into its own blob (true), or start over
 * (false; said when the destination was written anew by someone else).
 */
export function writesOn(ctx: Pick<OperationContext, 'log' | 'what'>, found: OwnBlob | 'replaced' | 'gone'): found is OwnBlob {
  if (found === 'replaced') ctx.log.info(`${ctx.what}: the destination was written anew since this copy created it: starting over (the conflict policy decides).`);
  return typeof found === 'object';
}

/** Removes the partial blob this copy created (ownPartial), only while it is that blob and unchanged since it was read. */
export async function removeOwnPartial(dest: BlobClient, p: { readonly createdAt?: number }, log: { warn(m: string): void }, what: string): Promise<'kept' | void> {
  const mine = await ownPartial(dest, p);
  if (mine === 'gone') return;
  if (mine === 'replaced') {
    log.warn(`${what}: the destination was written anew by someone else since this copy created it: left as it is (not removed).`);
    return 'kept';
  }
  try {
    await dest.delete({ conditions: mine.etag ? { ifMatch: mine.etag } : undefined });
  } catch (e) {
    const d = restDetails(e);
    if (d.status === 404) return;
    if (d.status === 412) {
      log.warn(`${what}: the destination changed while its partial copy was being removed: left as it is (not removed).`);
      return 'kept';
    }
    throw e;
  }
}
