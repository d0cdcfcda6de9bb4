/**
 * Append Block From URL (`appendBlockFromURL`): sequential chunks (4 MiB; more for a blob past 50,000 of them, see
 * appendChunkFor), each guarded by the append position, so a retried call can never append twice. Resumes at the
 * destination's current length.
 */
import { restDetails } from '../base/errors';
import { assertSourceUnchanged, creationTime, isNotImplemented, ownPartial, pinnedSource, removeOwnPartial, sourceAuthorization, writesOn } from './shared';
import type { CopyOperationModule } from './types';
import { appendChunkFor } from './sizes';


export const appendBlockFromUrl: CopyOperationModule<'append-block-from-url'> = {
  id: 'append-block-from-url',
  initial: () => ({ op: 'append-block-from-url', created: false, appendedOffset: 0 }),
  calls: (size) => [
    ['Put Blob', 1], // creates the append blob
    ['Append Block From URL', Math.ceil(size / appendChunkFor(size))],
    ['Get Blob Properties', 2], // the created blob's creation time (ownPartial), and the verification
  ],
  probed: true,

  async run(ctx) {
    const { item, signal, progress: p } = ctx;
    const append = ctx.dest.client().getAppendBlobClient();
    let offset = 0;
    if (p.created) {
      // Resumed: append on only to the blob this copy created (someone may have written the destination anew since).
      const cur = await ownPartial(append, p, signal).catch(() => 'gone' as const);
      if (writesOn(ctx, cur)) offset = cur.contentLength ?? 0;
      else p.created = false;
    }
    if (!p.created) {
      await append.create({ blobHTTPHeaders: ctx.headers, metadata: ctx.metadata, conditions: ctx.destConditions, abortSignal: signal });
      p.created = true;
      p.createdAt = await creationTime(append, signal);
      offset = 0;
    }
    p.appendedOffset = offset;
    ctx.setBytes(offset);
    ctx.persist();
    const chunk = appendChunkFor(item.size);
    try {
      while (offset < item.size) {
        signal.throwIfAborted();
        const len = Math.min(chunk, item.size - offset);
        try {
          // appendPosition: a retried call whose first try landed cannot append twice; maxSize: never past the source.
          await append.appendBlockFromURL(ctx.access.url, offset, len, {
            conditions: { appendPosition: offset, maxSize: item.size },
            sourceConditions: pinnedSource(ctx),
            sourceAuthorization: sourceAuthorization(ctx),
            abortSignal: signal,
          });
        } catch (e) {
          if (!(await landedBefore(e, offset + len))) throw e;
          ctx.log.info(`${ctx.what}: the append at offset ${offset} had landed before its response was lost; continuing.`);
        }
        offset += len;
        p.appendedOffset = offset;
        ctx.setBytes(offset);
      }
    } catch (e) {
      if (isNotImplemented(e) && offset === 0) {
        // We created an empty append blob for an operation the server lacks: remove it before falling back.
        await append.deleteIfExists().catch(() => undefined);
        p.created = false;
      }
      throw e;
    }
    await assertSourceUnchanged(ctx);
    return { complete: false };

    /** A 412 on the append position after a retry: did our own earlier try append exactly this chunk? */
    async function landedBefore(e: unknown, end: number): Promise<boolean> {
      const d = restDetails(e);
      if (d.status !== 412 || d.code !== 'AppendPositionConditionNotMet') return false;
      const cur = await append.getProperties({ abortSignal: signal }).catch(() => undefined);
      return cur?.contentLength === end;
    }
  },

  leavesPartial: (p) => p.created === true,
  async cleanup(ctx) {
    const p = ctx.progress;
    if (!p.created) return;
    const kept = await removeOwnPartial(ctx.dest.client(), p, ctx.log, ctx.what);
    p.created = false;
    p.appendedOffset = 0;
    ctx.setBytes(0);
    return kept;
  },
};
