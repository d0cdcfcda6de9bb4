/**
 * Sync To…: a folder or container brought in step with a source folder or container. One streaming pass plans it
 * (the groups new / changed / same / extra, their first names, the cost preview of the copies), one question confirms
 * it (keeping or deleting the extras), then src/core's runSync copies as a batch of the Copy Jobs panel and, when
 * asked and every copy was verified, deletes the extras with If-Match. Nothing is held per blob.
 */
import * as vscode from 'vscode';
import type { BlobLocation, CopyRequest, SyncCompare, SyncResult, SyncTally } from '../../core';
import type { PlanSummary } from '../../core/plan/wholePlan';
import { describeCost } from '../../core/plan/cost';
import { validateContainerName } from '../../core/base/limits';
import { loadCore } from '../loadCore';
import type { Ctx } from '../context';
import { formatBytes, plural } from '../../shared/vocabulary';
import { errorMessage } from '../logger';
import { planningProgress } from '../notificationText';
import { readSettings } from '../config';

interface SyncInput {
  readonly source: BlobLocation;
  readonly destination: BlobLocation;
  /** Default: the blobCopy.syncCompare setting. */
  readonly compare?: SyncCompare;
  /** Open the Copy Jobs panel when the copies start (default: the blobCopy.openJobsOnCopy setting). */
  readonly openJobs?: boolean;
}

export interface SyncOutcome {
  readonly summary: string;
  /** The groups the preview showed. */
  readonly tally?: SyncTally;
  /** Why nothing ran: canceled at the question, or nothing to do (already in sync, an empty source). */
  readonly stopped?: 'canceled' | 'in-sync' | 'empty';
  readonly batchId?: string;
  readonly result?: SyncResult;
  /** The line the extension showed at the end. */
  readonly message?: string;
}

const COMPARES: readonly SyncCompare[] = ['auto', 'size', 'md5', 'time'];
const GROUPS = ['new', 'changed', 'same', 'extra'] as const;

function where(ctx: Ctx, loc: BlobLocation): string {
  const conn = ctx.connections.get(loc.connectionId);
  return `${conn?.label ?? loc.connectionId} › ${loc.container}${loc.path ? `/${loc.path}` : ''}`;
}

const folderOf = (loc: BlobLocation): BlobLocation => ({ ...loc, path: loc.path === '' || loc.path.endsWith('/') ? loc.path : `${loc.path}/` });

/** "new: 2 blobs (11 B): new.txt, sub/new2.txt" per group, names relative to the destination folder. */
function groupLines(t: SyncTally, destPrefix: string): string[] {
  return GROUPS.map((g) => {
    const x = t[g];
    const names = x.first.map((n) => (n.startsWith(destPrefix) ? n.slice(destPrefix.length) : n));
    const more = x.count > names.length ? `, … (${(x.count - names.length).toLocaleString('en-US')} more)` : '';
    return `${g}: ${plural(x.count, 'blob')} (${formatBytes(x.bytes)})${names.length ? `: ${names.join(', ')}${more}` : ''}`;
  });
}

