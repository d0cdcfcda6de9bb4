/**
 * What the Copy Jobs panel says, as plain strings (no DOM, unit-tested in plain Node): a row's numbers, the summary
 * chips, the overall progress line, the per-batch lines, the empty message and the note on unlisted jobs.
 */
import { type BatchView, type JobFilter, type JobTotals, type JobView, type WaitingView } from '../shared/protocol';
import { finishedOf, formatBytes, formatCount, formatDuration, formatRate, operationLabel, plural } from '../shared/vocabulary';
import { etaSeconds, percent } from './format';

interface RowText {
  readonly operation: string;
  /** "attempt 2" from the second attempt on. */
  readonly attempt: string | undefined;
  /** Progress bar value 0–100, undefined when indeterminate. */
  readonly value: number | undefined;
  readonly percent: string;
  readonly bytes: string;
  readonly speed: string;
  readonly eta: string;
}

export function rowText(job: JobView): RowText {
  const pct = percent(job.bytesDone, job.bytesTotal);
  const moving = job.state === 'running' || job.state === 'pending';
  const indeterminate = moving && job.bytesTotal <= 0;
  const eta = moving ? etaSeconds(job.bytesDone, job.bytesTotal, job.throughput) : undefined;
  return {
    operation: operationLabel(job.strategy),
    attempt: job.attempts > 1 ? `attempt ${job.attempts}` : undefined,
    value: indeterminate ? undefined : job.state === 'succeeded' ? 100 : pct,
    percent: indeterminate ? '' : `${Math.floor(job.state === 'succeeded' ? 100 : pct)}%`,
    bytes: job.bytesTotal > 0 ? `${formatBytes(job.bytesDone)} / ${formatBytes(job.bytesTotal)}` : formatBytes(job.bytesDone),
    speed: moving ? formatRate(job.throughput) : '—',
    eta: eta === undefined ? '—' : formatDuration(eta),
  };
}

/** "Waiting for storage — connection refused · 12 s · next try in 4 s" (times in whole seconds, never negative). */
export function waitingText(w: WaitingView, now: number): string {
  const waited = Math.max(0, Math.round((now - w.since) / 1000));
  const next = Math.max(0, Math.ceil((w.nextTryAt - now) / 1000));
  return `Waiting for storage — ${w.reason} · ${formatDuration(waited)} · ${next > 0 ? `next try in ${formatDuration(next)}` : 'trying again now'}`;
}

/** "2 jobs waiting for storage (connection refused)", for the overall line; undefined when none waits. */
export function waitingSummaryText(count: number, reason: string | undefined): string | undefined {
  if (count <= 0) return undefined;
  return `${plural(count, 'job')} waiting for storage${reason ? ` (${reason})` : ''}`;
}

interface Chip {
  readonly count: string;
  readonly label: string;
  /** CSS class (state color). */
  readonly cls: string;
}

/** The summary chips: copying, queued, done, skipped, failed, canceled (only those with jobs). */
export function summaryChips(totals: JobTotals): Chip[] {
  const by = totals.byState;
  const all: [number, string, string][] = [
    [by.running + by.pending, 'copying', 'state-running'],
    [by.queued, 'queued', 'state-queued'],
    [by.succeeded, 'done', 'state-succeeded'],
    [by.skipped, 'skipped', 'state-skipped'],
    [by.failed + by.aborted, 'failed', 'state-failed'],
    [by.canceled, 'canceled', 'state-canceled'],
  ];
  return all.filter(([n]) => n > 0).map(([n, label, cls]) => ({ count: formatCount(n), label, cls }));
}

/** "8 jobs · 1.5 MiB of 3.0 MiB (50%) · 2.0 MiB/s · ETA 1 s" (rate and ETA only while jobs are active). */
export function overallText(totals: JobTotals): string {
  const by = totals.byState;
  const active = by.queued + by.running + by.pending;
  const pct = percent(totals.bytesDone, totals.bytesTotal);
  const parts = [plural(totals.count, 'job'), `${formatBytes(totals.bytesDone)} of ${formatBytes(totals.bytesTotal)} (${Math.floor(pct)}%)`];
  if (active > 0) {
    parts.push(formatRate(totals.throughput));
    const eta = etaSeconds(totals.bytesDone, totals.bytesTotal, totals.throughput);
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  }
  return parts.join(' · ');
}

/** The overall progress bar's value, 0–100. */
export function overallValue(totals: JobTotals): number {
  const by = totals.byState;
  const active = by.queued + by.running + by.pending;
  if (totals.count > 0 && totals.bytesTotal > 0) return percent(totals.bytesDone, totals.bytesTotal);
  return totals.count > 0 && active === 0 ? 100 : 0;
}

interface EmptyText {
  readonly icon: string;
  readonly text: string;
  readonly detail: string;
}

/** What an empty table says, under a filter, with `known` jobs in total. */
export function emptyText(filter: JobFilter, known: number): EmptyText {
  if (filter === 'all' && known > 0) return { icon: 'info', text: 'No job listed.', detail: ' Every job is counted above.' };
  const text = filter === 'active' ? 'No copies in progress.' : filter === 'failed' ? 'No failed copies.' : 'No copy jobs yet.';
  const detail = known > 0 && filter !== 'all' ? ` ${plural(known, 'job')} under "All".` : ' Start one from the storage tree: Copy Blob To…, Paste, or drag and drop.';
  return { icon: filter === 'failed' ? 'pass' : 'inbox', text, detail };
}

/**
 * Under the list when the summary counts more jobs than the host lists (the engine keeps failed, active and the
 * most recent finished jobs; older finished ones live on as counts, and so do the small blobs of a batch past its
 * first 1,000 jobs): "989,000 jobs counted above, not listed." Undefined when every job is listed.
 */
export function unlistedText(known: number, listed: number): string | undefined {
  const n = known - listed;
  return n > 0 ? `${plural(n, 'job')} counted above, not listed: older finished ones, and a large copy's small blobs.` : undefined;
}

/** A batch's line: "1,000,000 jobs · 999,000 done · 12 failed · 3.0 GiB of 4.0 GiB · listing…". */
export function batchText(b: BatchView): string {
  const parts = [plural(b.total, 'job')];
  const finished = finishedOf(b);
  if (b.succeeded > 0) parts.push(`${formatCount(b.succeeded)} done`);
  if (b.skipped > 0) parts.push(`${formatCount(b.skipped)} skipped`);
  if (b.failed + b.aborted > 0) parts.push(`${formatCount(b.failed + b.aborted)} failed`);
  if (b.canceled > 0) parts.push(`${formatCount(b.canceled)} canceled`);
  if (b.unplanned) parts.push(`${formatCount(b.unplanned)} not copied`);
  if (b.total > finished) parts.push(`${formatCount(b.total - finished)} to go`);
  parts.push(`${formatBytes(b.bytes)} of ${formatBytes(b.bytesTotal)}`);
  if (b.listing) parts.push(b.listingWaiting ? `listing waits for storage (${b.listingWaiting})…` : 'listing…');
  else if (b.done && (b.outcome === 'partial' || b.outcome === 'failed')) parts.push(`${b.outcome}${b.problem ? `: ${b.problem}` : ''}`);
  else if (b.done) parts.push('finished');
  return parts.join(' · ');
}
