import type { BatchSummary, Refusals } from '../core';

/** A batch's counts in `--json` (copy, move and sync alike): what was listed, and what of it was not copied. */
export function countsJson(done: BatchSummary, refusals: Refusals | undefined) {
  return {
    total: done.total,
    succeeded: done.succeeded,
    skipped: done.skipped,
    failed: done.failed,
    canceled: done.canceled,
    aborted: done.aborted,
    // Listed but not copied: refused by the plan (each named), and why a listing stopped early.
    unplanned: refusals?.count ?? 0,
    refused: refusals?.first ?? [],
    listingError: done.error,
    bytes: done.bytes,
  };
}
