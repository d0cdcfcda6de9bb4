/**
 * An outage while a streamed copy is still listing its source: with DEFAULT settings
 * the listing waits for storage like the copies do, then lists on after the last blob it had made a job of. Every
 * blob arrives, none is made a job of twice, and the log says what happened.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import type { AzuriteInstance } from '../helpers/azurite';
import type { FaultProxy } from '../helpers/faultProxy';
import { CopyEngine } from '../../src/core';
import { A1, azuriteBehindProxy, data, fromSdk, md5, MemoryLog, resolverThrough, uploadMany } from '../helpers/proxiedEngine';

describe('an outage while the source is being listed', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const engines: CopyEngine[] = [];
  // Listing pages of 100, 300, 900, then the rest: the outage meets the third, and a fourth is listed after it.
  const N = 1500;
  const names = Array.from({ length: N }, (_, i) => `lst/f${String(i).padStart(5, '0')}.bin`);
  const sums = new Map<string, string>();

  before(async () => {
    ({ azurite, proxy, src } = await azuriteBehindProxy());
    await uploadMany(
      src,
      names,
      (i) => {
        const b = data(512 + (i % 7), 1000 + i);
        sums.set(names[i].slice('lst/'.length), md5(b));
        return b;
      },
      64,
    );
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await proxy?.stop();
    await azurite?.stop();
  });

  it('a 12 s outage (connections refused) at the third listing page: waited out, every blob copied once, identical', { timeout: 120_000 }, async () => {
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log });
    engines.push(e);
    const dest = azurite.serviceClient().getContainerClient('lst-dest');
    await dest.create();
    let lists = 0;
    let listsAfter = 0;
    let downAt = 0;
    const hook = proxy.onRequest((r) => {
      // The source's listing pages (the destination probe lists another container).
      if (r.comp !== 'list' || !fromSdk(r) || !r.path.endsWith('/src') || !r.query.includes('prefix=lst')) return;
      if (downAt) {
        listsAfter++;
        return;
      }
      if (++lists === 3) {
        downAt = Date.now();
        void proxy.setDown('refuse', { maxDownMs: 12_000 });
      }
    });
    try {
      const batchId = await e.startStreaming({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'lst/' } }],
        destination: { connectionId: A1, container: 'lst-dest', path: '' },
      });
      const summary = await e.waitForBatch(batchId);
      assert.ok(downAt > 0, 'the outage happened while listing');
      assert.ok(listsAfter >= 2, `the third page again and a fourth after the outage (${listsAfter} listing requests)`);
      assert.equal(summary.error, undefined, JSON.stringify(summary.error));
      assert.equal(summary.total, N, 'every blob made a job of exactly once');
      assert.equal(summary.succeeded, N, JSON.stringify({ summary, errors: log.lines.filter((l) => l.startsWith('error')).slice(0, 3) }));
    } finally {
      hook.dispose();
      await proxy.setDown(false);
    }
    assert.ok(
      log.lines.some((l) => l.startsWith('warn') && l.includes('List the sources: storage is not answering (connection refused)')),
      log.lines.filter((l) => !l.startsWith('debug')).slice(0, 10).join('\n'),
    );
    assert.ok(log.lines.some((l) => l.includes('List the sources: storage answers again')), 'the log says the listing went on');
    const arrived = new Map<string, string | undefined>();
    for await (const b of dest.listBlobsFlat()) arrived.set(b.name, b.properties.contentMD5 ? Buffer.from(b.properties.contentMD5).toString('hex') : undefined);
    assert.equal(arrived.size, N);
    for (const [name, sum] of sums) assert.equal(arrived.get(name), sum, name);
    // The stored MD5 is the source's, carried over: the bytes themselves, for a sample.
    for (let i = 0; i < N; i += 150) {
      const name = names[i].slice('lst/'.length);
      assert.equal(md5(await dest.getBlobClient(name).downloadToBuffer()), sums.get(name), name);
    }
  });
});
