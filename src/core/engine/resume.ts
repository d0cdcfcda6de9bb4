/**
 * What a new engine finds in the journal to resume: jobs that were not final, streamed batches that stopped while
 * listing (their position, and the blobs beyond it that already have a record, so none is made twice), and batches
 * that stopped after their listing with what only the listing knew (BatchRecord.listed).
 */
import type { BatchRecord, JournalRecord, JournalStore } from '../copy/journal';
import { compareNames } from '../plan/expand';
import { isFinal, type PlannedCopy } from '../base/types';

interface ResumeSet {
  /** Jobs not final, not known to this engine. */
  readonly jobs: JournalRecord[];
  /** Streamed batches to list on, by id. */
  readonly streams: Map<string, BatchRecord>;
  /** Batches listed to the end, with copies that were still in flight (BatchRecord.listed), by id. */
  readonly listed: Map<string, BatchRecord>;
  /** Per streamed batch: destinations (before rename) that have a record: not made again from the listing. */
  readonly skip: Map<string, Set<string>>;
  /** Per streamed batch: blobs (doneKey) that finished beyond its position, from its done log. */
  readonly done: Map<string, Set<string>>;
}

/** A planned item's destination before any rename: unique in its batch. */
function intendedPath(item: PlannedCopy): string {
  return (item.intendedDestination ?? item.destination).path;
}

/** Whether a done-log line (doneKey) names a blob after the position: the listing has not passed it. */
export function beyondPosition(line: string, p: BatchRecord['position']): boolean {
  const tab = line.indexOf('\t');
  const source = Number(line.slice(0, tab));
  return source > p.source || (source === p.source && (p.after === undefined || compareNames(line.slice(tab + 1), p.after) > 0));
}

export function readResume(journal: JournalStore | undefined, known: { job(id: string): boolean; batch(id: string): boolean }): ResumeSet {
  const set: ResumeSet = { jobs: [], streams: new Map(), listed: new Map(), skip: new Map(), done: new Map() };
  if (!journal) return set;
  for (const b of journal.listBatches()) {
    if (known.batch(b.batchId)) continue;
    if (b.listed) {
      set.listed.set(b.batchId, b);
      continue;
    }
    set.streams.set(b.batchId, b);
    // Only what lies beyond the position matters (the listing resumes there): memory stays small.
    const beyond = journal.readDone(b.batchId).filter((line) => beyondPosition(line, b.position));
    set.done.set(b.batchId, new Set(beyond));
  }
  for (const r of journal.list()) {
    if (known.job(r.jobId)) continue;
    const final = isFinal(r.state);
    if (!final) set.jobs.push(r);
    if (!set.streams.has(r.batchId)) continue;
    const names = set.skip.get(r.batchId) ?? new Set<string>();
    set.skip.set(r.batchId, names);
    names.add(intendedPath(r.item));
  }
  return set;
}
