/**
 * `blob-copy` behaviour, independent of process globals so it can be driven from tests.
 * Every line written goes through the engine's redact(): no SAS, key or token is ever printed.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  AccountClient,
  BatchSummary,
  type BatchStats,
  CopyEngine,
  describeCost,
  CopyError,
  CopyPlan,
  CopyRequest,
  JobSnapshot,
  createAccountClient,
  redact,
  type Refusals,
  type WaitingInfo,
  SETTLED_LINE,
} from '../core';
import { batchOutcome, finishedOf, formatBytes } from '../shared/vocabulary';
import { Command, CopyCommand, USAGE, UsageError, parseCommandLine } from './args';
import { blobOrFolder } from './blobOrFolder';
import { createDefaultCredential, sideConnection } from './credentials';
import { syncCommand } from './sync';
import { countsJson } from './jsonCounts';
import { StorageWaits } from './storageWaits';

interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Registers a handler for Ctrl+C; returns an unregister function. */
  onInterrupt?(handler: () => void): () => void;
  readonly version: string;
}

const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const SOURCE_ID = 'src';
const DESTINATION_ID = 'dst';

/** "waiting for storage (connection refused) for 12 s, next try in 4 s" */
function describeWaiting(w: WaitingInfo, now = Date.now()): string {
  const next = Math.max(0, Math.round((w.nextTryAt - now) / 1000));
  return `waiting for storage (${w.reason}) for ${Math.round((now - w.since) / 1000)} s, ${next > 0 ? `next try in ${next} s` : 'trying now'}`;
}

function describeError(e: unknown): { message: string; hint?: string; code?: string; status?: number; requestId?: string } {
  if (e instanceof CopyError) return { ...e.info };
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}

/** One line for an error: the message, its HTTP status, code and request id, then the hint. */
function errorText(d: { message: string; hint?: string; code?: string; status?: number; requestId?: string }): string {
  const extra = [d.status !== undefined ? `HTTP ${d.status}` : '', d.code ?? '', d.requestId ? `request id ${d.requestId}` : '']
    .filter(Boolean)
    .join(', ');
  const text = `${d.message.replace(/[\s:.]+$/, '')}${extra ? ` (${extra})` : ''}.`;
  return d.hint ? `${text} ${d.hint}` : text;
}

function errorLines(e: unknown): string {
  return `error: ${errorText(describeError(e))}\n`;
}

/** How many refused blobs stderr names (`--json` names the first REFUSALS_KEPT). */
const REFUSED_ON_STDERR = 5;

/** "not copied: a/b/ — why", for the first few refused blobs, and how many more. */
function refusedLines(r: Refusals | undefined, err: (s: string) => void): void {
  if (!r) return;
  for (const x of r.first.slice(0, REFUSED_ON_STDERR)) err(`not copied: ${x.source}: ${x.reason}\n`);
  if (r.count > REFUSED_ON_STDERR) err(`not copied: ${r.count - REFUSED_ON_STDERR} more (--json lists ${r.count > r.first.length ? `the first ${r.first.length}` : 'them all'}).\n`);
}

function buildRequest(cmd: CopyCommand): CopyRequest {
  return {
    sources: [{ kind: 'location', location: { connectionId: SOURCE_ID, container: cmd.source.container, path: cmd.source.path } }],
    destination: { connectionId: DESTINATION_ID, container: cmd.destination.container, path: cmd.destination.path },
    options: {
      strategy: cmd.strategy,
      conflict: cmd.conflict,
      include: cmd.include.length ? cmd.include : undefined,
      exclude: cmd.exclude.length ? cmd.exclude : undefined,
      blockSizeBytes: cmd.blockSizeBytes,
      dryRun: cmd.dryRun,
      allowEmpty: cmd.allowEmpty || undefined,
      rehydrate: cmd.rehydrate,
      ...(cmd.command === 'move' ? { move: true, includeSnapshots: cmd.includeSnapshots } : {}),
      ...(cmd.command === 'sync' ? { sync: { compare: cmd.compare } } : {}),
    },
  };
}

function planJson(plan: CopyPlan) {
  return {
    count: plan.totals.count,
    bytes: plan.totals.bytes,
    conflicts: plan.totals.conflicts,
    skipped: plan.totals.skipped,
    warnings: plan.warnings ?? [],
    unplanned: plan.refused?.count ?? 0,
    refused: plan.refused?.first ?? [],
    cost: plan.cost,
    items: plan.items.map((i) => ({
      source: i.sourceName,
      destination: `${i.destination.container}/${i.destination.path}`,
      strategy: i.strategy,
      operation: i.operation,
      blobType: i.blobType,
      size: i.size,
      conflict: i.conflict,
      action: i.action,
    })),
  };
}

