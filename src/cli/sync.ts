/**
 * `blob-copy sync`: the dry run (the groups new / changed / same / extra with their counts, bytes and first names,
 * and the cost preview of the copies) and the run (runSync in src/core: the copies as a streamed batch, then, when
 * asked and every copy was verified, the deletes of the extras). Exit codes as for copy: 0 only when everything asked
 * was done.
 */
import { CopyError, describeCost, runSync, type AccountClient, type CopyEngine, type CopyRequest, type JobSnapshot, type Refusals, type SyncResult, type SyncTally } from '../core';
import type { PlanSummary } from '../core/plan/wholePlan';
import { formatBytes } from '../shared/vocabulary';
import type { CopyCommand } from './args';
import { countsJson } from './jsonCounts';
import { StorageWaits } from './storageWaits';

interface SyncCliContext {
  readonly engine: CopyEngine;
  readonly cmd: CopyCommand;
  readonly request: CopyRequest;
  destination(): Promise<AccountClient>;
  readonly signal: AbortSignal;
  out(s: string): void;
  err(s: string): void;
  /** The plan failed (bad input, a listing error before anything started): prints it and returns the exit code. */
  failPlan(e: unknown): number;
  refusedLines(r: Refusals | undefined): void;
  /** Prints the error lines held back (a listing's error), except those a failed job's line tells. */
  flushHeld(told?: ReadonlySet<string>): void;
  errorText(d: { message: string; hint?: string; code?: string; status?: number; requestId?: string }): string;
  onStarted(batchId: string): void;
  jobJson(j: JobSnapshot): unknown;
  readonly exit: { readonly ok: number; readonly failed: number };
}

type Group = keyof SyncTally;
const GROUPS: readonly Group[] = ['new', 'changed', 'same', 'extra'];

/** The groups as --json carries them: counts, bytes and first names (relative to the destination folder). */
function groupsJson(t: SyncTally, destPrefix: string) {
  return Object.fromEntries(GROUPS.map((g) => [g, { count: t[g].count, bytes: t[g].bytes, first: t[g].first.map((n) => rel(n, destPrefix)) }]));
}

