/** Copy Blob From URL (x-ms-requires-sync): one synchronous call, block blobs ≤ 256 MiB. */
import { CopyError } from '../base/errors';
import { LIMITS } from '../base/limits';
import { oneCallOptions } from './oneCall';
import type { CopyOperationModule } from './types';

export const copyBlobFromUrl: CopyOperationModule<'copy-blob-from-url'> = {
  id: 'copy-blob-from-url',
  initial: () => ({ op: 'copy-blob-from-url' }),
  calls: () => [['Copy Blob From URL', 1]],
  oneCall: true,
  async run(ctx) {
    if (ctx.item.size > LIMITS.syncCopyFromUrlMaxBytes) throw new CopyError({ message: `${ctx.what}: Copy Blob From URL copies at most 256 MiB.` });
    // The request BlobClient.syncCopyFromURL sends with these options, without building a BlobClient (blobRequests.ts).
    const answer = await ctx.dest.copyFromUrl(ctx.access.url, oneCallOptions(ctx));
    // The REST reference's only status for this synchronous copy is "success": anything else is not a copy done.
    if (answer.copyStatus !== undefined && answer.copyStatus !== 'success') {
      throw new CopyError({ message: `${ctx.what}: the service answered the synchronous copy with status "${answer.copyStatus}".`, code: 'CopyFailed', requestId: answer.requestId });
    }
    // The service copied the ETag-pinned source with its content headers (Copy Blob From URL takes them from the
    // source) and set metadata, tier and tags from this request.
    return { complete: true };
  },
};
