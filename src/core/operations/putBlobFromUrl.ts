/** Put Blob From URL (`syncUploadFromURL`): one synchronous call, block blobs ≤ 5000 MiB. */
import { CopyError } from '../base/errors';
import { LIMITS } from '../base/limits';
import { oneCallOptions } from './oneCall';
import type { CopyOperationModule } from './types';

export const putBlobFromUrl: CopyOperationModule<'put-blob-from-url'> = {
  id: 'put-blob-from-url',
  initial: () => ({ op: 'put-blob-from-url' }),
  calls: () => [['Put Blob From URL', 1]],
  oneCall: true,
  probed: true,
  async run(ctx) {
    if (ctx.item.size > LIMITS.putBlobFromUrlMaxBytes) throw new CopyError({ message: `${ctx.what}: Put Blob From URL copies at most 5000 MiB.` });
    // The request BlockBlobClient.syncUploadFromURL sends with these options, without building a client (blobRequests.ts).
    await ctx.dest.putFromUrl(ctx.access.url, { ...oneCallOptions(ctx), blobHTTPHeaders: ctx.headers });
    // Headers, metadata, tier and tags were all in this request; the content is the ETag-pinned source.
    return { complete: true };
  },
};
