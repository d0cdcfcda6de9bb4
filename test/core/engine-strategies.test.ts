/** Each strategy Azurite implements, within a container, across containers and across accounts, plus blob kinds. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { BlobSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, CopyError, CopyRequest, StrategyChoice } from '../../src/core';
import { A1, A2, blobMd5, data, makeEngine, md5, MemoryLog, stopFast } from '../helpers/engine';

const MiB = 1024 * 1024;

describe('copy engine strategies on Azurite', () => {
  let azurite: AzuriteInstance;
  let engine: CopyEngine;
  let log: MemoryLog;
  const bufs = new Map<string, Buffer>();
  before(async () => {
    azurite = await startAzurite();
    ({ engine, log } = makeEngine(azurite, { blockSizeBytes: MiB }));
    const s1 = azurite.serviceClient();
    const s2 = azurite.serviceClient(SECOND_ACCOUNT);
    for (const c of ['src', 'same', 'other']) await s1.createContainer(c);
    await s2.createContainer('far');
    const files: Array<[string, number]> = [
      ['folder/a.txt', 1000],
      ['folder/sub/b.bin', 3 * MiB + 17],
      ['folder/empty.txt', 0],
    ];
    for (const [name, size] of files) {
      const buf = data(size, size);
      bufs.set(name, buf);
      await s1.getContainerClient('src').getBlockBlobClient(name).uploadData(buf, { blobHTTPHeaders: { blobContentType: 'text/x-test' } });
    }
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
  });

  const targets: Array<{ label: string; conn: string; container: string; account: typeof DEV_ACCOUNT }> = [
    { label: 'within the container', conn: A1, container: 'src', account: DEV_ACCOUNT },
    { label: 'across containers', conn: A1, container: 'same', account: DEV_ACCOUNT },
    { label: 'across accounts', conn: A2, container: 'far', account: SECOND_ACCOUNT },
  ];
  const strategies: Array<{ strategy: StrategyChoice; expect: (cross: boolean) => string[] }> = [
    { strategy: 'copy-blob', expect: () => ['copy-blob'] },
    { strategy: 'put-block-from-url', expect: () => ['put-block-from-url'] },
    // auto: same account → Copy Blob From URL (≤ 4 MiB) or Copy Blob; across → Put Blob From URL, which Azurite
    // lacks → Copy Blob From URL.
    { strategy: 'auto', expect: (cross) => (cross ? ['copy-blob-from-url'] : ['copy-blob-from-url', 'copy-blob']) },
  ];

  for (const t of targets) {
    for (const s of strategies) {
      it(`${s.strategy} ${t.label}: bytes, content type, folder names, 0-byte blob`, async () => {
        const prefix = `out-${s.strategy}/`;
        const req: CopyRequest = {
          sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'folder/' } }],
          destination: { connectionId: t.conn, container: t.container, path: prefix },
          options: { strategy: s.strategy },
        };
        const summary = await engine.copy(req);
        assert.equal(summary.succeeded, 3, JSON.stringify({ summary, log: log.lines.slice(-5), jobs: engine.jobs().filter((j) => j.error) }));
        const container = azurite.serviceClient(t.account).getContainerClient(t.container);
        for (const [name, buf] of bufs) {
          const rel = name.slice('folder/'.length);
          const blob = container.getBlobClient(prefix + rel);
          const props = await blob.getProperties();
          assert.equal(props.contentLength, buf.length, rel);
          assert.equal(props.contentType, 'text/x-test', rel);
          assert.equal(await blobMd5(blob), md5(buf), rel);
        }
        const ops = engine.jobs().filter((j) => j.batchId === summary.batchId).map((j) => j.operation!);
        const cross = t.conn === A2;
        for (const op of ops) assert.ok(s.expect(cross).includes(op), `${op} not in ${s.expect(cross)}`);
      });
    }
  }

  it('carries metadata, content headers, tags and tier (every strategy, across accounts)', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('props/doc.json');
    const buf = Buffer.from(JSON.stringify({ hello: 'world' }));
    await src.uploadData(buf, {
      blobHTTPHeaders: {
        blobContentType: 'application/json',
        blobContentEncoding: 'identity',
        blobContentLanguage: 'de-CH',
        blobContentDisposition: 'attachment; filename="doc.json"',
        blobCacheControl: 'max-age=60',
      },
      metadata: { owner: 'team-a', purpose: 'test' },
      tags: { project: 'blob-copy', stage: 'test' },
      tier: 'Cool',
    });
    for (const strategy of ['copy-blob', 'put-block-from-url', 'auto'] as const) {
      for (const [conn, account, container] of [[A1, DEV_ACCOUNT, 'other'], [A2, SECOND_ACCOUNT, 'far']] as const) {
        const name = `props-${strategy}/doc.json`;
        const summary = await engine.copy({
          sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'props/doc.json' } }],
          destination: { connectionId: conn, container, path: name },
          options: { strategy },
        });
        assert.equal(summary.succeeded, 1, JSON.stringify(engine.jobs().at(-1)));
        const dst = azurite.serviceClient(account).getContainerClient(container).getBlobClient(name);
        const p = await dst.getProperties();
        const label = `${strategy} → ${account.name}`;
        assert.equal(p.contentType, 'application/json', label);
        assert.equal(p.contentEncoding, 'identity', label);
        assert.equal(p.contentLanguage, 'de-CH', label);
        assert.equal(p.contentDisposition, 'attachment; filename="doc.json"', label);
        assert.equal(p.cacheControl, 'max-age=60', label);
        assert.deepEqual(p.metadata, { owner: 'team-a', purpose: 'test' }, label);
        assert.equal(p.accessTier, 'Cool', label);
        assert.deepEqual((await dst.getTags()).tags, { project: 'blob-copy', stage: 'test' }, label);
        assert.equal(await blobMd5(dst), md5(buf), label);
      }
    }
  });

  it('does not carry tags and tier when turned off', async () => {
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'props/doc.json' } }],
      destination: { connectionId: A2, container: 'far', path: 'no-tags/doc.json' },
      options: { tags: false, tier: false, strategy: 'put-block-from-url' },
    });
    assert.equal(summary.succeeded, 1);
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('no-tags/doc.json');
    assert.deepEqual((await dst.getTags()).tags, {});
    assert.notEqual((await dst.getProperties()).accessTier, 'Cool');
  });

  it('copies names with spaces, unicode, #, ?, % and deep prefixes', async () => {
    const names = ['names/with space.txt', 'names/ünï cødé/日本語.txt', 'names/hash#tag.txt', 'names/what?.txt', 'names/100% done.txt', 'names/a/b/c/d/e/f/g/h/deep.txt', 'names/plus+and&amp=.txt'];
    const c = azurite.serviceClient().getContainerClient('src');
    for (const n of names) await c.getBlockBlobClient(n).upload(n, Buffer.byteLength(n));
    for (const [conn, account, container, strategy] of [
      [A1, DEV_ACCOUNT, 'other', 'auto'],
      [A2, SECOND_ACCOUNT, 'far', 'auto'],
      [A2, SECOND_ACCOUNT, 'far', 'put-block-from-url'],
    ] as const) {
      const prefix = `n-${strategy}/`;
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'names/' } }],
        destination: { connectionId: conn, container, path: prefix },
        options: { strategy },
      });
      assert.equal(summary.succeeded, names.length, JSON.stringify(engine.jobs().filter((j) => j.error).map((j) => j.error)));
      const dc = azurite.serviceClient(account).getContainerClient(container);
      for (const n of names) {
        const dst = dc.getBlobClient(prefix + n.slice('names/'.length));
        const body = await dst.downloadToBuffer();
        assert.equal(body.toString(), n);
      }
    }
  });

  it('copies from an http(s) URL carrying its own SAS', async () => {
    const name = 'folder/a.txt';
    const sas = generateBlobSASQueryParameters(
      { containerName: 'src', blobName: name, permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
      azurite.credential(),
    ).toString();
    const url = `${azurite.endpoint()}/src/${name}?${sas}`;
    const summary = await engine.copy({ sources: [{ kind: 'url', url }], destination: { connectionId: A2, container: 'far', path: 'from-url/a.txt' } });
    assert.equal(summary.succeeded, 1, JSON.stringify(engine.jobs().at(-1)));
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('from-url/a.txt');
    assert.equal(await blobMd5(dst), md5(bufs.get(name)!));
    assert.ok(!JSON.stringify(engine.jobs()).includes(sas.split('sig=')[1]!.slice(0, 10)), 'snapshots carry no SAS');
  });

  it('a private source URL without SAS fails the plan with an actionable CopyError', async () => {
    await assert.rejects(
      engine.plan({ sources: [{ kind: 'url', url: `${azurite.endpoint()}/src/folder/a.txt` }], destination: { connectionId: A2, container: 'far', path: '' } }),
      (e: unknown) => {
        assert.ok(e instanceof CopyError, String(e));
        assert.match(e.message, /source is private/);
        assert.match(e.info.hint ?? '', /SAS with read permission/);
        assert.ok(e.info.status === 403 || e.info.status === 404 || e.info.status === 401);
        return true;
      },
    );
  });

  it('copies a sparse 2 GiB page blob across accounts (auto: Put Page From URL → Copy Blob on Azurite)', async () => {
    const page = azurite.serviceClient().getContainerClient('src').getPageBlobClient('disk.vhd');
    const size = 2 * 1024 * MiB;
    await page.create(size, { metadata: { kind: 'disk' } });
    const writes: Array<[number, Buffer]> = [
      [0, data(4096, 1)],
      [1024 * MiB, data(64 * 1024, 2)],
      [size - 512, data(512, 3)],
    ];
    for (const [off, buf] of writes) await page.uploadPages(buf, off, buf.length);
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'disk.vhd' } }],
      destination: { connectionId: A2, container: 'far', path: 'disks/disk.vhd' },
    });
    assert.equal(summary.succeeded, 1, JSON.stringify(engine.jobs().at(-1)));
    const job = engine.jobs().at(-1)!;
    assert.equal(job.operation, 'copy-blob');
    assert.ok(log.lines.some((l) => l.includes('does not implement Put Page From URL')), log.lines.join('\n'));
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getPageBlobClient('disks/disk.vhd');
    const p = await dst.getProperties();
    assert.equal(p.contentLength, size);
    assert.equal(p.blobType, 'PageBlob');
    assert.deepEqual(p.metadata, { kind: 'disk' });
    for (const [off, buf] of writes) {
      const got = await dst.downloadToBuffer(off, buf.length);
      assert.equal(md5(got), md5(buf), `page at ${off}`);
    }
  });

  it('copies an append blob of many blocks across accounts (auto: Append Block From URL → Copy Blob on Azurite)', async () => {
    const app = azurite.serviceClient().getContainerClient('src').getAppendBlobClient('logs/app.log');
    await app.create({ blobHTTPHeaders: { blobContentType: 'text/plain' } });
    const parts: Buffer[] = [];
    for (let i = 0; i < 120; i++) {
      const b = Buffer.from(`line ${i} ${'x'.repeat(i)}\n`);
      parts.push(b);
      await app.appendBlock(b, b.length);
    }
    const all = Buffer.concat(parts);
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'logs/app.log' } }],
      destination: { connectionId: A2, container: 'far', path: 'logs/' },
    });
    assert.equal(summary.succeeded, 1, JSON.stringify(engine.jobs().at(-1)));
    assert.equal(engine.jobs().at(-1)!.operation, 'copy-blob');
    assert.ok(log.lines.some((l) => l.includes('does not implement Append Block From URL')));
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('logs/app.log');
    const p = await dst.getProperties();
    assert.equal(p.blobType, 'AppendBlob');
    assert.equal(p.contentType, 'text/plain');
    assert.equal(await blobMd5(dst), md5(all));
  });

  it('a forced strategy the server lacks fails with a CopyError naming the server and the alternative', async () => {
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'folder/a.txt' } }],
      destination: { connectionId: A2, container: 'far', path: 'forced/a.txt' },
      options: { strategy: 'put-blob-from-url' },
    });
    assert.equal(summary.failed, 1);
    const err = engine.jobs().at(-1)!.error!;
    assert.equal(err.status, 501);
    assert.equal(err.code, 'APINotImplemented');
    assert.match(err.message, /does not implement Put Blob From URL/);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${azurite.port}`));
    assert.match(err.hint ?? '', /"auto"|copy-blob|put-block/);
    assert.equal(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('forced/a.txt').exists(), false);
  });
});
