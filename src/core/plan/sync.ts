/**
 * Sync planning: the names under a source folder and a destination folder, both listed in the service's name order,
 * are merged as two sorted streams (never a map of names, so memory stays flat at millions) and each name is sorted
 * into a group: new (only at the source), changed, same (left alone) or extra (only at the destination). New and
 * changed names become planned copies (overwrite); extras go to the sync's report file, deleted only after every copy
 * was verified (engine/sync.ts).
 */
import * as fs from 'node:fs';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import { CopyError, restDetails } from '../base/errors';
import { validateBlobName, validateContainerName } from '../base/limits';
import { describeSource } from '../base/redact';
import type { BlobLocation, CopySource, PlannedCopy, Refusal, StrategyChoice, SyncCompare, SyncGroupTally, SyncTally } from '../base/types';
import { accountKey, parseBlobUrl } from '../base/urls';
import { CapabilityCache, chooseOperation } from '../operations/operationChoice';
import { strategyOf, type CopyOperation, type RestCall } from '../../shared/vocabulary';
import type { AccountClient } from '../storage/connections';
import { compareNames, expandPages, isPrefixPath, type Expanded } from './expand';

type SyncGroup = 'new' | 'changed' | 'same' | 'extra';

/** What the merge and the comparison need of a listed blob. */
export interface SyncEntry {
  /** The name below its side's folder: the two sides are compared by it. */
  readonly relative: string;
  readonly size: number;
  readonly contentMD5?: string;
  readonly lastModified?: Date;
  readonly blobType?: string;
}

/** One name of the merge: at the source, at the destination, or at both. */
type MergeStep<S, D> = { readonly source: S; readonly destination?: undefined } | { readonly source?: undefined; readonly destination: D } | { readonly source: S; readonly destination: D };

/** How many names of each group a preview shows. */
export const SYNC_FIRST_NAMES = 10;

