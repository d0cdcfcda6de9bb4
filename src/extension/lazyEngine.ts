/**
 * The copy engine on first use (start-up time): activation creates a holder, not the engine. The engine
 * (and with it the storage SDK, dist/core.js) is created when something needs it: a copy, the Copy Jobs panel, a job
 * command, or an unfinished copy in the journal. Free of `vscode`, so plain-Node tests can drive it.
 */
import type { JobSnapshot, UnfinishedBatch } from '../core';
import { hasJournal } from '../core/copy/journal';

interface DisposableLike {
  dispose(): void;
}

/** A value created on the first get(), with hooks that attach once it exists and are disposed with it. */
export class OnFirstUse<T extends DisposableLike> implements DisposableLike {
  private value: T | undefined;
  private readonly hooks: Array<(value: T) => DisposableLike | void> = [];
  private readonly attached: DisposableLike[] = [];
  private disposed = false;

  constructor(private readonly create: () => T) {}

  /** The value, created now when it does not exist yet (then every onCreate hook runs). */
  get(): T {
    if (this.value) return this.value;
    if (this.disposed) throw new Error('Blob Copy is shutting down: the copy engine is gone.');
    const value = this.create();
    this.value = value;
    for (const hook of this.hooks) this.attach(hook, value);
    return value;
  }

  /** The value when it was created; creates nothing. */
  peek(): T | undefined {
    return this.value;
  }

  /** Runs `hook` when the value is created (at once when it exists already); what it returns is disposed with the holder. */
  onCreate(hook: (value: T) => DisposableLike | void): void {
    this.hooks.push(hook);
    if (this.value) this.attach(hook, this.value);
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.attached.splice(0).reverse()) d.dispose();
    this.value?.dispose();
  }

  private attach(hook: (value: T) => DisposableLike | void, value: T): void {
    const d = hook(value);
    if (d) this.attached.push(d);
  }
}

/** What the journal holds unfinished: jobs, and folder copies stopped while listing (their copies may have no record). */
export interface UnfinishedWork {
  readonly jobs: readonly JobSnapshot[];
  readonly batches: readonly UnfinishedBatch[];
}

/**
 * The unfinished work in the journal, for the start-up check. When the journal folder holds no journal file (the
 * usual start), this answers nothing without calling `engine`, so the engine and the SDK stay unloaded.
 */
export async function unfinishedWork(
  journalDir: string,
  engine: () => { unfinished(): Promise<JobSnapshot[]>; unfinishedBatches(): Promise<UnfinishedBatch[]> },
): Promise<UnfinishedWork> {
  if (!hasJournal(journalDir)) return { jobs: [], batches: [] };
  const e = engine();
  const [jobs, batches] = await Promise.all([e.unfinished(), e.unfinishedBatches()]);
  return { jobs, batches };
}

/** How the question names unfinished batches: a single one by its kind, several by theirs. */
function batchesNamed(batches: readonly UnfinishedBatch[]): string {
  const syncs = batches.filter((x) => x.sync).length;
  if (batches.length === 1) return syncs ? 'a sync' : 'a folder copy';
  const kinds = syncs === 0 ? 'folder copies' : syncs === batches.length ? 'syncs' : 'folder copies and syncs';
  return `${batches.length} ${kinds}`;
}

/** The start-up check's question: how many jobs and folder copies or syncs did not finish (the first one named). */
export function unfinishedQuestion(w: UnfinishedWork): string {
  const parts: string[] = [];
  const n = w.jobs.length;
  if (n) parts.push(`${n} copy job${n === 1 ? '' : 's'}`);
  const b = w.batches[0];
  if (b) {
    const more = w.batches.length - 1;
    parts.push(`${batchesNamed(w.batches)} (${b.sources.join(', ')} → ${b.destination}${more ? ` and ${more} more` : ''})`);
  }
  const single = n + w.batches.length === 1;
  return `Blob Copy: ${parts.join(' and ')} did not finish when VS Code last closed. Resume ${single ? 'it' : 'them'}?`;
}
