/**
 * Move = copy + delete. The copy runs exactly as any copy (same planner, operations, verification);
 * this module adds what happens after it: verify the committed destination (length, Content-MD5 where there is
 * one), record the phase 'copied' with the destination's ETag in the journal (flushed to disk before anything is
 * deleted), then delete the source with If-Match on the source ETag the copy pinned. A job resumed in the phase
 * 'copied' re-verifies the destination against the recorded ETag and deletes: it never copies again.
 *
 * It also holds the move rules the planner applies before anything is written (folder onto itself or into its own
 * subfolder, a destination that is another moved source, a read-only source credential), and what the confirmation
 * tells about how long a deleted source stays recoverable.
 */
import type { BlobClient } from '@azure/storage-blob';
import type { AccountClient } from '../storage/connections';
import { CopyError, restDetails, toCopyError } from '../base/errors';
import { normalizeEtag } from '../base/headers';
import type { Job } from './job';
import type { JobTable } from './jobTable';
import type { MoveProgress } from '../operations/types';
import { transientReason } from '../base/outage';
import type { BlobLocation, CopySource, ErrorInfo } from '../base/types';
import { accountKey } from '../base/urls';
import type { Recoverability } from '../base/recoverability';
import { blobClientAt } from './source';
import { contentProblem } from './verify';

// SDK-free (the move confirmation uses it without loading the SDK); re-exported for the engine's callers.
export { describeRecoverability, type Recoverability } from '../base/recoverability';

interface MoveDeps {
  resolve(connectionId: string): Promise<AccountClient>;
}

/** What the move asks of the engine: the journal, written through to disk before the source is deleted. */

const KEPT_HINT = 'The copy at the destination is complete and verified; nothing was lost. Delete the source yourself, or retry the job.';

function kept(job: Job, why: NonNullable<MoveProgress['kept']>, info: ErrorInfo): ErrorInfo {
  if (job.progress.move) job.progress.move.kept = why;
  return { ...info, code: info.code ?? 'SourceKept' };
}

async function sourceClient(deps: MoveDeps, source: CopySource): Promise<BlobClient> {
  if (source.kind !== 'location') {
    // The planner refuses URL sources for a move; a journal from elsewhere could still hold one.
    throw new CopyError({ message: 'A URL source cannot be moved (its blob cannot be deleted through the URL).', code: 'MoveUrlSource' });
  }
  return blobClientAt(deps, source.location);
}

/**
 * Runs after the runner's successful copy + verification: verify the destination, journal the phase 'copied', delete
 * the source. 'succeeded' = the source is deleted; 'failed' = the source was kept, the error says why (the verified
 * destination stays); 'canceled' = canceled before the delete (the source is kept). Transient storage failures are
 * thrown: the runner waits them out and comes back through resumeMove.
 */
export async function moveAfterCopy(
  deps: MoveDeps,
  host: JobTable,
  job: Job,
  copied: { readonly dest: BlobClient; readonly sourceEtag: string; readonly sourceMd5?: string },
  what: string,
  signal: AbortSignal,
): Promise<MoveOutcome> {
  const bad = await verifyAndRecord(host, job, copied, what);
  if (bad) return { state: 'failed', error: bad };
  if (signal.aborted) {
    // Canceled after the copy: stop before deleting. The phase 'copied' is journaled, so Retry deletes.
    host.log.info(`${what}: canceled before the source was deleted; the verified copy stays at the destination and the source is kept (Retry completes the move).`);
    return { state: 'canceled' };
  }
  return outcomeOf(await deleteSource(deps, host, job, what));
}

/** How a move ended: the runner finishes the job with it. */
export interface MoveOutcome {
  readonly state: 'succeeded' | 'failed' | 'canceled';
  readonly error?: ErrorInfo;
}

function outcomeOf(error: ErrorInfo | undefined): MoveOutcome {
  return error ? { state: 'failed', error } : { state: 'succeeded' };
}

