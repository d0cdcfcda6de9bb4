/**
 * The small copy's own requests (src/core/storage/blobRequests.ts) against the SDK's: Copy Blob From URL
 * (BlobClient.syncCopyFromURL) on Azurite, Put Blob From URL (BlockBlobClient.syncUploadFromURL) through the test
 * shim that implements it over Azurite. The same blob URLs, the same request (URL, method, every header but the
 * per-request ones), the same result at the destination (bytes, content headers, metadata, tags, tier), and the same
 * CopyError for each refusal the engine meets.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { BlobSASPermissions, ContainerClient, ContainerSASPermissions, type BlobHTTPHeaders, type BlobSyncCopyFromURLOptions } from '@azure/storage-blob';
import { BlobTarget, blobUrlIn, storageContextOf, type PutFromUrlOptions } from '../../src/core/storage/blobRequests';
import { createAccountClient, type AccountClient } from '../../src/core/storage/connections';
import { restDetails, toCopyError } from '../../src/core/base/errors';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { startFromUrlShim, type FromUrlShim } from '../shim/fromUrlShim';
import { stopFast } from '../helpers/engine';

/** Headers a request gets per attempt (ids, dates, the signature), which differ between any two requests. */
const PER_REQUEST = new Set(['x-ms-client-request-id', 'x-ms-date', 'authorization', 'date']);

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

const NAMES = [
  'plain.txt',
  'dir/sub/file.bin',
  'with space .txt',
  'ünïcödé/日本語.bin',
  'emoji-😀.txt',
  'xml-&-<tag>-"q".txt',
  'percent%20and+plus%2e.txt',
  'query?and#hash.txt',
  'marks-!*()~;,=$@:[]{}.txt',
  'back\\slash\ttab.txt',
  'a//double',
  'ends.with.dot.',
  // Names the SDK's URL parsing changes (a quote, dot segments): blobUrlIn takes the SDK's path for them.
  "it's.txt",
  'a/./b.txt',
  'a/../b.txt',
  '../up.txt',
  'x/..',
];

type Kind = 'Copy Blob From URL' | 'Put Blob From URL';

/** The SDK's call for a kind, with the options the engine passes (Put Blob From URL also the content headers). */
function sdkCall(kind: Kind, container: ContainerClient, name: string, sourceUrl: string, o: PutFromUrlOptions): Promise<unknown> {
  const options: BlobSyncCopyFromURLOptions = {
    metadata: o.metadata,
    tier: o.tier,
    tags: o.tags,
    conditions: o.conditions,
    sourceConditions: o.sourceConditions,
    sourceContentMD5: o.sourceContentMD5,
    sourceAuthorization: o.sourceAuthorization,
  };
  const blob = container.getBlobClient(name);
  return kind === 'Copy Blob From URL' ? blob.syncCopyFromURL(sourceUrl, options) : blob.getBlockBlobClient().syncUploadFromURL(sourceUrl, { ...options, blobHTTPHeaders: o.blobHTTPHeaders });
}

function ownCall(kind: Kind, container: ContainerClient, name: string, sourceUrl: string, o: PutFromUrlOptions) {
  const target = new BlobTarget(container, name);
  return kind === 'Copy Blob From URL' ? target.copyFromUrl(sourceUrl, o) : target.putFromUrl(sourceUrl, o);
}

