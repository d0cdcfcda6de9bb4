/**
 * The journal: one JSON file per job in the caller's folder, written atomically (temp file + rename), coalesced and throttled.
 * It holds plan items and progress, never secrets: sources are connection ids, URL sources are stored redacted
 * (a URL that carried a SAS cannot be resumed by a new process without the caller giving it again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redact } from '../base/redact';
import type { ConflictPolicy, CopyOperation, CopyRequest, ErrorInfo, JobState, PlannedCopy, Refusals } from '../base/types';
import type { BatchCounts } from '../../shared/vocabulary';
import { isAlive, JournalOwner } from './journalOwner';

/**
 * Progress as stored: the generation and the operation's own fields (see operations/types.ts, tagged by `op`).
 * Loosely typed because a record may come from an older version; operations/index.ts `progressFromRecord` reads it.
 */
interface StoredProgress {
  generation: number;
  op?: CopyOperation;
  [field: string]: unknown;
}

/** Per-job options that the copy keeps (from the request). */
export interface JobOptions {
  readonly tags: boolean;
  readonly tier: boolean;
  readonly conflict: ConflictPolicy;
  // ---- move: journaled with the job, so a resumed job still deletes its source after the copy.
  readonly move?: boolean;
  readonly includeSnapshots?: boolean;
}

export interface JournalRecord {
  version: 1;
  jobId: string;
  batchId: string;
  item: PlannedCopy;
  /** The source URL held a query (SAS) that the journal does not store. */
  sourceSecretOmitted?: boolean;
  options: JobOptions;
  operation: CopyOperation;
  state: JobState;
  attempts: number;
  bytesDone: number;
  progress: StoredProgress;
  error?: ErrorInfo;
  /** The journal that wrote it (see FileJournal.owner): another live one's records are not offered or resumed. */
  owner?: string;
  updatedAt: string;
}

/**
 * Where a streamed batch stands: its request (no secrets) and how far its listing has been turned into jobs. Every
 * job made before that point either finished or has its own record, so a resume lists on from there.
 */
export interface BatchRecord {
  version: 1;
  batchId: string;
  request: CopyRequest;
  /** A URL source held a query (SAS) that the journal does not store. */
  sourceSecretOmitted?: boolean;
  /** Sources before `source` are listed to the end; in `source`, every name up to and including `after`. */
  position: { source: number; after?: string };
  /**
   * Blobs the listing refused up to `position` (the first of them named, all counted): a resume lists on after the
   * position and would not meet them again, so the resumed batch counts them from here (it stays partial). Once
   * `listed`, every blob the listing refused.
   */
  refused?: Refusals;
  /**
   * Set once every source was listed, while copies are still in flight (they have their own records): what only the
   * listing knew, for a restart before the batch is done: its error, its refused blobs (`refused`); the request tells
   * a sync whose extras are still to be deleted. Nothing is listed again; the record goes when the batch is done, a
   * sync's that deletes extras when its run ended (the deletes come after the batch: CopyEngine.syncEnded).
   * `copied`: such a sync's copies all ended (its extras were being deleted): how many, for the resumed batch.
   */
  listed?: { readonly error?: ErrorInfo; readonly copied?: CopiedCounts };
  /** When the batch started (ISO, this machine's clock): a resume's copies in flight before the stop (Job.copiedSince). */
  startedAt?: string;
  /** The journal that wrote it (see FileJournal.owner). */
  owner?: string;
  updatedAt: string;
}

/** A batch's finished copies, as a sync's record keeps them once they all ended (BatchRecord.listed.copied). */
export type CopiedCounts = Omit<BatchCounts, 'done' | 'unplanned'> & { readonly bytes: number; readonly bytesTotal: number };

/** Refused blobs a batch's record names (the rest are counted): the record stays small. */
const RECORD_REFUSALS_NAMED = 1000;

/**
 * A batch's record: its request without the secrets the journal does not keep (sanitizeRequest), its position, the
 * refusals it passed (the first RECORD_REFUSALS_NAMED named) and, once listed to the end, `listed`.
 */
export function batchRecord(
  batchId: string,
  request: CopyRequest,
  position: BatchRecord['position'],
  refused: Refusals | undefined,
  listed?: BatchRecord['listed'],
  startedAt?: string,
): BatchRecord {
  const { request: stored, secretOmitted } = sanitizeRequest(request);
  const named = refused && { count: refused.count, first: refused.first.slice(0, RECORD_REFUSALS_NAMED) };
  return { version: 1, batchId, request: stored, sourceSecretOmitted: secretOmitted || undefined, position, refused: named, ...(listed ? { listed } : {}), ...(startedAt ? { startedAt } : {}), updatedAt: '' };
}

