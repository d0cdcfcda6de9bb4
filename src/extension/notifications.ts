/**
 * One notification per finished batch: success, or failures with "Show Jobs" and "Retry" (and "Sync Again" for a
 * resumed sync whose extras were not deleted).
 */
import * as vscode from 'vscode';
import type { BatchSummary, EngineApi } from '../core';
import { COMMANDS } from './commands/ids';
import type { Ctx } from './context';
import { batchMessage, failureText, firstFailure } from './notificationText';
import { runSyncFlow } from './copy/sync';
import { errorMessage } from './logger';

const SYNC_AGAIN = 'Sync Again';

/** Subscribes to `engine` (the extension calls it when the engine is created: see lazyEngine.ts). */
export function watchBatches(ctx: Ctx, engine: Pick<EngineApi, 'onBatch' | 'jobs'>, onDone: (b: BatchSummary) => void = () => undefined): vscode.Disposable {
  const notified = new Set<string>();
  const sub = engine.onBatch((b) => {
    if (!b.done) {
      notified.delete(b.batchId); // a retry re-opens the batch: notify again when it settles
      return;
    }
    if (notified.has(b.batchId)) return;
    notified.add(b.batchId);
    onDone(b);
    const { text, failed } = batchMessage(b);
    ctx.log.info(`Batch ${b.batchId} finished: ${text}`);
    for (const r of b.refusedFirst ?? []) ctx.log.warn(`Batch ${b.batchId}: not copied: ${r.source}: ${r.reason}`);
    const first = failed ? firstFailure(engine.jobs(), b.batchId) : undefined;
    // A resumed sync that was to delete extras ends partial: running it again (its preview, then the deletes) finishes it.
    const again = b.syncAgain ? [SYNC_AGAIN] : [];
    const show = failed
      ? ctx.notify.warn(first ? `${text} ${failureText(first, (id) => ctx.connections.get(id))}` : text, 'Show Jobs', ...(b.failed + b.canceled + b.aborted > 0 ? ['Retry'] : []), ...again)
      : ctx.notify.info(text, 'Show Jobs');
    void Promise.resolve(show).then((choice) => {
      if (choice === 'Show Jobs') ctx.openJobs();
      else if (choice === 'Retry') void vscode.commands.executeCommand(COMMANDS.retryFailed, { batchId: b.batchId });
      else if (choice === SYNC_AGAIN && b.syncAgain) {
        runSyncFlow(ctx, b.syncAgain).catch((e: unknown) => void ctx.notify.error(`Blob Copy: ${errorMessage(e)}`));
      }
    });
  });
  return { dispose: () => sub.dispose() };
}
