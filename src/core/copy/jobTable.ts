import type { Logger } from '../base/log';
import type { ErrorInfo, JobState } from '../base/types';
import type { Job } from './job';
import type { JournalStore } from './journal';

/**
 * The engine's jobs as its helpers (the runner, a move, the feeds) see them: every change to a job goes through
 * here, so the engine journals it and reports it as an event. The engine's job table implements it.
 */
export interface JobTable {
  readonly log: Logger;
  readonly journal?: JournalStore;
  /** Ranges of one blob in flight, for jobs that start now (settings apply without a restart). */
  readonly rangeConcurrency: number;
  readonly blockSize: number;
  /** How long an outage is waited out before a job (or a listing) fails, resumable. */
  readonly outageToleranceMs: number;
  isDisposed(): boolean;
  setState(job: Job, state: JobState, urgentJournal?: boolean): void;
  setBytes(job: Job, bytes: number): void;
  saveJournal(job: Job, urgent?: boolean): void;
  emitJob(job: Job, force?: boolean): void;
  finish(job: Job, state: JobState, error?: ErrorInfo): void;
  /** Writes pending journal records now (a move journals 'copied' before it deletes the source). */
  flushJournal(): void;
  /**
   * Removes a canceled / failed attempt's partial destination once storage answers again (storage did not answer):
   * `attempt` is tried with the outage back-off until it succeeds or the outage tolerance is spent.
   */
  deferCleanup(job: Job, what: string, attempt: () => Promise<'kept' | void>): void;
}
