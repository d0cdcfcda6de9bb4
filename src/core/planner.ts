/**
 * The planner: expands sources into blobs, applies include/exclude globs, maps destination names, detects
 * conflicts (HEAD, or one listing for many blobs) and picks a strategy per blob. It writes nothing.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import pLimit from 'p-limit';
import { AnonymousCredential, BlobClient, ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from './connections';
import { CopyError, toCopyError } from './errors';
import { LIMITS, validateBlobName, validateContainerName } from './limits';
import { redact } from './redact';
import type {
  BlobLocation,
  ConflictPolicy,
  ConflictState,
  CopyOperation,
  CopyPlan,
  CopyRequest,
  CopySource,
  PlannedCopy,
  SourceProperties,
  StrategyChoice,
} from './types';
import { OPERATION_INFO, operationLabel, strategyFits, strategyOf, type BlobType } from '../shared/vocabulary';
import { accountKey, parseBlobUrl } from './urls';
import { md5b64, normalizeEtag, sourcePropertiesOf } from './headers';

export { normalizeEtag } from './headers';

const MiB = 1024 * 1024;

/**
 * Largest block blob that `auto` copies across accounts in one call (Put Blob From URL, or Copy Blob From URL where
 * the server lacks it). Above it, Put Block From URL with parallel ranges: resumable, and as fast on Azurite
 * (1 GiB: 16.5–16.9 s for parallel ranges vs 16.3 s for a plain upload). 256 MiB is also Copy Blob From URL's limit.
 */
export const SINGLE_CALL_MAX_BYTES = 256 * MiB;

/**
 * Same account, block blobs up to this size: Copy Blob From URL (synchronous: no polling, done when it answers).
 * Measured on Azurite 3.37 (500 × 4 KiB, 32 in flight, loaded 2-core machine): Copy Blob From URL 345/s, Copy Blob
 * (begin + poll) 169/s. Larger blobs use Copy Blob, which references the source without moving bytes (1 GiB: 0.01 s).
 */
export const SAME_ACCOUNT_SYNC_MAX_BYTES = 4 * MiB;

/** Which operations a server (keyed by endpoint origin) answered 501 APINotImplemented to. */
export class CapabilityCache {
  private readonly missing = new Map<string, Set<CopyOperation>>();
  lacks(origin: string, op: CopyOperation): boolean {
    return this.missing.get(origin)?.has(op) ?? false;
  }
  /** Returns true when this is news (log it once). */
  markMissing(origin: string, op: CopyOperation): boolean {
    let set = this.missing.get(origin);
    if (!set) this.missing.set(origin, (set = new Set()));
    if (set.has(op)) return false;
    set.add(op);
    return true;
  }
}


/** The operation that replaces `op` on a server that lacks it (auto only). */
export function fallbackOperation(op: CopyOperation, blobType: BlobType, size: number, lacks: (op: CopyOperation) => boolean): CopyOperation {
  switch (op) {
    case 'put-blob-from-url':
      return size <= LIMITS.syncCopyFromUrlMaxBytes && !lacks('copy-blob-from-url') ? 'copy-blob-from-url' : 'put-block-from-url';
    case 'copy-blob-from-url':
      return 'put-block-from-url';
    case 'append-block-from-url':
    case 'put-page-from-url':
    case 'put-block-from-url':
      return 'copy-blob';
    case 'copy-blob':
      return blobType === 'BlockBlob' ? 'put-block-from-url' : 'copy-blob';
  }
}

export interface Choice {
  operation: CopyOperation;
  reason: string;
  warning?: string;
}

/**
 * Picks the operation for one blob.
 * auto: same account → Copy Blob (the service copies without moving bytes: 0.01 s for 1 GiB on Azurite);
 * across accounts → block blobs ≤ 256 MiB: Put Blob From URL (one call), larger: Put Block From URL (parallel
 * ranges, resumable); append blobs → Append Block From URL; page blobs → Put Page From URL (sparse).
 * Operations a server is known to lack are replaced by their fallback.
 */
