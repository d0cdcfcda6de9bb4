/**
 * Runs one attempt of a job: prepare the source, run the job's operation (falling back, for `auto`, when a server
 * answers 501 to it), complete and verify, and on failure or cancel let the operation clean up. It knows transfers,
 * not REST calls: each operation lives in its own module (operations/).
 */
import type { SourceAuthorizer } from '../storage/auth';
import type { AccountClient } from '../storage/connections';
import { CopyError, isAbortError, restDetails, toCopyError } from '../base/errors';
import { restartProgress, sidesOf, type Job } from './job';
import { operationModule, pendingCopyId, type OperationContext, type Outcome } from '../operations';
import { transientReason, waitForStorage } from '../base/outage';
import { isNotImplemented } from '../operations/shared';
import { CapabilityCache, fallbackOperation } from '../operations/operationChoice';
import { learnableAlternatives, type OperationTimings } from '../operations/operationChoice';
import { blobClientAt, prepareCopy, type PreparedCopy, type SourceDeps } from './source';
import type { CopyOperation } from '../base/types';
import type { JobTable } from './jobTable';
import { completeAndVerify, contentProblem } from './verify';
import { md5b64 } from '../base/headers';
import { SMALL_BLOB_MAX_BYTES } from '../base/defaults';
import { moveAfterCopy, moveRetryCopiesAgain, resumeMove, type MoveOutcome } from './move';
import { operationLabel, strategyOf } from '../../shared/vocabulary';
import type { StoragePipelineOptions } from '@azure/storage-blob';

interface RunnerDeps {
  resolve(connectionId: string): Promise<AccountClient>;
  pipelineOptions?: StoragePipelineOptions;
  authorizer: SourceAuthorizer;
  capabilities: CapabilityCache;
  /** Which operation completes small copies faster, per endpoint (measured here, used for `auto`). */
  timings?: OperationTimings;
}

/** The operation the chooser picked for this attempt (measured when it completes), and when it started. */
interface Timed {
  op?: CopyOperation;
  probe?: number;
  t0: number;
}

