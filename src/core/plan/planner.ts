/**
 * The planner: expands sources into blobs, applies include/exclude globs, maps destination names, detects
 * conflicts (HEAD, or one listing for many blobs) and picks a strategy per blob. It writes nothing.
 */
import * as path from 'node:path';
import { minimatch } from 'minimatch';
import type { StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from '../storage/connections';
import { DestinationProbe } from './destinations';
import { compareNames, expandPages, isPrefixPath, type Expanded } from './expand';
import { CopyError } from '../base/errors';
import { validateBlobName, validateContainerName } from '../base/limits';
import { moveProblems } from '../copy/move';
import { CapabilityCache, chooseOperation } from '../operations/operationChoice';
import type { BlobLocation, ConflictPolicy, ConflictState, CopyOperation, CopyOptions, CopyRequest, CopySource, PlannedCopy, Refusal, StrategyChoice } from '../base/types';
import { describeSource } from '../base/redact';
import { accountKey, parseBlobUrl } from '../base/urls';
import { strategyOf, type RestCall } from '../../shared/vocabulary';
import { decide } from '../base/conflictPolicy';
import { pagesThroughOutages, type OutageRide, type Remembered } from './throughOutages';
import { syncPages } from './sync';
import type { SyncTally } from '../base/types';

export { CapabilityCache, chooseOperation } from '../operations/operationChoice';

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

// SDK-free (the extension uses it without loading the SDK); re-exported for the engine's callers.
export { withConflictPolicy } from '../base/conflictPolicy';

export interface PlannerContext {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
  capabilities: CapabilityCache;
  /** Parallel HEAD requests while planning. */
  headConcurrency: number;
  /** The block size Put Block From URL will use (for the cost preview; default 32 MiB). */
  blockSize?: number;
  /** Where planning's time goes (a streamed batch's phases), added to as pages are listed and planned. */
  timing?: PlanTiming;
  /** How outages met while listing are waited out (see throughOutages.ts); without it, they fail the plan. */
  outages?: OutageRide;
}

/** Time spent waiting for source listing pages, and planning them (names, checks, destination probe, operations). */
interface PlanTiming {
  listMs: number;
  planMs: number;
  pages: number;
}
/** Where a streamed plan resumes: sources before `source` are done, and in it every name up to `after`. */
export interface PlanPosition {
  readonly source: number;
  readonly after?: string;
  /** A sync's groups counted up to `after` (a page's `sync`): a plan that goes on from here counts on from them. */
  readonly sync?: SyncTally;
  /** Several sources: the names planned so far (a page's `remembered`; in memory only, not journaled). */
  readonly remembered?: Remembered;
}

/** One page of a streamed plan: its items, the source they came from, and the warnings so far. */
export interface PlanPage {
  readonly items: readonly PlannedCopy[];
  readonly source: number;
  readonly warnings: ReadonlySet<string>;
  /** The REST calls planning has made so far (listing pages, destination probes), cumulative: the cost preview's. */
  readonly calls: ReadonlyMap<RestCall, number>;
  /** Blobs of the page that cannot be copied (the batch is partial), in listing order. */
  readonly refused: readonly Refusal[];
  /**
   * The last name the page listed (items and refusals): a listing that goes on after an outage starts after it. A
   * sync's: where its merge of the two listings is (an extra's name as the source would have it, when one came last).
   */
  readonly last?: string;
  /** A sync's groups so far, cumulative (see sync.ts). */
  readonly sync?: SyncTally;
  /** Several sources: the destination names planned so far (and a move's moves), for a plan that goes on from here. */
  readonly remembered?: Remembered;
}

/**
 * The plan as a stream of pages (each at most one listing page, 5,000 blobs): sources are listed, names mapped and
 * checked, the destination's existing names probed (a forward walk over the destination folder's listing, see
 * DestinationProbe), and an operation chosen per blob — a page at a time, so millions of blobs never sit in memory. A problem (an invalid
 * name, a blob onto itself) throws when its page is planned: run a summary pass first to refuse a bad plan before
 * anything is written.
 */
export async function* planPages(ctx: PlannerContext, request: CopyRequest, signal?: AbortSignal, from?: PlanPosition): AsyncGenerator<PlanPage> {
  const options = request.options ?? {};
  if (options.sync) return yield* syncPlanPages(ctx, request, signal, from);
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
  const paths = request.sources.map((s) => (s.kind === 'url' ? parseBlobUrl(s.url).path : s.location.path));
  const singleBlob = request.sources.length === 1 && !isPrefixPath(paths[0]);
  const exactName = singleBlob && !isPrefixPath(dest.path);
  const destPrefix = isPrefixPath(dest.path) || exactName ? (exactName ? '' : dest.path) : `${dest.path}/`;
  const calls = new Map<RestCall, number>();
  const onCall = (c: RestCall) => void calls.set(c, (calls.get(c) ?? 0) + 1);
  /** Why the plan refuses a listed blob by its own facts (its destination name, its tier); undefined: it takes it. */
  const ownRefusal = (e: Expanded, name: string): { reason: string; archived?: true } | undefined => {
    const msg = validateBlobName(name, e.sourceName.endsWith('/'));
    if (msg) return { reason: `destination "${name}": ${msg}` };
    if (e.sourceProperties?.accessTier === 'Archive' && !(options.rehydrate && e.sourceAccountKey === destKey)) return { reason: archivedReason(e.sourceAccountKey === destKey), archived: true };
    return undefined;
  };
  // Two sources can map to one name only when there are several sources: only then are names remembered. A plan that
  // goes on after an outage goes on with them (see Remembered); a resume (a journaled position) lists again the names
  // its plan had taken before the position.
  let remembered: Remembered | undefined;
  if (request.sources.length > 1) {
    remembered = from?.remembered ?? { names: new Map(), moves: options.move ? [] : undefined };
    if (from && !from.remembered) {
      const taken = (e: Expanded, name: string) => ownRefusal(e, name) === undefined;
      await rememberBefore(ctx, request.sources, from, filter, destPrefix, taken, remembered, signal, onCall);
    }
  }
  const seen = remembered?.names;
  const allMoves = remembered?.moves;
  const probe = new DestinationProbe(destAccount.service.getContainerClient(dest.container), ctx.headConcurrency, onCall);
  const renamed = new Set<string>();
  const warnings = new Set<string>();
  const lacks = (op: CopyOperation) => ctx.capabilities.lacks(destOrigin, op);
  let any = false;

  // A folder copied into its own subfolder would meet its own copies in a listing that runs while it copies: its
  // plan is listed to the end before the first page is given out, so each original is copied exactly once.
  const overlaps = await intoOwnSubtree(ctx, request.sources, destKey, dest.container, destPrefix);
  const held: PlanPage[] | undefined = overlaps ? [] : undefined;
  let heldItems = 0;

  // A folder copy: the destination folder's listing starts now, beside the source's (see DestinationProbe.prefetch).
  if (!singleBlob && !overlaps) probe.prefetch(destPrefix, signal);
  for (let si = from?.source ?? 0; si < request.sources.length; si++) {
    const after = si === from?.source ? from.after : undefined;
    let mark = performance.now();
    for await (const page of expandPages(ctx, request.sources[si], filter, signal, after, onCall)) {
      const planStart = performance.now();
      if (ctx.timing) ctx.timing.listMs += planStart - mark;
      signal?.throwIfAborted();
      any = true;
      const problems: string[] = [];
      const refused: Refusal[] = [];
      const named: Array<{ e: (typeof page)[number]; name: string }> = [];
      for (const e of page) {
        if (e.relative === '' && (exactName || destPrefix === '')) continue; // the folder's own marker: the destination folder is the place itself
        const name = exactName ? dest.path : destPrefix + e.relative;
        if (e.sourceAccountKey === destKey && e.source.kind === 'location' && e.source.location.container === dest.container && e.sourceName === name) {
          problems.push(`"${name}" would be copied onto itself: choose another destination folder.`);
          continue;
        }
        const own = ownRefusal(e, name);
        const holder = own ? undefined : seen?.get(name);
        // The same source again is the same blob (a plan going on after an outage lists again what it planned last):
        // within one source, distinct blobs have distinct relative names.
        const prev = holder === undefined || holder === si ? undefined : takenBy(paths[holder], name.slice(destPrefix.length));
        const reason = own?.reason ?? (prev !== undefined ? `"${prev}" and "${e.sourceName}" both map to destination "${name}".` : undefined);
        if (reason) {
          // Only an archived source within its account can be copied another way (a rehydrating Copy Blob).
          const rehydratable = own?.archived === true && e.sourceAccountKey === destKey;
          refused.push({ source: e.sourceName, reason, ...(rehydratable ? { rehydratable } : {}) });
          continue;
        }
        seen?.set(flat(name), si);
        named.push({ e, name });
      }
      // A move is planned to the end before anything is written: every refusal refuses the move (nothing is deleted).
      if (options.move) problems.push(...refused.map((r) => `"${r.source}": ${r.reason}`));
      if (options.move) {
        // Move: refuse before anything is written (see move.ts). With several sources a destination may be
        // a blob moved from another source: their names are remembered across pages (as `seen` is).
        const moves = named.map(({ e, name }) => moveOf(e, name));
        if (allMoves) allMoves.push(...moves);
        problems.push(...(await moveProblems(ctx.resolve, request.sources, dest, destKey, allMoves ?? moves)));
      }
      if (problems.length) {
        throw new CopyError({ message: `The plan has ${problems.length} problem(s): ${problems.slice(0, 5).join(' ')}${problems.length > 5 ? ' …' : ''}`, hint: 'Change the destination or the include/exclude patterns.' });
      }
      await probe.prepare(named.map((n) => n.name), signal, exactName ? undefined : destPrefix);
      const taken = new Set(named.map((n) => n.name));
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
              if (taken.has(candidate) || renamed.has(candidate)) continue;
              renamed.add(candidate);
              const ci = await probe.info(candidate, signal);
              if (!ci.exists) {
                renameDestination = { ...intended, path: candidate };
                break;
              }
            }
          }
          const sameAccount = e.sourceAccountKey === destKey;
          // An archived source (with --rehydrate, same account: see above) has one way out: a rehydrating Copy Blob.
          const rehydrate = e.sourceProperties?.accessTier === 'Archive' ? options.rehydrate : undefined;
          const choice = rehydrate
            ? { operation: 'copy-blob' as const, reason: `archived: Copy Blob rehydrates it to the Hot tier (${rehydrate} priority)` }
            : chooseOperation(requested, e.blobType, e.size, sameAccount, lacks, e.sourceName);
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
            ...(rehydrate ? { rehydrate, requestedStrategy: 'copy-blob' as const } : {}),
          };
          return decide(item, policy);
        }),
      );
      if (ctx.timing) {
        ctx.timing.planMs += performance.now() - planStart;
        ctx.timing.pages++;
      }
      const out: PlanPage = { items, refused, last: page[page.length - 1]?.sourceName, source: si, warnings, calls, ...(remembered ? { remembered } : {}) };
      if (held) {
        heldItems += items.length;
        if (heldItems > OVERLAP_MAX_BLOBS) {
          throw new CopyError({
            message: `The destination folder "${destPrefix}" is inside the source folder: such a copy is planned whole before it starts, and this one has more than ${OVERLAP_MAX_BLOBS.toLocaleString('en-US')} blobs.`,
            hint: 'Copy to a folder outside the source (or to another container), then move it where you want it.',
          });
        }
        held.push(out);
      } else yield out;
      mark = performance.now();
    }
  }
  if (held) yield* held;
  if (!any && !from) {
    if (!options.allowEmpty) throw nothingToCopy(request, options);
    warnings.add('No blob matches the sources and include/exclude patterns.');
  }
  yield { items: [], refused: [], source: request.sources.length, warnings, calls };
}

