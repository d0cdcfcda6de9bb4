/** A manual clock for the relay's tests: timers run only when the test advances time. Not a test file. */
import type { RelayClock } from '../../src/extension/panel/relay';

export class FakeClock implements RelayClock {
  private timers: { at: number; callback: () => void; handle: number }[] = [];
  private nextHandle = 1;
  constructor(public time = 0) {}
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.push({ at: this.time + ms, callback, handle });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  }
  advance(ms: number): void {
    this.time += ms;
    for (const t of this.timers.filter((x) => x.at <= this.time)) {
      this.timers = this.timers.filter((x) => x !== t);
      t.callback();
    }
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
}
