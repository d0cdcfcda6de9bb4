/**
 * Engine job events → throttled protocol messages for the Copy Jobs webview. Free of `vscode` (plain-Node tests in
 * test/extension/panel): the panel feeds it job snapshots and removals, says when the webview is ready (or gone),
 * and it posts `init` / `jobsUpdated` through the given callback, at most one update per `throttleMs`.
 */
import type { CopyEngine, JobSnapshot } from '../../core';
import { computeTotals, type InitMessage, type JobFilter, type JobsUpdatedMessage, type JobView } from '../../shared/protocol';

/** What the panel needs from the copy engine. `CopyEngine` satisfies it; tests pass a fake. */
export interface JobSource {
  onJob(listener: (job: JobSnapshot) => void): { dispose(): void };
  /** Fires with the ids of jobs that left the engine (Clear Finished, from the panel or elsewhere). */
  onJobsRemoved(listener: (jobIds: readonly string[]) => void): { dispose(): void };
  jobs(): readonly JobSnapshot[];
  cancel(jobId: string): unknown;
  retry(jobId: string): unknown;
  abort(jobId: string): unknown;
  clearFinished(): unknown;
}

// The real engine must fit the interface (fails to compile if the engine's API drifts).
const _engineFits: CopyEngine extends JobSource ? true : false = true;
void _engineFits;

/** Timers, replaceable in tests. */
export interface RelayClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: RelayClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface JobRelayOptions {
  /** Posts a message to the webview. */
  readonly post: (message: InitMessage | JobsUpdatedMessage) => void;
  /** Snapshot → what the webview may see (redacted). */
  readonly toView: (job: JobSnapshot) => JobView;
  /** Minimum time between two update messages, ms. */
  readonly throttleMs: number;
  readonly filter: JobFilter;
  readonly clock?: RelayClock;
}

export class JobRelay {
  /** The latest snapshot of every job the webview has been told about (or will be at the next flush). */
  private readonly known = new Map<string, JobSnapshot>();
  private readonly pending = new Map<string, JobSnapshot>();
  private readonly removed = new Set<string>();
  private readonly clock: RelayClock;
  private isReady = false;
  private timer: unknown;
  private lastFlush = 0;
  private _version = 0;
  /** The filter the webview shows (it tells us with `setFilter`; a re-init restores it). */
  filter: JobFilter;
  /** init + jobsUpdated messages posted, and the job rows they carried. */
  readonly counters = { updatesPosted: 0, jobsSent: 0 };

  constructor(
    jobs: Iterable<JobSnapshot>,
    private readonly options: JobRelayOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.filter = options.filter;
    for (const job of jobs) this.known.set(job.id, job);
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Version of the last init/jobsUpdated posted. */
  get version(): number {
    return this._version;
  }

  job(jobId: string): JobSnapshot | undefined {
    return this.known.get(jobId);
  }

  knownJobs(): JobSnapshot[] {
    return [...this.known.values()];
  }

  /** A new or changed job. */
  onJob(job: JobSnapshot): void {
    this.known.set(job.id, job);
    this.removed.delete(job.id);
    if (!this.isReady) return; // `init` on the next `ready` carries everything
    this.pending.set(job.id, job);
    this.schedule();
  }

  /** Jobs that left the engine. */
  onRemoved(jobIds: readonly string[]): void {
    let any = false;
    for (const id of jobIds) {
      if (!this.known.delete(id)) continue;
      this.pending.delete(id);
      if (this.isReady) {
        this.removed.add(id);
        any = true;
      }
    }
    if (any) this.schedule();
  }

  /** The webview said `ready`: post everything now. */
  setReady(): void {
    this.isReady = true;
    this.pending.clear();
    this.removed.clear();
    this.cancelTimer();
    this.lastFlush = this.clock.now();
    const jobs = [...this.known.values()].map((j) => this.options.toView(j));
    this.postUpdate({ type: 'init', version: ++this._version, jobs, filter: this.filter, totals: computeTotals(this.known.values()) });
  }

  /** The webview is gone (hidden, disposed, or a post failed): post nothing until it is ready again. */
  setNotReady(): void {
    this.isReady = false;
    this.pending.clear();
    this.removed.clear();
    this.cancelTimer();
  }

  dispose(): void {
    this.setNotReady();
  }

  /** Coalesces changes: at most one update message per `throttleMs`. */
  private schedule(): void {
    if (this.timer !== undefined || !this.isReady) return;
    const wait = Math.max(0, this.lastFlush + this.options.throttleMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.isReady || (this.pending.size === 0 && this.removed.size === 0)) return;
    const jobs = [...this.pending.values()].map((j) => this.options.toView(j));
    const removed = [...this.removed];
    this.pending.clear();
    this.removed.clear();
    this.lastFlush = this.clock.now();
    this.postUpdate({ type: 'jobsUpdated', version: ++this._version, jobs, removed, totals: computeTotals(this.known.values()) });
  }

  private postUpdate(message: InitMessage | JobsUpdatedMessage): void {
    this.counters.updatesPosted++;
    this.counters.jobsSent += message.jobs.length;
    this.options.post(message);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
