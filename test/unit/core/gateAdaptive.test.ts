/**
 * The account gate's adaptive limit (src/core/storage/throttle.ts), on a fake clock: a small discrete-event model of an
 * account (each request takes a latency that may depend on how many are in flight) drives the gate with more
 * requests than it lets through, as the small-blob queue does.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AccountGate, ACCOUNT_START_IN_FLIGHT, gateFor, throughAccountGate } from '../../../src/core/storage/throttle';
import { GateFollowingQueue } from '../../../src/core/storage/gateQueue';
import { accountKey } from '../../../src/core/base/urls';

type Answer = 'ok' | '503' | 'timeout';

interface Model {
  /** Latency (ms) of a request sent at time t with inFlight requests in flight (itself included). */
  latency(inFlight: number, t: number): number;
  /** How the account answers a request that completes at t (default: ok). */
  answer?(t: number): Answer;
}

interface Run {
  /** Completions per second over the run. */
  rate: number;
  /** The gate's limit sampled at each completion: [time, limit]. */
  limits: Array<[number, number]>;
  peakInFlight: number;
}

/** Runs the model for `ms` of fake time from `clock.t`, keeping the gate full (demand without end). */
function drive(gate: AccountGate, clock: { t: number }, model: Model, ms: number): Run {
  const end = clock.t + ms;
  const pending: Array<{ at: number; sent: number }> = [];
  let done = 0;
  let peak = 0;
  const limits: Array<[number, number]> = [];
  const fill = () => {
    while (gate.tryAcquire()) {
      const inFlight = gate.stats().inFlight;
      peak = Math.max(peak, inFlight);
      const at = clock.t + model.latency(inFlight, clock.t);
      // Kept sorted by completion time (insertion from the end: latencies are mostly in order).
      let i = pending.length;
      while (i > 0 && pending[i - 1].at > at) i--;
      pending.splice(i, 0, { at, sent: clock.t });
    }
  };
  const start = clock.t;
  fill();
  while (pending.length > 0 && pending[0].at <= end) {
    const r = pending.shift()!;
    clock.t = r.at;
    const answer = model.answer?.(clock.t) ?? 'ok';
    if (answer === '503') gate.throttled();
    else if (answer === 'timeout') gate.timedOut();
    else {
      gate.succeeded(clock.t - r.sent);
      done++;
    }
    gate.release();
    limits.push([clock.t, gate.stats().limit]);
    fill();
  }
  // Requests still in flight at the end complete (they leave the gate) without a verdict.
  for (const _ of pending) gate.release();
  clock.t = end;
  return { rate: (done * 1000) / (end - start), limits, peakInFlight: peak };
}

const limitAt = (run: Run, t: number) => [...run.limits].reverse().find(([at]) => at <= t)?.[1];