export class JobRunner {
  /** What prepareCopy needs: the runner's dependencies and the table's log (one object, not one per attempt). */
  private readonly sourceDeps: SourceDeps;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly host: JobTable,
  ) {
    this.sourceDeps = { ...deps, log: host.log };
  }

  async run(job: Job): Promise<void> {
    const host = this.host;
    if (job.state !== 'queued' || host.isDisposed()) return;
    job.startedAt = Date.now();
    const signal = job.controller.signal;
    const sides = sidesOf(job);
    const what = `${job.options.move ? 'Move' : 'Copy'} ${sides.source} → ${sides.destination}`;
    for (;;) {
      job.attempts++;
      job.samples = [[Date.now(), job.bytesDone]];
      // Queued and running resume alike: the journal takes "running" throttled (a small blob is usually done first).
      host.setState(job, 'running', false);
      let prepared: PreparedCopy | undefined;
      try {
        // ---- move: a copy verified before an interruption is re-verified and its source deleted, not copied again.
        if (job.options.move && job.progress.move) {
          if (job.acceptNewSource && moveRetryCopiesAgain(job)) restartProgress(job);
          else {
            job.acceptNewSource = false;
            this.finishMove(job, await resumeMove(this.deps, host, job, what), what);
            return;
          }
        }
        prepared = await prepareCopy(this.sourceDeps, job, signal, what);
        // Only a one-call copy: its one request sets content, headers, metadata, tags and tier (there are no steps after
        // it that the stopped run may have missed).
        if (job.copiedSince !== undefined && operationModule(job.operation).oneCall === true && (await this.copiedBefore(job, job.copiedSince, signal))) {
          host.log.info(`${what}: copied before the restart (the destination holds the source's content, written since the copy started); not copied again.`);
          job.bytesDone = job.item.size;
          host.finish(job, 'succeeded');
          return;
        }
        const timed: Timed = { t0: 0 };
        const complete = await this.execute(job, prepared, signal, what, timed);
        // The content is at the destination now: a cancel from here on cannot undo it, so the post-copy steps
        // (headers, metadata, tags, tier, verification) run to the end and the job reports what really happened.
        if (!complete) await completeAndVerify({ ...prepared, dest: prepared.dest.client(), size: job.item.size, what, signal: new AbortController().signal });
        // The copy's whole time (with the verification an operation needs) teaches the chooser.
        if (timed.op === job.operation) this.deps.timings?.record(prepared.destOrigin, job.operation, performance.now() - timed.t0, timed.probe);
        if (job.options.move) {
          // ---- move: the copy is committed and verified; nothing below may clean up the destination.
          const copied = { dest: prepared.dest.client(), sourceEtag: prepared.etag, sourceMd5: md5b64(prepared.headers.blobContentMD5) };
          prepared = undefined;
          this.finishMove(job, await moveAfterCopy(this.deps, host, job, copied, what, signal), what);
          return;
        }
        job.bytesDone = job.item.size; // the final event carries it
        job.outage = undefined;
        // One line per blob is debug (the CLI does not print it): at thousands of small blobs a line each was a
        // measurable share of the process's time (formatting, redaction, a terminal write).
        host.log.debug?.(`${what}: done (${operationLabel(job.operation)}).`);
        host.finish(job, 'succeeded');
        return;
      } catch (e) {
        if (host.isDisposed()) return; // the journal keeps the job unfinished: a new engine resumes it
        const raced = prepared && !job.abortRequested && !signal.aborted ? await this.raced(job, e, prepared, signal) : undefined;
        if (raced === 'skip') {
          host.log.info(`${what}: skipped: the destination was created by someone else during the copy (conflict policy "${job.options.conflict}").`);
          job.outage = undefined;
          host.finish(job, 'skipped');
          return;
        }
        if (raced === 'copy') continue;
        const reason = job.abortRequested || signal.aborted ? undefined : transientReason(e);
        if (reason && (await this.waitOut(job, reason, what))) continue;
        const serviceAborted = e instanceof CopyError && e.info.code === 'CopyAborted';
        const outcome: Outcome = job.abortRequested || serviceAborted ? 'aborted' : signal.aborted || isAbortError(e) ? 'canceled' : 'failed';
        if (outcome === 'failed' && reason) {
          // Past the outage tolerance: the staged work stays (blocks, pages, appended bytes, a pending Copy Blob),
          // journaled, so Retry continues from it.
          const err = this.outageError(job, what);
          job.outage = undefined;
          host.log.error(`${err.message} ${err.info.hint}`);
          host.finish(job, 'failed', err.info);
          return;
        }
        const err = outcome === 'failed' ? toCopyError(e, what) : undefined;
        const storageDown = job.outage !== undefined;
        job.outage = undefined;
        if (prepared) await this.cleanup(job, prepared, what, outcome, storageDown);
        if (err) host.log.error(`${err.message}${err.info.hint ? ` ${err.info.hint}` : ''}${err.info.requestId ? ` (request id ${err.info.requestId})` : ''}`);
        else host.log.info(`${what}: ${outcome}.`);
        host.finish(job, outcome, err?.info);
        return;
      }
    }
  }

  /**
   * The destination did not exist when planned, so the write asked If-None-Match: *, and someone else created it
   * since: the conflict policy decides again. skip: the job is skipped. if-source-newer: compared again with the new
   * destination, then skipped or copied over it. Undefined: not such a race (or another policy): the error stands.
   */
  private async raced(job: Job, e: unknown, prepared: PreparedCopy, signal: AbortSignal): Promise<'skip' | 'copy' | undefined> {
    const policy = job.options.conflict;
    if (job.item.conflict !== 'none' || (policy !== 'skip' && policy !== 'if-source-newer')) return undefined;
    const d = restDetails(e);
    const exists = (d.status === 409 && d.code === 'BlobAlreadyExists') || (d.status === 412 && d.copySourceStatus === undefined && d.code === 'TargetConditionNotMet');
    if (!exists) return undefined;
    if (policy === 'skip') return 'skip';
    let destModified: Date | undefined;
    try {
      destModified = (await prepared.dest.client().getProperties({ abortSignal: signal })).lastModified;
    } catch {
      return undefined; // cannot compare: the error stands
    }
    const sourceModified = job.item.sourceLastModified ? Date.parse(job.item.sourceLastModified) : undefined;
    if (sourceModified === undefined || !destModified || sourceModified <= destModified.getTime()) return 'skip';
    job.item = { ...job.item, conflict: 'exists-older' }; // copied over the destination (no If-None-Match)
    return 'copy';
  }

  /** Ends a move's job (see move.ts): deleted = succeeded; a kept source fails with why; canceled before the delete. */
  private finishMove(job: Job, o: MoveOutcome, what: string): void {
    job.bytesDone = job.item.size;
    job.outage = undefined;
    if (o.state === 'failed' && o.error) this.host.log.error(`${o.error.message}${o.error.hint ? ` ${o.error.hint}` : ''}`);
    else if (o.state === 'succeeded') this.host.log.info(`${what}: done (${operationLabel(job.operation)}, source deleted).`);
    this.host.finish(job, o.state, o.error);
  }

  /**
   * The storage did not answer (or kept throttling) past the SDK's own retries: wait with back-off and try again,
   * continuing from the work already done, until the outage tolerance is spent. False: give up (or canceled).
   */
  private async waitOut(job: Job, reason: string, what: string): Promise<boolean> {
    const now = Date.now();
    const outage = (job.outage ??= { since: now, reason, tries: 0, nextTryAt: now });
    outage.reason = reason;
    const waited = await waitForStorage(outage, this.host.outageToleranceMs, job.controller.signal, (first) => {
      if (first) {
        this.host.log.warn(
          `${what}: storage is not answering (${reason}); waiting for it, up to ${Math.round(this.host.outageToleranceMs / 1000)} s, then continuing from the work already done.`,
        );
      }
      this.host.emitJob(job, true);
    });
    // spent: the caller fails the job (resumable); stopped: canceled while waiting, the caller reports it
    return waited === 'again' && !this.host.isDisposed();
  }

  private outageError(job: Job, what: string): CopyError {
    const o = job.outage!;
    const seconds = Math.round((Date.now() - o.since) / 1000);
    return new CopyError({
      message: `${what}: storage did not answer for ${seconds} s (${o.reason}); gave up after the outage tolerance of ${Math.round(this.host.outageToleranceMs / 1000)} s.`,
      hint: 'The storage endpoint is unreachable or overloaded: retry the job when it is back; it continues from the work already done. A longer wait is the setting blobCopy.outageToleranceSeconds (CLI: --outage-tolerance).',
      code: 'StorageUnavailable',
    });
  }

  /**
   * Whether a resumed job's copy was done before the restart (see Job.copiedSince): its intended destination has the
   * source's length and MD5 and was written since the batch started. Asked once; any doubt (no answer, another
   * content) copies.
   */
  private async copiedBefore(job: Job, since: number, signal: AbortSignal): Promise<boolean> {
    job.copiedSince = undefined;
    const item = job.item;
    if (item.contentMD5 === undefined) return false;
    try {
      const p = await (await blobClientAt(this.deps, item.intendedDestination ?? item.destination)).getProperties({ abortSignal: signal });
      // Last-Modified has whole seconds: a copy made in the second the batch started counts too.
      return contentProblem(p, item.size, item.contentMD5) === undefined && p.lastModified !== undefined && p.lastModified.getTime() >= since - 1000;
    } catch (e) {
      if (signal.aborted) throw e;
      return false;
    }
  }

  /** The operation's context for this attempt: the prepared copy, the job's progress, and the engine's callbacks. */
  private context(job: Job, prepared: PreparedCopy, signal: AbortSignal, what: string): OperationContext {
    const host = this.host;
    // Named fields, not a spread of `prepared`: the spread was the engine's costliest line per small blob (~18 µs).
    return {
      access: prepared.access,
      source: prepared.source,
      dest: prepared.dest,
      headers: prepared.headers,
      metadata: prepared.metadata,
      tier: prepared.tier,
      tags: prepared.tags,
      etag: prepared.etag,
      destConditions: prepared.destConditions,
      jobId: job.id,
      generation: job.progress.generation,
      item: job.item,
      signal,
      what,
      progress: job.progress,
      rangeConcurrency: host.rangeConcurrency,
      blockSize: host.blockSize,
      log: host.log,
      setBytes: (n) => host.setBytes(job, n),
      addBytes: (n) => host.setBytes(job, job.bytesDone + n),
      persist: () => {
        job.durable = true;
        host.saveJournal(job, true);
      },
      markPending: () => host.setState(job, 'pending'),
    };
  }

  /** Runs the job's operation; for `auto`, replaces an operation the server lacks (one 501 per server). */
  private async execute(job: Job, prepared: PreparedCopy, signal: AbortSignal, what: string, timed: Timed): Promise<boolean> {
    const auto = (job.item.requestedStrategy ?? 'auto') === 'auto';
    const lacks = (o: CopyOperation) => this.deps.capabilities.lacks(prepared.destOrigin, o);
    if (auto) {
      // Another job already learned that this server lacks the planned operation: go straight to the fallback.
      let op = job.operation;
      for (let i = 0; i < 4 && lacks(op); i++) {
        const next = fallbackOperation(op, job.item.blobType, job.item.size, lacks);
        if (next === op) break;
        op = next;
      }
      if (op !== job.operation) restartProgress(job, op);
      // A small block blob: the operation this endpoint completes faster, as measured (a fresh attempt only).
      const alts = this.deps.timings && job.attempts === 1 && job.bytesDone === 0 && !pendingCopyId(job.progress) ? learnableAlternatives(op, job.item.blobType, job.item.size, !!prepared.access.authorization).filter((o) => !lacks(o)) : [];
      if (alts.length > 1) {
        const pick = this.deps.timings!.pick(prepared.destOrigin, alts);
        if (pick.operation !== job.operation) restartProgress(job, pick.operation);
        timed.op = pick.operation;
        timed.probe = pick.probe;
      }
    }
    timed.t0 = performance.now();
    for (let step = 0; step < 5; step++) {
      const op = job.operation;
      // Whether this server implements the operation is not known yet: one small copy asks (its answer comes quickly),
      // the others wait for it (a server without it got 32 requests answered 501 at the start of every small-blob
      // copy). A large copy neither asks nor waits: it would hold the others for its whole transfer.
      const asks = auto && operationModule(op).probed === true && job.item.size <= SMALL_BLOB_MAX_BYTES;
      const answered = asks ? await this.deps.capabilities.firstAsks(prepared.destOrigin, op, signal) : undefined;
      if (auto && lacks(op)) {
        answered?.();
        const next = fallbackOperation(op, job.item.blobType, job.item.size, lacks);
        if (next !== op && !lacks(next)) {
          timed.op = undefined;
          restartProgress(job, next);
          continue;
        }
      }
      try {
        const result = await operationModule(op).run(this.context(job, prepared, signal, what));
        this.deps.capabilities.markPresent(prepared.destOrigin, op);
        answered?.();
        return result.complete;
      } catch (e) {
        const d = restDetails(e);
        const notImplemented = isNotImplemented(e);
        const news = notImplemented && this.deps.capabilities.markMissing(prepared.destOrigin, op);
        // A 4xx answer shows the service implements the operation; a network error or 5xx says nothing (the next
        // attempt asks again).
        if (!notImplemented && d.status !== undefined && d.status >= 400 && d.status < 500) this.deps.capabilities.markPresent(prepared.destOrigin, op);
        answered?.();
        const code = d.copySourceCode ?? d.code;
        if ((d.status === 412 || d.copySourceStatus === 412) && (code === 'ConditionNotMet' || code === 'SourceConditionNotMet')) {
          // The only conditions the copy calls send that answer 412 are the source If-Match pins.
          throw new CopyError(
            { message: `${what}: the source changed after the copy was planned or during the copy.`, hint: 'Retry the job to copy the new version.', status: 412, code: 'SourceChanged', requestId: d.requestId },
            { cause: e },
          );
        }
        if (!notImplemented || signal.aborted) throw e;
        const next = fallbackOperation(op, job.item.blobType, job.item.size, lacks);
        if (!auto || next === op || lacks(next)) {
          const alt = next !== op ? next : 'copy-blob';
          throw new CopyError(
            {
              message: `${what}: the server at ${prepared.destOrigin} does not implement ${operationLabel(op)} (501 APINotImplemented).`,
              hint: `Use strategy "auto" or "${strategyOf(alt)}" with this server.`,
              status: 501,
              code: 'APINotImplemented',
              requestId: d.requestId,
            },
            { cause: e },
          );
        }
        if (news) this.host.log.warn(`The server at ${prepared.destOrigin} does not implement ${operationLabel(op)}; using ${operationLabel(next)} instead (told once per server).`);
        timed.op = undefined; // fell back: not a measurement of the chosen operation
        restartProgress(job, next);
        this.host.setBytes(job, 0);
        this.host.saveJournal(job, true);
        this.host.emitJob(job, true);
      }
    }
    throw new CopyError({ message: `${what}: no operation the server implements fits this blob.`, code: 'APINotImplemented', status: 501 });
  }

  /**
   * Lets the operation remove what a canceled / failed / aborted attempt left visible (a partial append or page blob,
   * a pending Copy Blob). While storage does not answer (the job was waiting for it, or the removal fails
   * transiently) the removal is deferred: the job ends now, and the engine removes the partial destination when
   * storage answers again, within the outage tolerance.
   */
  private async cleanup(job: Job, prepared: PreparedCopy, what: string, outcome: Outcome, storageDown: boolean): Promise<void> {
    // A job still "pending" failed while the service was copying (Copy Blob): that copy is ours to remove.
    const wasPending = job.state === 'pending';
    const mod = operationModule(job.operation);
    if (!mod.cleanup) return;
    const attempt = () => mod.cleanup!(this.context(job, prepared, new AbortController().signal, what), outcome, wasPending);
    const defer = (reason: string) => {
      this.host.log.warn(`${what}: storage is not answering (${reason}); the partial destination is removed when it answers again (up to ${Math.round(this.host.outageToleranceMs / 1000)} s).`);
      this.host.deferCleanup(job, what, attempt);
    };
    if (mod.leavesPartial && !mod.leavesPartial(job.progress, outcome, wasPending)) return;
    if (storageDown) return defer('the copy was waiting for it');
    try {
      await attempt();
    } catch (e) {
      const reason = transientReason(e);
      if (reason) return defer(reason);
      this.host.log.warn(`${what}: could not remove the partial destination: ${toCopyError(e, 'cleanup').message}`);
    }
  }
}
