/**
 * The engine's events on their way to the extension host's thread (server.ts posts what `take()` returns):
 * coalesced, one entry per job and per batch in the order of their newest event; a job the host holds goes as what
 * changed (jobEvent); which jobs go at all is crossing.ts's rule, and a batch's summary carries how many of its live
 * jobs the host was not told of (`unreported`).
 */
import type { BatchSummary } from '../engine/jobEvents';
import type { JobSnapshot } from '../base/types';
import { JobCrossing, type CrossingOptions } from './crossing';
import { jobEvent, type EngineEvent } from './protocol';

export class EventOutbox {
  private pending = new Map<string, EngineEvent>();
  private removals = 0;
  /** The snapshot the host holds of each job it holds (it drops one on a removal event, as the engine does). */
  private readonly held = new Map<string, JobSnapshot>();
  private readonly crossing: JobCrossing;

  constructor(options?: CrossingOptions, now?: () => number) {
    this.crossing = new JobCrossing(options, now);
  }

  job(job: JobSnapshot): void {
    this.queue(`j${job.id}`, { k: 'job', job });
  }

  batch(summary: BatchSummary): void {
    this.queue(`b${summary.batchId}`, { k: 'batch', summary });
  }

  batchesRemoved(ids: readonly string[]): void {
    for (const batchId of ids) {
      this.pending.delete(`b${batchId}`);
      this.crossing.forgetBatch(batchId);
      this.queue(`g${batchId}`, { k: 'batchGone', batchId });
    }
  }

  /** Jobs removed after their newest event: that event is dropped; only the ones the host holds cross as removed. */
  jobsRemoved(ids: readonly string[]): void {
    const told: string[] = [];
    for (const id of ids) {
      this.pending.delete(`j${id}`);
      this.crossing.forget(id);
      if (this.held.delete(id)) told.push(id);
    }
    if (told.length > 0) this.queue(`r${this.removals++}`, { k: 'removed', ids: told });
  }

  /** Something to take (events, or a live job that may become long). */
  get pendingEvents(): boolean {
    return this.pending.size > 0;
  }

  /** Live jobs the host was not told of: take() again within `checkEveryMs`, for those that become long. */
  get unreported(): boolean {
    return this.crossing.waiting;
  }

  get checkEveryMs(): number {
    return this.crossing.checkEveryMs;
  }

  /** The events to post now, in order (empty: nothing to post). */
  take(): EngineEvent[] {
    // Live jobs that became long without a newer event: their newest snapshot crosses now.
    for (const job of this.crossing.due()) if (!this.pending.has(`j${job.id}`)) this.pending.set(`j${job.id}`, { k: 'job', job });
    if (this.pending.size === 0) return [];
    const crosses = new Set<string>();
    for (const e of this.pending.values()) if (e.k === 'job' && this.crossing.crosses(e.job, this.held.has(e.job.id))) crosses.add(e.job.id);
    const events: EngineEvent[] = [];
    for (const e of this.pending.values()) {
      if (e.k === 'job') {
        if (!crosses.has(e.job.id)) continue;
        events.push(jobEvent(e.job, this.held.get(e.job.id)));
        this.held.set(e.job.id, e.job);
      } else if (e.k === 'batch') {
        const { live, queued } = this.crossing.unreportedOf(e.summary.batchId);
        events.push(live > 0 ? { k: 'batch', summary: { ...e.summary, unreported: live, ...(queued > 0 ? { unreportedQueued: queued } : {}) } } : e);
      } else events.push(e);
    }
    this.pending = new Map();
    return events;
  }

  private queue(key: string, e: EngineEvent): void {
    this.pending.delete(key);
    this.pending.set(key, e);
  }
}
