/** One rule for "complete": the CLI's exit code, the notification and the panel's batch line all read batchOutcome. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BatchSummary } from '../../../src/core';
import { batchMessage } from '../../../src/extension/notificationText';
import { batchView } from '../../../src/extension/panel/relay';
import { batchText } from '../../../src/webview/text';
import { batchOutcome } from '../../../src/shared/vocabulary';

const summary = (over: Partial<BatchSummary> = {}): BatchSummary => ({ batchId: 'b', total: 3, succeeded: 3, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 30, bytesTotal: 30, done: true, ...over });

describe('batch outcome', () => {
  it('complete only when every listed blob was copied or skipped, and the listing finished', () => {
    assert.equal(batchOutcome(summary(), false), 'complete');
    assert.equal(batchOutcome(summary({ succeeded: 1, skipped: 2 }), false), 'complete');
    assert.equal(batchOutcome(summary({ total: 0, succeeded: 0 }), false), 'complete');
    assert.equal(batchOutcome(summary({ done: false }), false), 'running');
    assert.equal(batchOutcome(summary({ unplanned: 1 }), false), 'partial');
    assert.equal(batchOutcome(summary(), true), 'partial');
    assert.equal(batchOutcome(summary({ succeeded: 2, failed: 1 }), false), 'partial');
    assert.equal(batchOutcome(summary({ succeeded: 2, canceled: 1 }), false), 'partial');
    assert.equal(batchOutcome(summary({ succeeded: 0, failed: 3 }), false), 'failed');
    assert.equal(batchOutcome(summary({ total: 0, succeeded: 0, unplanned: 2 }), false), 'failed');
  });

  it('the notification and the panel say partial, with the first refused blob or the listing error', () => {
    const refused = summary({ unplanned: 2, refusedFirst: [{ source: 'data/zz/', reason: 'the source is in the Archive tier …' }] });
    const m = batchMessage(refused);
    assert.equal(m.failed, true);
    assert.match(m.text, /^Blob Copy partial: 3 blobs copied \(30 B\), 2 not copied\. Not copied: data\/zz\/: the source is in the Archive tier … \(and 1 more, named in the log\)$/);
    const v = batchView(refused);
    assert.equal(v.outcome, 'partial');
    assert.equal(v.unplanned, 2);
    assert.match(batchText(v), /2 not copied · .* · partial: data\/zz\/: the source is in the Archive tier … \(and 1 more\)$/);
    const listing = summary({ error: { message: 'List the sources: storage did not answer for 300 s', code: 'StorageUnavailable' } });
    assert.match(batchMessage(listing).text, /^Blob Copy partial: .*The listing stopped early: List the sources: storage did not answer/);
    assert.match(batchText(batchView(listing)), /partial: List the sources: storage did not answer for 300 s$/);
    assert.match(batchText(batchView(summary())), /· finished$/);
  });
});