describe('The small copy\'s requests: the copy sends what the SDK sends', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  /** Copy Blob From URL straight to Azurite; Put Blob From URL through the shim (Azurite answers it 501). */
  const accounts = {} as Record<Kind, AccountClient>;
  const body = Buffer.from('the source content, '.repeat(50));
  const md5 = createHash('md5').update(body).digest();
  let etag: string;
  let sourceUrl: string;
  const dst = (kind: Kind) => accounts[kind].service.getContainerClient('dst');
  /** Content headers other than the source's: Put Blob From URL sets them (Copy Blob From URL takes the source's). */
  const headers: BlobHTTPHeaders = {
    blobContentType: 'application/x-other',
    blobContentEncoding: '',
    blobContentLanguage: 'en',
    blobContentDisposition: 'inline',
    blobCacheControl: 'no-cache',
    blobContentMD5: md5,
  };

  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    accounts['Copy Blob From URL'] = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString() });
    accounts['Put Blob From URL'] = createAccountClient({ kind: 'connectionString', connectionString: shim.connectionString() });
    const service = accounts['Copy Blob From URL'].service;
    await service.getContainerClient('src').create();
    await service.getContainerClient('dst').create();
    const source = service.getContainerClient('src').getBlockBlobClient('dir/source.txt');
    const up = await source.upload(body, body.length, {
      blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8', blobContentLanguage: 'fr-CA', blobContentDisposition: 'attachment; filename="a & b.txt"', blobCacheControl: 'max-age=60', blobContentMD5: md5 },
      metadata: { origin: 'source' },
    });
    etag = up.etag!;
    sourceUrl = await source.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) });
  });
  after(async () => {
    await shim?.stop();
    await stopFast(azurite);
  });

  /** Runs fn with a policy that records every request the account's pipeline sends (before signing). */
  async function recorded(kind: Kind, fn: () => Promise<unknown>): Promise<{ seen: Seen[]; outcome: unknown }> {
    const seen: Seen[] = [];
    const spy: PipelinePolicy = {
      name: 'blobRequests-spy',
      sendRequest: async (req, next) => {
        const all = req.headers.toJSON({ preserveCase: true });
        const headers = Object.fromEntries(Object.entries(all).filter(([k]) => !PER_REQUEST.has(k.toLowerCase())));
        seen.push({ method: req.method, url: req.url, headers });
        return next(req);
      },
    };
    const { pipeline } = storageContextOf(accounts[kind].service);
    pipeline.addPolicy(spy);
    try {
      const outcome = await fn().then(
        () => 'copied',
        (e: unknown) => ({ status: restDetails(e).status, code: restDetails(e).code }),
      );
      return { seen, outcome };
    } finally {
      pipeline.removePolicy({ name: spy.name });
    }
  }

  it("a blob's URL is the SDK's getBlobClient(name).url, for plain and unusual names, with a key and through a SAS", async () => {
    const key = dst('Copy Blob From URL');
    const sas = new ContainerClient(await key.generateSasUrl({ permissions: ContainerSASPermissions.parse('rwl'), expiresOn: new Date(Date.now() + 3600_000) }));
    for (const c of [key, sas]) {
      for (const name of NAMES) assert.equal(blobUrlIn(c, name), c.getBlobClient(name).url, name);
    }
    assert.ok(blobUrlIn(sas, 'a b').includes('/a%20b?'), 'the SAS stays after the name');
  });

  const cases: Array<[string, PutFromUrlOptions]> = [
    ['no options', {}],
    [
      'metadata (mixed case), tier, tags, If-None-Match, the pinned source and its MD5, content headers',
      {
        metadata: { Project: 'Apollo & Co', owner: 'ops', Name: 'n' },
        tier: 'Cool',
        tags: { team: 'data', 'cost center': '42', 'a+b-c.d/e:f=g_h': 'v w' },
        conditions: { ifNoneMatch: '*' },
        sourceConditions: { ifMatch: '' },
        sourceContentMD5: new Uint8Array(0),
        blobHTTPHeaders: {},
      },
    ],
    ['a bearer source authorization', { sourceAuthorization: { scheme: 'Bearer', value: 'eyJ0.e30.sig' } }],
  ];
  for (const kind of ['Copy Blob From URL', 'Put Blob From URL'] as const) {
    for (const [title, options] of cases) {
      it(`${kind}: the same request and outcome: ${title}`, async () => {
        const o: PutFromUrlOptions = {
          ...options,
          sourceConditions: options.sourceConditions ? { ifMatch: etag } : undefined,
          sourceContentMD5: options.sourceContentMD5 ? new Uint8Array(md5) : undefined,
          blobHTTPHeaders: options.blobHTTPHeaders && kind === 'Put Blob From URL' ? headers : undefined,
        };
        const name = `same/${kind.length}-${title.length}-${NAMES[title.length % NAMES.length]}`;
        const sdk = await recorded(kind, () => sdkCall(kind, dst(kind), name, sourceUrl, o));
        await dst(kind).getBlobClient(name).deleteIfExists();
        const own = await recorded(kind, () => ownCall(kind, dst(kind), name, sourceUrl, o));
        assert.equal(sdk.seen.length, 1, 'one request each (no retry)');
        assert.deepEqual(own.seen, sdk.seen);
        assert.deepEqual(own.outcome, sdk.outcome);
        if (!o.sourceAuthorization) assert.equal(own.outcome, 'copied');
      });
    }
  }

  for (const kind of ['Copy Blob From URL', 'Put Blob From URL'] as const) {
    it(`${kind}: lands the bytes, content headers, metadata, tags and tier, as the SDK's call does`, async () => {
      const o: PutFromUrlOptions = {
        metadata: { Project: 'Apollo & Co', owner: 'ops' },
        tier: 'Cool',
        tags: { team: 'data', 'cost center': '42' },
        conditions: { ifNoneMatch: '*' },
        sourceConditions: { ifMatch: etag },
        sourceContentMD5: new Uint8Array(md5),
        blobHTTPHeaders: kind === 'Put Blob From URL' ? headers : undefined,
      };
      const c = dst(kind);
      const answer = await ownCall(kind, c, `landed/${kind}/own 😀.txt`, sourceUrl, o);
      await sdkCall(kind, c, `landed/${kind}/sdk 😀.txt`, sourceUrl, o);
      const view = async (name: string) => {
        const b = c.getBlobClient(name);
        const p = await b.getProperties();
        return {
          bytes: await b.downloadToBuffer(),
          md5: Buffer.from(p.contentMD5 ?? []).toString('base64'),
          contentType: p.contentType,
          contentEncoding: p.contentEncoding || undefined,
          contentLanguage: p.contentLanguage,
          contentDisposition: p.contentDisposition,
          cacheControl: p.cacheControl,
          metadata: p.metadata,
          tier: p.accessTier,
          tags: (await b.getTags()).tags,
        };
      };
      const own = await view(`landed/${kind}/own 😀.txt`);
      const contentHeaders =
        kind === 'Copy Blob From URL'
          ? { contentType: 'text/plain; charset=utf-8', contentEncoding: undefined, contentLanguage: 'fr-CA', contentDisposition: 'attachment; filename="a & b.txt"', cacheControl: 'max-age=60' }
          : { contentType: 'application/x-other', contentEncoding: undefined, contentLanguage: 'en', contentDisposition: 'inline', cacheControl: 'no-cache' };
      assert.deepEqual(own, {
        bytes: body,
        md5: md5.toString('base64'),
        ...contentHeaders,
        metadata: { project: 'Apollo & Co', owner: 'ops' },
        tier: 'Cool',
        tags: { team: 'data', 'cost center': '42' },
      });
      assert.deepEqual(own, await view(`landed/${kind}/sdk 😀.txt`));
      const p = await c.getBlobClient(`landed/${kind}/own 😀.txt`).getProperties();
      assert.equal(answer.etag, p.etag);
      assert.equal(answer.lastModified?.getTime(), p.lastModified?.getTime());
      if (kind === 'Copy Blob From URL') {
        assert.equal(answer.copyStatus, 'success');
        assert.equal(answer.copyId, p.copyId);
      }
      assert.ok(answer.requestId);
    });

    it(`${kind}: each refusal the engine meets is the same CopyError as the SDK gives`, async () => {
      const c = dst(kind);
      await c.getBlockBlobClient('exists.txt').upload('x', 1);
      const refusals: Array<[string, ContainerClient, string, PutFromUrlOptions, number]> = [
        ['the destination exists (If-None-Match *)', c, 'exists.txt', { conditions: { ifNoneMatch: '*' } }, 409],
        ['the source changed (its pinned ETag)', c, 'pinned.txt', { sourceConditions: { ifMatch: '"0x1"' } }, 412],
        ['the destination container is missing', accounts[kind].service.getContainerClient('no-such-container'), 'x.txt', {}, 404],
      ];
      for (const [title, container, name, o, status] of refusals) {
        const sdkErr = await sdkCall(kind, container, name, sourceUrl, o).then(() => assert.fail(`${title}: the SDK copied`), (e: unknown) => e);
        const ownErr = await ownCall(kind, container, name, sourceUrl, o).then(() => assert.fail(`${title}: copied`), (e: unknown) => e);
        const want = toCopyError(sdkErr, 'Copy', 'destination').info;
        const got = toCopyError(ownErr, 'Copy', 'destination').info;
        assert.equal(want.status, status, title);
        assert.deepEqual({ ...got, requestId: undefined }, { ...want, requestId: undefined }, title);
        assert.deepEqual({ ...restDetails(ownErr), requestId: undefined }, { ...restDetails(sdkErr), requestId: undefined }, title);
        assert.ok(got.requestId, `${title}: the request id is kept`);
      }
    });
  }
});
