/**
 * Which of the engine's job events cross to the extension host's thread (see server.ts). A batch's first
 * LISTED_JOBS_PER_BATCH jobs cross, every change of them. Beyond that (a folder of thousands of small blobs) a job
 * crosses only when the host has a use for it: it failed, was canceled or aborted, waits for storage, or has been
 * live for LONG_JOB_MS (a large blob whose progress shows); once crossed, every later change of it crosses too. The
 * others are in their batch's counters only (which always cross, with `unreported`: how many of the batch's live jobs
 * the host was not told of). So the host's thread no longer receives, holds and collects a snapshot per blob of a
 * large copy: at 20,000 blobs that was ~9 KiB allocated per blob, and the host's heap grew with it.
 */
import { isFinal, type JobSnapshot } from '../base/types';

/**
 * Jobs of a batch that cross to the host whatever they do (a batch up to this size is listed whole). 1,000, not 10,000:
 * the host's RSS during a 20,000-blob copy grew 70–97 MiB instead of 133–139 (two runs each, `npm run bench --
 * --scale-host=20000 --server=harness`); a list of thousands of succeeded small blobs told the user nothing the
 * batch's counters do not.
 */
export const LISTED_JOBS_PER_BATCH = 1_000;
/** A live job of a larger batch crosses once it has been live this long (ms): its progress is worth showing. */
export const LONG_JOB_MS = 2_000;

export interface CrossingOptions {
  /** Default LISTED_JOBS_PER_BATCH. */
  readonly listedPerBatch?: number;
  /** Default LONG_JOB_MS. */
  readonly longJobMs?: number;
}

interface Unreported {
  readonly batchId: string;
  /** When the job's first event was seen. */
  readonly since: number;
  /** Its newest snapshot (crosses when the job becomes long). */
  job: JobSnapshot;
}

export class JobCrossing {
  /** Jobs of each batch seen so far (the first LISTED_JOBS_PER_BATCH cross). */
  private readonly seen = new Map<string, number>();
  /** Live jobs of large batches the host was not told of. */
  private readonly unreported = new Map<string, Unreported>();
  private readonly unreportedPerBatch = new Map<string, number>();

  private readonly listedPerBatch: number;
  private readonly longJobMs: number;

  constructor(
    options: CrossingOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.listedPerBatch = options.listedPerBatch ?? LISTED_JOBS_PER_BATCH;
    this.longJobMs = options.longJobMs ?? LONG_JOB_MS;
  }

  /** How often the server looks for live jobs that became long (ms). */
  get checkEveryMs(): number {
    return this.longJobMs / 2;
  }

  /** Whether this event of a job crosses; `held`: the host holds the job (it crossed before and was not removed). */
  crosses(job: JobSnapshot, held: boolean): boolean {
    if (held) return true;
    const u = this.unreported.get(job.id);
    if (!u) {
      const n = (this.seen.get(job.batchId) ?? 0) + 1;
      this.seen.set(job.batchId, n);
      if (n <= this.listedPerBatch) return true;
    }
    if (isFinal(job.state)) {
      this.forget(job.id);
      // Succeeded or skipped: the counters say it. Failed, canceled, aborted: the host lists it.
      return job.state !== 'succeeded' && job.state !== 'skipped';
    }
    if (job.waiting || (u && this.now() - u.since >= this.longJobMs)) {
      this.forget(job.id);
      return true;
    }
    if (u) u.job = job;
    else {
      this.unreported.set(job.id, { batchId: job.batchId, since: this.now(), job });
      this.unreportedPerBatch.set(job.batchId, (this.unreportedPerBatch.get(job.batchId) ?? 0) + 1);
    }
    return false;
  }

  /** The newest snapshots of live jobs not told of that have become long: crosses() lets them cross now. */
  due(): JobSnapshot[] {
    const now = this.now();
    const jobs: JobSnapshot[] = [];
    for (const u of this.unreported.values()) if (now - u.since >= this.longJobMs) jobs.push(u.job);
    return jobs;
  }

  /** How many live jobs of the batch the host was not told of. */
  unreportedOf(batchId: string): number {
    return this.unreportedPerBatch.get(batchId) ?? 0;
  }

  /** Whether any live job waits to be told of (the server then checks `due()` now and then). */
  get waiting(): boolean {
    return this.unreported.size > 0;
  }

  /** The job left the engine. */
  forget(jobId: string): void {
    const u = this.unreported.get(jobId);
    if (!u) return;
    this.unreported.delete(jobId);
    const n = (this.unreportedPerBatch.get(u.batchId) ?? 1) - 1;
    if (n > 0) this.unreportedPerBatch.set(u.batchId, n);
    else this.unreportedPerBatch.delete(u.batchId);
  }

  /** The engine forgot the batch. */
  forgetBatch(batchId: string): void {
    this.seen.delete(batchId);
  }
}
