/**
 * The copy's own List Blobs reader (src/core/storage/listBlobs.ts) against the SDK's listBlobsFlat: the same blobs,
 * pages and continuation tokens, and every field the engine reads, equal, on Azurite (with a key and through a
 * container SAS); a refusal becomes the same CopyError. Then the reader alone on answers Azurite does not write:
 * encoded names, entities, an answer cut at any byte, a blob without a name, a connection cut mid-answer.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ContainerClient, ContainerSASPermissions, StorageSharedKeyCredential, type BlobItem } from '@azure/storage-blob';
import { listBlobsFlatPage, ListBlobsReader, type ListedBlob, type ListedPage } from '../../src/core/storage/listBlobs';
import { storageContextOf } from '../../src/core/storage/blobRequests';
import { toCopyError } from '../../src/core/base/errors';
import { transientReason } from '../../src/core/base/outage';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { stopFast } from '../helpers/engine';

/** The SDK's BlobItem narrowed to the fields ListedBlob has (what the engine reads), for comparison. */
function sdkView(b: BlobItem): ListedBlob {
  const p = b.properties;
  const props: ListedBlob['properties'] = {
    blobType: p.blobType,
    contentLength: p.contentLength,
    etag: p.etag,
    lastModified: p.lastModified,
    contentMD5: p.contentMD5 === undefined ? undefined : new Uint8Array(p.contentMD5),
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    contentLanguage: p.contentLanguage,
    contentDisposition: p.contentDisposition,
    cacheControl: p.cacheControl,
    accessTier: p.accessTier,
    accessTierInferred: p.accessTierInferred,
  };
  return { name: b.name, properties: dropUndefined(props), metadata: b.metadata, tags: b.tags };
}

function ownView(b: ListedBlob): ListedBlob {
  return { name: b.name, properties: dropUndefined(b.properties), metadata: b.metadata, tags: b.tags };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function sdkPages(c: ContainerClient, prefix: string, size: number, tags: boolean): Promise<Array<{ blobs: ListedBlob[]; token?: string }>> {
  const out: Array<{ blobs: ListedBlob[]; token?: string }> = [];
  for await (const page of c.listBlobsFlat({ prefix: prefix || undefined, includeMetadata: true, includeTags: tags }).byPage({ maxPageSize: size })) {
    out.push({ blobs: page.segment.blobItems.map(sdkView), token: page.continuationToken || undefined });
  }
  return out;
}

async function ownPages(c: ContainerClient, prefix: string, size: number, tags: boolean): Promise<Array<{ blobs: ListedBlob[]; token?: string }>> {
  const out: Array<{ blobs: ListedBlob[]; token?: string }> = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page: ListedPage = await listBlobsFlatPage(c, { prefix: prefix || undefined, continuationToken: token, maxPageSize: size, includeMetadata: true, includeTags: tags });
    out.push({ blobs: page.blobs.map(ownView), token: page.continuationToken });
    token = page.continuationToken;
    if (!token) return out;
  }
  throw new Error('more than 100 pages');
}

const NAMES = [
  'mix/plain.txt',
  'mix/with space .txt',
  'mix/ünïcödé/日本語.bin',
  'mix/emoji-😀.txt',
  'mix/xml-&-<tag>-"q"-\'a\'.txt',
  'mix/percent%20and+plus.txt',
  'mix/deep/a/b/c/d.txt',
  'mix/empty.bin',
];

