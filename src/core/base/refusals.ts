/** Blobs a plan could not copy, counted as they come. */
import type { Refusal, Refusals } from './types';

/** Refusals as they come: all counted, the first REFUSALS_KEPT kept (memory stays flat in the number of blobs). */
export class RefusalList {
  count = 0;
  readonly first: Refusal[] = [];
  add(refused: readonly Refusal[]): void {
    for (const r of refused) {
      this.count++;
      if (this.first.length < REFUSALS_KEPT) this.first.push(r);
    }
  }
  /** Another list's refusals (a plan's, when a batch starts from it). */
  merge(r: Refusals | undefined): void {
    if (!r) return;
    this.add(r.first);
    this.count += r.count - r.first.length;
  }
  value(): Refusals | undefined {
    return this.count ? { count: this.count, first: [...this.first] } : undefined;
  }
}

/** Refused blobs named in a plan or batch; more are counted. */
const REFUSALS_KEPT = 10_000;
