/** The operation registry: every operation has a module, fresh progress is tagged, old journal records are adopted. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { freshProgress, operationModule, pendingCopyId, progressFromRecord } from '../../../src/core/operations';
import { blockId, blockSizeFor } from '../../../src/core/operations/putBlockFromUrl';
import { appendChunkFor } from '../../../src/core/operations/sizes';
import { OPERATIONS } from '../../../src/shared/vocabulary';

const MiB = 1024 * 1024;

describe('operations registry', () => {
  it('has one module per REST operation, whose id is the operation', () => {
    for (const op of OPERATIONS) {
      assert.equal(operationModule(op).id, op);
      assert.equal(freshProgress(op, 3).op, op);
      assert.equal(freshProgress(op, 3).generation, 3);
    }
  });

  it('adopts progress journaled before it was tagged by operation, and drops progress of another operation', () => {
    const legacy = progressFromRecord('put-block-from-url', { generation: 2, blockSize: 8 * MiB, blockCount: 4, staged: [0, 2] });
    assert.deepEqual(legacy, { op: 'put-block-from-url', generation: 2, blockSize: 8 * MiB, blockCount: 4, staged: [0, 2] });
    const copy = progressFromRecord('copy-blob', { generation: 0, copyId: 'abc' });
    assert.equal(pendingCopyId(copy), 'abc');
    const other = progressFromRecord('put-page-from-url', { generation: 1, op: 'append-block-from-url', created: true, appendedOffset: 5 });
    assert.deepEqual(other, { op: 'put-page-from-url', generation: 1, created: false, copiedPages: [] });
    assert.deepEqual(progressFromRecord('append-block-from-url', undefined), { op: 'append-block-from-url', generation: 0, created: false, appendedOffset: 0 });
  });

  it('block ids are unique per job, generation and index, and of equal length; block size keeps ≤ 50,000 blocks', () => {
    const a = blockId('1234-5678', 0, 1);
    assert.notEqual(a, blockId('1234-5678', 1, 1));
    assert.notEqual(a, blockId('1234-5679', 0, 1));
    assert.equal(a.length, blockId('1234-5678', 0, 999_999).length);
    assert.equal(blockSizeFor(100 * MiB, 32 * MiB), 32 * MiB);
    assert.ok(Math.ceil((4 * 1024 * 1024 * MiB) / blockSizeFor(4 * 1024 * 1024 * MiB, 32 * MiB)) <= 50_000);
  });

  it('append chunks are 4 MiB up to 50,000 of them, then grow so an append blob keeps ≤ 50,000 blocks (at most 100 MiB)', () => {
    assert.equal(appendChunkFor(0), 4 * MiB);
    assert.equal(appendChunkFor(1024 * MiB), 4 * MiB);
    assert.equal(appendChunkFor(50_000 * 4 * MiB), 4 * MiB, 'the largest blob of 4 MiB chunks');
    assert.equal(appendChunkFor(50_000 * 4 * MiB + 1), 5 * MiB);
    for (const size of [50_000 * 4 * MiB + 1, 1024 * 1024 * MiB, 3 * 1024 * 1024 * MiB, 50_000 * 100 * MiB]) {
      const chunk = appendChunkFor(size);
      assert.ok(chunk <= 100 * MiB && chunk % MiB === 0, `${size}: ${chunk}`);
      assert.ok(Math.ceil(size / chunk) <= 50_000, `${size}: ${Math.ceil(size / chunk)} blocks`);
    }
    // The cost preview counts the calls with the same chunk.
    const calls = operationModule('append-block-from-url').calls(1024 * 1024 * MiB, 8 * MiB).find(([name]) => name === 'Append Block From URL');
    assert.deepEqual(calls?.slice(1), [Math.ceil((1024 * 1024 * MiB) / appendChunkFor(1024 * 1024 * MiB))]);
  });
});
