/**
 * Who writes a journal folder. Several VS Code windows share one (the extension's global storage): each open journal
 * signs its records with its owner id, `<pid>-<random>`, and keeps a heartbeat file, `owner-<id>.alive`, fresh while it
 * is open. A record whose owner is another process that runs, with a fresh heartbeat, is that window's copy in
 * progress, not unfinished work: this window neither offers nor resumes it. The same process's other journals (a
 * worker started again after a crash) count as gone, and so do a closed journal (its heartbeat removed) and a stale
 * one (its process gone, or its pid now another program's, after a reboot).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A heartbeat file: `owner-<pid>-<random>.alive`. */
const HEARTBEAT_RE = /^owner-((\d+)-[A-Za-z0-9]+)\.alive$/;
/** An owner as records name it (anything else, a foreign or hand-edited file, owns nothing: its record is listed). */
const OWNER_ID_RE = /^\d+-[A-Za-z0-9]+$/;
/** How often an open journal writes its heartbeat, and after how long without one the heartbeat is stale. */
const HEARTBEAT_MS = 10_000;
const STALE_MS = 60_000;

/** Whether a process runs (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

export class JournalOwner {
  readonly id = `${process.pid}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    // Written anew each time (another window may have swept it as stale while this one was busy).
    const beat = () => {
      try {
        fs.writeFileSync(this.file(this.id), '');
      } catch {
        // not writable (then neither are the records): the next beat tries again
      }
    };
    beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  /** Whether another running process's journal wrote a record signed `owner`; `seen` caches the answer per call. */
  elsewhere(owner: string | undefined, seen: Map<string, boolean>): boolean {
    if (!owner || owner === this.id || !OWNER_ID_RE.test(owner)) return false;
    let elsewhere = seen.get(owner);
    if (elsewhere === undefined) {
      const pid = Number(owner.split('-')[0]);
      elsewhere = pid !== process.pid && isAlive(pid) && this.fresh(owner);
      seen.set(owner, elsewhere);
    }
    return elsewhere;
  }

  /** Whether a file of the folder is the heartbeat of a journal that is gone (its process ended, or stale). */
  goneHeartbeat(name: string): boolean {
    const m = HEARTBEAT_RE.exec(name);
    return m !== null && (!isAlive(Number(m[2])) || !this.fresh(m[1]));
  }

  /** Closed: what its journal leaves unfinished is any window's to resume now. */
  dispose(): void {
    clearInterval(this.heartbeat);
    fs.rmSync(this.file(this.id), { force: true });
  }

  private file(owner: string): string {
    return path.join(this.dir, `owner-${owner}.alive`);
  }

  private fresh(owner: string): boolean {
    try {
      return Date.now() - fs.statSync(this.file(owner)).mtimeMs < STALE_MS;
    } catch {
      return false; // no heartbeat: its journal was closed
    }
  }
}