async function verifyAndRecord(
  host: JobTable,
  job: Job,
  copied: { readonly dest: BlobClient; readonly sourceEtag: string; readonly sourceMd5?: string },
  what: string,
): Promise<ErrorInfo | undefined> {
  let props;
  try {
    props = await copied.dest.getProperties();
  } catch (e) {
    if (transientReason(e)) throw e;
    return kept(job, 'destination-changed', { ...toCopyError(e, `${what}: verify the destination before deleting the source`, 'destination').info, hint: KEPT_HINT });
  }
  const problem = contentProblem(props, job.item.size, copied.sourceMd5 ?? job.item.contentMD5);
  if (problem) {
    return { message: `${what}: ${problem}; the source was kept.`, hint: 'Retry the job to copy again.', code: 'VerifyFailed', requestId: props.requestId };
  }
  // The phase goes to disk before the delete: a kill from here on resumes by deleting, never by copying again.
  job.progress.move = { phase: 'copied', destEtag: normalizeEtag(props.etag) ?? '', sourceEtag: copied.sourceEtag };
  host.saveJournal(job, true);
  host.flushJournal();
  return undefined;
}

/**
 * A job journaled in the phase 'copied' (killed, or a transient failure between copy and delete): re-verify that the
 * destination is the one the copy committed (its recorded ETag), then delete the source.
 */
export async function resumeMove(deps: MoveDeps, host: JobTable, job: Job, what: string): Promise<MoveOutcome> {
  const m = job.progress.move!;
  if (m.phase === 'source-deleted') return { state: 'succeeded' }; // killed after the delete, before the job finished
  let props;
  try {
    props = await (await blobClientAt(deps, job.item.destination)).getProperties();
  } catch (e) {
    if (transientReason(e)) throw e;
    const err = toCopyError(e, `${what}: re-verify the destination before deleting the source`, 'destination');
    return outcomeOf(kept(job, 'destination-changed', {
      ...err.info,
      message: err.info.status === 404 ? `${what}: the copied destination is gone; the source was kept.` : err.info.message,
      hint: err.info.status === 404 ? 'Retry the job to copy again.' : KEPT_HINT,
    }));
  }
  const etag = normalizeEtag(props.etag) ?? '';
  if (!m.destEtag || etag !== m.destEtag || (props.contentLength ?? -1) !== job.item.size) {
    return outcomeOf(kept(job, 'destination-changed', {
      message: `${what}: the destination changed after the copy (its ETag is not the one recorded); the source was kept.`,
      hint: 'Someone else wrote the destination: check it, then retry the job to copy again, or delete the source yourself.',
      code: 'DestinationChanged',
      requestId: props.requestId,
    }));
  }
  host.log.info(`${what}: the copy was verified before the interruption (destination ETag ${etag}); deleting the source.`);
  return outcomeOf(await deleteSource(deps, host, job, what));
}

async function deleteSource(deps: MoveDeps, host: JobTable, job: Job, what: string): Promise<ErrorInfo | undefined> {
  const m = job.progress.move!;
  if (!m.sourceEtag) {
    return kept(job, 'source-changed', { message: `${what}: the source's ETag is unknown, so it cannot be deleted safely; it was kept.`, hint: KEPT_HINT });
  }
  const src = await sourceClient(deps, job.item.source);
  const withSnapshots = job.options.includeSnapshots === true;
  try {
    await src.delete({ conditions: { ifMatch: m.sourceEtag }, deleteSnapshots: withSnapshots ? 'include' : undefined });
  } catch (e) {
    if (transientReason(e)) throw e;
    const d = restDetails(e);
    if (d.status === 404 && d.code === 'BlobNotFound') {
      host.log.warn(`${what}: the source was already gone when the move deleted it; the verified copy is at the destination.`);
    } else if (d.status === 412) {
      return kept(job, 'source-changed', {
        message: `${what}: the source changed after the move was planned, so it was kept (the destination holds the planned version).`,
        hint: 'Retry the job to move the new version, or delete the source yourself.',
        status: 412,
        code: 'SourceChanged',
        requestId: d.requestId,
      });
    } else if (d.status === 409 && d.code === 'SnapshotsPresent') {
      return kept(job, 'snapshots', {
        message: `${what}: the source has snapshots, so it was kept (its copy is at the destination; snapshots are not copied).`,
        hint: 'Move again with "include snapshots" (CLI: --include-snapshots) to delete the source with its snapshots.',
        status: 409,
        code: 'SnapshotsPresent',
        requestId: d.requestId,
      });
    } else if (d.status === 403 || d.status === 401) {
      return kept(job, 'no-permission', {
        message: `${what}: the source credential may not delete, so the source was kept.`,
        hint: 'Use a source connection that can delete (a SAS with "d", the account key, or an Entra ID role with delete), then retry.',
        status: d.status,
        code: d.code ?? 'AuthorizationPermissionMismatch',
        requestId: d.requestId,
      });
    } else {
      return kept(job, 'source-changed', { ...toCopyError(e, `${what}: delete the source`, 'source').info, hint: KEPT_HINT });
    }
  }
  m.phase = 'source-deleted';
  m.kept = undefined;
  host.saveJournal(job, true);
  host.log.info(`${what}: source deleted (If-Match ${m.sourceEtag}); the destination's ETag is ${m.destEtag}.`);
  return undefined;
}

