/** The option bag both one-call copies (Copy Blob From URL, Put Blob From URL) send besides the source. */
import { pinnedSource, sourceAuthorization } from './shared';
import type { OperationContext } from './types';

/**
 * Metadata, tier and tags for the destination, its conditions, the source pinned to its ETag, the source MD5 for
 * the service to check, and the bearer source authorization when the source is read with a token.
 */
export function oneCallOptions(ctx: OperationContext) {
  return {
    metadata: ctx.metadata,
    tier: ctx.tier,
    tags: ctx.tags,
    conditions: ctx.destConditions,
    sourceConditions: pinnedSource(ctx),
    sourceContentMD5: ctx.headers.blobContentMD5,
    sourceAuthorization: sourceAuthorization(ctx),
    abortSignal: ctx.signal,
  };
}