export async function runSyncFlow(ctx: Ctx, input: SyncInput): Promise<SyncOutcome> {
  const cfg = vscode.workspace.getConfiguration('blobCopy');
  const setting = cfg.get<string>('syncCompare', 'auto') as SyncCompare;
  const compare = input.compare ?? (COMPARES.includes(setting) ? setting : 'auto');
  const source = folderOf(input.source);
  const destination = folderOf(input.destination);
  const nameProblem = validateContainerName(destination.container);
  if (nameProblem) throw new Error(`Destination container "${destination.container}": ${nameProblem}`);
  const from = where(ctx, source);
  const to = where(ctx, destination);
  const request: CopyRequest = { sources: [{ kind: 'location', location: source }], destination, options: { sync: { compare } } };
  // The destination container must exist before the copies (as for a copy): offer to create it.
  const container = (await ctx.connections.resolve(destination.connectionId)).service.getContainerClient(destination.container);
  let exists = true;
  try {
    exists = await container.exists();
  } catch (err) {
    ctx.log.debug(`Could not check that container ${destination.container} exists: ${errorMessage(err)}`);
  }
  if (!exists) {
    if (!(await ctx.prompts.createContainer(destination.container, where(ctx, { ...destination, path: '' })))) return { stopped: 'canceled', summary: `Sync to ${to}: canceled` };
    await container.createIfNotExists();
    ctx.tree.refreshLocation({ ...destination, path: '' });
  }
  ctx.log.info(`Planning a sync of ${from} to ${to} (compare: ${compare})`);
  let plan: PlanSummary;
  try {
    plan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Blob Copy: comparing ${from} with ${to}…`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        try {
          // Counts only (no items cross from the engine's worker); the line says when the comparison waits for storage.
          return await ctx.engine.summarize(request, controller.signal, (_items, _count, waiting) => progress.report({ message: planningProgress(undefined, waiting) }), 0);
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (err) {
    if ((err as { info?: { code?: string } }).info?.code !== 'NothingToCopy') throw err;
    ctx.log.error(errorMessage(err));
    void ctx.notify.error(`Blob Copy: ${errorMessage(err)}`);
    return { stopped: 'empty', summary: errorMessage(err) };
  }
  const t = plan.sync!;
  const copies = t.new.count + t.changed.count;
  const summary = `Sync ${from} to ${to}: ${plural(copies, 'blob')} to copy (${formatBytes(t.new.bytes + t.changed.bytes)}), ${t.same.count.toLocaleString('en-US')} the same, ${t.extra.count.toLocaleString('en-US')} extra`;
  ctx.log.info(summary);
  for (const r of plan.refused?.first ?? []) ctx.log.warn(`Cannot sync ${r.source}: ${r.reason}`);
  if (copies === 0 && t.extra.count === 0 && !plan.refused) {
    const message = `Already in sync: ${plural(t.same.count, 'blob')} (${formatBytes(t.same.bytes)}) the same at both ends; nothing copied, nothing deleted.`;
    ctx.log.info(message);
    void ctx.notify.info(`Blob Copy: ${message}`);
    return { stopped: 'in-sync', summary, tally: t, message };
  }
  const refused = plan.refused ? [`${plural(plan.refused.count, 'blob')} cannot be copied (${plan.refused.first[0]?.source}: ${plan.refused.first[0]?.reason}): the sync will be partial and delete no extra.`] : [];
  const detail = [
    ...groupLines(t, destination.path),
    '',
    `Changed means (${compare}): ${compare === 'size' ? 'a different length' : compare === 'md5' ? 'a different length or Content-MD5' : compare === 'time' ? 'a different length or a newer source' : 'a different length, or Content-MD5 where both have one, else a newer source'}. The same are left alone.`,
    'Extras are deleted only if you choose so, only after every copy is verified, and only if unchanged since this comparison; a blob with snapshots is kept.',
    ...refused,
    '',
    ...describeCost(plan.cost),
    ...(t.extra.count > 0 ? [`Deleting the extras, if you choose so: ${t.extra.count.toLocaleString('en-US')} × Delete Blob more.`] : []),
  ].join('\n');
  const answer = await ctx.prompts.confirmSync(summary, detail, t.extra.count);
  if (!answer) {
    ctx.log.info('Sync canceled at the confirmation.');
    return { stopped: 'canceled', summary, tally: t };
  }
  const deleteDestination = answer === 'sync-delete';
  let batchId: string | undefined;
  const openJobs = input.openJobs ?? cfg.get<boolean>('openJobsOnCopy', true);
  const result = await loadCore().runSync(ctx.engine, () => ctx.connections.resolve(destination.connectionId), request, {
    deleteDestination,
    log: ctx.log,
    outageToleranceMs: readSettings().outageToleranceSeconds * 1000,
    onStarted: (id) => {
      batchId = id;
      ctx.log.info(`Started batch ${id}: ${summary}${deleteDestination ? ' (extras deleted after every copy is verified)' : ''}`);
      if (openJobs && copies > 0) ctx.openJobs({ preserveFocus: true });
    },
  });
  ctx.tree.refreshLocation(destination);
  const c = result.copies;
  const d = result.deletion;
  const deleted = d ? ` ${plural(d.deleted, 'extra')} deleted${d.kept ? `, ${d.kept.toLocaleString('en-US')} not deleted (${d.keptFirst[0]?.source}: ${d.keptFirst[0]?.reason})` : ''}.` : '';
  let message: string;
  if (result.outcome === 'complete') {
    message = `Synced ${to}: ${t.new.count.toLocaleString('en-US')} new and ${t.changed.count.toLocaleString('en-US')} changed blob(s) copied (${formatBytes(c.bytes)}), ${t.same.count.toLocaleString('en-US')} the same.${deleted || (t.extra.count ? ` ${plural(t.extra.count, 'extra')} kept.` : '')}`;
    ctx.log.info(message);
    void ctx.notify.info(`Blob Copy: ${message}`);
  } else {
    message = `Sync of ${to} is ${result.outcome}: ${c.succeeded.toLocaleString('en-US')} of ${(c.total + (c.unplanned ?? 0)).toLocaleString('en-US')} new or changed blob(s) copied, ${c.failed} failed${c.canceled ? `, ${c.canceled} canceled` : ''}.${deleted}${result.deletionSkipped ? ` Extras: ${result.deletionSkipped}` : ''}`;
    ctx.log.warn(message);
    void ctx.notify.warn(`Blob Copy: ${message}`);
  }
  return { summary, tally: t, batchId, result, message };
}
