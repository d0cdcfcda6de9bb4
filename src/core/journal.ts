/**
 * The journal: one JSON file per job in the caller's folder, written atomically (temp file + rename) and throttled.
 * It holds plan items and progress, never secrets: sources are connection ids, URL sources are stored redacted
 * (a URL that carried a SAS cannot be resumed by a new process without the caller giving it again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redact } from './redact';
import type { CopyOperation, ErrorInfo, JobState, PlannedCopy } from './types';

export interface JobProgress {
  /** Bumps when progress is discarded (source changed): block ids of a new generation never collide. */
  generation: number;
  blockSize?: number;
  blockCount?: number;
  /** Indexes of blocks staged (Put Block From URL). */
  staged?: number[];
  /** Bytes appended so far (Append Block From URL). */
  appendedOffset?: number;
  /** Indexes of page chunks copied (Put Page From URL). */
  copiedPages?: number[];
  /** Copy Blob's copy id. */
  copyId?: string;
  /** The engine created the destination (append/page blob) in this attempt. */
  created?: boolean;
}

export interface JournalRecord {
  version: 1;
  jobId: string;
  batchId: string;
  item: PlannedCopy;
  /** The source URL held a query (SAS) that the journal does not store. */
  sourceSecretOmitted?: boolean;
  options: { tags: boolean; tier: boolean; conflict: string };
  operation: CopyOperation;
  state: JobState;
  attempts: number;
  bytesDone: number;
  progress: JobProgress;
  error?: ErrorInfo;
  updatedAt: string;
}

/** Store interface (the extension passes its global storage folder to the file store). */
export interface JournalStore {
  save(record: JournalRecord, urgent?: boolean): void;
  remove(jobId: string): void;
  list(): JournalRecord[];
  flush(): void;
}

export function sanitizeItem(item: PlannedCopy): { item: PlannedCopy; secretOmitted: boolean } {
  if (item.source.kind !== 'url') return { item, secretOmitted: false };
  const q = item.source.url.indexOf('?');
  if (q < 0) return { item: { ...item, source: { kind: 'url', url: redact(item.source.url) } }, secretOmitted: false };
  return { item: { ...item, source: { kind: 'url', url: item.source.url.slice(0, q) } }, secretOmitted: true };
}

const FILE_RE = /^job-[A-Za-z0-9-]+\.json$/;

export class FileJournal implements JournalStore {
  private readonly pending = new Map<string, JournalRecord>();
  private readonly lastWrite = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly minIntervalMs = 200,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private file(jobId: string): string {
    return path.join(this.dir, `job-${jobId}.json`);
  }

  save(record: JournalRecord, urgent = false): void {
    const last = this.lastWrite.get(record.jobId) ?? 0;
    if (urgent || Date.now() - last >= this.minIntervalMs) {
      this.pending.delete(record.jobId);
      this.write(record);
      return;
    }
    this.pending.set(record.jobId, record);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.minIntervalMs);
      this.timer.unref?.();
    }
  }

  private write(record: JournalRecord): void {
    const file = this.file(record.jobId);
    const tmp = `${file}.${process.pid}.tmp`;
    const text = redact(JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 1));
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, file);
      this.lastWrite.set(record.jobId, Date.now());
    } catch {
      // A journal write failure must not fail the copy; the next write tries again.
    }
  }

  remove(jobId: string): void {
    this.pending.delete(jobId);
    this.lastWrite.delete(jobId);
    try {
      fs.rmSync(this.file(jobId), { force: true });
    } catch {
      /* ignore */
    }
  }

  flush(): void {
    for (const r of [...this.pending.values()]) this.write(r);
    this.pending.clear();
  }

  list(): JournalRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: JournalRecord[] = [];
    for (const n of names) {
      if (!FILE_RE.test(n)) continue;
      try {
        const r = JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as JournalRecord;
        if (r.version === 1 && r.jobId && r.item) out.push(r);
      } catch {
        // A torn or foreign file: ignore it (writes are atomic, so this is not ours).
      }
    }
    return out;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
