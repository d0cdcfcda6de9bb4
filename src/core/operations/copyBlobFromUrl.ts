/** Copy Blob From URL (`syncCopyFromURL`, x-ms-requires-sync): one synchronous call, block blobs ≤ 256 MiB. */
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
    await ctx.dest.syncCopyFromURL(ctx.access.url, oneCallOptions(ctx));
    // The service copied the ETag-pinned source with its content headers (Copy Blob From URL takes them from the
    // source) and set metadata, tier and tags from this request.
    return { complete: true };
  },
};
