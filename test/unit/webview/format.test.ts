/**
 * Plain-Node tests of what the Copy Jobs webview formats: sizes, durations and operation labels come from the shared
 * vocabulary (src/shared/vocabulary.ts); ETA, percent and short names from src/webview/format.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatDuration, operationLabel } from '../../../src/shared/vocabulary';
import { etaSeconds, percent, shortName } from '../../../src/webview/format';

describe('webview formatting (sizes and durations from the shared vocabulary)', () => {
  it('formats bytes, durations, ETA and percent', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5.6 * 1024 ** 3), '5.6 GiB');
    assert.equal(formatBytes(123 * 1024 ** 2), '123 MiB');
    assert.equal(formatDuration(0.2), '< 1 s');
    assert.equal(formatDuration(45), '45 s');
    assert.equal(formatDuration(200), '3 min 20 s');
    assert.equal(formatDuration(3900), '1 h 05 min');
    assert.equal(etaSeconds(50, 100, 10), 5);
    assert.equal(etaSeconds(50, 100, 0), undefined);
    assert.equal(percent(1, 4), 25);
    assert.equal(percent(1, 0), 0);
    assert.equal(shortName('acct/c/dir/file.bin?sig=REDACTED'), 'file.bin');
    assert.equal(operationLabel('copy-blob'), 'Copy Blob');
  });
});
