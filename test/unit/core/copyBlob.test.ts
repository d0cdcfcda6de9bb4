/** The Copy Blob operation module: a copy the service completed in its first response is not polled. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { operationModule, type OperationContext } from '../../../src/core/operations';

describe('Copy Blob completed in its first response', () => {
  function fakeContext(copyStatus: 'success' | 'pending', tags?: Record<string, string>) {
    const calls: string[] = [];
    const dest = {
      async beginCopyFromURL() {
        calls.push('beginCopyFromURL');
        const done = copyStatus === 'success';
        return { getOperationState: () => ({ copyId: 'c1', isCompleted: done, result: done ? { copyStatus } : undefined }) };
      },
      async getProperties() {
        calls.push('getProperties');
        return { copyId: 'c1', copyStatus: 'success' };
      },
    };
    const ctx = {
      dest: { client: () => dest },
      signal: new AbortController().signal,
      progress: { op: 'copy-blob' },
      access: { url: 'http://x/a/b?sig=1' },
      metadata: {},
      tags,
      destConditions: {},
      etag: '"e"',
      what: 'Copy b',
      persist: () => calls.push('persist'),
      markPending: () => calls.push('markPending'),
      item: { size: 1 },
      setBytes: () => undefined,
    } as unknown as OperationContext;
    return { ctx, calls };
  }

  it('is not polled, and needs no verifying HEAD (complete) when no tags are to be set', async () => {
    const { ctx, calls } = fakeContext('success');
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, true);
    assert.deepEqual(calls, ['beginCopyFromURL', 'persist']);
  });

  it('with tags to set it is still not polled, but left to complete (tags, verification)', async () => {
    const { ctx, calls } = fakeContext('success', { t: '1' });
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, false);
    assert.ok(!calls.includes('getProperties'));
  });

  it('a pending copy is polled until it succeeds', async () => {
    const { ctx, calls } = fakeContext('pending');
    const r = await operationModule('copy-blob').run(ctx);
    assert.equal(r.complete, false);
    assert.deepEqual(calls, ['beginCopyFromURL', 'persist', 'markPending', 'getProperties']);
  });
});
