/**
 * Before each attempt: the source snapshot (content headers, metadata, tags, tier, pinned ETag — from the listing on
 * a first attempt, else one HEAD), the destination's write conditions, and how the service reads the source.
 */
import { AnonymousCredential, BlobClient, type BlobServiceClient, type ContainerClient, type BlobHTTPHeaders, type Metadata, type StoragePipelineOptions, type Tags } from '@azure/storage-blob';
import type { SourceAuthorizer } from '../storage/auth';
import type { AccountClient } from '../storage/connections';
import { CopyError, toCopyError } from '../base/errors';
import { contentHeadersOf, md5b64, normalizeEtag, toHttpHeaders } from '../base/headers';
import { restartProgress, type Job } from './job';
import type { Logger } from '../base/log';
import { originOf } from '../base/urls';
import type { DestConditions, PreparedCopy } from '../operations/types';
import { BlobTarget } from '../storage/blobRequests';
import type { BlobLocation } from '../base/types';

export type { PreparedCopy } from '../operations/types';

export interface SourceDeps {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
  authorizer: SourceAuthorizer;
  log: Logger;
}


interface Snapshot {
  etag: string;
  headers: BlobHTTPHeaders;
  metadata: Metadata;
  tags?: Tags;
  tier?: string;
}

/** First attempt of a listed blob: the listing's properties are current as of its ETag, which every operation pins. */
function fromListing(job: Job): Snapshot | undefined {
  const { item } = job;
  const sp = item.sourceProperties;
  if (!sp || !sp.tagsKnown || !item.sourceEtag || job.attempts !== 1 || job.acceptNewSource || job.progress.generation !== 0) return undefined;
  return {
    etag: item.sourceEtag,
    headers: toHttpHeaders(contentHeadersOf(sp, item.contentMD5)),
    metadata: { ...(sp.metadata ?? {}) },
    tags: job.options.tags && sp.tags && Object.keys(sp.tags).length ? { ...sp.tags } : undefined,
    tier: job.options.tier && item.blobType === 'BlockBlob' ? sp.accessTier : undefined,
  };
}

/** One HEAD of the source (and its tags when it has some); a changed source fails unless the job accepts it. */
async function fromHead(deps: SourceDeps, job: Job, source: () => BlobClient, signal: AbortSignal, what: string): Promise<Snapshot> {
  let props;
  try {
    props = await source().getProperties({ abortSignal: signal });
  } catch (e) {
    throw toCopyError(e, `${what}: read the source`, 'source');
  }
  const etag = normalizeEtag(props.etag) ?? '';
  let item = job.item;
  if (item.sourceEtag && etag !== item.sourceEtag) {
    if (!job.acceptNewSource) {
      throw new CopyError({
        message: `${what}: the source changed after the copy was planned.`,
        hint: 'Retry the job to copy the new version, or plan the copy again.',
        status: 412,
        code: 'SourceChanged',
        requestId: props.requestId,
      });
    }
    restartProgress(job);
  }
  if (job.acceptNewSource || !item.sourceEtag) {
    item = {
      ...item,
      sourceEtag: etag,
      size: props.contentLength ?? 0,
      contentMD5: md5b64(props.contentMD5),
      sourceLastModified: props.lastModified?.toISOString(),
      sourceProperties: undefined,
    };
    job.item = item;
  }
  let tags: Tags | undefined;
  if (job.options.tags && (props.tagCount ?? 0) > 0) {
    try {
      tags = (await source().getTags({ abortSignal: signal })).tags;
    } catch (e) {
      deps.log.warn(`${what}: cannot read the source's tags (${toCopyError(e, 'tags').info.code ?? 'error'}); copying without them.`);
    }
  }
  return {
    etag,
    headers: toHttpHeaders(props),
    metadata: props.metadata ?? {},
    tags,
    tier: job.options.tier && item.blobType === 'BlockBlob' && props.accessTier && !props.accessTierInferred ? props.accessTier : undefined,
  };
}

/** The client of a blob at a location (its connection resolved). */
export async function blobClientAt(deps: { resolve(connectionId: string): Promise<AccountClient> }, at: BlobLocation): Promise<BlobClient> {
  const account = await deps.resolve(at.connectionId);
  return account.service.getContainerClient(at.container).getBlobClient(at.path);
}

/** Container clients by service: one per destination container, not one per blob (each builds a pipeline). */
const containers = new WeakMap<BlobServiceClient, Map<string, ContainerClient>>();
function containerClient(service: BlobServiceClient, name: string): ContainerClient {
  let byName = containers.get(service);
  if (!byName) containers.set(service, (byName = new Map()));
  let c = byName.get(name);
  if (!c) {
    c = service.getContainerClient(name);
    if (byName.size < 1000) byName.set(name, c);
  }
  return c;
}

export async function prepareCopy(deps: SourceDeps, job: Job, signal: AbortSignal, what: string): Promise<PreparedCopy> {
  if (job.sourceSecretOmitted && job.item.source.kind === 'url' && !job.item.source.url.includes('?')) {
    throw new CopyError({
      message: `${what}: the source URL's SAS is not kept in the journal, so this job cannot resume in a new session.`,
      hint: 'Start the copy again with the source URL.',
      code: 'SourceSecretNotStored',
    });
  }
  const src = job.item.source;
  const srcAccount = src.kind === 'location' ? await deps.resolve(src.location.connectionId) : undefined;
  const destAccount = await deps.resolve(job.item.destination.connectionId);
  let sourceClient: BlobClient | undefined;
  const source = (): BlobClient =>
    (sourceClient ??=
      src.kind === 'url'
        ? new BlobClient(src.url, new AnonymousCredential(), deps.pipelineOptions)
        : srcAccount!.service.getContainerClient(src.location.container).getBlobClient(src.location.path));
  const dest = new BlobTarget(containerClient(destAccount.service, job.item.destination.container), job.item.destination.path);
  job.dest = dest;
  const snap = fromListing(job) ?? (await fromHead(deps, job, source, signal, what));
  if (job.item.rehydrate) snap.tier = 'Hot'; // the copy of an archived source lands online (the source stays archived)
  job.acceptNewSource = false;
  const item = job.item;
  const destConditions: DestConditions =
    job.options.conflict === 'overwrite' || (item.conflict !== 'none' && item.action === 'copy') ? {} : { ifNoneMatch: '*' };
  // Within one account a Shared Key request authorizes its own copy source: a rehydrating Copy Blob of an archived
  // blob is sent that way (the emulator refuses it with a SAS source).
  const access = item.rehydrate && item.sameAccount && srcAccount?.sharedKey ? { url: source().url } : await deps.authorizer.authorize(item.source, srcAccount, item.size);
  return { access, source, dest, destOrigin: originOf(destAccount.endpoint), destConditions, ...snap };
}
