/**
 * Which of the engine's job events cross to the extension host's thread (see server.ts). A batch's first
 * LISTED_JOBS_PER_BATCH jobs cross, every change of them. Beyond that (a folder of thousands of small blobs) a job
 * crosses only when the host has a use for it: it failed, was canceled or aborted, waits for storage, or has been
 * copying for LONG_JOB_MS (a large blob whose progress shows; a job queued behind the others does not age, its batch's
 * counters say it); once crossed, every later change of it crosses too. The
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
/**
 * A job of a larger batch crosses once it has been copying (running or pending) this long (ms): its progress is worth
 * showing. Time spent queued does not count: the engine's window holds up to a thousand jobs queued behind those in
 * flight, and when they aged from their first event a copy slower than ~500 blobs/s told the host of nearly all of them.
 */
export const LONG_JOB_MS = 2_000;

export interface CrossingOptions {
  /** Default LISTED_JOBS_PER_BATCH. */
  readonly listedPerBatch?: number;
  /** Default LONG_JOB_MS. */
  readonly longJobMs?: number;
}

interface Unreported {
  readonly batchId: string;
  /** When it was first seen copying (running or pending); undefined while queued. */
  since: number | undefined;
  /** Its newest snapshot (crosses when the job becomes long). */
  job: JobSnapshot;
}

export class JobCrossing {
  /** Jobs of each batch seen so far (the first LISTED_JOBS_PER_BATCH cross). */
  private readonly seen = new Map<string, number>();
  /** Live jobs of large batches the host was not told of. */
  private readonly unreported = new Map<string, Unreported>();
  /** Per batch: how many live jobs the host was not told of, and how many of them are queued. */
  private readonly unreportedPerBatch = new Map<string, { live: number; queued: number }>();

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
    if (job.waiting || (u && this.isLong(u))) {
      this.forget(job.id);
      return true;
    }
    const copying = job.state !== 'queued';
    if (u) {
      u.job = job;
      if (copying && u.since === undefined) {
        u.since = this.now();
        this.count(u.batchId).queued--;
      }
    } else {
      this.unreported.set(job.id, { batchId: job.batchId, since: copying ? this.now() : undefined, job });
      const n = this.count(job.batchId);
      n.live++;
      if (!copying) n.queued++;
    }
    return false;
  }

  /** The newest snapshots of live jobs not told of that have become long: crosses() lets them cross now. */
  due(): JobSnapshot[] {
    const jobs: JobSnapshot[] = [];
    for (const u of this.unreported.values()) if (this.isLong(u)) jobs.push(u.job);
    return jobs;
  }

  private isLong(u: Unreported): boolean {
    return u.since !== undefined && this.now() - u.since >= this.longJobMs;
  }

  private count(batchId: string): { live: number; queued: number } {
    let n = this.unreportedPerBatch.get(batchId);
    if (!n) this.unreportedPerBatch.set(batchId, (n = { live: 0, queued: 0 }));
    return n;
  }

  /** How many live jobs of the batch the host was not told of, and how many of them are queued. */
  unreportedOf(batchId: string): { readonly live: number; readonly queued: number } {
    return this.unreportedPerBatch.get(batchId) ?? { live: 0, queued: 0 };
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
    const n = this.count(u.batchId);
    n.live--;
    if (u.since === undefined) n.queued--;
    if (n.live <= 0) this.unreportedPerBatch.delete(u.batchId);
  }

  /** The engine forgot the batch. */
  forgetBatch(batchId: string): void {
    this.seen.delete(batchId);
  }
}
