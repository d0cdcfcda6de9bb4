/**
 * A sync from start to end, for the CLI and the extension alike: the copies of new and changed names run as a
 * streamed batch of the engine (journal, outages, Copy Jobs panel as any copy); only when every one of them was
 * copied and verified, both listings were read to their end and nothing was refused, are the extras deleted (when
 * asked), each with If-Match on the ETag its listing saw.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountClient } from '../storage/connections';
import type { Logger } from '../base/log';
import type { CopyRequest, SyncTally } from '../base/types';
import { batchOutcome, type BatchOutcome } from '../../shared/vocabulary';
import type { EngineApi } from './engineApi';
import type { BatchSummary } from './jobEvents';
import { deleteExtras, readReportEnd, type ExtrasOutcome } from './syncExtras';

export { readReportEnd, deleteExtras, type ExtrasOutcome } from './syncExtras';

export interface SyncRunOptions {
  /** Delete the extras (names only at the destination) once every copy is verified. */
  readonly deleteDestination?: boolean;
  /** Delete an extra's snapshots with it (else an extra with snapshots is kept, as a move keeps such a source). */
  readonly includeSnapshots?: boolean;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  /** The copy batch started (its id, for progress). */
  onStarted?(batchId: string): void;
  /** How long the deletes wait out storage that does not answer (default: the engine's default tolerance). */
  readonly outageToleranceMs?: number;
  /** Where the report file goes (default: the system's temporary folder); it is removed at the end. */
  readonly tmpDir?: string;
}

export interface SyncResult {
  readonly batchId: string;
  /** The copies of new and changed names. */
  readonly copies: BatchSummary;
  /** The groups, when both listings were read to their end (else the sync is not complete and nothing was deleted). */
  readonly tally?: SyncTally;
  /** What deleting the extras did (asked, and every copy was verified). */
  readonly deletion?: ExtrasOutcome;
  /** Why extras that were asked to be deleted were not: the copies were not all verified, or a listing stopped. */
  readonly deletionSkipped?: string;
  /** complete only when every new and changed name was copied and (when asked) every extra deleted. */
  readonly outcome: BatchOutcome;
}

/** Runs a sync request (its options.sync set): copies, then (asked, and all went well) deletes the extras. */
export async function runSync(engine: EngineApi, destination: () => Promise<AccountClient>, request: CopyRequest, options: SyncRunOptions = {}): Promise<SyncResult> {
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'blob-copy-sync-'));
  const reportFile = path.join(dir, 'report.ndjson');
  fs.writeFileSync(reportFile, '');
  let batchId: string | undefined;
  try {
    const o = request.options ?? {};
    const sync = { ...o.sync, reportFile, ...(options.deleteDestination ? { deleteExtras: true } : {}) };
    batchId = await engine.startStreaming({ ...request, options: { ...o, sync } }, options.signal);
    options.onStarted?.(batchId);
    const copies = await engine.waitForBatch(batchId, options.signal);
    const tally = readReportEnd(reportFile);
    const copyOutcome = batchOutcome(copies, copies.error !== undefined || !tally);
    if (!options.deleteDestination || !tally || tally.extra.count === 0) {
      return { batchId, copies, tally, outcome: copyOutcome, ...(options.deleteDestination && tally?.extra.count !== 0 ? { deletionSkipped: skippedBecause(copies, tally) } : {}) };
    }
    if (copyOutcome !== 'complete' || options.signal?.aborted) {
      return { batchId, copies, tally, outcome: copyOutcome, deletionSkipped: skippedBecause(copies, tally) };
    }
    const account = await destination();
    const deletion = await deleteExtras(account, request.destination.container, reportFile, { includeSnapshots: options.includeSnapshots, signal: options.signal, log: options.log, outageToleranceMs: options.outageToleranceMs });
    return { batchId, copies, tally, deletion, outcome: deletion.kept > 0 ? 'partial' : 'complete' };
  } finally {
    // The run is over (what it did is in its result): the batch's journal record, kept until now, goes.
    if (batchId !== undefined) engine.syncEnded(batchId);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function skippedBecause(copies: BatchSummary, tally: SyncTally | undefined): string {
  if (copies.error || !tally) return 'the listing did not reach its end, so no extra was deleted.';
  if (copies.unplanned) return `${copies.unplanned} blob(s) could not be copied, so no extra was deleted.`;
  return 'not every new or changed blob was copied, so no extra was deleted.';
}
