/** The job commands: open the Copy Jobs panel, cancel, retry, abort a pending Copy Blob, clear, resume. */
import * as vscode from 'vscode';
import type { JobSnapshot } from '../../core';
import { isActive } from '../../shared/vocabulary';
import { cancelChoices, jobChoice, toGo } from './cancelChoices';
import { errorMessage } from '../logger';
import { batchIdOf, jobIdsOf } from './invocation';
import type { CommandFactory } from './types';

async function pickJobs(jobs: readonly JobSnapshot[], title: string): Promise<string[] | undefined> {
  if (jobs.length === 0) return undefined;
  const picks = await vscode.window.showQuickPick(jobs.map(jobChoice), { title, canPickMany: true, ignoreFocusOut: true });
  return picks?.map((p) => p.jobId);
}

export const openJobs: CommandFactory = (ctx) => () => ctx.openJobs();

export const cancel: CommandFactory = (ctx) => async (inv): Promise<number> => {
  const active = ctx.engine.jobs().filter((j) => isActive(j.state));
  const batchId = batchIdOf(inv);
  if (batchId !== undefined) {
    ctx.engine.cancelBatch(batchId);
    return active.filter((j) => j.batchId === batchId).length;
  }
  const given = jobIdsOf(inv, active);
  if (given) {
    for (const id of given) ctx.engine.cancel(id);
    return given.length;
  }
  const batches = ctx.engine.batches();
  const choices = cancelChoices(active, batches);
  if (choices.length === 0) {
    void ctx.notify.info('No copy is running.');
    return 0;
  }
  const picks = await vscode.window.showQuickPick(choices, { title: 'Cancel copy jobs', canPickMany: true, ignoreFocusOut: true });
  let n = 0;
  for (const p of picks ?? []) {
    if (p.batchId !== undefined) {
      ctx.engine.cancelBatch(p.batchId);
      n += toGo(batches.find((b) => b.batchId === p.batchId)!);
    } else if (p.jobId !== undefined) {
      ctx.engine.cancel(p.jobId);
      n++;
    }
  }
  return n;
};

export const retryFailed: CommandFactory = (ctx) => (inv): number => {
  const failed = ctx.engine.jobs().filter((j) => j.state === 'failed' || j.state === 'canceled');
  const ids = (jobIdsOf(inv, failed) ?? failed.filter((j) => j.state === 'failed').map((j) => j.id)).filter((id) => failed.some((j) => j.id === id));
  if (!ids.length) {
    void ctx.notify.info('No failed copy jobs to retry.');
    return 0;
  }
  for (const id of ids) ctx.engine.retry(id);
  ctx.log.info(`Retrying ${ids.length} job(s)`);
  return ids.length;
};

export const abortPendingCopy: CommandFactory = (ctx) => async (inv): Promise<number> => {
  const pending = ctx.engine.jobs().filter((j) => j.state === 'pending' || j.state === 'running');
  const ids = jobIdsOf(inv, pending) ?? (await pickJobs(pending, 'Abort pending Copy Blob operations'));
  if (!ids?.length) {
    if (!pending.length) void ctx.notify.info('No pending copy to abort.');
    return 0;
  }
  const results = await Promise.allSettled(ids.map((id) => ctx.engine.abort(id)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length) void ctx.notify.error(`Abort failed: ${errorMessage(failures[0].reason)}`);
  return ids.length - failures.length;
};

export const clearFinished: CommandFactory = (ctx) => () => ctx.engine.clearFinished();

export const resume: CommandFactory = (ctx) => async () => {
  const batches = await ctx.engine.resume();
  if (batches.length === 0) void ctx.notify.info('No unfinished copies to resume.');
  else ctx.openJobs({ preserveFocus: true });
  return batches;
};