/** A sync's plan (sync.ts) as the pages a copy's plan gives out: one source, new and changed names as copies. */
async function* syncPlanPages(ctx: PlannerContext, request: CopyRequest, signal?: AbortSignal, from?: PlanPosition): AsyncGenerator<PlanPage> {
  const o = request.options ?? {};
  if (from && from.source >= 1) return void (yield { items: [], refused: [], source: 1, warnings: new Set(), calls: new Map() });
  const calls = new Map<RestCall, number>();
  const onCall = (c: RestCall) => void calls.set(c, (calls.get(c) ?? 0) + 1);
  const warnings = new Set<string>();
  let tally: SyncTally | undefined;
  let mark = performance.now();
  const pages = syncPages(ctx, request.sources, request.destination, { ...o.sync, allowEmpty: o.allowEmpty, strategy: o.strategy }, globFilter(o.include, o.exclude), onCall, signal, from?.after, from?.sync);
  for await (const p of pages) {
    if (ctx.timing) {
      ctx.timing.listMs += performance.now() - mark;
      ctx.timing.pages++;
    }
    tally = p.tally;
    yield { items: p.items, refused: p.refused, last: p.last, source: 0, warnings, calls, sync: tally };
    mark = performance.now();
  }
  yield { items: [], refused: [], source: 1, warnings, calls, sync: tally };
}