/** Store interface (the extension passes its global storage folder to the file store). */
export interface JournalStore {
  save(record: JournalRecord, urgent?: boolean): void;
  remove(jobId: string): void;
  list(): JournalRecord[];
  flush(): void;
  /** Written at once (after flush(): the jobs it covers are on disk or final). */
  saveBatch(record: BatchRecord): void;
  /** Removes the batch's record and its done log. */
  removeBatch(batchId: string): void;
  listBatches(): BatchRecord[];
  /**
   * Appends one line to the batch's done log, synchronously (one write to an open file): a streamed batch's blobs
   * that finished beyond its journaled position. Survives the process being killed right after.
   */
  appendDone(batchId: string, line: string): void;
  /** Replaces the batch's done log with these lines (atomically): what lies beyond a position just saved. */
  rewriteDone?(batchId: string, lines: readonly string[]): void;
  readDone(batchId: string): string[];
  /** Resolves once no write is pending or in flight (every temp file renamed or removed); pending writes start now. */
  settled?(): Promise<void>;
}

/** A request as the journal keeps it: URL sources lose their query (a SAS). */
function sanitizeRequest(request: CopyRequest): { request: CopyRequest; secretOmitted: boolean } {
  let secretOmitted = false;
  const sources = request.sources.map((s) => {
    if (s.kind !== 'url') return s;
    const q = s.url.indexOf('?');
    if (q < 0) return { kind: 'url' as const, url: redact(s.url) };
    secretOmitted = true;
    return { kind: 'url' as const, url: s.url.slice(0, q) };
  });
  return { request: { ...request, sources }, secretOmitted };
}

/** Whether the journal leaves a secret out of the item: a URL source's query (its SAS), see sanitizeItem. */
export function itemHasSecret(item: PlannedCopy): boolean {
  return item.source.kind === 'url' && item.source.url.includes('?');
}

export function sanitizeItem(item: PlannedCopy): { item: PlannedCopy; secretOmitted: boolean } {
  if (item.source.kind !== 'url') return { item, secretOmitted: false };
  const q = item.source.url.indexOf('?');
  if (q < 0) return { item: { ...item, source: { kind: 'url', url: redact(item.source.url) } }, secretOmitted: false };
  return { item: { ...item, source: { kind: 'url', url: item.source.url.slice(0, q) } }, secretOmitted: true };
}

const FILE_RE = /^job-[A-Za-z0-9-]+\.json$/;
const BATCH_RE = /^batch-[A-Za-z0-9-]+\.json$/;
/** A temp file of a write (job, batch or done log): `<file>.<pid>[.<seq>].tmp`. */
const TMP_RE = /^(?:job|batch)-[A-Za-z0-9-]+\.(?:json|done)\.(\d+)(?:\.\d+)?\.tmp$/;

/**
 * Whether `dir` holds any job or batch record, by file name only (nothing is read or parsed): the extension's
 * start-up check, which loads the engine only when there is a journal to look at. A missing folder has none.
 */
export function hasJournal(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => FILE_RE.test(name) || BATCH_RE.test(name));
  } catch {
    return false;
  }
}

/**
 * Writes are coalesced and asynchronous: save() keeps the newest record per job and a background drain writes them
 * (at most WRITE_PARALLELISM files at a time, temp file + rename); a job removed before its record was written costs
 * no file at all. Urgent records are written on the next turn of the event loop, others at most every minIntervalMs
 * per job. flush() (and dispose()) write everything pending synchronously.
 */
const WRITE_PARALLELISM = 8;

export class FileJournal implements JournalStore {
  /** Who writes it (see journalOwner.ts): list() and listBatches() pass over another running window's records. */
  private readonly ownership: JournalOwner;
  private readonly pending = new Map<string, JournalRecord>();
  private readonly lastWrite = new Map<string, number>();
  /** Jobs whose file exists (or is being renamed into place). */
  private readonly onDisk = new Set<string>();
  /** Per job: sequence number of the newest record renamed into place (older async writes are dropped). */
  private readonly written = new Map<string, number>();
  /** Records being written asynchronously now (flush() writes them again synchronously, so none is lost). */
  private readonly writing = new Map<string, JournalRecord>();
  private seq = 0;
  /** Open done logs of streamed batches. */
  private readonly doneFds = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private drainScheduled = false;
  private draining = false;
  private disposed = false;
  private settleWaiters: Array<() => void> = [];

