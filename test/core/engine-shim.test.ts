/**
 * The three operations Azurite lacks (Put Blob From URL, Append Block From URL, Put Page From URL), end to end through
 * the loopback shim (test/shim), with the bytes verified in Azurite directly.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { FromUrlShim, startFromUrlShim } from '../shim/fromUrlShim';
import { AccountClient, CopyEngine, createAccountClient } from '../../src/core';
import { A1, blobMd5, data, md5, MemoryLog, resolverFor, stopFast } from '../helpers/engine';

const MiB = 1024 * 1024;
/** Connection id of the second account reached through the shim. */
const S2 = 's2';

describe('strategies through the from-URL shim', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  let engine: CopyEngine;
  const log = new MemoryLog();
  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    const direct = resolverFor(azurite);
    let viaShim: AccountClient | undefined;
    engine = new CopyEngine({
      resolve: async (id) => {
        if (id !== S2) return direct(id);
        viaShim ??= createAccountClient({ kind: 'connectionString', connectionString: shim.connectionString(SECOND_ACCOUNT.name) });
        return viaShim;
      },
      log,
      blockSizeBytes: 2 * MiB,
    });
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('far');
  });
  after(async () => {
    engine?.dispose();
    await shim?.stop();
    await stopFast(azurite);
  });
  const far = () => azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far');
  const src = () => azurite.serviceClient(DEV_ACCOUNT).getContainerClient('src');

  it('auto picks Put Blob From URL for a small block blob across accounts; bytes and properties arrive', async () => {
    const buf = data(3 * MiB + 5, 1);
    await src().getBlockBlobClient('pb/file.bin').uploadData(buf, {
      blobHTTPHeaders: { blobContentType: 'application/octet-stream', blobCacheControl: 'no-cache' },
      metadata: { m: '1' },
      tags: { t: 'x' },
      tier: 'Cool',
    });
    const before = shim.counts.putBlobFromUrl;
    const s = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'pb/' } }],
      destination: { connectionId: S2, container: 'far', path: 'pb/' },
    });
    assert.equal(s.succeeded, 1, JSON.stringify({ jobs: engine.jobs(), log: log.lines }));
    assert.equal(engine.jobs().at(-1)!.operation, 'put-blob-from-url');
    assert.ok(shim.counts.putBlobFromUrl > before, 'the shim served Put Blob From URL');
    const dst = far().getBlobClient('pb/file.bin');
    assert.equal(await blobMd5(dst), md5(buf));
    const p = await dst.getProperties();
    assert.equal(p.contentType, 'application/octet-stream');
    assert.equal(p.cacheControl, 'no-cache');
    assert.deepEqual(p.metadata, { m: '1' });
    assert.equal(p.accessTier, 'Cool');
    assert.deepEqual((await dst.getTags()).tags, { t: 'x' });
  });

  it('a forced put-blob-from-url of a 0-byte blob works, and skip holds at write time', async () => {
    await src().getBlockBlobClient('pb0/empty').upload('', 0);
    const s = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'pb0/empty' } }],
      destination: { connectionId: S2, container: 'far', path: 'pb0/empty' },
      options: { strategy: 'put-blob-from-url', conflict: 'skip' },
    });
    assert.equal(s.succeeded, 1, JSON.stringify(engine.jobs().at(-1)));
    assert.equal((await far().getBlobClient('pb0/empty').getProperties()).contentLength, 0);
  });

  it('Append Block From URL copies an append blob of many blocks in ordered chunks', async () => {
    const app = src().getAppendBlobClient('ap/journal.log');
    await app.create({ blobHTTPHeaders: { blobContentType: 'text/plain' }, metadata: { kind: 'log' } });
    const parts: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const b = data(256 * 1024 + i, i);
      parts.push(b);
      await app.appendBlock(b, b.length);
    }
    const all = Buffer.concat(parts); // > 10 MiB: three 4 MiB chunks
    const before = shim.counts.appendBlockFromUrl;
    const s = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'ap/journal.log' } }],
      destination: { connectionId: S2, container: 'far', path: 'ap/journal.log' },
    });
    assert.equal(s.succeeded, 1, JSON.stringify({ jobs: engine.jobs().at(-1), log: log.lines }));
    assert.equal(engine.jobs().at(-1)!.operation, 'append-block-from-url');
    assert.equal(shim.counts.appendBlockFromUrl - before, Math.ceil(all.length / (4 * MiB)));
    const dst = far().getBlobClient('ap/journal.log');
    const p = await dst.getProperties();
    assert.equal(p.blobType, 'AppendBlob');
    assert.equal(p.contentType, 'text/plain');
    assert.deepEqual(p.metadata, { kind: 'log' });
    assert.equal(await blobMd5(dst), md5(all));
  });

  it('Put Page From URL copies only the non-empty ranges of a sparse page blob, ≤ 4 MiB per call', async () => {
    const size = 256 * MiB;
    const page = src().getPageBlobClient('pp/disk.vhd');
    await page.create(size, { metadata: { kind: 'disk' } });
    const writes: Array<[number, Buffer]> = [
      [0, data(8192, 1)],
      [32 * MiB, data(5 * MiB, 2)], // crosses the 4 MiB per-call limit: two calls
      [size - 1024, data(1024, 3)],
    ];
    for (const [off, buf] of writes) {
      for (let o = 0; o < buf.length; o += 4 * MiB) {
        const chunk = buf.subarray(o, Math.min(buf.length, o + 4 * MiB));
        await page.uploadPages(chunk, off + o, chunk.length);
      }
    }
    const before = shim.counts.putPageFromUrl;
    const s = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'pp/disk.vhd' } }],
      destination: { connectionId: S2, container: 'far', path: 'pp/disk.vhd' },
    });
    assert.equal(s.succeeded, 1, JSON.stringify({ jobs: engine.jobs().at(-1), log: log.lines }));
    assert.equal(engine.jobs().at(-1)!.operation, 'put-page-from-url');
    const calls = shim.counts.putPageFromUrl - before;
    assert.ok(calls >= 4 && calls <= 5, `${calls} Put Page From URL calls for 3 ranges (one > 4 MiB)`);
    const dst = far().getPageBlobClient('pp/disk.vhd');
    const p = await dst.getProperties();
    assert.equal(p.contentLength, size);
    assert.deepEqual(p.metadata, { kind: 'disk' });
    let written = 0;
    for await (const r of dst.listPageRanges()) written += r.end + 1 - r.start;
    assert.ok(written <= 5 * MiB + 8192 + 1024, `destination stays sparse (${written} bytes in ranges)`);
    for (const [off, buf] of writes) assert.equal(md5(await dst.downloadToBuffer(off, buf.length)), md5(buf), `range at ${off}`);
  });

  it('a source changed after planning fails an Append Block From URL copy clearly and leaves no destination', async () => {
    const app = src().getAppendBlobClient('ap/changing.log');
    await app.create();
    await app.appendBlock('one\n', 4);
    const plan = await engine.plan({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'ap/changing.log' } }],
      destination: { connectionId: S2, container: 'far', path: 'ap/changing.log' },
    });
    await app.appendBlock('two\n', 4);
    const id = engine.start(plan);
    const s = await engine.waitForBatch(id);
    assert.equal(s.failed, 1);
    assert.equal(engine.jobs().at(-1)!.error?.code, 'SourceChanged');
    assert.equal(await far().getBlobClient('ap/changing.log').exists(), false);
  });
});