export function chooseOperation(
  requested: StrategyChoice,
  blobType: BlobType,
  size: number,
  sameAccount: boolean,
  lacks: (op: CopyOperation) => boolean,
  name = '',
): Choice {
  let warning: string | undefined;
  if (requested !== 'auto') {
    if (strategyFits(requested, blobType)) {
      if (requested === 'put-blob-from-url' && size > LIMITS.putBlobFromUrlMaxBytes) {
        warning = `${name}: Put Blob From URL copies at most 5000 MiB; using Put Block From URL for this ${size}-byte blob.`;
        return { operation: 'put-block-from-url', reason: 'forced put-blob-from-url, but the blob exceeds 5000 MiB', warning };
      }
      return { operation: requested, reason: 'strategy chosen by the request' };
    }
    warning = `${name}: strategy ${requested} copies ${OPERATION_INFO[requested].fits.join('/')}s, but this is a ${blobType}; using auto for it.`;
  }
  let op: CopyOperation;
  let reason: string;
  if (sameAccount && blobType === 'BlockBlob' && size <= SAME_ACCOUNT_SYNC_MAX_BYTES) {
    op = 'copy-blob-from-url';
    reason = 'small block blob in the same account: Copy Blob From URL (synchronous, one call, no polling)';
  } else if (sameAccount) {
    op = 'copy-blob';
    reason = 'same account: Copy Blob copies on the server without moving bytes';
  } else if (blobType === 'AppendBlob') {
    op = 'append-block-from-url';
    reason = 'append blob across accounts';
  } else if (blobType === 'PageBlob') {
    op = 'put-page-from-url';
    reason = 'page blob across accounts: copies only the non-empty ranges';
  } else if (size <= SINGLE_CALL_MAX_BYTES) {
    op = 'put-blob-from-url';
    reason = `block blob ≤ ${SINGLE_CALL_MAX_BYTES / MiB} MiB across accounts: one call`;
  } else {
    op = 'put-block-from-url';
    reason = `block blob > ${SINGLE_CALL_MAX_BYTES / MiB} MiB across accounts: parallel ranges, resumable`;
  }
  for (let i = 0; i < 4 && lacks(op); i++) {
    const next = fallbackOperation(op, blobType, size, lacks);
    if (next === op) break;
    reason += `; the server lacks ${operationLabel(op)}, so ${operationLabel(next)}`;
    op = next;
  }
  return { operation: op, reason, warning };
}

/** "dir/name (n).ext" */
export function renamedName(name: string, n: number): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const base = name.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  if (dot > 0) return `${dir}${base.slice(0, dot)} (${n})${base.slice(dot)}`;
  return `${dir}${base} (${n})`;
}

