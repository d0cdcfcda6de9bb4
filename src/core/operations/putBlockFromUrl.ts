/**
 * Put Block From URL + Put Block List (`stageBlockFromURL`, `commitBlockList`): parallel ranges, resumable (the
 * journal keeps which blocks are staged; the service's uncommitted block list is the truth), nothing visible
 * before the commit.
 */
import type { BlockBlobClient } from '@azure/storage-blob';
import { restDetails } from '../base/errors';
import { assertSourceUnchanged, forEachRange, sourceAuthorization } from './shared';
import type { CopyOperationModule, OperationContext, ProgressOf } from './types';
import { blockSizeFor } from './sizes';

export { blockSizeFor } from './sizes';

/** Block ids unique to a job and a generation (a new generation after a source change never reuses an id). */
export function blockId(jobId: string, generation: number, index: number): string {
  const raw = `bc-${jobId.replace(/-/g, '').slice(0, 24)}-g${String(generation).padStart(3, '0')}-${String(index).padStart(6, '0')}`;
  return Buffer.from(raw).toString('base64');
}

/** True when the destination's committed block list is exactly `ids` (block ids are unique to a job). */
async function committedIs(block: BlockBlobClient, ids: readonly string[]): Promise<boolean> {
  const list = await block.getBlockList('committed').catch(() => undefined);
  const committed = list?.committedBlocks?.map((b) => b.name) ?? [];
  return committed.length === ids.length && committed.every((name, i) => name === ids[i]);
}

/** The staged blocks the service still holds with the right size (a crash may have lost some; 7 days collects them). */
async function stillStaged(ctx: OperationContext<ProgressOf<'put-block-from-url'>>, block: BlockBlobClient, ids: readonly string[], bs: number): Promise<Set<number>> {
  const staged = new Set<number>(ctx.progress.staged);
  if (staged.size === 0) return staged;
  const size = ctx.item.size;
  try {
    const list = await block.getBlockList('uncommitted', { abortSignal: ctx.signal });
    const have = new Map((list.uncommittedBlocks ?? []).map((b) => [b.name, b.size]));
    staged.clear();
    ids.forEach((id, i) => {
      if (have.get(id) === Math.min(bs, size - i * bs)) staged.add(i);
    });
  } catch (e) {
    // 404: the service holds no uncommitted block under this name (lost in a crash, or collected after 7 days):
    // trusting the journal would commit ids the service does not have (InvalidBlockList on every retry).
    if (restDetails(e).status === 404) staged.clear();
    /* any other failure: keep the journal's view */
  }
  ctx.log.info(`${ctx.what}: resuming, ${staged.size} of ${ids.length} blocks already staged.`);
  return staged;
}

export const putBlockFromUrl: CopyOperationModule<'put-block-from-url'> = {
  id: 'put-block-from-url',
  initial: () => ({ op: 'put-block-from-url', staged: [] }),
  calls: (size, blockSizeBytes) => [
    ['Put Block From URL', Math.ceil(size / blockSizeFor(size, blockSizeBytes))],
    ['Put Block List', 1],
    ['Get Blob Properties', 1], // the source ETag after staging (assertSourceUnchanged)
  ],

  async run(ctx) {
    const { item, signal, progress: p } = ctx;
    const block = ctx.dest.client().getBlockBlobClient();
    const size = item.size;
    if (!p.blockSize || !p.blockCount) {
      p.blockSize = blockSizeFor(size, ctx.blockSize);
      p.blockCount = Math.ceil(size / p.blockSize);
      p.staged = [];
    }
    const bs = p.blockSize;
    const ids = Array.from({ length: p.blockCount }, (_, i) => blockId(ctx.jobId, ctx.generation, i));
    const staged = await stillStaged(ctx, block, ids, bs);
    p.staged = [...staged].sort((a, b) => a - b);
    ctx.setBytes(p.staged.reduce((n, i) => n + Math.min(bs, size - i * bs), 0));
    const missing = ids.map((_, i) => i).filter((i) => !staged.has(i));
    await forEachRange(missing, ctx.rangeConcurrency, signal, async (i, sig) => {
      const offset = i * bs;
      const len = Math.min(bs, size - offset);
      await block.stageBlockFromURL(ids[i], ctx.access.url, offset, len, { sourceAuthorization: sourceAuthorization(ctx), abortSignal: sig });
      p.staged.push(i);
      ctx.addBytes(len);
    });
    // ETags change on every write: the same ETag before and after staging means every block read one version.
    await assertSourceUnchanged(ctx);
    signal.throwIfAborted();
    // Not abortable: a commit canceled in flight may still land at the service, leaving a "canceled" job whose
    // destination exists. The call is short; a cancel during it lets it finish and the job completes.
    try {
      await block.commitBlockList(ids, { blobHTTPHeaders: ctx.headers, metadata: ctx.metadata, tier: ctx.tier, conditions: ctx.destConditions });
    } catch (e) {
      // With If-None-Match: * (policy skip) a commit whose response was lost is retried by the SDK and answered 409:
      // the blob that "already exists" is ours when its committed blocks are exactly this job's block ids.
      if (restDetails(e).status !== 409 || !(await committedIs(block, ids))) throw e;
      ctx.log.info(`${ctx.what}: the commit's response was lost; the destination holds exactly this copy's blocks.`);
    }
    return { complete: false };
  },
  // Nothing to clean up: nothing is committed; staged blocks stay for a retry (the service drops them after 7 days).
};