  constructor(
    private readonly dir: string,
    private readonly minIntervalMs = 200,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.ownership = new JournalOwner(dir);
    this.sweepTorn();
  }

  /** The owner id its records carry. */
  get owner(): string {
    return this.ownership.id;
  }

  /**
   * Removes the temp files of processes that no longer run (killed between a write and its rename): they are never
   * read, and would otherwise pile up in the folder. Another live process's temp files are its writes in flight.
   */
  private sweepTorn(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = TMP_RE.exec(n);
      // A torn write of a process that is gone; or (housekeeping) the heartbeat of a journal that is gone.
      if (m ? !isAlive(Number(m[1])) : this.ownership.goneHeartbeat(n)) fs.rmSync(path.join(this.dir, n), { force: true });
    }
  }

  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.scheduleDrain();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private isSettled(): boolean {
    return this.disposed || (this.pending.size === 0 && this.writing.size === 0 && !this.draining && !this.drainScheduled);
  }

  private wakeSettled(): void {
    if (this.settleWaiters.length > 0 && this.isSettled()) for (const w of this.settleWaiters.splice(0)) w();
  }

  private file(jobId: string): string {
    return path.join(this.dir, `job-${jobId}.json`);
  }

  save(record: JournalRecord, urgent = false): void {
    this.pending.set(record.jobId, record);
    const last = this.lastWrite.get(record.jobId) ?? 0;
    if (urgent || Date.now() - last >= this.minIntervalMs) {
      this.scheduleDrain();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduleDrain();
      }, this.minIntervalMs);
      this.timer.unref?.();
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.draining || this.disposed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining || this.disposed) return;
    this.draining = true;
    try {
      for (let round = 0; round < 1_000_000 && this.pending.size > 0 && !this.disposed; round++) {
        const now = Date.now();
        const batch: JournalRecord[] = [];
        for (const [jobId, r] of this.pending) {
          if (this.writing.has(jobId)) continue;
          batch.push(r);
          if (batch.length >= WRITE_PARALLELISM) break;
        }
        if (batch.length === 0) break;
        for (const r of batch) this.pending.delete(r.jobId);
        await Promise.all(batch.map((r) => this.writeAsync(r, now)));
      }
    } finally {
      this.draining = false;
    }
    if (this.pending.size > 0 && !this.disposed) {
      if (this.settleWaiters.length > 0) this.scheduleDrain();
      else if (!this.timer) {
        // Records that arrived while their job's previous write was in flight.
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.scheduleDrain();
        }, 0);
        this.timer.unref?.();
      }
    }
    this.wakeSettled();
  }

  private serialize(record: JournalRecord): string {
    return redact(JSON.stringify({ ...record, owner: this.owner, updatedAt: new Date().toISOString() }, null, 1));
  }

  private async writeAsync(record: JournalRecord, now: number): Promise<void> {
    const jobId = record.jobId;
    const mySeq = ++this.seq;
    const file = this.file(jobId);
    const tmp = `${file}.${process.pid}.${mySeq}.tmp`;
    this.writing.set(jobId, record);
    try {
      await fs.promises.writeFile(tmp, this.serialize(record));
      // Rename synchronously: no newer write (or removal) can slip between this check and the rename.
      // A newer record (flush) or a removal (tombstone +Infinity) came after this one: drop it.
      if ((this.written.get(jobId) ?? 0) > mySeq) {
        fs.rmSync(tmp, { force: true });
        return;
      }
      fs.renameSync(tmp, file);
      this.written.set(jobId, mySeq);
      this.onDisk.add(jobId);
      this.lastWrite.set(jobId, now);
    } catch {
      // A journal write failure must not fail the copy; the next write tries again.
      fs.rmSync(tmp, { force: true });
    } finally {
      this.writing.delete(jobId);
      // Removed jobs are tombstoned with +Infinity only while a write is in flight.
      if (this.written.get(jobId) === Number.POSITIVE_INFINITY) this.written.delete(jobId);
    }
  }

  private writeSync(record: JournalRecord): void {
    const mySeq = ++this.seq;
    const file = this.file(record.jobId);
    const tmp = `${file}.${process.pid}.${mySeq}.tmp`;
    try {
      fs.writeFileSync(tmp, this.serialize(record));
      fs.renameSync(tmp, file);
      this.written.set(record.jobId, mySeq);
      this.onDisk.add(record.jobId);
      this.lastWrite.set(record.jobId, Date.now());
    } catch {
      // A journal write failure must not fail the copy; the next write tries again.
    }
  }

  remove(jobId: string): void {
    this.pending.delete(jobId);
    this.lastWrite.delete(jobId);
    if (this.writing.has(jobId)) this.written.set(jobId, Number.POSITIVE_INFINITY);
    else this.written.delete(jobId);
    if (!this.onDisk.delete(jobId)) return; // never written: nothing to delete
    try {
      fs.rmSync(this.file(jobId), { force: true });
    } catch {
      /* ignore */
    }
  }

  flush(): void {
    // Records being written now, except those of jobs removed meanwhile (tombstoned): rewriting them would
    // bring a finished job's file back.
    const all = new Map([...this.writing].filter(([id]) => this.written.get(id) !== Number.POSITIVE_INFINITY));
    for (const [id, r] of this.pending) all.set(id, r);
    this.pending.clear();
    for (const r of all.values()) this.writeSync(r);
  }

  /** The job records, but another live window's (see owner). */
  list(): JournalRecord[] {
    const seen = new Map<string, boolean>();
    return this.readAll<JournalRecord>(FILE_RE, (r) => r.version === 1 && !!r.jobId && !!r.item && !this.ownership.elsewhere(r.owner, seen)).map((r) => {
      this.onDisk.add(r.jobId); // written by an earlier process: remove() must delete it
      return r;
    });
  }

  /** Every file of the folder whose name matches, parsed; torn or foreign files are passed over (writes are atomic). */
  private readAll<T>(re: RegExp, valid: (r: T) => boolean): T[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: T[] = [];
    for (const n of names) {
      if (!re.test(n)) continue;
      try {
        const r = JSON.parse(fs.readFileSync(path.join(this.dir, n), 'utf8')) as T;
        if (valid(r)) out.push(r);
      } catch {
        // a torn or foreign file: not ours
      }
    }
    return out;
  }


  private batchFile(batchId: string): string {
    return path.join(this.dir, `batch-${batchId}.json`);
  }

  saveBatch(record: BatchRecord): void {
    const file = this.batchFile(record.batchId);
    const tmp = `${file}.${process.pid}.${++this.seq}.tmp`;
    try {
      fs.writeFileSync(tmp, redact(JSON.stringify({ ...record, owner: this.owner, updatedAt: new Date().toISOString() })));
      fs.renameSync(tmp, file);
    } catch {
      fs.rmSync(tmp, { force: true });
    }
  }

  removeBatch(batchId: string): void {
    const fd = this.doneFds.get(batchId);
    if (fd !== undefined) {
      this.doneFds.delete(batchId);
      fs.closeSync(fd);
    }
    fs.rmSync(this.batchFile(batchId), { force: true });
    fs.rmSync(this.doneFile(batchId), { force: true });
  }

  private doneFile(batchId: string): string {
    return path.join(this.dir, `batch-${batchId}.done`);
  }

  appendDone(batchId: string, line: string): void {
    try {
      let fd = this.doneFds.get(batchId);
      if (fd === undefined) this.doneFds.set(batchId, (fd = fs.openSync(this.doneFile(batchId), 'a')));
      fs.writeSync(fd, `${line}\n`);
    } catch {
      // A journal write failure must not fail the copy (a resume may then copy this blob again).
    }
  }

  rewriteDone(batchId: string, lines: readonly string[]): void {
    const fd = this.doneFds.get(batchId);
    // Nothing appended since it was last written: nothing to drop.
    if (fd === undefined) return;
    this.doneFds.delete(batchId);
    const file = this.doneFile(batchId);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.closeSync(fd);
      fs.writeFileSync(tmp, lines.length ? `${lines.join('\n')}\n` : '');
      fs.renameSync(tmp, file);
    } catch {
      fs.rmSync(tmp, { force: true }); // the old log stays: a superset, still right
    }
  }

  readDone(batchId: string): string[] {
    try {
      return fs.readFileSync(this.doneFile(batchId), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** The batch records, but another live window's (see owner). */
  listBatches(): BatchRecord[] {
    const seen = new Map<string, boolean>();
    return this.readAll<BatchRecord>(BATCH_RE, (r) => r.version === 1 && !!r.batchId && !!r.request && !!r.position && !this.ownership.elsewhere(r.owner, seen));
  }


  dispose(): void {
    for (const fd of this.doneFds.values()) fs.closeSync(fd);
    this.doneFds.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    this.disposed = true;
    this.ownership.dispose();
    for (const w of this.settleWaiters.splice(0)) w();
  }
}