/** Glob filter: a pattern without "/" matches the base name (like AzCopy), with "/" the path below the source prefix. */
export function globFilter(include: readonly string[] = [], exclude: readonly string[] = []): (relative: string) => boolean {
  const test = (pattern: string, rel: string) =>
    pattern.includes('/') ? minimatch(rel, pattern.replace(/^\//, ''), { dot: true }) : minimatch(path.posix.basename(rel), pattern, { dot: true });
  return (rel) => (include.length === 0 || include.some((p) => test(p, rel))) && !exclude.some((p) => test(p, rel));
}

/** Pure: re-decides every item's action (and destination) for a conflict policy. */
export function withConflictPolicy(plan: CopyPlan, policy: ConflictPolicy): CopyPlan {
  const items = plan.items.map((item) => decide(item, policy));
  return {
    ...plan,
    request: { ...plan.request, options: { ...plan.request.options, conflict: policy } },
    items,
    totals: totalsOf(items),
  };
}

function decide(item: PlannedCopy, policy: ConflictPolicy): PlannedCopy {
  const intended = item.intendedDestination ?? item.destination;
  let action: PlannedCopy['action'];
  if (item.conflict === 'none') action = 'copy';
  else if (policy === 'overwrite') action = 'copy';
  else if (policy === 'skip') action = 'skip';
  else if (policy === 'rename') action = item.renameDestination ? 'rename' : 'skip';
  else action = item.conflict === 'exists-older' ? 'copy' : 'skip';
  const destination = action === 'rename' && item.renameDestination ? item.renameDestination : intended;
  return { ...item, action, destination, intendedDestination: intended };
}

export function totalsOf(items: readonly PlannedCopy[]): CopyPlan['totals'] {
  let bytes = 0;
  let conflicts = 0;
  let skipped = 0;
  for (const i of items) {
    if (i.action !== 'skip') bytes += i.size;
    if (i.conflict !== 'none') conflicts++;
    if (i.action === 'skip') skipped++;
  }
  return { count: items.length, bytes, conflicts, skipped };
}

export interface PlannerContext {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
  capabilities: CapabilityCache;
  /** Parallel HEAD requests while planning. */
  headConcurrency: number;
}

interface Expanded {
  source: CopySource;
  sourceName: string;
  relative: string;
  blobType: BlobType;
  size: number;
  etag?: string;
  lastModified?: Date;
  contentMD5?: string;
  sourceAccountKey: string;
  sourceProperties?: SourceProperties;
}

function describeSource(s: CopySource): string {
  return s.kind === 'url' ? redact(s.url) : `${s.location.container}/${s.location.path}`;
}

/** Source blob client for a source (URL sources: anonymous, the URL carries its own SAS if any). */
export async function sourceBlobClient(ctx: Pick<PlannerContext, 'resolve' | 'pipelineOptions'>, source: CopySource): Promise<{ blob: BlobClient; accountKey: string }> {
  if (source.kind === 'url') {
    const p = parseBlobUrl(source.url);
    return { blob: new BlobClient(source.url, new AnonymousCredential(), ctx.pipelineOptions), accountKey: accountKey(p.endpoint) };
  }
  const acct = await ctx.resolve(source.location.connectionId);
  return { blob: acct.service.getContainerClient(source.location.container).getBlobClient(source.location.path), accountKey: accountKey(acct.endpoint) };
}

function isPrefixPath(p: string): boolean {
  return p === '' || p.endsWith('/');
}

async function expandSource(ctx: PlannerContext, source: CopySource, filter: (rel: string) => boolean, signal?: AbortSignal): Promise<Expanded[]> {
  let container: ContainerClient;
  let prefix: string;
  let key: string;
  let urlSas: string | undefined;
  let urlBase: string | undefined;
  if (source.kind === 'url') {
    const p = parseBlobUrl(source.url);
    key = accountKey(p.endpoint);
    if (!p.container) throw new CopyError({ message: `Source ${redact(source.url)} names no container.`, hint: 'Use a blob URL, or a container/prefix URL ending in "/".' });
    if (!isPrefixPath(p.path)) {
      return [await headOne(ctx, source, p.path, key, signal)].filter((e) => filter(e.relative));
    }
    urlSas = p.query;
    urlBase = `${p.endpoint}/${encodeURIComponent(p.container)}`;
    container = new ContainerClient(urlSas ? `${urlBase}?${urlSas}` : urlBase, new AnonymousCredential(), ctx.pipelineOptions);
    prefix = p.path;
  } else {
    const acct = await ctx.resolve(source.location.connectionId);
    key = accountKey(acct.endpoint);
    const msg = validateContainerName(source.location.container);
    if (msg) throw new CopyError({ message: `Source container "${source.location.container}": ${msg}` });
    if (!isPrefixPath(source.location.path)) {
      return [await headOne(ctx, source, source.location.path, key, signal)].filter((e) => filter(e.relative));
    }
    container = acct.service.getContainerClient(source.location.container);
    prefix = source.location.path;
  }
  // Tags in the listing need tag-read permission: a SAS/URL source lists without them (the copy then HEADs).
  const withTags = source.kind === 'location';
  try {
    return await listExpanded(container, prefix, source, filter, key, withTags, urlBase, urlSas, signal);
  } catch (e) {
    const err = toCopyError(e, `List source ${describeSource(source)}`, 'source');
    if (withTags && (err.info.status === 403 || err.info.status === 400)) {
      return listExpanded(container, prefix, source, filter, key, false, urlBase, urlSas, signal);
    }
    throw err;
  }
}

async function listExpanded(
  container: ContainerClient,
  prefix: string,
  source: CopySource,
  filter: (rel: string) => boolean,
  key: string,
  withTags: boolean,
  urlBase: string | undefined,
  urlSas: string | undefined,
  signal?: AbortSignal,
): Promise<Expanded[]> {
  const out: Expanded[] = [];
  try {
    for await (const page of container.listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true, includeTags: withTags, abortSignal: signal }).byPage({ maxPageSize: 5000 })) {
      for (const b of page.segment.blobItems) {
        const relative = b.name.slice(prefix.length);
        if (!relative || !filter(relative)) continue;
        const child: CopySource =
          source.kind === 'url'
            ? { kind: 'url', url: `${urlBase}/${b.name.split('/').map(encodeURIComponent).join('/')}${urlSas ? `?${urlSas}` : ''}` }
            : { kind: 'location', location: { ...source.location, path: b.name } };
        const pr = b.properties;
        out.push({
          source: child,
          sourceName: b.name,
          relative,
          blobType: (pr.blobType ?? 'BlockBlob') as BlobType,
          size: pr.contentLength ?? 0,
          etag: normalizeEtag(pr.etag),
          lastModified: pr.lastModified,
          contentMD5: md5b64(pr.contentMD5),
          sourceAccountKey: key,
          sourceProperties: sourcePropertiesOf(pr, b.metadata, b.tags, withTags),
        });
      }
    }
  } catch (e) {
    throw toCopyError(e, `List source ${describeSource(source)}`, 'source');
  }
  return out;
}