/** At most this many blobs are held in memory for a copy into the source's own subfolder (see intoOwnSubtree). */
const OVERLAP_MAX_BLOBS = 200_000;

/** Whether the destination prefix lies inside a folder (or container) source of the same account and container. */
async function intoOwnSubtree(ctx: PlannerContext, sources: readonly CopySource[], destKey: string, container: string, destPrefix: string): Promise<boolean> {
  for (const s of sources) {
    let key: string;
    let c: string;
    let p: string;
    if (s.kind === 'url') {
      const u = parseBlobUrl(s.url);
      [key, c, p] = [accountKey(u.endpoint), u.container, u.path];
    } else {
      [key, c, p] = [accountKey((await ctx.resolve(s.location.connectionId)).endpoint), s.location.container, s.location.path];
    }
    if (key === destKey && c === container && isPrefixPath(p) && destPrefix.startsWith(p) && destPrefix !== p) return true;
  }
  return false;
}

/** A listed blob moved to `name`, as moveProblems sees it. */
function moveOf(e: Expanded, name: string) {
  return { sourceKey: e.sourceAccountKey, sourceContainer: e.source.kind === 'location' ? e.source.location.container : undefined, sourceName: e.sourceName, destName: name };
}

/** The blob of a source (its path) that took a destination name ending in `relative` (see expandPages). */
function takenBy(sourcePath: string, relative: string): string {
  return isPrefixPath(sourcePath) ? sourcePath + relative : sourcePath;
}