describe('List Blobs: the copy reader and the SDK list the same', () => {
  let azurite: AzuriteInstance;
  let container: ContainerClient;
  before(async () => {
    azurite = await startAzurite();
    container = azurite.serviceClient().getContainerClient('lst');
    await container.create();
    for (const [i, name] of NAMES.entries()) {
      const body = name.endsWith('empty.bin') ? '' : `content of ${name}`;
      await container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: i % 2 === 0 ? { blobContentType: 'text/plain; charset=utf-8', blobContentEncoding: 'identity', blobContentLanguage: 'fr-CA', blobContentDisposition: 'attachment; filename="a & b.txt"', blobCacheControl: 'max-age=60' } : {},
        metadata: i % 3 === 0 ? { Project: 'Apollo & <Co>', owner: 'ops', Name: 'looks like an element', Properties: 'too' } : undefined,
        tags: i % 2 === 1 ? { team: 'data', 'cost center': '42', 'a+b-c.d/e:f=g_h': 'v w' } : undefined,
      });
    }
    await container.getBlockBlobClient('mix/plain.txt').setAccessTier('Cool');
    await container.getAppendBlobClient('mix/log.append').create({ metadata: { kind: 'append' } });
    await container.getPageBlobClient('mix/disk.page').create(1024, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
    await container.getBlockBlobClient('outside/other.txt').upload('x', 1);
  });
  after(async () => {
    await stopFast(azurite);
  });

  for (const [size, tags] of [
    [3, true],
    [5000, true],
    [4, false],
  ] as const) {
    it(`pages of ${size}${tags ? ', with tags' : ', without tags'}: the same blobs, fields and continuation tokens`, async () => {
      const sdk = await sdkPages(container, 'mix/', size, tags);
      const own = await ownPages(container, 'mix/', size, tags);
      assert.equal(own.length, sdk.length);
      assert.ok(sdk.flatMap((p) => p.blobs).length === NAMES.length + 2);
      assert.deepEqual(own, sdk);
    });
  }

  it('the whole container (no prefix) and a prefix that matches nothing', async () => {
    assert.deepEqual(await ownPages(container, '', 1000, true), await sdkPages(container, '', 1000, true));
    const none = await ownPages(container, 'nothing/', 10, true);
    assert.deepEqual(none, [{ blobs: [], token: undefined }]);
  });

  it('sends the x-ms-version and query the SDK sends', async () => {
    const seen: Array<{ version?: string; query: string }> = [];
    const spy: PipelinePolicy = {
      name: 'spy',
      sendRequest: async (req, next) => {
        const q = new URL(req.url).searchParams;
        seen.push({ version: req.headers.get('x-ms-version'), query: ['restype', 'comp', 'prefix', 'maxresults', 'include'].map((k) => `${k}=${q.get(k)}`).join('&') });
        return next(req);
      },
    };
    const c = azurite.serviceClient().getContainerClient('lst');
    storageContextOf(c).pipeline.addPolicy(spy);
    try {
      await c.listBlobsFlat({ prefix: 'mix/', includeMetadata: true, includeTags: true }).byPage({ maxPageSize: 2 }).next();
      await listBlobsFlatPage(c, { prefix: 'mix/', maxPageSize: 2, includeMetadata: true, includeTags: true });
    } finally {
      storageContextOf(c).pipeline.removePolicy({ name: 'spy' });
    }
    assert.equal(seen.length, 2);
    assert.ok(seen[0].version, 'the SDK sends an x-ms-version');
    assert.deepEqual(seen[1], seen[0]);
  });

  it('through a container SAS URL (the credential is the URL): the same as the SDK', async () => {
    const sas = await container.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) });
    const c = new ContainerClient(sas);
    assert.deepEqual(await ownPages(c, 'mix/', 4, false), await sdkPages(c, 'mix/', 4, false));
  });

  it('a refusal is the same CopyError the SDK listing gives (missing container, no credential)', async () => {
    const missing = azurite.serviceClient().getContainerClient('no-such-container');
    const anonymous = new ContainerClient(container.url);
    for (const c of [missing, anonymous]) {
      const sdkErr = await c.listBlobsFlat({ includeMetadata: true }).byPage({ maxPageSize: 5 }).next().then(() => assert.fail('the SDK listed'), (e: unknown) => e);
      const ownErr = await listBlobsFlatPage(c, { maxPageSize: 5, includeMetadata: true }).then(() => assert.fail('listed'), (e: unknown) => e);
      const want = toCopyError(sdkErr, 'List source', 'source').info;
      const got = toCopyError(ownErr, 'List source', 'source').info;
      assert.ok(want.status === 404 || want.status === 403, `status ${want.status}`);
      assert.deepEqual({ ...got, requestId: undefined }, { ...want, requestId: undefined });
      assert.ok(got.requestId, 'the request id is kept');
    }
  });
});

