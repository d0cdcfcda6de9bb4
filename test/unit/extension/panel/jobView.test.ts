/** Plain-Node tests of the host's snapshot → view mapping (src/extension/panel/jobView.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from '../../../../src/core';
import type { JobSnapshot } from '../../../../src/core';
import { toJobView } from '../../../../src/extension/panel/jobView';
import {  } from '../../../../src/shared/protocol';
import { validateJobView } from '../../../../src/shared/protocolValidation';

describe('toJobView (host: snapshot → what the webview may see)', () => {
  const snapshot: JobSnapshot = {
    id: 'j1',
    batchId: 'b1',
    source: 'https://acct.blob.core.windows.net/c/a.txt?sv=2024-01-01&sig=SECRET&se=2030',
    destination: 'azurite/dst/a.txt',
    destinationLocation: { connectionId: 'azurite', container: 'dst', path: 'a.txt' },
    strategy: 'copy-blob',
    state: 'pending',
    bytesDone: 5,
    bytesTotal: Number.NaN,
    throughput: -3,
    copyId: 'copy-123',
    attempts: 2,
    error: { message: 'failed reading https://x/c/a?sig=SECRET', hint: 'AccountKey=SECRETKEY;', status: 403, code: 'AuthenticationFailed', requestId: 'r1' },
  };

  it('redacts every string and drops fields the protocol does not carry', () => {
    const v = toJobView(snapshot, redact);
    const json = JSON.stringify(v);
    assert.ok(!json.includes('SECRET'), json);
    assert.ok(!json.includes('copy-123'), 'copyId must not reach the webview');
    assert.equal(v.abortable, true);
    assert.equal(v.bytesTotal, 0, 'non-finite numbers become 0');
    assert.equal(v.throughput, 0, 'negative numbers become 0');
    assert.ok(validateJobView(JSON.parse(json)), 'the result passes the webview-side validator');
  });

  it('is not abortable unless pending with a copy id', () => {
    assert.equal(toJobView({ ...snapshot, state: 'running' }, redact).abortable, false);
    assert.equal(toJobView({ ...snapshot, copyId: undefined }, redact).abortable, false);
  });
});

describe('toJobView: waiting for storage', () => {
  const base: JobSnapshot = {
    id: 'j2',
    batchId: 'b1',
    source: 'azurite/src/a.txt',
    destination: 'azurite/dst/a.txt',
    destinationLocation: { connectionId: 'azurite', container: 'dst', path: 'a.txt' },
    strategy: 'put-block-from-url',
    state: 'running',
    bytesDone: 5,
    bytesTotal: 10,
    throughput: 0,
    attempts: 1,
  };
  it('carries reason, since and next try (redacted), and passes the validator', () => {
    const v = toJobView({ ...base, waiting: { reason: 'connect ECONNREFUSED https://x/c?sig=SECRET', since: 1000, nextTryAt: 5000 } }, redact);
    assert.equal(v.waiting?.since, 1000);
    assert.equal(v.waiting?.nextTryAt, 5000);
    assert.ok(!JSON.stringify(v).includes('SECRET'), JSON.stringify(v));
    assert.ok(validateJobView(JSON.parse(JSON.stringify(v))));
  });
  it('leaves waiting out when the job does not wait, or when its times are not numbers', () => {
    assert.equal('waiting' in toJobView(base, redact), false);
    assert.equal(toJobView({ ...base, waiting: { reason: 'x', since: Number.NaN, nextTryAt: 1 } }, redact).waiting, undefined);
  });
});
