/**
 * Put Page From URL (`uploadPagesFromURL`): only the source's non-empty ranges (from `listPageRanges`), ≤ 4 MiB per
 * call, 512-aligned, in parallel; the journal keeps which chunks are copied.
 */
import { LIMITS } from '../base/limits';
import { assertSourceUnchanged, creationTime, forEachRange, isNotImplemented, ownPartial, pinnedSource, removeOwnPartial, sourceAuthorization, writesOn } from './shared';
import type { CopyOperationModule } from './types';

export const putPageFromUrl: CopyOperationModule<'put-page-from-url'> = {
  id: 'put-page-from-url',
  initial: () => ({ op: 'put-page-from-url', created: false, copiedPages: [] }),
  // One Put Page From URL per non-empty 4 MiB chunk of the source: unknown until its page ranges are listed.
  calls: (size) => [
    ...(size > 0 ? ([['Get Page Ranges', 1]] as const) : []),
    ['Put Blob', 1], // creates the page blob
    ['Put Page From URL', 0, Math.ceil(size / LIMITS.putPageMaxBytes)],
    ['Get Blob Properties', 2], // the created blob's creation time (ownPartial), and the verification
  ],
  probed: true,

  async run(ctx) {
    const { item, signal, progress: p } = ctx;
    const pageDest = ctx.dest.client().getPageBlobClient();
    // listPageRanges yields inclusive {start, end} (getPageRanges' count is end - start, one short).
    const chunks: Array<{ offset: number; count: number }> = [];
    // An empty page blob has no ranges, and a range request for it ("bytes=0-") is answered 416: nothing to list.
    if (item.size > 0) {
      for await (const r of ctx.source().getPageBlobClient().listPageRanges(0, item.size, { conditions: pinnedSource(ctx), abortSignal: signal })) {
        const end = r.end + 1;
        for (let o = r.start; o < end; o += LIMITS.putPageMaxBytes) chunks.push({ offset: o, count: Math.min(LIMITS.putPageMaxBytes, end - o) });
      }
    }
    const copied = new Set<number>(p.created ? p.copiedPages : []);
    if (p.created) {
      // Resumed: write on only into the blob this copy created (someone may have written the destination anew since).
      if (!writesOn(ctx, await ownPartial(pageDest, p, signal))) {
        p.created = false;
        copied.clear();
      }
    }
    if (!p.created) {
      await pageDest.create(item.size, { blobHTTPHeaders: ctx.headers, metadata: ctx.metadata, conditions: ctx.destConditions, abortSignal: signal });
      p.created = true;
      p.createdAt = await creationTime(pageDest, signal);
      copied.clear();
    }
    p.copiedPages = [...copied];
    ctx.persist();
    const sparseBytes = chunks.reduce((n, c) => n + c.count, 0);
    // Progress counts the whole blob: empty ranges are "copied" by creating the blob.
    const done = () => item.size - sparseBytes + p.copiedPages.reduce((n, i) => n + chunks[i].count, 0);
    ctx.setBytes(done());
    const todo = chunks.map((_, i) => i).filter((i) => !copied.has(i));
    try {
      await forEachRange(todo, ctx.rangeConcurrency, signal, async (i, sig) => {
        const c = chunks[i];
        await pageDest.uploadPagesFromURL(ctx.access.url, c.offset, c.offset, c.count, {
          sourceConditions: pinnedSource(ctx),
          sourceAuthorization: sourceAuthorization(ctx),
          abortSignal: sig,
        });
        p.copiedPages.push(i);
        ctx.setBytes(done());
      });
    } catch (e) {
      if (isNotImplemented(e) && p.copiedPages.length === 0) {
        await pageDest.deleteIfExists().catch(() => undefined);
        p.created = false;
      }
      throw e;
    }
    await assertSourceUnchanged(ctx);
    return { complete: false };
  },

  leavesPartial: (p) => p.created === true,
  async cleanup(ctx) {
    const p = ctx.progress;
    if (!p.created) return;
    const kept = await removeOwnPartial(ctx.dest.client(), p, ctx.log, ctx.what);
    p.created = false;
    p.copiedPages = [];
    ctx.setBytes(0);
    return kept;
  },
};
