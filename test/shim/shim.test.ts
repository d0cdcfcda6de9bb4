/**
 * The from-URL shim, driven by the real SDK: the three operations Azurite lacks work through it, and everything else
 * is forwarded untouched. Results are read from Azurite directly (not through the shim).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  RestError,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FromUrlShim, startFromUrlShim } from './fromUrlShim';

function sasUrl(blobUrl: string, account: { name: string; key: string }, container: string, blob: string): string {
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      blobName: blob,
      permissions: BlobSASPermissions.parse('r'),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    new StorageSharedKeyCredential(account.name, account.key),
  ).toString();
  return `${blobUrl}?${sas}`;
}

async function expectRestError(p: Promise<unknown>, status: number, code?: string): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RestError, `expected a RestError, got ${String(e)}`);
    assert.equal(e.statusCode, status, `status (code ${e.code}): ${e.message}`);
    if (code) assert.equal(e.code, code);
    assert.ok(e.response?.headers.get('x-ms-request-id'), 'error carries x-ms-request-id');
    return e;
  }
  assert.fail(`expected HTTP ${status}`);
}

describe('from-URL shim in front of Azurite', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  /** Clients through the shim. */
  let viaShim: BlobServiceClient;
  let viaShim2: BlobServiceClient;
  /** Clients straight to Azurite, for assertions. */
  let direct: BlobServiceClient;
  let direct2: BlobServiceClient;
  let src: ContainerClient;

  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    viaShim = BlobServiceClient.fromConnectionString(shim.connectionString(), { retryOptions: { maxTries: 1 } });
    viaShim2 = BlobServiceClient.fromConnectionString(shim.connectionString(SECOND_ACCOUNT.name), { retryOptions: { maxTries: 1 } });
    direct = azurite.serviceClient();
    direct2 = azurite.serviceClient(SECOND_ACCOUNT);
    src = direct.getContainerClient('src');
    await src.create();
    await direct.createContainer('dst');
    await direct2.createContainer('dst2');
  });
  after(async () => {
    await shim?.stop();
    await azurite?.stop();
  });

  it('bare Azurite answers 501 to Put Blob From URL (why the shim exists)', async () => {
    const data = Buffer.from('bare');
    await src.getBlockBlobClient('bare.txt').upload(data, data.length);
    const source = sasUrl(src.getBlockBlobClient('bare.txt').url, DEV_ACCOUNT, 'src', 'bare.txt');
    await expectRestError(direct.getContainerClient('dst').getBlockBlobClient('bare.txt').syncUploadFromURL(source), 501);
  });

  it('forwards ordinary operations: list containers, upload, download, properties (SharedKey survives the hop)', async () => {
    const names: string[] = [];
    for await (const c of viaShim.listContainers()) names.push(c.name);
    assert.deepEqual(names.sort(), ['dst', 'src']);
    const names2: string[] = [];
    for await (const c of viaShim2.listContainers()) names2.push(c.name);
    assert.deepEqual(names2, ['dst2']);
    const payload = crypto.randomBytes(3 * 1024 * 1024 + 7);
    const blob = viaShim.getContainerClient('dst').getBlockBlobClient('dir/forwarded file ü#.bin');
    await blob.uploadData(payload, { blockSize: 1024 * 1024, metadata: { a: '1' } });
    const fromAzurite = await direct.getContainerClient('dst').getBlockBlobClient('dir/forwarded file ü#.bin').downloadToBuffer();
    assert.ok(fromAzurite.equals(payload));
    const back = await blob.downloadToBuffer();
    assert.ok(back.equals(payload));
    const props = await blob.getProperties();
    assert.equal(props.metadata?.a, '1');
    // A wrong key is still rejected by Azurite behind the shim.
    const bad = new BlobServiceClient(shim.endpoint(), new StorageSharedKeyCredential(DEV_ACCOUNT.name, Buffer.alloc(64, 1).toString('base64')), {
      retryOptions: { maxTries: 1 },
    });
    await expectRestError(bad.getProperties(), 403);
    assert.ok(shim.counts.forwarded > 0);
  });

  it('forwards Put Block From URL (Azurite implements it) with a source URL on the shim', async () => {
    const data = crypto.randomBytes(100_000);
    await src.getBlockBlobClient('staged.bin').upload(data, data.length);
    const source = sasUrl(`${shim.endpoint()}/src/staged.bin`, DEV_ACCOUNT, 'src', 'staged.bin');
    const dest = viaShim2.getContainerClient('dst2').getBlockBlobClient('staged.bin');
    const id = Buffer.from('block-000').toString('base64');
    await dest.stageBlockFromURL(id, source, 0, data.length);
    await dest.commitBlockList([id]);
    const got = await direct2.getContainerClient('dst2').getBlockBlobClient('staged.bin').downloadToBuffer();
    assert.ok(got.equals(data));
  });

  it('Put Blob From URL: bytes, source content headers, request metadata, tags and tier arrive in Azurite', async () => {
    const data = crypto.randomBytes(2 * 1024 * 1024 + 3);
    const md5 = crypto.createHash('md5').update(data).digest();
    await src.getBlockBlobClient('photo one.jpg').upload(data, data.length, {
      blobHTTPHeaders: { blobContentType: 'image/jpeg', blobCacheControl: 'max-age=60', blobContentLanguage: 'de', blobContentMD5: md5 },
      metadata: { sourceonly: 'yes' },
    });
    const before = shim.counts.putBlobFromUrl;
    const source = sasUrl(`${shim.endpoint()}/src/${encodeURIComponent('photo one.jpg')}`, DEV_ACCOUNT, 'src', 'photo one.jpg');
    const dest = viaShim2.getContainerClient('dst2').getBlockBlobClient('copies/photo one.jpg');
    const res = await dest.syncUploadFromURL(source, {
      metadata: { origin: 'src', n: '1' },
      tags: { project: 'blob-copy', kind: 'test' },
      tier: 'Cool',
      blobHTTPHeaders: { blobContentDisposition: 'attachment' },
    });
    assert.equal(shim.counts.putBlobFromUrl, before + 1, 'the shim implemented the call');
    assert.ok(res.etag);
    assert.ok(res.lastModified instanceof Date);
    const d = direct2.getContainerClient('dst2').getBlockBlobClient('copies/photo one.jpg');
    assert.ok((await d.downloadToBuffer()).equals(data));
    const props = await d.getProperties();
    assert.equal(props.etag, res.etag);
    assert.equal(props.blobType, 'BlockBlob');
    assert.equal(props.contentType, 'image/jpeg');
    assert.equal(props.cacheControl, 'max-age=60');
    assert.equal(props.contentLanguage, 'de');
    assert.equal(props.contentDisposition, 'attachment');
    assert.equal(Buffer.from(props.contentMD5 ?? []).toString('base64'), md5.toString('base64'));
    assert.deepEqual(props.metadata, { origin: 'src', n: '1' }, 'metadata comes from the request, not the source');
    assert.equal(props.accessTier, 'Cool');
    assert.deepEqual((await d.getTags()).tags, { project: 'blob-copy', kind: 'test' });
  });

  it('Put Blob From URL: copySourceBlobProperties=false drops the source content headers; a 0-byte source works', async () => {
    await src.getBlockBlobClient('empty.txt').upload('', 0, { blobHTTPHeaders: { blobContentType: 'text/plain' } });
    const source = sasUrl(`${shim.endpoint()}/src/empty.txt`, DEV_ACCOUNT, 'src', 'empty.txt');
    const dest = viaShim.getContainerClient('dst').getBlockBlobClient('empty.txt');
    await dest.syncUploadFromURL(source, { copySourceBlobProperties: false });
    const props = await direct.getContainerClient('dst').getBlockBlobClient('empty.txt').getProperties();
    assert.equal(props.contentLength, 0);
    assert.notEqual(props.contentType, 'text/plain');
  });

  it('Put Blob From URL: source conditions (ETag pin) and destination If-None-Match: *', async () => {
    const data = Buffer.from('version 1');
    const up = await src.getBlockBlobClient('pinned.txt').upload(data, data.length);
    const source = sasUrl(`${shim.endpoint()}/src/pinned.txt`, DEV_ACCOUNT, 'src', 'pinned.txt');
    const dest = viaShim.getContainerClient('dst').getBlockBlobClient('pinned.txt');
    await dest.syncUploadFromURL(source, { sourceConditions: { ifMatch: up.etag } });
    await expectRestError(dest.syncUploadFromURL(source, { sourceConditions: { ifMatch: '"0x8D000000000000"' } }), 412, 'SourceConditionNotMet');
    await expectRestError(dest.syncUploadFromURL(source, { sourceConditions: { ifNoneMatch: up.etag } }), 412, 'SourceConditionNotMet');
    await expectRestError(dest.syncUploadFromURL(source, { sourceConditions: { ifModifiedSince: new Date(Date.now() + 3600_000) } }), 412, 'SourceConditionNotMet');
    await expectRestError(dest.syncUploadFromURL(source, { conditions: { ifNoneMatch: '*' } }), 409, 'BlobAlreadyExists');
    // Destination If-Match mismatch is Azurite's own 412 ConditionNotMet, relayed.
    await expectRestError(dest.syncUploadFromURL(source, { conditions: { ifMatch: '"0x8D000000000000"' } }), 412);
    const newName = viaShim.getContainerClient('dst').getBlockBlobClient('pinned-new.txt');
    await newName.syncUploadFromURL(source, { conditions: { ifNoneMatch: '*' } });
    assert.equal((await direct.getContainerClient('dst').getBlockBlobClient('pinned-new.txt').downloadToBuffer()).toString(), 'version 1');
  });

  it('Put Blob From URL: a private source without SAS is 403 CannotVerifyCopySource; a missing one 404', async () => {
    await src.getBlockBlobClient('private.txt').upload('p', 1);
    const dest = viaShim.getContainerClient('dst').getBlockBlobClient('x.txt');
    // No SAS, private container: the service cannot read it.
    const e = await expectRestError(dest.syncUploadFromURL(`${shim.endpoint()}/src/private.txt`), 403, 'CannotVerifyCopySource');
    assert.match(e.message, /AuthorizationFailure/);
    const missing = sasUrl(`${shim.endpoint()}/src/nope.txt`, DEV_ACCOUNT, 'src', 'nope.txt');
    await expectRestError(dest.syncUploadFromURL(missing), 404, 'CannotVerifyCopySource');
    assert.equal(await direct.getContainerClient('dst').getBlockBlobClient('x.txt').exists(), false, 'nothing written');
  });

  it('rejects requests without any authorization', async () => {
    const res = await fetch(`${shim.endpoint()}/dst/anon.txt`, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'x-ms-copy-source': `${shim.endpoint()}/src/pinned.txt`, 'x-ms-version': '2025-01-05', 'content-length': '0' },
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-ms-error-code'), 'NoAuthenticationInformation');
    const body = await res.text();
    assert.match(body, /<Error><Code>NoAuthenticationInformation<\/Code><Message>/);
  });

  it('Append Block From URL: several chunks, offsets and block counts like the service, append conditions', async () => {
    const data = crypto.randomBytes(5 * 1024 * 1024 + 123);
    await src.getBlockBlobClient('log-source.bin').upload(data, data.length);
    const source = sasUrl(`${shim.endpoint()}/src/log-source.bin`, DEV_ACCOUNT, 'src', 'log-source.bin');
    const dest = viaShim2.getContainerClient('dst2').getAppendBlobClient('app.log');
    await dest.create({ metadata: { kind: 'append' } });
    const chunk = 1024 * 1024 + 17; // deliberately odd-sized chunks
    let offset = 0;
    let blocks = 0;
    const before = shim.counts.appendBlockFromUrl;
    for (let guard = 0; offset < data.length && guard < 100; guard++) {
      const count = Math.min(chunk, data.length - offset);
      const r = await dest.appendBlockFromURL(source, offset, count, {
        conditions: { appendPosition: offset, maxSize: data.length },
        sourceContentMD5: crypto.createHash('md5').update(data.subarray(offset, offset + count)).digest(),
      });
      blocks++;
      assert.equal(r.blobAppendOffset, String(offset));
      assert.equal(r.blobCommittedBlockCount, blocks);
      assert.ok(r.etag);
      offset += count;
    }
    assert.equal(shim.counts.appendBlockFromUrl - before, blocks);
    const d = direct2.getContainerClient('dst2').getAppendBlobClient('app.log');
    assert.ok((await d.downloadToBuffer()).equals(data));
    const props = await d.getProperties();
    assert.equal(props.blobType, 'AppendBlob');
    assert.equal(props.blobCommittedBlockCount, blocks);
    assert.equal(props.metadata?.kind, 'append');
    // Wrong append position / max size → 412 with the service's codes; nothing appended.
    await expectRestError(dest.appendBlockFromURL(source, 0, 10, { conditions: { appendPosition: 5 } }), 412, 'AppendPositionConditionNotMet');
    await expectRestError(dest.appendBlockFromURL(source, 0, 10, { conditions: { maxSize: data.length + 5 } }), 412, 'MaxBlobSizeConditionNotMet');
    // Source ETag pin.
    await expectRestError(dest.appendBlockFromURL(source, 0, 10, { sourceConditions: { ifMatch: '"0x8D000000000000"' } }), 412, 'SourceConditionNotMet');
    // Source MD5 mismatch.
    await expectRestError(dest.appendBlockFromURL(source, 0, 10, { sourceContentMD5: Buffer.alloc(16) }), 400, 'Md5Mismatch');
    // Range beyond the source.
    await expectRestError(dest.appendBlockFromURL(source, data.length - 5, 10), 416, 'CannotVerifyCopySource');
    assert.equal((await d.getProperties()).contentLength, data.length);
  });

  it('Append Block From URL: over the per-call limit is 413 (100 MiB for current API versions)', async () => {
    const source = sasUrl(`${shim.endpoint()}/src/log-source.bin`, DEV_ACCOUNT, 'src', 'log-source.bin');
    const dest = viaShim.getContainerClient('dst').getAppendBlobClient('big.log');
    await dest.create();
    await expectRestError(dest.appendBlockFromURL(source, 0, 100 * 1024 * 1024 + 1), 413, 'RequestBodyTooLarge');
    // The same through raw REST with an old x-ms-version: the 4 MiB limit applies.
    const res = await fetch(`${shim.endpoint()}/dst/big.log?comp=appendblock`, {
      method: 'PUT',
      headers: {
        authorization: `SharedKey ${DEV_ACCOUNT.name}:unchecked`,
        'x-ms-version': '2021-08-06',
        'x-ms-copy-source': source,
        'x-ms-source-range': `bytes=0-${4 * 1024 * 1024}`,
        'content-length': '0',
      },
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-ms-error-code'), 'RequestBodyTooLarge');
  });

  it('Put Page From URL: sparse ranges arrive at the right offsets; page ranges stay sparse', async () => {
    const size = 8 * 1024 * 1024;
    const srcPage = src.getPageBlobClient('disk.vhd');
    await srcPage.create(size);
    const a = crypto.randomBytes(4 * 1024 * 1024);
    const b = crypto.randomBytes(512 * 3);
    await srcPage.uploadPages(a, 0, a.length);
    await srcPage.uploadPages(b, 6 * 1024 * 1024, b.length);
    const source = sasUrl(`${shim.endpoint()}/src/disk.vhd`, DEV_ACCOUNT, 'src', 'disk.vhd');
    const dest = viaShim2.getContainerClient('dst2').getPageBlobClient('disk.vhd');
    await dest.create(size);
    const before = shim.counts.putPageFromUrl;
    const r1 = await dest.uploadPagesFromURL(source, 0, 0, a.length);
    assert.ok(r1.etag);
    const r2 = await dest.uploadPagesFromURL(source, 6 * 1024 * 1024, 6 * 1024 * 1024, b.length);
    assert.ok(r2.etag);
    assert.equal(shim.counts.putPageFromUrl - before, 2);
    const d = direct2.getContainerClient('dst2').getPageBlobClient('disk.vhd');
    const got = await d.downloadToBuffer();
    const expected = Buffer.alloc(size);
    a.copy(expected, 0);
    b.copy(expected, 6 * 1024 * 1024);
    assert.ok(got.equals(expected));
    const ranges = (await d.getPageRanges()).pageRange ?? [];
    // The SDK reports `count` as end - start (one less than the length): compare [start, end + 1).
    assert.deepEqual(
      ranges.map((r) => [r.offset, (r.count ?? -1) + 1]),
      [
        [0, a.length],
        [6 * 1024 * 1024, b.length],
      ],
    );
  });

  it('Put Page From URL: misaligned, unequal or oversized ranges and source conditions are rejected', async () => {
    const source = sasUrl(`${shim.endpoint()}/src/disk.vhd`, DEV_ACCOUNT, 'src', 'disk.vhd');
    const dest = viaShim.getContainerClient('dst').getPageBlobClient('bad.vhd');
    await dest.create(16 * 1024 * 1024);
    const e1 = await expectRestError(dest.uploadPagesFromURL(source, 0, 0, 500), 400, 'InvalidHeaderValue');
    assert.match(String(e1.response?.bodyAsText ?? ''), /x-ms-range/);
    await expectRestError(dest.uploadPagesFromURL(source, 100, 512, 512), 400, 'InvalidHeaderValue');
    await expectRestError(dest.uploadPagesFromURL(source, 0, 0, 8 * 1024 * 1024), 413, 'RequestBodyTooLarge');
    await expectRestError(dest.uploadPagesFromURL(source, 0, 0, 512, { sourceConditions: { ifMatch: '"0x8D000000000000"' } }), 412, 'SourceConditionNotMet');
    // Unequal lengths are not expressible through the SDK: raw REST.
    const res = await fetch(`${shim.endpoint()}/dst/bad.vhd?comp=page`, {
      method: 'PUT',
      headers: {
        authorization: `SharedKey ${DEV_ACCOUNT.name}:unchecked`,
        'x-ms-version': '2025-01-05',
        'x-ms-copy-source': source,
        'x-ms-page-write': 'update',
        'x-ms-range': 'bytes=0-1023',
        'x-ms-source-range': 'bytes=0-511',
        'content-length': '0',
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-ms-error-code'), 'InvalidHeaderValue');
    assert.ok(res.headers.get('x-ms-request-id'));
    const ranges = (await direct.getContainerClient('dst').getPageBlobClient('bad.vhd').getPageRanges()).pageRange ?? [];
    assert.equal(ranges.length, 0, 'nothing written');
  });
});
