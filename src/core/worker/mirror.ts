/**
 * What the extension host's thread knows of the engine in its worker: the jobs and batches the worker's events told
 * of (past a batch's first 1,000 jobs, only those the UI has a use for: crossing.ts), read synchronously by the UI
 * (jobs(), batch(), liveJobs()) and passed on to its listeners. It only applies events: every rule of a job's or a
 * batch's state stays in the engine.
 */
import { Emitter, type Disposable } from '../base/events';
import type { BatchSummary } from '../engine/jobEvents';
import { isFinal, type ErrorInfo, type JobSnapshot, type JobState } from '../base/types';
import { applyJobDelta, type EngineEvent } from './protocol';

export class EngineMirror implements Disposable {
  private readonly jobsById = new Map<string, JobSnapshot>();
  private readonly batchesById = new Map<string, BatchSummary>();
  private readonly jobEmitter = new Emitter<JobSnapshot>();
  private readonly batchEmitter = new Emitter<BatchSummary>();
  private readonly removedEmitter = new Emitter<readonly string[]>();
  private readonly batchesGoneEmitter = new Emitter<readonly string[]>();

  readonly onJob = this.jobEmitter.event;
  readonly onBatch = this.batchEmitter.event;
  readonly onJobsRemoved = this.removedEmitter.event;
  readonly onBatchesRemoved = this.batchesGoneEmitter.event;

  apply(e: EngineEvent): void {
    switch (e.k) {
      case 'job':
      case 'jobDelta': {
        const job = e.k === 'job' ? e.job : applyJobDelta(this.jobsById.get(e.id), e);
        if (!job) break; // a delta follows the whole snapshot of a job the worker has not removed since
        this.jobsById.set(job.id, job);
        this.jobEmitter.fire(job);
        break;
      }
      case 'batch':
        this.batchesById.set(e.summary.batchId, e.summary);
        this.batchEmitter.fire(e.summary);
        break;
      case 'batchGone':
        if (this.batchesById.delete(e.batchId)) this.batchesGoneEmitter.fire([e.batchId]);
        break;
      case 'removed': {
        const ids = e.ids.filter((id) => this.jobsById.delete(id));
        if (ids.length > 0) this.removedEmitter.fire(ids);
        break;
      }
    }
  }

  /** The worker is gone with its engine: its live jobs end failed and its batches done, with why (as events). */
  engineLost(error: ErrorInfo): void {
    for (const job of [...this.jobsById.values()]) {
      if (!isFinal(job.state)) this.apply({ k: 'job', job: { ...job, state: 'failed', error, waiting: undefined } });
    }
    for (const b of [...this.batchesById.values()]) {
      if (!b.done) this.apply({ k: 'batch', summary: { ...b, done: true, listing: false, error: b.error ?? error } });
    }
  }

  jobs(): JobSnapshot[] {
    return [...this.jobsById.values()];
  }

  liveJobs(batchId: string): JobSnapshot[] {
    return this.jobs().filter((j) => j.batchId === batchId && !isFinal(j.state));
  }

  stateOf(jobId: string): JobState | undefined {
    return this.jobsById.get(jobId)?.state;
  }

  batch(batchId: string): BatchSummary | undefined {
    return this.batchesById.get(batchId);
  }

  batches(): BatchSummary[] {
    return [...this.batchesById.values()];
  }

  dispose(): void {
    this.jobEmitter.dispose();
    this.batchEmitter.dispose();
    this.removedEmitter.dispose();
    this.batchesGoneEmitter.dispose();
  }
}
