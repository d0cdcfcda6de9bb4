/** Riding out outages: which failures are waited out, and the back-off between checks. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestError } from '@azure/core-rest-pipeline';
import { CopyError, toCopyError } from '../../../src/core/base/errors';
import { nextWaitMs, transientReason, type Outage } from '../../../src/core/base/outage';

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
