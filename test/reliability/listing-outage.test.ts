/**
 * An outage while a streamed copy is still listing its source: with DEFAULT settings
 * the listing waits for storage like the copies do, then lists on after the last blob it had made a job of. Every
 * blob arrives, none is made a job of twice, and the log says what happened. A sync that meets an outage while
 * listing counts every group once (the groups before the outage too) and deletes the extras it found before it.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import type { AzuriteInstance } from '../helpers/azurite';
import type { FaultProxy } from '../helpers/faultProxy';
import { CopyEngine, runSync } from '../../src/core';
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
    // What the batch said of its listing while it waited (BatchSummary.listingWaiting), in order.
    const said: Array<string | undefined> = [];
    const batchSub = e.onBatch((b) => {
      if (said.at(-1) !== b.listingWaiting?.reason) said.push(b.listingWaiting?.reason);
    });
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
      batchSub.dispose();
      await proxy.setDown(false);
    }
    assert.deepEqual(said.filter((x) => x !== undefined), ['connection refused'], `the batch said its listing waited, once: ${JSON.stringify(said)}`);
    assert.equal(said.at(-1), undefined, 'and that it listed on');
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

  it('a sync with an outage at its third listing page: every group counted once, the extras found before it deleted', { timeout: 120_000 }, async () => {
    const log = new MemoryLog();
    const resolve = resolverThrough(proxy, {});
    const e = new CopyEngine({ resolve, log });
    engines.push(e);
    const dest = azurite.serviceClient().getContainerClient('lst-sync');
    await dest.create();
    // The destination: the first 98 source blobs as they are (same), and three extras, all before the outage; the
    // first listing page of the destination (100 names) ends at the extra "f00097a.bin".
    const SAME = 98;
    const sameBytes = await Promise.all(names.slice(0, SAME).map((n) => src.getBlobClient(n).downloadToBuffer()));
    await uploadMany(dest, names.slice(0, SAME).map((n) => n.slice('lst/'.length)), (i) => sameBytes[i], 32);
    const extras = ['a-first-extra.bin', 'f00097a.bin', 'f00150a.bin'];
    for (const x of extras) await dest.getBlockBlobClient(x).upload('extra', 5);
    let lists = 0;
    const down = proxy.refuseAtFirst((r) => r.comp === 'list' && fromSdk(r) && r.path.endsWith('/src') && r.query.includes('prefix=lst') && ++lists === 3, 12_000);
    let result: Awaited<ReturnType<typeof runSync>>;
    try {
      result = await runSync(e, () => resolve(A1), {
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'lst/' } }],
        destination: { connectionId: A1, container: 'lst-sync', path: '' },
        options: { sync: { compare: 'auto' } },
      }, { deleteDestination: true });
    } finally {
      await down.end();
    }
    assert.ok(down.at > 0, 'the outage happened while listing');
    assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('List the sources: storage is not answering')), log.lines.filter((l) => !l.startsWith('debug')).slice(0, 10).join('\n'));
    const t = result.tally;
    assert.deepEqual(
      { new: t?.new.count, changed: t?.changed.count, same: t?.same.count, extra: t?.extra.count },
      { new: N - SAME, changed: 0, same: SAME, extra: extras.length },
      'each group counted once, before and after the outage',
    );
    assert.deepEqual(t?.extra.first, extras);
    assert.equal(result.copies.succeeded, N - SAME);
    assert.equal(result.deletion?.deleted, extras.length, JSON.stringify(result.deletion ?? result.deletionSkipped));
    assert.equal(result.outcome, 'complete');
    const arrived: string[] = [];
    for await (const b of dest.listBlobsFlat()) arrived.push(b.name);
    assert.deepEqual(arrived, names.map((n) => n.slice('lst/'.length)), 'the destination holds the source names, no extra');
  });
});