async function headOne(ctx: PlannerContext, source: CopySource, name: string, key: string, signal?: AbortSignal): Promise<Expanded> {
  const { blob } = await sourceBlobClient(ctx, source);
  let props: Awaited<ReturnType<BlobClient['getProperties']>>;
  try {
    props = await blob.getProperties({ abortSignal: signal });
  } catch (e) {
    const err = toCopyError(e, `Read source ${describeSource(source)}`, 'source');
    if (source.kind === 'url' && !source.url.includes('?') && (err.info.status === 404 || err.info.status === 403 || err.info.status === 401)) {
      throw new CopyError(
        {
          ...err.info,
          message: `Read source ${describeSource(source)}: the source is private (or does not exist) and the URL carries no SAS.`,
          hint: 'Add a SAS with read permission to the URL, or copy from a connection that can read the account.',
        },
        { cause: e },
      );
    }
    throw err;
  }
  return {
    source,
    sourceName: name,
    relative: path.posix.basename(name),
    blobType: (props.blobType ?? 'BlockBlob') as BlobType,
    size: props.contentLength ?? 0,
    etag: normalizeEtag(props.etag),
    lastModified: props.lastModified,
    contentMD5: md5b64(props.contentMD5),
    sourceAccountKey: key,
  };
}

interface DestInfo {
  exists: boolean;
  lastModified?: Date;
}

/** Existence of destination names: one listing of the common prefix for many names, else one HEAD each. */
class DestinationProbe {
  private listed?: Map<string, DestInfo>;
  private readonly limit: ReturnType<typeof pLimit>;
  constructor(private readonly container: ContainerClient, concurrency: number) {
    this.limit = pLimit(concurrency);
  }

  async prepare(names: readonly string[], signal?: AbortSignal): Promise<void> {
    if (names.length < 20) return;
    let prefix = names[0];
    for (const n of names) {
      let i = 0;
      while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
      prefix = prefix.slice(0, i);
    }
    const map = new Map<string, DestInfo>();
    const cap = names.length * 4 + 1000;
    try {
      for await (const page of this.container.listBlobsFlat({ prefix: prefix || undefined, abortSignal: signal }).byPage({ maxPageSize: 5000 })) {
        for (const b of page.segment.blobItems) map.set(b.name, { exists: true, lastModified: b.properties.lastModified });
        if (map.size > cap) return; // too many unrelated blobs under the prefix: HEAD instead
      }
    } catch (e) {
      const err = toCopyError(e, `List destination container ${this.container.containerName}`, 'destination');
      if (err.info.status === 404) {
        this.listed = map; // container does not exist (yet): nothing conflicts; the copy reports it
        return;
      }
      throw err;
    }
    this.listed = map;
  }

  async info(name: string, signal?: AbortSignal): Promise<DestInfo> {
    if (this.listed) return this.listed.get(name) ?? { exists: false };
    return this.limit(async () => {
      try {
        const p = await this.container.getBlobClient(name).getProperties({ abortSignal: signal });
        return { exists: true, lastModified: p.lastModified };
      } catch (e) {
        const err = toCopyError(e, `Read destination ${this.container.containerName}/${name}`, 'destination');
        if (err.info.status === 404) return { exists: false };
        throw err;
      }
    });
  }
}

