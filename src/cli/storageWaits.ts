/**
 * The outages a CLI command waited out, for `--json` `waitedForStorage` (copy, move and sync alike): the jobs that
 * waited (how many, the longest wait, why), a streamed listing's waits (`listing`) and those of a plan made to the end
 * before anything is written (`planning`: a move's, a dry run's, a sync's preview). Each is read from the engine's
 * events and results, nothing of its own.
 */
import type { BatchSummary, EngineApi, PlanWaits } from '../core';

interface WaitsJson {
  jobs: number;
  longestSeconds: number;
  reasons: string[];
  listing?: PlanWaits;
  planning?: PlanWaits;
}

export class StorageWaits {
  private readonly jobs = new Map<string, number>();
  private readonly reasons = new Set<string>();
  private listingWait: BatchSummary['listingWaiting'];
  private listingLongestMs = 0;
  private readonly listingReasons = new Set<string>();
  private planning?: PlanWaits;
  private readonly subs: Array<{ dispose(): void }>;

  constructor(engine: Pick<EngineApi, 'onJob' | 'onBatch'>) {
    this.subs = [
      engine.onJob((j) => {
        if (!j.waiting) return;
        this.reasons.add(j.waiting.reason);
        this.jobs.set(j.id, Math.max(this.jobs.get(j.id) ?? 0, Date.now() - j.waiting.since));
      }),
      engine.onBatch((b) => {
        if (b.listingWaiting) {
          this.listingWait = b.listingWaiting;
          this.listingReasons.add(b.listingWaiting.reason);
        } else if (this.listingWait) {
          this.listingLongestMs = Math.max(this.listingLongestMs, Date.now() - this.listingWait.since);
          this.listingWait = undefined;
        }
      }),
    ];
  }

  /** What the command's plan made to the end waited out (its result's `waitedForStorage`; a command makes one). */
  planned(waits: PlanWaits | undefined): void {
    this.planning = waits;
  }

  json(): WaitsJson {
    const listingMs = Math.max(this.listingLongestMs, this.listingWait ? Date.now() - this.listingWait.since : 0);
    return {
      jobs: this.jobs.size,
      longestSeconds: Math.round(Math.max(0, ...this.jobs.values()) / 1000),
      reasons: [...this.reasons],
      ...(this.listingReasons.size ? { listing: { longestSeconds: Math.round(listingMs / 1000), reasons: [...this.listingReasons] } } : {}),
      ...(this.planning ? { planning: this.planning } : {}),
    };
  }

  dispose(): void {
    for (const s of this.subs.splice(0)) s.dispose();
  }
}
