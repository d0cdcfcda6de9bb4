/**
 * After every operation that did not carry everything in one request: set what the operation may not have
 * (content headers, metadata, tags, tier), then verify the destination's length and Content-MD5.
 */
import type { BlobClient, BlobHTTPHeaders, Metadata, Tags } from '@azure/storage-blob';
import { CopyError } from '../base/errors';
import { headersDiffer, md5b64, sameMetadata } from '../base/headers';

interface VerifyTarget {
  readonly dest: BlobClient;
  readonly size: number;
  readonly headers: BlobHTTPHeaders;
  readonly metadata: Metadata;
  readonly tags?: Tags;
  readonly tier?: string;
  readonly what: string;
  readonly signal: AbortSignal;
}

/**
 * What differs between a destination's length and Content-MD5 and the source's, in words; undefined when neither does
 * (without the source's MD5, the length alone).
 */
export function contentProblem(props: { contentLength?: number; contentMD5?: Uint8Array }, size: number, md5: string | undefined): string | undefined {
  if ((props.contentLength ?? -1) !== size) return `the destination has ${props.contentLength} bytes, the source ${size}`;
  return md5 && md5b64(props.contentMD5) !== md5 ? "the destination's Content-MD5 differs from the source's" : undefined;
}

export async function completeAndVerify(t: VerifyTarget): Promise<void> {
  const { dest, signal, headers } = t;
  let props = await dest.getProperties({ abortSignal: signal });
  const differ = headersDiffer(props, headers);
  if (differ) await dest.setHTTPHeaders(headers, { abortSignal: signal });
  if (!sameMetadata(props.metadata, t.metadata)) await dest.setMetadata(t.metadata, { abortSignal: signal });
  if (t.tags && Object.keys(t.tags).length) await dest.setTags(t.tags, { abortSignal: signal });
  if (t.tier && props.accessTier !== t.tier) await dest.setAccessTier(t.tier, { abortSignal: signal });
  if (differ) props = await dest.getProperties({ abortSignal: signal });
  if ((props.contentLength ?? 0) !== t.size) {
    throw new CopyError({
      message: `${t.what}: the destination has ${props.contentLength} bytes, the source ${t.size}.`,
      hint: 'Retry the job.',
      code: 'LengthMismatch',
      requestId: props.requestId,
    });
  }
  const srcMd5 = md5b64(headers.blobContentMD5);
  if (srcMd5 && md5b64(props.contentMD5) !== srcMd5) {
    throw new CopyError({ message: `${t.what}: the destination's Content-MD5 differs from the source's.`, hint: 'Retry the job.', code: 'Md5Mismatch', requestId: props.requestId });
  }
}
