/**
 * Learning which operations a server lacks (501) without a burst of failing requests (issue 15): with `auto`, the
 * first attempt with an operation of unknown support asks the server and the other attempts wait for its answer.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { CapabilityCache } from '../../src/core/operationChoice';
import { CopyEngine } from '../../src/core';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import type { FaultProxy } from '../helpers/faultProxy';
import { A1, A2, azuriteBehindProxy, md5, MemoryLog, resolverThrough } from '../reliability/support';

describe('CapabilityCache.firstAsks', () => {
  it('the first caller asks, the others wait for its answer; known support answers at once', async () => {
    const c = new CapabilityCache();
    const first = await c.firstAsks('http://s', 'put-blob-from-url');
    assert.equal(typeof first, 'function');
    let waited = false;
    const second = c.firstAsks('http://s', 'put-blob-from-url').then((r) => {
      waited = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(waited, false, 'the second waits while the first has not been answered');
    c.markMissing('http://s', 'put-blob-from-url');
    first!();
    assert.equal(await second, undefined);
    assert.ok(c.lacks('http://s', 'put-blob-from-url'));
    assert.equal(await c.firstAsks('http://s', 'put-blob-from-url'), undefined, 'known: nobody waits');
    assert.equal(typeof (await c.firstAsks('http://other', 'put-blob-from-url')), 'function', 'per server');
    c.markPresent('http://s', 'append-block-from-url');
    assert.equal(await c.firstAsks('http://s', 'append-block-from-url'), undefined);
  });

  it('a waiting attempt stops waiting when its signal aborts; an answer without news lets the next one ask', async () => {
    const c = new CapabilityCache();
    const first = await c.firstAsks('http://s', 'put-page-from-url');
    const ac = new AbortController();
    const waiting = c.firstAsks('http://s', 'put-page-from-url', ac.signal);
    ac.abort();
    assert.equal(await waiting, undefined);
    first!(); // e.g. a network error: support still unknown
    assert.equal(typeof (await c.firstAsks('http://s', 'put-page-from-url')), 'function', 'the next attempt asks');
  });
});

describe('auto across accounts against a server without Put Blob From URL', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  const sums = new Map<string, string>();

  before(async () => {
    let src: ContainerClient;
    ({ azurite, proxy, src } = await azuriteBehindProxy());
    await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst').create();
    for (let i = 0; i < 96; i++) {
      const b = crypto.randomBytes(700 + i);
      sums.set(`f${i}.bin`, md5(b));
      await src.getBlockBlobClient(`small/f${i}.bin`).upload(b, b.length);
    }
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('96 small blobs: one request is answered 501, the rest copy with Copy Blob From URL, identical', { timeout: 60_000 }, async () => {
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log });
    try {
      proxy.resetStats();
      const summary = await e.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'small/' } }],
        destination: { connectionId: A2, container: 'dst', path: '' },
      });
      assert.equal(summary.succeeded, 96, JSON.stringify(summary));
      const copies = proxy.requestLog().filter((r) => r.copySource !== undefined && r.method === 'PUT');
      const notImplemented = copies.filter((r) => r.status === 501);
      assert.equal(notImplemented.length, 1, `501 answers: ${notImplemented.length} (was one per parallel copy, 32)`);
      assert.equal(copies.filter((r) => r.status === 202).length, 96);
      assert.equal(log.lines.filter((l) => l.includes('does not implement Put Blob From URL')).length, 1, 'told once');
      const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst');
      for (const [name, sum] of sums) assert.equal(md5(await dst.getBlobClient(name).downloadToBuffer()), sum, name);
    } finally {
      e.dispose();
    }
  });
});
