/**
 * Removals of partial destinations (an append or page blob, a pending Copy Blob) that a canceled or failed job left
 * while storage did not answer: each is tried with the outage back-off until it succeeds, fails for good, or the
 * tolerance is spent (then the log says to delete it by hand). They live as long as the engine: a restart forgets
 * them (docs/limits.md says so). A retry of the job cancels its removal: the retry continues from (or replaces) the
 * partial destination.
 */
import { toCopyError } from '../base/errors';
import type { Logger } from '../base/log';
import { transientReason, waitForStorage, type Outage } from '../base/outage';

export class DeferredCleanups<K> {
  private readonly pending = new Map<K, AbortController>();

  constructor(
    private readonly log: Logger,
    /** A removal ended (the engine may be idle now). */
    private readonly ended: () => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  defer(key: K, what: string, attempt: () => Promise<'kept' | void>, toleranceMs: number): void {
    this.pending.get(key)?.abort();
    const stop = new AbortController();
    this.pending.set(key, stop);
    void this.run(what, attempt, toleranceMs, stop.signal).finally(() => {
      if (this.pending.get(key) === stop) this.pending.delete(key);
      this.ended();
    });
  }

  /** The job is retried: its pending removal stops. */
  cancel(key: K): void {
    this.pending.get(key)?.abort();
    this.pending.delete(key);
  }

  dispose(): void {
    for (const c of this.pending.values()) c.abort();
  }

  private async run(what: string, attempt: () => Promise<'kept' | void>, toleranceMs: number, signal: AbortSignal): Promise<void> {
    const since = Date.now();
    const outage: Outage = { since, reason: 'not answering', tries: 0, nextTryAt: since };
    for (;;) {
      const waited = await waitForStorage(outage, toleranceMs, signal);
      if (waited === 'spent') {
        this.log.error(`${what}: the partial destination was not removed: storage did not answer for ${Math.round((Date.now() - since) / 1000)} s (${outage.reason}). Delete it when storage is back.`);
        return;
      }
      if (waited === 'stopped') return; // the engine stopped, or the job was retried
      try {
        // 'kept': the destination is no longer this copy's to remove (the operation said why).
        if ((await attempt()) !== 'kept') this.log.info(`${what}: storage answers again; the partial destination was removed.`);
        return;
      } catch (e) {
        const reason = transientReason(e);
        if (!reason) {
          this.log.warn(`${what}: could not remove the partial destination: ${toCopyError(e, 'cleanup').message}`);
          return;
        }
        outage.reason = reason;
      }
    }
  }
}
