/** Plain-Node tests of the host's snapshot → view mapping (src/extension/panel/jobView.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from '../../../src/core';
import type { JobSnapshot } from '../../../src/core';
import { toJobView } from '../../../src/extension/panel/jobView';
import {  } from '../../../src/shared/protocol';
import { validateJobView } from '../../../src/shared/protocolValidation';

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