describe('ListBlobsReader: answers Azurite does not write', () => {
  const answer = (blobs: string, next = '') =>
    `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/" ContainerName="c"><Prefix>p/</Prefix><MaxResults>3</MaxResults><Blobs>${blobs}</Blobs><NextMarker>${next}</NextMarker></EnumerationResults>`;
  const read = (xml: string, pieces = 1): ListedPage => {
    const r = new ListBlobsReader();
    const step = Math.ceil(xml.length / pieces);
    for (let i = 0; i < xml.length; i += step) r.write(xml.slice(i, i + step));
    return r.end();
  };
  const sample = answer(
    '<Blob><Name Encoded="true">p/a%EF%BF%BFb%01.txt</Name><Properties><Last-Modified>Mon, 07 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8D1</Etag>' +
      '<Content-Length>12</Content-Length><Content-Type>text/x &amp; &#x3C;y&#62;</Content-Type><Content-Encoding /><Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5>' +
      '<BlobType>BlockBlob</BlobType><AccessTier>Archive</AccessTier><AccessTierInferred>false</AccessTierInferred></Properties>' +
      '<Metadata><Name>n</Name><Blob>b</Blob><Tags>t</Tags></Metadata><Tags><TagSet><Tag><Key>k &amp; 1</Key><Value></Value></Tag><Tag><Key>z</Key><Value>2</Value></Tag></TagSet></Tags><OrMetadata /></Blob>' +
      '<Blob>\n  <Name>p/second</Name>\n  <Snapshot>2026-01-01T00:00:00Z</Snapshot>\n  <Properties>\n    <Content-Length>0</Content-Length>\n    <BlobType>AppendBlob</BlobType>\n  </Properties>\n</Blob>',
    '2!72!MDAwMDA0IXAvc2Vjb25kITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--',
  );

  it('decodes encoded names and entities; reads properties, metadata and tags by their place, not their name', () => {
    const page = read(sample);
    assert.equal(page.continuationToken, '2!72!MDAwMDA0IXAvc2Vjb25kITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--');
    assert.equal(page.blobs.length, 2);
    const [a, b] = page.blobs;
    assert.equal(a.name, 'p/a\uffffb\u0001.txt');
    assert.equal(a.properties.contentType, 'text/x & <y>');
    assert.equal(a.properties.contentEncoding, '');
    assert.equal(a.properties.contentLength, 12);
    assert.equal(a.properties.lastModified?.toISOString(), '2026-12-07T10:00:00.000Z');
    assert.equal(Buffer.from(a.properties.contentMD5!).toString('base64'), '1B2M2Y8AsgTpgAmY7PhCfg==');
    assert.equal(a.properties.accessTier, 'Archive');
    assert.equal(a.properties.accessTierInferred, false);
    assert.deepEqual(a.metadata, { Name: 'n', Blob: 'b', Tags: 't' });
    assert.deepEqual(a.tags, { 'k & 1': '', z: '2' });
    assert.deepEqual(b, { name: 'p/second', properties: { contentLength: 0, blobType: 'AppendBlob' } });
  });

  it('the same page whatever pieces the answer arrives in (down to one character), with a byte order mark', () => {
    const whole = read(sample);
    for (const pieces of [2, 7, 64, sample.length]) assert.deepEqual(read(sample, pieces), whole, `${pieces} pieces`);
    // Azure's answers start with a byte order mark and may end lines with CR LF.
    assert.deepEqual(read(`\uFEFF${sample.replace('?>', '?>\r\n')}\r\n`, 5), whole);
  });

  it('an answer cut anywhere before its root closes, or not well-formed, is refused, not taken as a shorter page', () => {
    const end = sample.lastIndexOf('</EnumerationResults>');
    for (let cut = 0; cut < end; cut += 13) assert.throws(() => read(sample.slice(0, cut)), /cut short|not well-formed/, `cut at ${cut}`);
    assert.throws(() => read(answer('<Blob><Properties><Content-Length>1</Content-Length></Properties></Blob>')), /without a name/);
    assert.throws(() => read(answer('<Blob><Name>p/x</Nam></Blob>')), /not well-formed/);
    assert.throws(() => read(`${answer('')}<Extra/>`), /not well-formed/);
  });

  it('a connection cut while the answer streams in is a transient error (the listing waits it out), not a shorter page', async () => {
    const body = answer('<Blob><Name>p/a</Name></Blob>'.repeat(2000));
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.write(body.slice(0, 20_000));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const c = new ContainerClient(`http://127.0.0.1:${port}/devstoreaccount1/c`, new StorageSharedKeyCredential('devstoreaccount1', Buffer.from('key').toString('base64')));
      const err = await listBlobsFlatPage(c, { maxPageSize: 5000 }).then(() => assert.fail('a cut answer was taken'), (e: unknown) => e);
      assert.equal(transientReason(toCopyError(err, 'List source', 'source')), 'connection reset');
      assert.equal(requests, 1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('an empty last page', () => {
    assert.deepEqual(read(answer('')), { blobs: [], continuationToken: undefined });
  });
});