/** On retry of a kept source: only a changed source copies again (its new version); otherwise the delete is retried. */
export function moveRetryCopiesAgain(job: Job): boolean {
  const m = job.progress.move;
  return !m || m.phase !== 'copied' || m.kept === 'source-changed' || m.kept === 'destination-changed';
}

/** The job options a move adds (journaled with the job): none for a copy. */
export function moveOptions(o: { readonly move?: boolean; readonly includeSnapshots?: boolean }): { move?: true; includeSnapshots?: true } {
  return o.move ? { move: true, ...(o.includeSnapshots ? { includeSnapshots: true as const } : {}) } : {};
}

// ------------------------------------------------------------------------------------------ planning rules

/** SAS permissions ("sp") of a SAS query string; undefined when the connection is not a SAS. */
function sasPermissions(sas: string | undefined): string | undefined {
  if (!sas) return undefined;
  return new URLSearchParams(sas).get('sp') ?? '';
}

/**
 * Problems that refuse a move before anything is written: URL sources, read-only source credentials (a SAS without
 * "d"), a folder moved onto itself or into its own subfolder, a destination that is another moved blob.
 */
export async function moveProblems(
  resolve: (connectionId: string) => Promise<AccountClient>,
  sources: readonly CopySource[],
  destination: BlobLocation,
  destKey: string,
  named: ReadonlyArray<{ readonly sourceKey: string; readonly sourceContainer?: string; readonly sourceName: string; readonly destName: string }>,
): Promise<string[]> {
  const problems: string[] = [];
  const checked = new Set<string>();
  const destPrefix = destination.path === '' || destination.path.endsWith('/') ? destination.path : `${destination.path}/`;
  for (const s of sources) {
    if (s.kind === 'url') {
      problems.push('A URL source cannot be moved (its blob cannot be deleted through a URL): copy it instead, or move it from a connection.');
      continue;
    }
    const loc = s.location;
    const acct = await resolve(loc.connectionId); // resolvers cache their clients
    const sp = sasPermissions(acct.sas);
    if (sp !== undefined && !sp.includes('d') && !checked.has(loc.connectionId)) {
      problems.push(`The source connection's SAS may not delete (permissions "${sp}"), so a move could copy but never delete: use a SAS with "d" (delete), or copy instead.`);
    }
    checked.add(loc.connectionId);
    const isFolder = loc.path === '' || loc.path.endsWith('/');
    if (isFolder && accountKey(acct.endpoint) === destKey && loc.container === destination.container && destPrefix.startsWith(loc.path)) {
      problems.push(
        destPrefix === loc.path
          ? `"${loc.container}/${loc.path}" would be moved onto itself: choose another destination.`
          : `"${loc.container}/${loc.path}" would be moved into its own subfolder "${destPrefix}": choose a destination outside it.`,
      );
    }
  }
  // A destination that is another blob of the same move would be overwritten before (or after) it is moved itself.
  const moved = new Set(named.filter((n) => n.sourceKey === destKey && n.sourceContainer === destination.container).map((n) => n.sourceName));
  for (const n of named) {
    if (moved.has(n.destName) && n.destName !== n.sourceName) {
      problems.push(`"${n.destName}" is both moved and the destination of "${n.sourceName}": move in two steps, or choose another destination.`);
      break;
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------ recoverability

/** How long a deleted source stays recoverable: the service's delete retention policy, where it can be read. */
export async function sourceRecoverability(account: AccountClient, signal?: AbortSignal): Promise<Recoverability> {
  try {
    const p = await account.service.getProperties({ abortSignal: signal });
    const r = p.deleteRetentionPolicy;
    if (!r) return { softDelete: { state: 'unknown', reason: 'the service did not report a delete retention policy' }, versioning: 'unknown' };
    return { softDelete: r.enabled ? { state: 'on', days: r.days ?? 0 } : { state: 'off' }, versioning: 'unknown' };
  } catch (e) {
    const d = restDetails(e);
    return { softDelete: { state: 'unknown', reason: d.status === 403 ? 'no permission to read the account settings' : 'the account settings could not be read' }, versioning: 'unknown' };
  }
}
