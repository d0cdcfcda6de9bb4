/** The one vocabulary of core, extension, webview and CLI. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  ACTIVE_STATES,
  FINAL_STATES,
  JOB_STATES,
  OPERATION_INFO,
  OPERATIONS,
  STRATEGIES,
  formatBytes,
  formatDuration,
  isActive,
  isFinal,
  operationLabel,
  plural,
  strategiesFor,
  strategyOf,
} from '../../../src/shared/vocabulary';

describe('vocabulary', () => {
  it('every job state is either active or final, never both', () => {
    for (const s of JOB_STATES) assert.notEqual(isActive(s), isFinal(s), s);
    assert.equal(ACTIVE_STATES.length + FINAL_STATES.length, JOB_STATES.length);
  });

  it('operations: labels as in the REST reference, the strategy each belongs to, the blob types it fits', () => {
    assert.equal(operationLabel('put-blob-from-url'), 'Put Blob From URL');
    assert.equal(operationLabel('copy-blob-from-url'), 'Copy Blob From URL');
    assert.equal(strategyOf('copy-blob-from-url'), 'copy-blob');
    for (const s of STRATEGIES) assert.equal(strategyOf(s), s);
    assert.deepEqual(strategiesFor(['AppendBlob']), ['copy-blob', 'append-block-from-url']);
    assert.deepEqual(strategiesFor(['BlockBlob', 'PageBlob']), ['copy-blob']);
    assert.equal(Object.keys(OPERATION_INFO).length, OPERATIONS.length);
  });

  it('one formatting of sizes, counts and durations', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(123 * 1024 ** 2), '123 MiB');
    assert.equal(formatBytes(5.6 * 1024 ** 3), '5.6 GiB');
    assert.equal(formatBytes(-1), '?');
    assert.equal(formatDuration(0.2), '< 1 s');
    assert.equal(formatDuration(75), '1 min 15 s');
    assert.equal(formatDuration(3900), '1 h 05 min');
    assert.equal(formatDuration(Number.NaN), '—');
    assert.equal(plural(1, 'blob'), '1 blob');
    assert.equal(plural(1234, 'blob'), '1,234 blobs');
  });
});