/**
 * The name as a flat string of its own. `destPrefix + relative` is a concatenation of a slice of the listed name, and
 * a Map key keeps all three (the listed name whole). Reading a character flattens the string in place (V8), which
 * lets the parts go: with the source's index as the value, 100 bytes per 20-character name, where the concatenation
 * and "index\tsource blob" took 196 (`npm run bench -- --cost --names`).
 */
function flat(name: string): string {
  name.charCodeAt(0);
  return name;
}

/**
 * A resume of several sources (a journaled position: what its plan remembered went with the process): the names the
 * plan had taken before the position, listed again, each taken as the page loop takes it (`taken`).
 */
async function rememberBefore(
  ctx: PlannerContext,
  sources: readonly CopySource[],
  from: PlanPosition,
  filter: (relative: string) => boolean,
  destPrefix: string,
  taken: (e: Expanded, name: string) => boolean,
  into: Remembered,
  signal: AbortSignal | undefined,
  onCall: (c: RestCall) => void,
): Promise<void> {
  for (let si = 0; si <= from.source && si < sources.length; si++) {
    const upTo = si === from.source ? from.after : undefined;
    if (si === from.source && upTo === undefined) return;
    for await (const page of expandPages(ctx, sources[si], filter, signal, undefined, onCall)) {
      for (const e of page) {
        if (upTo !== undefined && compareNames(e.sourceName, upTo) > 0) return;
        if (e.relative === '' && destPrefix === '') continue;
        const name = destPrefix + e.relative;
        if (!taken(e, name) || into.names.has(name)) continue;
        into.names.set(flat(name), si);
        into.moves?.push(moveOf(e, name));
      }
    }
  }
}

/** Why an archived blob is not planned: the one way Azure copies it is a rehydrating Copy Blob in the same account. */
function archivedReason(sameAccount: boolean): string {
  return sameAccount
    ? 'the source is in the Archive tier: copy with rehydration (CLI: --rehydrate standard|high; it takes hours on Azure), or rehydrate it first (set its tier to Hot or Cool).'
    : 'the source is in the Archive tier, which is copied only within its own account: rehydrate it first (set its tier to Hot or Cool), then copy again.';
}

/** "Nothing to copy" as the error it is: a mistyped folder or a filter that matched nothing. */
function nothingToCopy(request: CopyRequest, options: CopyOptions): CopyError {
  const names = request.sources.map(describeSource);
  const filtered = (options.include?.length ?? 0) + (options.exclude?.length ?? 0) > 0;
  return new CopyError({
    message: filtered
      ? `Nothing to copy: no blob under ${names.join(', ')} matches the include/exclude patterns.`
      : `Nothing to copy: there is no blob under ${names.join(', ')}.`,
    hint: filtered ? 'Check the patterns (without "/" they match the base name). CLI: --allow-empty accepts an empty result.' : 'Check the source folder name (names are case-sensitive). CLI: --allow-empty accepts an empty result.',
    code: 'NothingToCopy',
  });
}

/**
 * planPages with the outages on the way waited out (when the context says how): the one way the engine lists a plan.
 * `copying`: a streamed copy, whose pages are copied as they come; `onWait`: told when a wait begins.
 */
export function planPagesThroughOutages(
  ctx: PlannerContext,
  request: CopyRequest,
  signal?: AbortSignal,
  from?: PlanPosition,
  how: { readonly copying?: boolean; readonly resuming?: boolean; readonly onWait?: (reason: string) => void; readonly onWaited?: (reason: string, ms: number) => void } = {},
): AsyncGenerator<PlanPage> {
  const plan = (position?: PlanPosition) => planPages(ctx, request, signal, position);
  return ctx.outages ? pagesThroughOutages(plan, { ...ctx.outages, ...how }, signal, from) : plan(from);
}