export async function planCopy(ctx: PlannerContext, request: CopyRequest, signal?: AbortSignal): Promise<CopyPlan> {
  const options = request.options ?? {};
  const requested: StrategyChoice = options.strategy ?? 'auto';
  const policy: ConflictPolicy = options.conflict ?? 'overwrite';
  if (request.sources.length === 0) throw new CopyError({ message: 'Nothing to copy: the request names no source.' });
  const dest = request.destination;
  const containerMsg = validateContainerName(dest.container);
  if (containerMsg) throw new CopyError({ message: `Destination container "${dest.container}": ${containerMsg}` });
  const destAccount = await ctx.resolve(dest.connectionId);
  const destKey = accountKey(destAccount.endpoint);
  const destOrigin = new URL(destAccount.endpoint).origin.toLowerCase();
  const filter = globFilter(options.include, options.exclude);

  const expanded: Expanded[] = [];
  let singleBlob = request.sources.length === 1;
  for (const s of request.sources) {
    signal?.throwIfAborted();
    const p = s.kind === 'url' ? parseBlobUrl(s.url).path : s.location.path;
    if (isPrefixPath(p)) singleBlob = false;
    expanded.push(...(await expandSource(ctx, s, filter, signal)));
  }

  // Destination names.
  const exactName = singleBlob && !isPrefixPath(dest.path);
  const destPrefix = isPrefixPath(dest.path) || exactName ? (exactName ? '' : dest.path) : `${dest.path}/`;
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const named = expanded.map((e) => {
    const name = exactName ? dest.path : destPrefix + e.relative;
    const msg = validateBlobName(name);
    if (msg) problems.push(`"${name}": ${msg}`);
    const prev = seen.get(name);
    if (prev !== undefined) problems.push(`"${prev}" and "${e.sourceName}" both map to destination "${name}".`);
    seen.set(name, e.sourceName);
    if (e.sourceAccountKey === destKey && e.source.kind === 'location' && e.source.location.container === dest.container && e.sourceName === name) {
      problems.push(`"${name}" would be copied onto itself: choose another destination folder.`);
    }
    return { e, name };
  });
  if (problems.length) {
    throw new CopyError({ message: `The plan has ${problems.length} problem(s): ${problems.slice(0, 5).join(' ')}${problems.length > 5 ? ' …' : ''}`, hint: 'Change the destination or the include/exclude patterns.' });
  }

  const probe = new DestinationProbe(destAccount.service.getContainerClient(dest.container), ctx.headConcurrency);
  await probe.prepare(named.map((n) => n.name), signal);
  const taken = new Set(named.map((n) => n.name));
  const warnings = new Set<string>();
  const lacks = (op: CopyOperation) => ctx.capabilities.lacks(destOrigin, op);

  const items = await Promise.all(
    named.map(async ({ e, name }): Promise<PlannedCopy> => {
      const info = await probe.info(name, signal);
      let conflict: ConflictState = 'none';
      if (info.exists) {
        if (info.lastModified && e.lastModified) {
          conflict = e.lastModified.getTime() > info.lastModified.getTime() ? 'exists-older' : 'exists-newer';
        } else conflict = 'exists';
      }
      const intended: BlobLocation = { connectionId: dest.connectionId, container: dest.container, path: name };
      let renameDestination: BlobLocation | undefined;
      if (conflict !== 'none') {
        for (let n = 1; n <= 1000; n++) {
          const candidate = renamedName(name, n);
          if (taken.has(candidate)) continue;
          taken.add(candidate);
          const ci = await probe.info(candidate, signal);
          if (!ci.exists) {
            renameDestination = { ...intended, path: candidate };
            break;
          }
        }
      }
      const sameAccount = e.sourceAccountKey === destKey;
      const choice = chooseOperation(requested, e.blobType, e.size, sameAccount, lacks, e.sourceName);
      if (choice.warning) warnings.add(choice.warning);
      const item: PlannedCopy = {
        source: e.source,
        sourceName: e.sourceName,
        destination: intended,
        strategy: strategyOf(choice.operation),
        operation: choice.operation,
        requestedStrategy: requested,
        blobType: e.blobType,
        size: e.size,
        conflict,
        action: 'copy',
        sourceEtag: e.etag,
        sourceLastModified: e.lastModified?.toISOString(),
        contentMD5: e.contentMD5,
        sameAccount,
        sourceProperties: e.sourceProperties,
        intendedDestination: intended,
        renameDestination,
        reason: choice.reason,
      };
      return decide(item, policy);
    }),
  );
  if (expanded.length === 0) warnings.add('No blob matches the sources and include/exclude patterns.');
  return { id: randomUUID(), request, items, totals: totalsOf(items), warnings: [...warnings] };
}
