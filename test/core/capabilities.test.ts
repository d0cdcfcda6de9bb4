/**
 * Learning which operations a server lacks (501) without a burst of failing requests, on Azurite behind the fault
 * proxy: with `auto`, the first attempt with an operation of unknown support asks the server and the others wait for
 * its answer (the cache itself: test/unit/core/capabilities.test.ts).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { CopyEngine } from '../../src/core';
import type { ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import type { FaultProxy } from '../helpers/faultProxy';
import { A1, A2, azuriteBehindProxy, md5, MemoryLog, resolverThrough } from '../helpers/proxiedEngine';

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