function rel(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/** One line per group: "new        3 blob(s)     12 KiB  a.txt, b.txt, c.txt". */
function groupLines(t: SyncTally, destPrefix: string, deleteDestination: boolean): string[] {
  return GROUPS.map((g) => {
    const x = t[g];
    const names = x.first.map((n) => rel(n, destPrefix)).join(', ');
    const more = x.count > x.first.length ? `, … (${x.count - x.first.length} more)` : '';
    const note = g === 'same' ? ' (left alone)' : g === 'extra' && x.count ? (deleteDestination ? ' (to delete)' : ' (kept: --delete-destination deletes them)') : '';
    return `${g.padEnd(8)} ${`${x.count} blob(s)`.padStart(14)} ${formatBytes(x.bytes).padStart(10)}  ${names}${more}${note}`;
  });
}

export async function syncCommand(c: SyncCliContext): Promise<number> {
  const { cmd } = c;
  const destPrefix = cmd.destination.path;
  const deleteDestination = cmd.deleteDestination === true;
  if (cmd.dryRun) {
    let summary: PlanSummary;
    try {
      summary = await c.engine.summarize(c.request, c.signal);
    } catch (e) {
      return c.failPlan(e);
    }
    for (const w of summary.warnings) c.err(`warning: ${w}\n`);
    c.refusedLines(summary.refused);
    const t = summary.sync!;
    if (cmd.json) {
      const waited = summary.waitedForStorage ? { waitedForStorage: { planning: summary.waitedForStorage } } : {};
      const body = { ok: !summary.refused, dryRun: true, command: 'sync', source: cmd.source.url, destination: cmd.destination.url, compare: cmd.compare, deleteDestination, groups: groupsJson(t, destPrefix), unplanned: summary.refused?.count ?? 0, refused: summary.refused?.first ?? [], cost: summary.cost, ...waited };
      c.out(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      for (const line of groupLines(t, destPrefix, deleteDestination)) c.out(`${line}\n`);
      const copies = t.new.count + t.changed.count;
      const refused = summary.refused ? ` ${summary.refused.count} cannot be copied (listed above).` : '';
      const extras = t.extra.count === 0 ? 'no extra' : deleteDestination ? `${t.extra.count} extra(s) to delete (${formatBytes(t.extra.bytes)}; ${t.extra.count} × Delete Blob) after every copy is verified` : `${t.extra.count} extra(s) kept`;
      c.out(`Dry run: sync (compare: ${cmd.compare}): ${copies} blob(s) to copy, ${formatBytes(t.new.bytes + t.changed.bytes)}; ${t.same.count} the same; ${extras}.${refused} Nothing was written.\n`);
      for (const line of describeCost(summary.cost)) c.out(`${line}\n`);
    }
    return summary.refused ? c.exit.failed : c.exit.ok;
  }

  const started = Date.now();
  let r: SyncResult;
  const waits = new StorageWaits(c.engine);
  try {
    r = await runSync(c.engine, () => c.destination(), c.request, {
      deleteDestination,
      includeSnapshots: cmd.includeSnapshots,
      signal: c.signal,
      outageToleranceMs: cmd.outageToleranceSeconds === undefined ? undefined : cmd.outageToleranceSeconds * 1000,
      onStarted: (id) => c.onStarted(id),
    });
  } catch (e) {
    return c.failPlan(e);
  } finally {
    waits.dispose();
  }
  const done = r.copies;
  const ok = r.outcome === 'complete';
  const jobs = c.engine.jobs().filter((j) => j.batchId === r.batchId);
  const unfinished = jobs.filter((x) => x.state === 'failed' || x.state === 'canceled' || x.state === 'aborted');
  const refusals = c.engine.batchRefusals(r.batchId);
  const durationMs = Date.now() - started;
  const t = r.tally;
  const d = r.deletion;
  if (cmd.json) {
    const body = {
      ok,
      outcome: r.outcome,
      dryRun: false,
      command: 'sync',
      batchId: r.batchId,
      source: cmd.source.url,
      destination: cmd.destination.url,
      compare: cmd.compare,
      deleteDestination,
      groups: t ? groupsJson(t, destPrefix) : undefined,
      ...countsJson(done, refusals),
      deleted: d?.deleted ?? 0,
      deletedBytes: d?.deletedBytes ?? 0,
      alreadyGone: d?.gone ?? 0,
      notDeleted: d?.kept ?? 0,
      notDeletedFirst: d?.keptFirst ?? [],
      deletionSkipped: r.deletionSkipped,
      durationMs,
      waitedForStorage: waits.json(),
      jobs: jobs.map((j) => c.jobJson(j)),
    };
    c.out(`${JSON.stringify(body, null, 2)}\n`);
    return ok ? c.exit.ok : c.exit.failed;
  }
  c.flushHeld(new Set(unfinished.flatMap((j) => (j.error ? [j.error.message] : []))));
  for (const j of unfinished) c.err(`${j.state}: ${j.error ? c.errorText(new CopyError(j.error).info) : `${j.source} → ${j.destination}`}\n`);
  c.refusedLines(refusals);
  for (const k of d?.keptFirst.slice(0, 5) ?? []) c.err(`not deleted: ${rel(k.source, destPrefix)}: ${k.reason}\n`);
  if (d && d.kept > 5) c.err(`not deleted: ${d.kept - 5} more (--json lists them).\n`);
  const secs = `${(durationMs / 1000).toFixed(1)} s`;
  const copies = done.total + (refusals?.count ?? 0);
  const extrasKept = t && t.extra.count > 0 && !deleteDestination ? ` ${t.extra.count} extra blob(s) only at the destination kept (--delete-destination deletes them).` : '';
  if (ok && t && copies === 0 && !d?.deleted) {
    c.out(`Already in sync: ${t.same.count} blob(s) (${formatBytes(t.same.bytes)}) the same at both ends; nothing copied, nothing deleted.${extrasKept}\n`);
  } else if (ok && t) {
    const deleted = d ? ` ${d.deleted} extra(s) deleted (${formatBytes(d.deletedBytes)})${d.gone ? `, ${d.gone} already gone` : ''}.` : extrasKept;
    c.out(`Synced: ${t.new.count} new and ${t.changed.count} changed blob(s) copied, ${formatBytes(done.bytes)} in ${secs}; ${t.same.count} the same.${deleted}\n`);
  } else {
    const head = r.outcome === 'partial' ? 'Partial:' : 'Failed:';
    const failed = `${done.failed} failed${done.canceled ? `, ${done.canceled} canceled` : ''}${done.aborted ? `, ${done.aborted} aborted` : ''}${refusals?.count ? `, ${refusals.count} not copied (cannot be planned)` : ''}`;
    const listing = done.error || !t ? '; the listing stopped early, so names after it were not compared' : '';
    const extras = d ? ` ${d.deleted} extra(s) deleted, ${d.kept} not deleted (listed above).` : r.deletionSkipped ? ` Extras: ${r.deletionSkipped}` : '';
    c.out(`${head} ${done.succeeded} of ${copies}${done.error ? '+' : ''} new or changed blob(s) copied, ${formatBytes(done.bytes)} in ${secs}; ${failed}${listing}.${extras}\n`);
  }
  return ok ? c.exit.ok : c.exit.failed;
}
