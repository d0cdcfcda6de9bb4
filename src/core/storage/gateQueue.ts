import { ACCOUNT_START_IN_FLIGHT, type AccountGate } from './throttle';

/** Small copies started beyond the gate's limit: enough that the gate sees its limit full (it grows only then). */
const FOLLOW_SLACK = 8;

/**
 * The small-blob queue: runs at most `cap` tasks, and no more than the gate they last went through lets in flight
 * (plus a few, so the gate still sees its limit full). A small copy that started only to wait in the gate held its
 * request objects long enough to be promoted out of the young heap: with 256 started and 64 let through, the
 * client spent a quarter more CPU per blob.
 */
export class GateFollowingQueue {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private head = 0;
  /** The gate the last task went through (set by the engine when a small copy finishes). */
  gate?: AccountGate;

  constructor(public cap: number) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.queue.length === this.head && this.active < this.room()) return this.start(task);
    return new Promise<T>((resolve, reject) => this.queue.push(() => void this.start(task).then(resolve, reject)));
  }

  /** Runs a task now; its end frees its place (one callback, no finally: a small copy's promises add up). */
  private start<T>(task: () => Promise<T>): Promise<T> {
    this.active++;
    const p = task();
    p.then(this.ended, this.ended);
    return p;
  }

  private readonly ended = (): void => {
    this.active--;
    this.next();
  };

  /** Tasks may go now: the cap, or the gate's limit and a few more. */
  private room(): number {
    return Math.min(this.cap, (this.gate ? this.gate.currentLimit : ACCOUNT_START_IN_FLIGHT) + FOLLOW_SLACK);
  }

  /** Starts waiting tasks while there is room (also after the cap or the gate's limit grew). */
  next(): void {
    const room = this.room();
    while (this.head < this.queue.length && this.active < room) {
      const go = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as () => void;
      go();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