/** One side of the merge: the page it is in and where in it. */
class Cursor<T> {
  private page: readonly T[] = [];
  private i = 0;
  done = false;
  constructor(private readonly it: AsyncIterator<readonly T[]>) {}
  get head(): T | undefined {
    return this.i < this.page.length ? this.page[this.i] : undefined;
  }
  get empty(): boolean {
    return !this.done && this.i >= this.page.length;
  }
  next(): void {
    this.i++;
  }
  async fill(): Promise<void> {
    while (this.empty) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else [this.page, this.i] = [r.value, 0];
    }
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/**
 * Merges two listings, given a page at a time in the Blob service's order (UTF-8 bytes of the names, see
 * compareNames), by their relative names. Both sides' names share their own folder prefix, so ordering full names
 * orders relative names the same way. It yields the steps a page at a time, and holds the current page of each side
 * and the last relative name of each (to refuse a listing out of order): no state per name.
 */
export async function* mergeListings<S extends { readonly relative: string }, D extends { readonly relative: string }>(
  source: AsyncIterable<readonly S[]>,
  destination: AsyncIterable<readonly D[]>,
): AsyncGenerator<MergeStep<S, D>[]> {
  const sc = new Cursor(source[Symbol.asyncIterator]());
  const dc = new Cursor(destination[Symbol.asyncIterator]());
  let lastS: string | undefined;
  let lastD: string | undefined;
  const ordered = (prev: string | undefined, next: string, side: string) => {
    // A merge of unsorted input would call names extra that are not: refuse rather than delete anything.
    if (prev !== undefined && compareNames(prev, next) >= 0) throw new CopyError({ message: `The ${side} listing is not in name order ("${prev}" before "${next}"): the sync stopped before deleting anything.`, code: 'ListingOrder' });
    return next;
  };
  try {
    let out: MergeStep<S, D>[] = [];
    for (;;) {
      if (sc.empty || dc.empty) {
        if (out.length) yield out;
        out = [];
        await Promise.all([sc.fill(), dc.fill()]);
      }
      const s = sc.head;
      const d = dc.head;
      if (s === undefined && d === undefined) break;
      const c = s === undefined ? 1 : d === undefined ? -1 : compareNames(s.relative, d.relative);
      if (c < 0) {
        lastS = ordered(lastS, s!.relative, 'source');
        out.push({ source: s! });
        sc.next();
      } else if (c > 0) {
        lastD = ordered(lastD, d!.relative, 'destination');
        out.push({ destination: d! });
        dc.next();
      } else {
        lastS = ordered(lastS, s!.relative, 'source');
        lastD = ordered(lastD, d!.relative, 'destination');
        out.push({ source: s!, destination: d! });
        sc.next();
        dc.next();
      }
    }
    if (out.length) yield out;
  } finally {
    await Promise.allSettled([sc.close(), dc.close()]);
  }
}

/**
 * Whether a name at both ends changed. auto: a different length, or different Content-MD5 where both have one, or
 * (no MD5 to compare) a source modified later than the destination. size: the length alone. md5: the length, then
 * Content-MD5 (a side without one counts as changed: equality cannot be shown). time: the length, then a later
 * source last-modified. A different blob type is always a change (the copy writes the source's type).
 */
export function isChanged(s: SyncEntry, d: SyncEntry, compare: SyncCompare = 'auto'): boolean {
  if (s.size !== d.size) return true;
  if (s.blobType && d.blobType && s.blobType !== d.blobType) return true;
  const newer = () => s.lastModified !== undefined && d.lastModified !== undefined && s.lastModified.getTime() > d.lastModified.getTime();
  switch (compare) {
    case 'size':
      return false;
    case 'md5':
      return !s.contentMD5 || !d.contentMD5 || s.contentMD5 !== d.contentMD5;
    case 'time':
      return newer();
    default:
      return s.contentMD5 && d.contentMD5 ? s.contentMD5 !== d.contentMD5 : newer();
  }
}

/** An empty tally. */
export function emptyTally(): SyncTally {
  const g = (): SyncGroupTally => ({ count: 0, bytes: 0, first: [] });
  return { new: g(), changed: g(), same: g(), extra: g() };
}

/** A copy of a tally (a page carries one: the generator goes on counting into its own). */
function cloneTally(t: SyncTally): SyncTally {
  const g = (x: SyncGroupTally): SyncGroupTally => ({ count: x.count, bytes: x.bytes, first: [...x.first] });
  return { new: g(t.new), changed: g(t.changed), same: g(t.same), extra: g(t.extra) };
}

/** Counts a name into its group (keeping the first SYNC_FIRST_NAMES names of each). */
export function tallyAdd(t: SyncTally, group: SyncGroup, name: string, bytes: number): void {
  const g = t[group];
  g.count++;
  g.bytes += bytes;
  if (g.first.length < SYNC_FIRST_NAMES) g.first.push(name);
}

/** One line of a sync's report file: an extra at the destination, or the end (both listings read to the end). */
type ReportLine = { readonly x: string; readonly e?: string; readonly z: number } | { readonly end: true; readonly tally: SyncTally };

interface SyncPlanContext {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
  capabilities: CapabilityCache;
}

interface SyncPage {
  readonly items: readonly PlannedCopy[];
  readonly refused: readonly Refusal[];
  readonly last?: string;
  readonly tally: SyncTally;
}

/** Where a side is: its account key, container and folder prefix. */
async function sideOf(ctx: SyncPlanContext, s: CopySource): Promise<{ key: string; container: string; prefix: string }> {
  if (s.kind === 'url') {
    const u = parseBlobUrl(s.url);
    return { key: accountKey(u.endpoint), container: u.container, prefix: u.path };
  }
  return { key: accountKey((await ctx.resolve(s.location.connectionId)).endpoint), container: s.location.container, prefix: s.location.path };
}


/**
 * The sync's plan as pages: the merge of the source and destination listings, new and changed names as copies
 * (overwrite). `after` (a source name): the listing goes on after it (an outage, a resume); the destination's names
 * up to the same relative name are passed over. Extras are appended to the report file as they are found, and a last
 * line with the groups once both listings ended; a listing that fails throws (no end line: nothing is deleted).
 */
export async function* syncPages(
  ctx: SyncPlanContext,
  sources: readonly CopySource[],
  dest: BlobLocation,
  options: { readonly compare?: SyncCompare; readonly reportFile?: string; readonly allowEmpty?: boolean; readonly strategy?: StrategyChoice },
  filter: (relative: string) => boolean,
  onCall: (call: RestCall) => void,
  signal?: AbortSignal,
  after?: string,
  counted?: SyncTally,
): AsyncGenerator<SyncPage> {
  if (sources.length !== 1) throw new CopyError({ message: `A sync compares one source folder with one destination folder (got ${sources.length} sources).`, code: 'SyncSources' });
  const source = sources[0];
  const src = await sideOf(ctx, source);
  if (!src.container) throw new CopyError({ message: `Source ${describeSource(source)} names no container.`, hint: 'Sync a container or a folder.' });
  if (!isPrefixPath(src.prefix)) {
    throw new CopyError({ message: `A sync compares folders: ${describeSource(source)} is not a folder or container.`, hint: 'Give a folder (ending in "/") or a container; to copy one blob, use copy.', code: 'SyncNotFolder' });
  }
  const containerMsg = validateContainerName(dest.container);
  if (containerMsg) throw new CopyError({ message: `Destination container "${dest.container}": ${containerMsg}` });
  const destPrefix = isPrefixPath(dest.path) ? dest.path : `${dest.path}/`;
  const destAccount = await ctx.resolve(dest.connectionId);
  const destKey = accountKey(destAccount.endpoint);
  const destOrigin = new URL(destAccount.endpoint).origin.toLowerCase();
  // A sync into itself (or one side inside the other) would list its own copies, and delete what it syncs from.
  if (src.key === destKey && src.container === dest.container && (destPrefix.startsWith(src.prefix) || src.prefix.startsWith(destPrefix))) {
    throw new CopyError({
      message:
        destPrefix === src.prefix
          ? `"${dest.container}/${destPrefix}" would be synced onto itself: choose another destination.`
          : `"${src.container}/${src.prefix}" and "${dest.container}/${destPrefix}" overlap (one is inside the other): a sync needs two separate folders.`,
      hint: 'Sync into a folder outside the source (or another container).',
      code: 'SyncOverlap',
    });
  }
  const compare = options.compare ?? 'auto';
  const requested = options.strategy ?? 'auto';
  const lacks = (op: CopyOperation) => ctx.capabilities.lacks(destOrigin, op);
  const destAfter = after !== undefined ? destPrefix + after.slice(src.prefix.length) : undefined;
  const destSource: CopySource = { kind: 'location', location: { connectionId: dest.connectionId, container: dest.container, path: destPrefix } };
  // A plan that goes on after `after` (an outage met its listing) goes on counting from the groups counted up to it.
  const tally = counted ? cloneTally(counted) : emptyTally();
  let report = options.reportFile;

  // A folder's own marker is the place itself: neither new nor extra.
  const pages = async function* (it: AsyncIterable<Expanded[]>): AsyncGenerator<Expanded[]> {
    for await (const page of it) yield page.some((e) => e.relative === '') ? page.filter((e) => e.relative !== '') : page;
  };
  const destPages = async function* (): AsyncGenerator<Expanded[]> {
    try {
      yield* pages(expandPages(ctx, destSource, filter, signal, destAfter, onCall));
    } catch (e) {
      // A destination container that does not exist yet holds nothing: every name is new (the copy's first write
      // says what is wrong with it).
      const d = e instanceof CopyError ? e.info : restDetails(e);
      if (d.status === 404 && d.code === 'ContainerNotFound') return;
      throw e;
    }
  };

  let any = false;
  let items: PlannedCopy[] = [];
  let refused: Refusal[] = [];
  let extras: string[] = [];
  let last: string | undefined;
  // A report that cannot be written (its folder removed: a batch resumed after its sync ended) loses its end line,
  // so nothing is deleted from it; the copies go on.
  const write = (text: string) => {
    if (!report) return;
    try {
      fs.appendFileSync(report, text);
    } catch {
      report = undefined;
    }
  };
  const page = (): SyncPage => {
    if (extras.length) write(extras.join(''));
    const out = { items, refused, last, tally: cloneTally(tally) };
    items = [];
    refused = [];
    extras = [];
    return out;
  };
  const take = (step: MergeStep<Expanded, Expanded>) => {
    const s = step.source;
    const d = step.destination;
    if (!s) {
      // Where the merge is: every name up to this one, on both sides, is counted (a plan that goes on after an
      // outage lists both sides after it; after the last source name alone it would count this extra again).
      last = src.prefix + d!.relative;
      tallyAdd(tally, 'extra', d!.sourceName, d!.size);
      extras.push(`${JSON.stringify({ x: d!.sourceName, e: d!.etag, z: d!.size } satisfies ReportLine)}\n`);
      return;
    }
    any = true;
    last = s.sourceName;
    const group: SyncGroup = !d ? 'new' : isChanged(s, d, compare) ? 'changed' : 'same';
    const name = destPrefix + s.relative;
    if (group === 'same') return tallyAdd(tally, 'same', name, s.size);
    const msg = validateBlobName(name, s.sourceName.endsWith('/'));
    if (msg || s.sourceProperties?.accessTier === 'Archive') {
      const reason = msg ? `destination "${name}": ${msg}` : 'the source is in the Archive tier, which a sync does not copy: rehydrate it first (set its tier to Hot or Cool), then sync again.';
      refused.push({ source: s.sourceName, reason });
      return;
    }
    tallyAdd(tally, group, name, s.size);
    items.push(plannedCopy(s, dest, name, d, destKey, requested, lacks));
  };
  for await (const batch of mergeListings(pages(expandPages(ctx, source, filter, signal, after, onCall)), destPages())) {
    signal?.throwIfAborted();
    for (const step of batch) take(step);
    // A batch ends where a listing page of either side does: copying starts after the first pages.
    yield page();
  }
  if (!any && after === undefined && !options.allowEmpty) {
    throw new CopyError({
      message: `Nothing to sync: there is no blob under ${describeSource(source)}.`,
      hint: 'Check the source folder name (names are case-sensitive) and the include/exclude patterns: a sync from an empty source would only delete.',
      code: 'NothingToCopy',
    });
  }
  const out = page();
  // Both listings ended: the report's last line says so, and only then may its extras be deleted.
  write(`${JSON.stringify({ end: true, tally } satisfies ReportLine)}\n`);
  yield out;
}

function plannedCopy(
  s: Expanded,
  dest: BlobLocation,
  name: string,
  d: Expanded | undefined,
  destKey: string,
  requested: StrategyChoice,
  lacks: (op: CopyOperation) => boolean,
): PlannedCopy {
  const sameAccount = s.sourceAccountKey === destKey;
  const choice = chooseOperation(requested, s.blobType, s.size, sameAccount, lacks, s.sourceName);
  const destination: BlobLocation = { connectionId: dest.connectionId, container: dest.container, path: name };
  const conflict = !d ? 'none' : d.lastModified && s.lastModified ? (s.lastModified.getTime() > d.lastModified.getTime() ? 'exists-older' : 'exists-newer') : 'exists';
  return {
    source: s.source,
    sourceName: s.sourceName,
    destination,
    intendedDestination: destination,
    strategy: strategyOf(choice.operation),
    operation: choice.operation,
    requestedStrategy: requested,
    blobType: s.blobType,
    size: s.size,
    conflict,
    action: 'copy', // a changed name is copied over the destination
    sourceEtag: s.etag,
    sourceLastModified: s.lastModified?.toISOString(),
    contentMD5: s.contentMD5,
    sameAccount,
    sourceProperties: s.sourceProperties,
    reason: choice.reason,
  };
}
