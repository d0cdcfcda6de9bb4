/**
 * Webview requests → engine calls (cancel, retry, abort, reveal, clear finished, set filter, retry failed). Free of
 * `vscode`. Throws an Error whose message the webview shows when a request cannot be done.
 */
import type { JobSnapshot } from '../../core';
import { assertNever, type WebviewRequest } from '../../shared/protocol';
import { isActive, isRetryable, plural } from '../../shared/vocabulary';
import type { JobRelay, JobSource } from './relay';

/** A `vscode.LogOutputChannel` fits. */
export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RequestContext {
  readonly source: JobSource;
  readonly relay: JobRelay;
  readonly reveal: (destination: string, job: JobSnapshot) => unknown;
  readonly log: PanelLog;
}

function listed(relay: JobRelay, jobId: string): JobSnapshot {
  const job = relay.job(jobId);
  if (!job) throw new Error('That job is no longer listed.');
  return job;
}

export async function performRequest(request: WebviewRequest, { source, relay, reveal, log }: RequestContext): Promise<void> {
  switch (request.type) {
    case 'cancel': {
      const job = listed(relay, request.jobId);
      if (!isActive(job.state)) throw new Error(`The copy is ${job.state}; there is nothing to cancel.`);
      log.info(`Copy Jobs: cancel ${job.id}`);
      await source.cancel(job.id);
      return;
    }
    case 'retry': {
      const job = listed(relay, request.jobId);
      if (!isRetryable(job.state)) throw new Error(`The copy is ${job.state}; only failed, canceled or aborted copies can be retried.`);
      log.info(`Copy Jobs: retry ${job.id}`);
      await source.retry(job.id);
      return;
    }
    case 'abort': {
      const job = listed(relay, request.jobId);
      if (job.state !== 'pending' || !job.copyId) throw new Error('Only a pending server-side copy (Copy Blob) can be aborted.');
      log.info(`Copy Jobs: abort ${job.id}`);
      await source.abort(job.id);
      return;
    }
    case 'reveal': {
      const job = listed(relay, request.jobId);
      await reveal(job.destination, job);
      return;
    }
    case 'clearFinished':
      // The engine reports the cleared jobs through onJobsRemoved; the relay posts the removal.
      log.info('Copy Jobs: clear finished');
      await source.clearFinished();
      return;
    case 'setFilter':
      relay.filter = request.filter;
      return;
    case 'getPage':
      // Answered with a `page` message by the panel (copyJobsPanel.ts), not with a plain reply.
      throw new Error('A page request needs the panel.');
    case 'retryFailed': {
      const failed = relay.knownJobs().filter((j) => j.state === 'failed' && (request.batchId === undefined || j.batchId === request.batchId));
      if (failed.length === 0) throw new Error('There are no failed copies to retry.');
      log.info(`Copy Jobs: retry ${plural(failed.length, 'failed copy', 'failed copies')}`);
      for (const job of failed) await source.retry(job.id);
      return;
    }
    default:
      assertNever(request, 'request');
  }
}
