/**
 * Destination probe: one forward walk over the destination folder's listing answers every page of a
 * streamed plan (each destination blob listed once), names outside a page's range get a HEAD, a busy folder falls
 * back to a listing of each page's own prefix, the folder's first page can be asked for before the first page of
 * names comes; and the service's name order without allocating.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { RestCall } from '../../src/shared/vocabulary';
import { DestinationProbe } from '../../src/core/plan/destinations';
import { compareNames } from '../../src/core/plan/expand';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { stopFast } from '../helpers/engine';

describe('compareNames: the Blob service order (UTF-8 bytes)', () => {
  it('orders like Buffer.compare of the UTF-8 bytes, surrogate pairs and U+E000–U+FFFF included', () => {
    // A fixed pseudo-random set over the ranges where UTF-16 and UTF-8 orders differ.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const alphabet = ['a', 'b', 'Z', '/', ' ', '.', '~', 'é', '\u00ff', '\u0800', '\ue000', '\uffee', '\ud83d\ude00', '\ud800\udc00', '\u4e2d'];
    const names = Array.from({ length: 400 }, () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
    let checked = 0;
    for (let i = 0; i < names.length; i++) {
      for (let j = 0; j < names.length; j += 7) {
        const want = Math.sign(Buffer.compare(Buffer.from(names[i], 'utf8'), Buffer.from(names[j], 'utf8')));
        assert.equal(Math.sign(compareNames(names[i], names[j])), want, `${JSON.stringify(names[i])} vs ${JSON.stringify(names[j])}`);
        checked++;
      }
    }
    assert.ok(checked > 20_000);
    // The case plain string comparison gets wrong: an emoji (U+1F600) sorts after U+FFEE in the service's order.
    assert.ok('\ud83d\ude00' < '\uffee');
    assert.ok(compareNames('\ud83d\ude00', '\uffee') > 0);
  });
});

describe('DestinationProbe against Azurite', () => {
  let azurite: AzuriteInstance;
  const existing = new Map<string, Date>();
  before(async () => {
    azurite = await startAzurite();
    const c = azurite.serviceClient().getContainerClient('dst');
    await c.create();
    // Every 7th name of the 300 a plan will name exists already, plus blobs outside the folder.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i += 7) writes.push(c.getBlockBlobClient(`folder/f${String(i).padStart(4, '0')}.txt`).upload('x', 1));
    writes.push(c.getBlockBlobClient('elsewhere/x.txt').upload('x', 1), c.getBlockBlobClient('folder0/x.txt').upload('x', 1));
    await Promise.all(writes);
    for await (const b of c.listBlobsFlat({ prefix: 'folder/' })) existing.set(b.name, b.properties.lastModified!);
    // A busy folder: 3,000 blobs a plan does not name, between the 40 it does.
    const busy = azurite.serviceClient().getContainerClient('busy');
    await busy.create();
    const names = Array.from({ length: 3000 }, (_, i) => `b/n${String(i).padStart(5, '0')}x`);
    for (let i = 0; i < names.length; i += 100) await Promise.all(names.slice(i, i + 100).map((n) => busy.getBlockBlobClient(n).upload('y', 1)));
    await busy.getBlockBlobClient('b/z0005.txt').upload('z', 1);
  });
  after(async () => {
    await stopFast(azurite);
  });

  function counted(container: string, listPage?: number) {
    const calls = new Map<RestCall, number>();
    const probe = new DestinationProbe(azurite.serviceClient().getContainerClient(container), 8, (c) => void calls.set(c, (calls.get(c) ?? 0) + 1), listPage);
    return { probe, calls };
  }

  it('walks the folder once for all pages in order; answers existence and last-modified per name', async () => {
    const { probe, calls } = counted('dst');
    const all = Array.from({ length: 300 }, (_, i) => `folder/f${String(i).padStart(4, '0')}.txt`);
    const seen = new Map<string, boolean>();
    for (let p = 0; p < all.length; p += 50) {
      const page = all.slice(p, p + 50);
      await probe.prepare(page, undefined, 'folder/');
      for (const n of page) {
        const info = await probe.info(n);
        seen.set(n, info.exists);
        if (info.exists) assert.equal(info.lastModified?.getTime(), existing.get(n)!.getTime());
      }
    }
    assert.equal([...seen.values()].filter(Boolean).length, existing.size);
    for (const n of existing.keys()) assert.equal(seen.get(n), true, n);
    // Six pages, one listing call (43 blobs in the folder), no HEAD.
    assert.equal(calls.get('List Blobs'), 1);
    assert.equal(calls.get('Get Blob Properties'), undefined);
  });

  it('a name outside the prepared page (a rename candidate) is asked with a HEAD; an earlier page restarts the walk', async () => {
    const { probe, calls } = counted('dst');
    const page = Array.from({ length: 30 }, (_, i) => `folder/f${String(i + 100).padStart(4, '0')}.txt`);
    await probe.prepare(page, undefined, 'folder/');
    assert.equal((await probe.info('folder/f0105.txt')).exists, true);
    assert.equal((await probe.info('folder/f0000.txt')).exists, true, 'before the page: a HEAD finds it');
    assert.equal((await probe.info('folder/f0001.txt')).exists, false);
    assert.equal(calls.get('Get Blob Properties'), 2);
    const earlier = Array.from({ length: 30 }, (_, i) => `folder/f${String(i).padStart(4, '0')}.txt`);
    await probe.prepare(earlier, undefined, 'folder/');
    assert.equal((await probe.info('folder/f0007.txt')).exists, true);
    assert.equal((await probe.info('folder/f0008.txt')).exists, false);
    assert.equal(calls.get('List Blobs'), 2);
  });

  it('a folder far busier than the pages: gives up the walk and lists each page’s own prefix, still exact', async () => {
    const { probe, calls } = counted('busy', 1000);
    const page = Array.from({ length: 40 }, (_, i) => `b/z${String(i).padStart(4, '0')}.txt`);
    await probe.prepare(page, undefined, 'b/');
    const found = [];
    for (const n of page) if ((await probe.info(n)).exists) found.push(n);
    assert.deepEqual(found, ['b/z0005.txt']);
    // The walk listed 2 pages of unrelated blobs (2,000 > the cap of 4 × 40 + 1,000) and stopped; then the page's
    // own prefix ("b/z00"): one call. Not 4 calls to walk past all 3,000.
    assert.equal(calls.get('List Blobs'), 3, JSON.stringify([...calls]));
    assert.equal(calls.get('Get Blob Properties'), undefined);
    // The next page of the same folder goes straight to its prefix.
    await probe.prepare(page.map((n) => n.replace('/z', '/y')), undefined, 'b/');
    assert.equal((await probe.info('b/y0005.txt')).exists, false);
    assert.equal(calls.get('List Blobs'), 4);
  });

  it('a destination container that does not exist: nothing conflicts', async () => {
    const { probe } = counted('missing');
    const page = Array.from({ length: 25 }, (_, i) => `n${i}`);
    await probe.prepare(page, undefined, '');
    assert.equal((await probe.info('n3')).exists, false);
  });

  it('prefetch: the folder\'s first page is asked for at once; the walk takes it (no second call), also for a few names', async () => {
    const { probe, calls } = counted('dst');
    probe.prefetch('folder/');
    assert.equal(calls.get('List Blobs'), 1, 'asked for before any page of names');
    // Fewer names than are HEADed otherwise: the page on its way answers them.
    const few = ['folder/f0007.txt', 'folder/f0008.txt', 'folder/f0014.txt'];
    await probe.prepare(few, undefined, 'folder/');
    assert.deepEqual(await Promise.all(few.map(async (n) => (await probe.info(n)).exists)), [true, false, true]);
    assert.equal((await probe.info('folder/f0014.txt')).lastModified?.getTime(), existing.get('folder/f0014.txt')!.getTime());
    const page = Array.from({ length: 50 }, (_, i) => `folder/f${String(i + 100).padStart(4, '0')}.txt`);
    await probe.prepare(page, undefined, 'folder/');
    const found = [];
    for (const n of page) if ((await probe.info(n)).exists) found.push(n);
    assert.deepEqual(found, page.filter((n) => existing.has(n)));
    assert.equal(calls.get('List Blobs'), 1);
    assert.equal(calls.get('Get Blob Properties'), undefined);
    // Once taken, a few names are HEADed again.
    await probe.prepare(['folder/f0280.txt'], undefined, 'folder/');
    assert.equal((await probe.info('folder/f0280.txt')).exists, true);
    assert.equal(calls.get('Get Blob Properties'), 1);
  });

  it('prefetch into a container that does not exist: the walk meets the 404, and nothing conflicts', async () => {
    const { probe, calls } = counted('missing-too');
    probe.prefetch('');
    const page = Array.from({ length: 25 }, (_, i) => `n${i}`);
    await probe.prepare(page, undefined, '');
    assert.equal((await probe.info('n3')).exists, false);
    assert.equal(calls.get('List Blobs'), 1);
  });
});
