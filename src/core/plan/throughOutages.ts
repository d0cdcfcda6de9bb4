/**
 * A plan's pages through storage outages, one rule for every listing: a streamed copy's, and the whole plan of a dry
 * run, a move, a confirmation and a sync's preview. A page that fails for a transient reason once the SDK's
 * own retries are spent (the endpoint unreachable, 5xx, 408, 429: base/outage.ts) is waited for like a copy, up to
 * the outage tolerance; then the plan goes on from the position after the last page it gave out (a sync counts on
 * from the groups counted up to it), and its pages carry on the calls and warnings of the plan before. A permanent
 * error, the tolerance spent, or a failure before the plan gave out its first page (except a resume's) ends the
 * pages with the error.
 */
import { CopyError } from '../base/errors';
import type { Logger } from '../base/log';
import { transientReason, waitForStorage, type Outage } from '../base/outage';
import type { SyncTally } from '../base/types';
import type { RestCall } from '../../shared/vocabulary';

export interface OutageRide {
  /** How long an outage is waited out (ms). */
  readonly toleranceMs: number;
  readonly log: Logger;
  /** Told when a wait begins (after the log's warning), e.g. for a progress notification. */
  readonly onWait?: (reason: string) => void;
  /** Told when storage answers again after a wait: why it waited, and how long (ms). */
  readonly onWaited?: (reason: string, ms: number) => void;
}

/**
 * What a plan of several sources remembers across its pages (planner.ts): the destination names planned so far, each
 * with the index of the source that took it (its blob follows from the name), and a move's moves. In memory only: a
 * plan that goes on after an outage goes on with it, so two sources mapping to one name are still found.
 */
export interface Remembered {
  readonly names: Map<string, number>;
  readonly moves?: Array<{ readonly sourceKey: string; readonly sourceContainer?: string; readonly sourceName: string; readonly destName: string }>;
}

/** Where a plan goes on (planner.ts's PlanPosition). */
interface Position {
  readonly source: number;
  readonly after?: string;
  readonly sync?: SyncTally;
  readonly remembered?: Remembered;
}

/** What this needs of a plan's page (planner.ts's PlanPage): its position, and the calls and warnings so far. */
interface Positioned {
  readonly source: number;
  readonly last?: string;
  readonly sync?: SyncTally;
  readonly remembered?: Remembered;
  readonly calls: ReadonlyMap<RestCall, number>;
  readonly warnings: ReadonlySet<string>;
}

/** The plan's pages from `from` (a fresh plan for each try: `plan`), each outage on the way waited out. */
export async function* pagesThroughOutages<P extends Positioned>(
  plan: (from?: Position) => AsyncGenerator<P>,
  ride: OutageRide & {
    /** A streamed copy (its pages are copied as they come), not a plan made to the end before anything is copied. */
    readonly copying?: boolean;
    /**
     * A resume's listing (from a journaled position): storage answered the run before, so an outage before its first
     * page is waited out too (its batch is already shown, saying so).
     */
    readonly resuming?: boolean;
  },
  signal?: AbortSignal,
  from?: Position,
): AsyncGenerator<P> {
  let cursor = from;
  let pages = plan(from);
  let outage: Outage | undefined;
  // What the plans before an outage counted (their calls and warnings): the pages after it carry it on.
  let carried: { calls: ReadonlyMap<RestCall, number>; warnings: ReadonlySet<string> } | undefined;
  let last: P | undefined;
  for (;;) {
    let next: IteratorResult<P>;
    try {
      next = await pages.next();
    } catch (e) {
      const reason = signal?.aborted ? undefined : transientReason(e);
      // Before this plan listed anything, storage that does not answer is far likelier a wrong endpoint (a mistyped
      // account, an emulator not started) than an outage: said at once, as it is. Not so for a resume: the same
      // endpoint answered the run before.
      if (!reason || (last === undefined && !ride.resuming)) throw e;
      const now = Date.now();
      outage ??= { since: now, reason, tries: 0, nextTryAt: now };
      outage.reason = reason;
      const waited = await waitForStorage(outage, ride.toleranceMs, signal ?? new AbortController().signal, (first) => {
        if (!first) return;
        ride.log.warn(
          `List the sources: storage is not answering (${reason}); ${ride.copying && (last || ride.resuming) ? 'the copies already listed go on, and ' : ''}the listing waits for storage, up to ${Math.round(ride.toleranceMs / 1000)} s, then lists on ${cursor?.after !== undefined ? `after "${cursor.after}"` : 'from the start'}.`,
        );
        ride.onWait?.(reason);
      });
      if (waited === 'spent') throw listingOutageError(e, outage, ride.toleranceMs, ride.copying === true);
      if (waited === 'stopped') throw signal?.reason ?? e; // the caller stopped the plan
      if (last) carried = { calls: last.calls, warnings: last.warnings };
      pages = plan(cursor);
      continue;
    }
    if (outage) {
      const ms = Date.now() - outage.since;
      ride.log.info(`List the sources: storage answers again after ${Math.round(ms / 1000)} s; listing on.`);
      ride.onWaited?.(outage.reason, ms);
      outage = undefined;
    }
    if (next.done) return;
    const page: P = carried ? { ...next.value, calls: sum(carried.calls, next.value.calls), warnings: new Set([...carried.warnings, ...next.value.warnings]) } : next.value;
    last = page;
    if (page.last !== undefined) cursor = { source: page.source, after: page.last, sync: page.sync, remembered: page.remembered };
    yield page;
  }
}

function sum(a: ReadonlyMap<RestCall, number>, b: ReadonlyMap<RestCall, number>): Map<RestCall, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

/** A listing that stayed unreachable past the outage tolerance: what happened, and how to go on. */
function listingOutageError(cause: unknown, outage: Outage, toleranceMs: number, copied: boolean): CopyError {
  const longer = 'A longer wait is the setting blobCopy.outageToleranceSeconds (CLI: --outage-tolerance).';
  return new CopyError(
    {
      message: `List the sources: storage did not answer for ${Math.round((Date.now() - outage.since) / 1000)} s (${outage.reason}); gave up after the outage tolerance of ${Math.round(toleranceMs / 1000)} s.`,
      hint: copied
        ? `The blobs listed before the outage were copied (or failed) on their own. When storage is back, run the copy again with the conflict choice "if-source-newer" or "skip" (CLI: --conflict skip) so the blobs already copied are not copied again. ${longer}`
        : `Nothing was written. Run it again when storage answers. ${longer}`,
      code: 'StorageUnavailable',
    },
    { cause },
  );
}
