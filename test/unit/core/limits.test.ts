/** The table of service limits and the container and blob name rules. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { LIMITS, validateBlobName, validateContainerName } from '../../../src/core';

describe('limits and names', () => {
  it('has one table of service limits', () => {
    assert.equal(LIMITS.putPageMaxBytes, 4 * 1024 * 1024);
    assert.equal(LIMITS.pageAlignment, 512);
    assert.equal(LIMITS.maxBlocksPerBlob, 50_000);
    assert.equal(LIMITS.putBlobFromUrlMaxBytes, 5000 * 1024 * 1024);
    assert.equal(LIMITS.syncCopyFromUrlMaxBytes, 256 * 1024 * 1024);
  });
  it('validates container and blob names with actionable messages', () => {
    assert.equal(validateContainerName('photos-2024'), undefined);
    assert.equal(validateContainerName('$root'), undefined);
    assert.match(validateContainerName('ab')!, /3–63/);
    assert.match(validateContainerName('Photos')!, /lowercase: use "photos"/);
    assert.match(validateContainerName('a--b')!, /two hyphens/);
    assert.match(validateContainerName('-ab')!, /starts with/);
    assert.match(validateContainerName('ab-')!, /ends with/);
    assert.match(validateContainerName('a_b')!, /only lowercase/);
    assert.equal(validateBlobName('dir/ü #?%.txt'), undefined);
    assert.match(validateBlobName('')!, /empty/);
    assert.match(validateBlobName('x'.repeat(1025))!, /1024/);
    assert.match(validateBlobName('a/'.repeat(255) + 'b')!, /254/);
    assert.match(validateBlobName('bad\u0001name')!, /control/);
  });
});
