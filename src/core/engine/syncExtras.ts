/**
 * A sync's last step: deleting the extras (names only at the destination) its plan wrote to the report file, each
 * with If-Match on the ETag the plan's listing saw, and with the move's rule for snapshots (a blob with snapshots is
 * kept unless snapshots were included). Read a line at a time: millions of extras are never in memory.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { AccountClient } from '../storage/connections';
import { restDetails, toCopyError } from '../base/errors';
import { DEFAULT_OUTAGE_TOLERANCE_SECONDS, transientReason, waitForStorage, type Outage } from '../base/outage';
import type { Logger } from '../base/log';
import type { Refusal, SyncTally } from '../base/types';
import { compareNames } from '../plan/expand';

/** What deleting the extras did. */
export interface ExtrasOutcome {
  deleted: number;
  deletedBytes: number;
  /** Already gone when deleted (someone else deleted them): not an error. */
  gone: number;
  /** Kept, each with why (a changed blob, snapshots, no permission): the first KEPT_NAMED of them named. */
  kept: number;
  readonly keptFirst: Refusal[];
}

const KEPT_NAMED = 1000;
/** Deletes in flight at once. */
const DELETE_CONCURRENCY = 16;

/** The report's last line when both listings were read to their end (its groups), else undefined: nothing may be deleted. */
export function readReportEnd(file: string): SyncTally | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    // The last line is read from the end, growing the window until it holds a whole line.
    for (let window = 64 * 1024; ; window *= 4) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      const text = buf.toString('utf8').replace(/\n$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl < 0 && start > 0) continue;
      const line = text.slice(nl + 1);
      try {
        const v = JSON.parse(line) as { end?: boolean; tally?: SyncTally };
        return v.end === true ? v.tally : undefined;
      } catch {
        return undefined;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Deletes the extras of a report file whose listings ended (readReportEnd). A listing that went on after an outage
 * wrote some names again: a name not after the last one read is passed over (the plan writes them in name order).
 */
export async function deleteExtras(
  account: AccountClient,
  container: string,
  file: string,
  options: { readonly includeSnapshots?: boolean; readonly signal?: AbortSignal; readonly log?: Logger; readonly outageToleranceMs?: number },
): Promise<ExtrasOutcome> {
  const out: ExtrasOutcome = { deleted: 0, deletedBytes: 0, gone: 0, kept: 0, keptFirst: [] };
  const client = account.service.getContainerClient(container);
  const keep = (source: string, reason: string) => {
    out.kept++;
    if (out.keptFirst.length < KEPT_NAMED) out.keptFirst.push({ source, reason });
    options.log?.warn(`Extra "${source}" kept: ${reason}`);
  };
  const tolerance = Math.max(0, options.outageToleranceMs ?? DEFAULT_OUTAGE_TOLERANCE_SECONDS * 1000);
  let warned = false;
  const one = async (name: string, etag: string | undefined, size: number) => {
    if (!etag) return keep(name, 'its ETag is unknown, so it cannot be deleted safely.');
    let outage: Outage | undefined;
    for (;;) {
      try {
        await client.getBlobClient(name).delete({ conditions: { ifMatch: etag }, deleteSnapshots: options.includeSnapshots ? 'include' : undefined, abortSignal: options.signal });
        out.deleted++;
        out.deletedBytes += size;
        return;
      } catch (e) {
        const d = restDetails(e);
        // Storage not answering (past the SDK's retries): waited out as a copy waits, up to the outage tolerance.
        const reason = options.signal?.aborted ? undefined : transientReason(e);
        if (reason) {
          const now = Date.now();
          outage ??= { since: now, reason, tries: 0, nextTryAt: now };
          outage.reason = reason;
          const waited = await waitForStorage(outage, tolerance, options.signal ?? new AbortController().signal, (first) => {
            if (first && !warned) options.log?.warn(`Delete the extras: storage is not answering (${reason}); waiting for it, up to ${Math.round(tolerance / 1000)} s.`);
            warned = true;
          });
          if (waited === 'again') continue;
        }
        // A delete that went through before its answer was lost finds the blob gone when tried again: not an error.
        if (d.status === 404 && d.code === 'BlobNotFound') out.gone++;
        else if (d.status === 412) keep(name, 'it changed after the sync was planned (its ETag is not the one listed), so it was kept.');
        else if (d.status === 409 && d.code === 'SnapshotsPresent') keep(name, 'it has snapshots, so it was kept (CLI: --include-snapshots deletes them with it).');
        else if (d.status === 403 || d.status === 401) keep(name, 'the destination credential may not delete (a SAS without "d", or an Entra ID role without delete).');
        else if (options.signal?.aborted) keep(name, 'the sync was canceled before it was deleted.');
        else keep(name, reason ? `storage did not answer (${reason}) within the outage tolerance; run the sync again to delete it.` : toCopyError(e, 'Delete', 'destination').info.message);
        return;
      }
    }
  };
  const inFlight = new Set<Promise<void>>();
  let last: string | undefined;
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (!line) continue;
      const v = JSON.parse(line) as { x?: string; e?: string; z?: number };
      if (v.x === undefined) continue;
      if (last !== undefined && compareNames(v.x, last) <= 0) continue;
      last = v.x;
      if (options.signal?.aborted) {
        keep(v.x, 'the sync was canceled before it was deleted.');
        continue;
      }
      const p: Promise<void> = one(v.x, v.e, v.z ?? 0).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= DELETE_CONCURRENCY) await Promise.race(inFlight);
    }
  } finally {
    lines.close();
    await Promise.all(inFlight);
  }
  return out;
}