/** Succeeded/skipped jobs `--json` lists (the last ones; the counts cover all): memory stays flat in the blob count. */
const CLI_RETAINED = 1000;

function jobJson(j: JobSnapshot) {
  return {
    source: j.source,
    destination: j.destination,
    strategy: j.strategy,
    operation: j.operation,
    state: j.state,
    bytes: j.bytesDone,
    size: j.bytesTotal,
    attempts: j.attempts,
    ...(j.rehydrating ? { rehydrating: true } : {}),
    error: j.error,
  };
}

function phasesOf(startupMs: number, stats: BatchStats | undefined) {
  const p = stats?.phases;
  return { startupMs, listMs: p?.listMs, planMs: p?.planMs, firstCopyAfterMs: p?.firstCopyAfterMs, copyMs: p?.copyMs, totalMs: p?.totalMs };
}

/** Whether a held error line is a failed job's (its message starts the line), which the list at the end tells. */
function toldAlready(line: string, told: ReadonlySet<string>): boolean {
  if (told.has(line)) return true;
  for (let i = line.indexOf(' '); i > 0; i = line.indexOf(' ', i + 1)) if (told.has(line.slice(0, i))) return true;
  return false;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Process start-up (Node, loading the bundle) up to here: the first of the phases --json reports.
  const startupMs = Math.round(performance.now());
  const out = (s: string) => io.stdout.write(redact(s));
  const err = (s: string) => io.stderr.write(redact(s));
  let cmd: Command;
  try {
    cmd = parseCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`blob-copy: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (cmd.command === 'help') {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (cmd.command === 'version') {
    out(`${io.version}\n`);
    return EXIT.ok;
  }

  let defaultCredential: TokenCredential | undefined;
  const getDefault = () => (defaultCredential ??= createDefaultCredential(io.env));
  let clients: Record<string, AccountClient>;
  try {
    const src = sideConnection(cmd.source, cmd.sourceConnectionString, '--source-connection-string', io.env, getDefault);
    const dst = sideConnection(cmd.destination, cmd.destinationConnectionString, '--destination-connection-string', io.env, getDefault);
    clients = { [SOURCE_ID]: createAccountClient(src.spec), [DESTINATION_ID]: createAccountClient(dst.spec) };
  } catch (e) {
    err(`blob-copy: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.usage;
  }
  try {
    cmd = await blobOrFolder(clients[SOURCE_ID], cmd);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`blob-copy: ${e.message}\n`);
      return EXIT.usage;
    }
    err(errorLines(e));
    if (cmd.json) out(`${JSON.stringify({ ok: false, dryRun: cmd.dryRun, error: describeError(e) })}\n`);
    return EXIT.failed;
  }

  const tty = !cmd.json && io.stderr.isTTY === true;
  // A job's failure is told once on stderr: in the list at the end, or with --json (which has no such list) as it
  // happens; beside a progress line and with --verbose both. Other held error lines are printed before the list.
  const liveErrors = tty || cmd.verbose || cmd.json;
  const heldErrors: string[] = [];
  const flushHeld = (told: ReadonlySet<string> = new Set()) => {
    for (const line of heldErrors.splice(0)) if (!toldAlready(line, told)) err(`error: ${line}\n`);
  };
  let settled: string | undefined;
  const engine = new CopyEngine({
    resolve: async (id) => {
      const c = clients[id];
      if (!c) throw new Error(`Unknown connection "${id}".`);
      return c;
    },
    concurrency: cmd.concurrency,
    blockSizeBytes: cmd.blockSizeBytes,
    outageToleranceSeconds: cmd.outageToleranceSeconds,
    // The CLI reports failures and counts; of the jobs that succeeded it keeps the last CLI_RETAINED for `--json`.
    retainFinished: CLI_RETAINED,
    log: {
      // Where the requests in flight settled is a diagnostic: with --verbose, and in --json (`settled`); the
      // extension's log always has it.
      info: (m) => {
        const isSettled = m.startsWith(SETTLED_LINE);
        if (isSettled) settled = m;
        if (cmd.verbose || !isSettled) err(`${tty ? '\r\x1b[K' : ''}${m}\n`);
      },
      warn: (m) => err(`${tty ? '\r\x1b[K' : ''}warning: ${m}\n`),
      error: (m) => (liveErrors ? err(`${tty ? '\r\x1b[K' : ''}error: ${m}\n`) : heldErrors.push(m)),
      // Per-try retries and per-blob lines.
      debug: cmd.verbose ? (m) => err(`${tty ? '\r\x1b[K' : ''}${m}\n`) : undefined,
    },
  });
  const started = Date.now();
  let interrupted = false;
  let batchId: string | undefined;
  const abortPlan = new AbortController();
  const unhook = io.onInterrupt?.(() => {
    if (interrupted) return;
    interrupted = true;
    err(`${tty ? '\r\x1b[K' : ''}Interrupted: canceling the ${cmd.command} (a partly copied blob is not committed${cmd.command === 'move' ? '; its source is kept' : ''}).\n`);
    abortPlan.abort();
    if (batchId) {
      try {
        engine.cancelBatch(batchId);
      } catch {
        /* already finished */
      }
    }
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const failPlan = (e: unknown) => {
      flushHeld();
      err(errorLines(e));
      if (cmd.json) out(`${JSON.stringify({ ok: false, dryRun: cmd.dryRun, error: describeError(e) })}\n`);
      return interrupted ? EXIT.interrupted : EXIT.failed;
    };
    if (cmd.command === 'sync') {
      const syncCmd = cmd;
      return await syncCommand({
        engine,
        cmd: syncCmd,
        request: buildRequest(syncCmd),
        destination: async () => clients[DESTINATION_ID],
        signal: abortPlan.signal,
        out,
        err,
        failPlan,
        refusedLines: (r) => refusedLines(r, err),
        flushHeld,
        errorText,
        onStarted: (id) => {
          batchId = id;
          if (interrupted) engine.cancelBatch(id);
        },
        jobJson,
        exit: EXIT,
      }).then((code) => (interrupted ? EXIT.interrupted : code));
    }
    if (cmd.dryRun && cmd.json) {
      let plan: CopyPlan;
      try {
        plan = await engine.plan(buildRequest(cmd), abortPlan.signal);
      } catch (e) {
        return failPlan(e);
      }
      for (const w of plan.warnings ?? []) err(`warning: ${w}\n`);
      refusedLines(plan.refused, err);
      const waited = plan.waitedForStorage ? { waitedForStorage: { planning: plan.waitedForStorage } } : {};
      out(`${JSON.stringify({ ok: !plan.refused, dryRun: true, source: cmd.source.url, destination: cmd.destination.url, plan: planJson(plan), ...waited }, null, 2)}\n`);
      return plan.refused ? EXIT.failed : EXIT.ok;
    }
    if (cmd.dryRun) {
      // Printed as the sources are listed: nothing of the plan is kept.
      let summary;
      try {
        summary = await engine.summarize(buildRequest(cmd), abortPlan.signal, (items) => {
          for (const i of items) {
            const note = i.action === 'skip' ? ' (skip: exists)' : i.action === 'rename' ? ' (rename: exists)' : i.conflict !== 'none' ? ' (overwrite)' : '';
            out(`${i.strategy.padEnd(22)} ${formatBytes(i.size).padStart(10)}  ${i.sourceName} → ${i.destination.container}/${i.destination.path}${note}\n`);
          }
        });
      } catch (e) {
        return failPlan(e);
      }
      for (const w of summary.warnings) err(`warning: ${w}\n`);
      refusedLines(summary.refused, err);
      const t = summary.totals;
      const refused = summary.refused ? ` ${summary.refused.count} cannot be copied (listed above).` : '';
      out(`Dry run: ${t.count} blob(s), ${formatBytes(t.bytes)}, ${t.conflicts} conflict(s), ${t.skipped} to skip.${refused}${cmd.command === 'move' ? ' A move deletes each source after its copy is verified.' : ''} Nothing was written.\n`);
      // The calls a run of this command makes (it lists the sources again as it copies).
      for (const line of describeCost(summary.cost)) out(`${line}\n`);
      return summary.refused ? EXIT.failed : EXIT.ok;
    }

    let done: BatchSummary | undefined;
    let resolveDone: (b: BatchSummary) => void = () => undefined;
    const donePromise = new Promise<BatchSummary>((r) => (resolveDone = r));
    const seen = new Map<string, BatchSummary>();
    const sub = engine.onBatch((b) => {
      seen.set(b.batchId, b);
      if (batchId !== undefined && b.batchId === batchId && b.done) resolveDone(b);
    });
    // Outages waited out, for the summary: which jobs waited, the longest wait, why; the listing's and the plan's.
    const waits = new StorageWaits(engine);
    try {
      // A move is planned to the end before anything is written (a problem on a later page must not come after
      // sources were deleted); a copy streams from the listing.
      if (cmd.command === 'move') waits.planned((await engine.summarize(buildRequest(cmd), abortPlan.signal)).waitedForStorage);
      batchId = await engine.startStreaming(buildRequest(cmd), abortPlan.signal);
    } catch (e) {
      sub.dispose();
      waits.dispose();
      return failPlan(e);
    }
    if (interrupted) engine.cancelBatch(batchId);
    const early = seen.get(batchId);
    if (early?.done) resolveDone(early);

    if (tty) {
      const draw = () => {
        const b = engine.batch(batchId!);
        if (!b) return;
        const finished = finishedOf(b);
        const secs = (Date.now() - started) / 1000;
        const waiting = engine.liveJobs(batchId!).find((j) => j.waiting)?.waiting;
        const lw = b.listingWaiting;
        io.stderr.write(
          `\r\x1b[K${finished}/${b.total}${b.listing ? '+' : ''} blobs · ${formatBytes(b.bytes)} / ${formatBytes(b.bytesTotal ?? 0)} · ${formatBytes(secs > 0 ? b.bytes / secs : 0)}/s` +
            (waiting ? ` · ${describeWaiting(waiting)}` : lw ? ` · listing waits for storage (${lw.reason}) for ${Math.round((Date.now() - lw.since) / 1000)} s` : ''),
        );
      };
      timer = setInterval(draw, 250);
      draw();
    }
    await Promise.race([donePromise, engine.whenIdle()]);
    done = engine.batch(batchId) ?? seen.get(batchId);
    if (!done?.done) done = await donePromise;
    sub.dispose();
    waits.dispose();
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      io.stderr.write('\r\x1b[K');
    }

    const jobs = engine.jobs().filter((j) => j.batchId === batchId);
    const durationMs = Date.now() - started;
    const unfinished = jobs.filter((x) => x.state === 'failed' || x.state === 'canceled' || x.state === 'aborted');
    flushHeld(new Set(unfinished.flatMap((j) => (j.error ? [redact(j.error.message)] : []))));
    const outcome = batchOutcome(done, done.error !== undefined);
    const ok = outcome === 'complete';
    const refusals = engine.batchRefusals(batchId);
    if (cmd.json) {
      out(
        `${JSON.stringify(
          {
            ok,
            outcome,
            dryRun: false,
            command: cmd.command,
            batchId: done.batchId,
            source: cmd.source.url,
            destination: cmd.destination.url,
            ...countsJson(done, refusals),
            durationMs,
            // Where the time went (ms): start-up of the process, waiting for listing pages, planning them, the
            // copy (first job to the last), and the operations that copied the blobs.
            phases: phasesOf(startupMs, engine.batchStats(batchId)),
            operations: engine.batchStats(batchId)?.operations,
            waitedForStorage: waits.json(),
            settled,
            jobs: jobs.map(jobJson),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      // One line per job: its error names the source (and the destination for a copy's own failure).
      for (const j of unfinished) err(`${j.state}: ${j.error ? errorText(new CopyError(j.error).info) : `${j.source} → ${j.destination}`}\n`);
      refusedLines(refusals, err);
      const unplanned = refusals?.count ?? 0;
      const listed = done.total + unplanned;
      out(
        `${ok ? (cmd.command === 'move' ? 'Moved' : 'Copied') : outcome === 'partial' ? 'Partial:' : 'Failed:'} ${done.succeeded} of ${listed}${done.error ? '+' : ''} blob(s)${!ok ? (cmd.command === 'move' ? ' moved' : ' copied') : ''}, ${formatBytes(done.bytes)} in ` +
          `${(durationMs / 1000).toFixed(1)} s; ${done.skipped} skipped, ${done.failed} failed` +
          `${done.canceled ? `, ${done.canceled} canceled` : ''}${done.aborted ? `, ${done.aborted} aborted` : ''}${unplanned ? `, ${unplanned} not copied (cannot be planned)` : ''}` +
          `${done.error ? '; the listing stopped early, so blobs after it were not copied' : ''}.\n`,
      );
    }
    if (interrupted) return EXIT.interrupted;
    return ok ? EXIT.ok : EXIT.failed;
  } catch (e) {
    if (timer) io.stderr.write('\r\x1b[K');
    flushHeld();
    err(errorLines(e));
    return interrupted ? EXIT.interrupted : EXIT.failed;
  } finally {
    if (timer) clearInterval(timer);
    unhook?.();
    engine.dispose();
  }
}
