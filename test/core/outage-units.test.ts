/** Pure pieces of riding out outages: which failures are waited out, the back-off, and the per-account AIMD gate. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestError } from '@azure/core-rest-pipeline';
import { CopyError, toCopyError } from '../../src/core/errors';
import { nextWaitMs, transientReason, type Outage } from '../../src/core/outage';
import { AccountGate, retryAfterMs } from '../../src/core/throttle';

function restError(status: number, code?: string): RestError {
  return new RestError(`status ${status}`, { statusCode: status, code });
}

describe('outage: transient or permanent', () => {
  it('network failures, 5xx, 408, 429, ServerBusy and OperationTimedOut are transient, also wrapped in a CopyError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(transientReason(refused), 'connection refused');
    assert.equal(transientReason(toCopyError(refused, 'Copy a → b')), 'connection refused', 'through the cause chain');
    assert.equal(transientReason(new RestError('socket hang up', { code: 'ECONNRESET' })), 'connection reset');
    assert.equal(transientReason(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' })), 'DNS lookup failed');
    for (const s of [500, 502, 503, 504, 408, 429]) assert.ok(transientReason(restError(s)), `status ${s}`);
    assert.equal(transientReason(restError(503, 'ServerBusy')), '503 ServerBusy');
    assert.equal(transientReason(restError(500, 'OperationTimedOut')), '500 OperationTimedOut');
  });

  it('permanent answers fail at once: 400, 403, 404, 409, 412, SourceChanged, abort', () => {
    for (const s of [400, 401, 403, 404, 409, 412]) assert.equal(transientReason(restError(s)), undefined, `status ${s}`);
    assert.equal(transientReason(new CopyError({ message: 'x', status: 412, code: 'SourceChanged' })), undefined);
    assert.equal(transientReason(Object.assign(new Error('aborted'), { name: 'AbortError' })), undefined);
    assert.equal(transientReason(new CopyError({ message: 'the destination has 3 bytes', code: 'LengthMismatch' })), undefined);
  });

  it('back-off doubles from 1 s up to 15 s and never waits past the tolerance', () => {
    const o: Outage = { since: 0, reason: 'x', tries: 0, nextTryAt: 0 };
    const waits = [0, 1, 2, 3, 4, 5, 6].map((tries) => nextWaitMs({ ...o, tries }, 300_000, 1000));
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    assert.equal(nextWaitMs({ ...o, tries: 5 }, 300_000, 295_000), 5000, 'only what is left of the tolerance');
    assert.equal(nextWaitMs(o, 300_000, 300_000), 0, 'tolerance spent');
  });
});

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
