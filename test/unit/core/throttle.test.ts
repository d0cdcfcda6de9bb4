/** The per-account gate (AIMD): requests held beyond the limit and during Retry-After; Retry-After parsing. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { AccountGate, retryAfterMs } from '../../../src/core/storage/throttle';

describe('throttle: per-account gate (AIMD)', () => {
  it('halves the requests in flight on 503 (once per second); successes alone do not change it within a window', () => {
    let now = 10_000;
    const gate = new AccountGate({ max: 32, start: 32, now: () => now });
    gate.throttled();
    assert.equal(gate.stats().limit, 16);
    gate.throttled(); // same second: one decrease per burst of 503s
    assert.equal(gate.stats().limit, 16);
    for (let i = 0; i < 16; i++) gate.succeeded(5);
    assert.equal(gate.stats().limit, 16, 'a window lasts at least 100 ms');
    now += 1000;
    gate.throttled();
    assert.equal(gate.stats().limit, 8, 'a second later: halved again');
    assert.equal(gate.stats().lowestLimit, 8);
    assert.equal(gate.stats().throttled, 3);
  });

  it('holds requests beyond the limit and during Retry-After, then lets them go', async () => {
    const gate = new AccountGate(2);
    await gate.acquire();
    await gate.acquire();
    let third = false;
    const p = gate.acquire().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(third, false, 'a third request waits while two are in flight');
    gate.release();
    await p;
    assert.equal(third, true);
    gate.release();
    gate.release();
    gate.throttled(150); // Retry-After 150 ms
    const t0 = Date.now();
    await gate.acquire();
    assert.ok(Date.now() - t0 >= 140, `waited ${Date.now() - t0} ms for Retry-After`);
    gate.release();
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs(undefined), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
  });
});
