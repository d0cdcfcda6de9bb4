/**
 * Copy Blob (`beginCopyFromURL`): the service copies in the background. Within one account it references the source
 * without moving bytes; it can stay "pending", be polled and be aborted (`abortCopyFromURL`).
 */
import type { BlobBeginCopyFromUrlPollState } from '@azure/storage-blob';
import { CopyError } from '../base/errors';
import { sleep } from '../base/outage';
import { pinnedSource } from './shared';
import type { CopyOperationModule, OperationContext, ProgressOf } from './types';

const POLL_MIN_MS = 200;
const POLL_MAX_MS = 5000;
/** A pending Copy Blob is polled at most this long (then the job fails; abort or retry it). */
const POLL_LIMIT_MS = 7 * 24 * 3600 * 1000;

type Ctx = OperationContext<ProgressOf<'copy-blob'>>;

async function poll(ctx: Ctx, copyId: string): Promise<void> {
  ctx.markPending();
  let delay = POLL_MIN_MS;
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (Date.now() < deadline) {
    await sleep(delay, ctx.signal);
    delay = Math.min(POLL_MAX_MS, Math.round(delay * 1.5));
    const props = await ctx.dest.client().getProperties({ abortSignal: ctx.signal });
    if (props.copyId && props.copyId !== copyId) {
      throw new CopyError({ message: `${ctx.what}: another copy replaced this one at the destination.`, code: 'CopyReplaced' });
    }
    const m = /^(\d+)\/(\d+)$/.exec(props.copyProgress ?? '');
    if (m) ctx.setBytes(Number(m[1]));
    switch (props.copyStatus) {
      case 'success':
        return;
      case 'aborted':
        throw new CopyError({ message: `${ctx.what}: the copy was aborted.`, code: 'CopyAborted' });
      case 'failed':
        throw new CopyError({ message: `${ctx.what}: the service reports the copy failed: ${props.copyStatusDescription ?? 'no reason given'}.`, code: 'CopyFailed', requestId: props.requestId });
      default:
        break;
    }
  }
  throw new CopyError({ message: `${ctx.what}: the copy is still pending after the polling limit.`, hint: 'Abort it or check the destination later.', code: 'CopyTimeout' });
}

export const copyBlob: CopyOperationModule<'copy-blob'> = {
  id: 'copy-blob',
  initial: () => ({ op: 'copy-blob' }),
  calls: () => [['Copy Blob', 1]],
  polls: true,
  async abort(dest, progress) {
    if (progress.copyId) await dest.abortCopyFromURL(progress.copyId);
  },

  async run(ctx) {
    const { signal, progress: p } = ctx;
    const dest = ctx.dest.client();
    if (p.copyId) {
      // Resuming: the copy may have finished (or still run) while no engine watched it.
      const cur = await dest.getProperties({ abortSignal: signal }).catch(() => undefined);
      if (cur && cur.copyId === p.copyId) {
        if (cur.copyStatus === 'success') return { complete: false };
        if (cur.copyStatus === 'pending') {
          await poll(ctx, p.copyId);
          return { complete: false };
        }
      }
      p.copyId = undefined;
    }
    const poller = await dest.beginCopyFromURL(ctx.access.url, {
      metadata: ctx.metadata,
      tier: ctx.tier,
      rehydratePriority: ctx.item.rehydrate === 'high' ? 'High' : ctx.item.rehydrate === 'standard' ? 'Standard' : undefined,
      conditions: ctx.destConditions,
      sourceConditions: pinnedSource(ctx),
      abortSignal: signal,
    });
    const state = poller.getOperationState() as BlobBeginCopyFromUrlPollState;
    p.copyId = state.copyId;
    ctx.persist();
    if (state.isCompleted) {
      // The service copied in its first response (small blobs, same account): nothing to poll. The copy read the
      // ETag-pinned source with its content headers and took metadata and tier from this request, so only tags
      // (which Copy Blob does not carry here) leave the destination to complete.
      if (state.error) throw state.error;
      return { complete: state.result?.copyStatus === 'success' && !(ctx.tags && Object.keys(ctx.tags).length > 0) };
    }
    await poll(ctx, p.copyId!);
    return { complete: false };
  },

  leavesPartial: (p, outcome, wasPending) => p.copyId !== undefined && !(outcome === 'failed' && !wasPending),
  async cleanup(ctx, outcome, wasPending) {
    const p = ctx.progress;
    if (!p.copyId || !copyBlob.leavesPartial!(p, outcome, wasPending)) return;
    if (outcome === 'canceled') await ctx.dest.client().abortCopyFromURL(p.copyId).catch(() => undefined);
    await ctx.dest.client().deleteIfExists();
    p.copyId = undefined;
  },
};

/** The copy id of a pending Copy Blob (what Abort needs), if the progress has one. */
export function pendingCopyId(progress: { op: string; copyId?: string }): string | undefined {
  return progress.op === 'copy-blob' ? progress.copyId : undefined;
}