describe('account gate: adaptive requests in flight (fake clock)', () => {
  it('grows under latency: 100 ms per request and no server limit reach the cap within a second, and stay there', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0 });
    assert.equal(gate.stats().limit, ACCOUNT_START_IN_FLIGHT);
    const run = drive(gate, clock, { latency: () => 100 }, 5000);
    const reached = run.limits.find(([, l]) => l === 256)?.[0];
    assert.ok(reached !== undefined && reached <= 1000, `reached 256 at ${reached} ms`);
    assert.equal(gate.stats().limit, 256, 'stays at the cap');
    assert.ok(run.peakInFlight <= 256, `peak ${run.peakInFlight}`);
    assert.ok(run.rate > 2200, `rate ${run.rate.toFixed(0)}/s (256 per 100 ms is 2560/s)`);
  });

  it('does not grow while this process is the limit (its event loop busy)', () => {
    const clock = { t: 0 };
    let busy = 0.95;
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => busy });
    drive(gate, clock, { latency: () => 100 }, 3000);
    assert.equal(gate.stats().highestLimit, ACCOUNT_START_IN_FLIGHT, 'held at the start');
    busy = 0.3;
    drive(gate, clock, { latency: () => 100 }, 5000);
    assert.ok(gate.stats().limit > ACCOUNT_START_IN_FLIGHT, `grew to ${gate.stats().limit} once the process had time`);
  });

  it('a saturated client does not ratchet the limit up on noise (its rate jumps after each stall of its event loop)', () => {
    // The client completes at most 2,000 requests a second whatever is in flight (an endpoint that answers at once:
    // latency is the client's own queue, n / rate), and every 3 s its event loop stalls for 400 ms (a listing page
    // parsed): the window after a stall completes the backlog, a rate well above the window before it.
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 320, now: () => clock.t, busy: () => 1 });
    const stall = (t: number) => (t % 3000 < 400 ? 400 - (t % 3000) : 0);
    // Its speed varies from one 150 ms slot to the next by ±30 % (collections, timers), deterministically.
    const speed = (t: number) => 2000 * (0.7 + 0.6 * ((Math.sin(Math.floor(t / 150) * 12.9898) * 43758.5453) % 1 + 1) % 1);
    const run = drive(gate, clock, { latency: (n, t) => Math.max(2, (n / speed(t)) * 1000) + stall(t) }, 200_000);
    const highest = gate.stats().highestLimit;
    assert.ok(highest <= 2 * ACCOUNT_START_IN_FLIGHT, `rose to ${highest} (limits: ${[...new Set(run.limits.map(([, l]) => l))].join(', ')})`);
  });

  it('one busy window (a copy starting up) holds the limit without ending the ramp', () => {
    const clock = { t: 0 };
    let calls = 0;
    // The second window finds the event loop saturated (its first connections, code compiled on first use), then not.
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => (++calls === 2 ? 0.95 : 0.3) });
    const run = drive(gate, clock, { latency: () => 100 }, 3000);
    const reached = run.limits.find(([, l]) => l === 256)?.[0];
    assert.ok(reached !== undefined && reached <= 1500, `reached 256 at ${reached} ms (limits: ${[...new Set(run.limits.map(([, l]) => l))].join(', ')})`);
  });

  it('keeps more in flight that brought a little more rate (a busy client filling its idle moments)', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0.3 });
    // Up to 128 in flight each request takes 100 ms; beyond, the client's own queue adds to it: 256 in flight complete
    // about 1,480/s against 1,280/s at 128 (+16 %, with 73 % more latency).
    const run = drive(gate, clock, { latency: (n) => (n <= 128 ? 100 : 100 + (n - 128) * 0.57) }, 6000);
    assert.equal(gate.stats().limit, 256, `limits: ${[...new Set(run.limits.map(([, l]) => l))].join(', ')}`);
    assert.ok(run.rate > 1300, `rate ${run.rate.toFixed(0)}/s`);
  });

  it('rising latency does not shrink the limit while this process is busy; it does once the process has time', () => {
    const clock = { t: 0 };
    let busy = 0;
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => busy });
    drive(gate, clock, { latency: () => 20 }, 1000);
    const before = gate.stats().limit;
    busy = 0.7; // latency rises, the process half busy: its own lag, maybe
    drive(gate, clock, { latency: (n) => 20 + n * 5 }, 5000);
    assert.ok(gate.stats().limit >= before, `${gate.stats().limit} (was ${before})`);
    busy = 0;
    drive(gate, clock, { latency: (n, t) => 20 + n * (t / 100) }, 30_000); // an account slowing down, ever more
    assert.ok(gate.stats().limit < before, `fell to ${gate.stats().limit}`);
  });

  it('respects its cap, and a cap below the start', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 100, now: () => clock.t, busy: () => 0 });
    const run = drive(gate, clock, { latency: () => 50 }, 3000);
    assert.equal(gate.stats().limit, 100);
    assert.equal(run.peakInFlight, 100);
    const small = new AccountGate({ max: 8, now: () => clock.t, busy: () => 0 });
    assert.equal(small.stats().limit, 8);
    assert.equal(drive(small, clock, { latency: () => 50 }, 2000).peakInFlight, 8);
  });

  it('does not grow where more in flight only adds latency (a server at its capacity)', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0 });
    // 500 requests/s at most: each request waits behind those in flight (2 ms each) after 2 ms of network.
    const run = drive(gate, clock, { latency: (n) => 2 + n * 2 }, 20_000);
    const late = run.limits.filter(([t]) => t > 5000).map(([, l]) => l);
    assert.ok(Math.max(...late) < 2 * ACCOUNT_START_IN_FLIGHT, `limit reached ${Math.max(...late)} after 5 s`);
    assert.ok(run.rate > 450, `rate ${run.rate.toFixed(0)}/s`);
  });

  it('shrinks on 503/429 (halving at most once a second) and grows back once the account answers again', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0 });
    drive(gate, clock, { latency: () => 100 }, 2000);
    assert.equal(gate.stats().limit, 256);
    const storm = drive(gate, clock, { latency: () => 100, answer: (t) => (t < 4500 ? '503' : 'ok') }, 2500);
    assert.equal(limitAt(storm, 2150), 128, 'one halving for the first burst (its first answer at 2,100 ms)');
    assert.equal(limitAt(storm, 3150), 64, 'another a second later');
    assert.ok(gate.stats().lowestLimit <= 32, `lowest ${gate.stats().lowestLimit}`);
    assert.ok(gate.stats().throttled > 100);
    drive(gate, clock, { latency: () => 100 }, 10_000);
    assert.ok(gate.stats().limit >= 128, `grew back to ${gate.stats().limit}`);
  });

  it('shrinks on timeouts', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0 });
    drive(gate, clock, { latency: () => 100 }, 2000);
    const run = drive(gate, clock, { latency: () => 100, answer: (t) => (t < 3200 ? 'timeout' : 'ok') }, 1300);
    assert.equal(limitAt(run, 2150), 128);
    assert.equal(limitAt(run, 3150), 64);
    assert.ok(gate.stats().timeouts > 100);
  });

  it('shrinks when latency rises at the same limit (the account slows down)', () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, now: () => clock.t, busy: () => 0 });
    drive(gate, clock, { latency: () => 20 }, 2000);
    assert.equal(gate.stats().limit, 256);
    // From now on the account completes 1,000 requests/s at most.
    const run = drive(gate, clock, { latency: (n) => 20 + n }, 10_000);
    assert.ok(gate.stats().limit < 180, `limit ${gate.stats().limit} (lowest ${Math.min(...run.limits.map(([, l]) => l))})`);
    // Fewer in flight costs this model a little rate (its fixed 20 ms): most of 256's 927/s is kept.
    assert.ok(run.rate > 800, `rate ${run.rate.toFixed(0)}/s`);
  });

  it('through the pipeline: 408, 500 OperationTimedOut and a timed-out connection count as timeouts; 503 as throttling', async () => {
    const url = 'http://127.0.0.1:9/gate-unit-acct/c/b';
    const gate = gateFor(accountKey('http://127.0.0.1:9/gate-unit-acct'));
    const answer = (status: number, code?: string) => async () => ({ status, headers: { get: (h: string) => (h === 'x-ms-error-code' ? code : undefined) } });
    await throughAccountGate(url, undefined, answer(408));
    await throughAccountGate(url, undefined, answer(500, 'OperationTimedOut'));
    await throughAccountGate(url, undefined, answer(500, 'InternalError'));
    await assert.rejects(throughAccountGate(url, undefined, () => Promise.reject(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }))));
    await throughAccountGate(url, undefined, answer(503));
    const s = gate.stats();
    assert.equal(s.timeouts, 3);
    assert.equal(s.throttled, 1);
    assert.equal(s.inFlight, 0);
  });

  it('the small-blob queue starts as many tasks as the gate lets through (plus a few), never more than its cap', async () => {
    const clock = { t: 0 };
    const gate = new AccountGate({ max: 256, start: 16, now: () => clock.t, busy: () => 0 });
    const queue = new GateFollowingQueue(40);
    queue.gate = gate;
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      new Promise<void>((resolve) => {
        running++;
        most = Math.max(most, running);
        releases.push(() => {
          running--;
          resolve();
        });
      });
    const all = Array.from({ length: 100 }, () => queue.run(task));
    assert.equal(running, 24, "the gate's 16 and 8 more");
    drive(gate, clock, { latency: () => 100 }, 2000); // the gate grows meanwhile (to its own cap)
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
    assert.equal(running, 40, "then the queue's cap");
    while (releases.length) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    assert.equal(most, 40);
  });
});
