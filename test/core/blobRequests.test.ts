/**
 * The small copy's own Copy Blob From URL request (src/core/storage/blobRequests.ts) against the SDK's
 * BlobClient.syncCopyFromURL, on Azurite: the same blob URLs, the same request (URL, method, every header but the
 * per-request ones), the same result at the destination (bytes, content headers, metadata, tags, tier), and the same
 * CopyError for each refusal the engine meets.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { BlobSASPermissions, ContainerClient, ContainerSASPermissions, type BlobSyncCopyFromURLOptions } from '@azure/storage-blob';
import { BlobTarget, blobUrlIn, storageContextOf, type CopyFromUrlOptions } from '../../src/core/storage/blobRequests';
import { createAccountClient, type AccountClient } from '../../src/core/storage/connections';
import { restDetails, toCopyError } from '../../src/core/base/errors';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
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

describe('Copy Blob From URL: the copy sends what the SDK sends', () => {
  let azurite: AzuriteInstance;
  let account: AccountClient;
  let src: ContainerClient;
  let dst: ContainerClient;
  const body = Buffer.from('the source content, '.repeat(50));
  const md5 = createHash('md5').update(body).digest();
  let etag: string;
  let sourceUrl: string;

  before(async () => {
    azurite = await startAzurite();
    account = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString() });
    src = account.service.getContainerClient('src');
    dst = account.service.getContainerClient('dst');
    await src.create();
    await dst.create();
    const source = src.getBlockBlobClient('dir/source.txt');
    const up = await source.upload(body, body.length, {
      blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8', blobContentLanguage: 'fr-CA', blobContentDisposition: 'attachment; filename="a & b.txt"', blobCacheControl: 'max-age=60', blobContentMD5: md5 },
      metadata: { origin: 'source' },
    });
    etag = up.etag!;
    sourceUrl = await source.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) });
  });
  after(async () => {
    await stopFast(azurite);
  });

  /** Runs fn with a policy that records every request the account's pipeline sends (before signing). */
  async function recorded(fn: () => Promise<unknown>): Promise<{ seen: Seen[]; outcome: unknown }> {
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
    const { pipeline } = storageContextOf(account.service);
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

  const sdkOptions = (o: CopyFromUrlOptions): BlobSyncCopyFromURLOptions => ({
    metadata: o.metadata,
    tier: o.tier,
    tags: o.tags,
    conditions: o.conditions,
    sourceConditions: o.sourceConditions,
    sourceContentMD5: o.sourceContentMD5,
    sourceAuthorization: o.sourceAuthorization,
  });

  it("a blob's URL is the SDK's getBlobClient(name).url, for plain and unusual names, with a key and through a SAS", async () => {
    const sas = new ContainerClient(await dst.generateSasUrl({ permissions: ContainerSASPermissions.parse('rwl'), expiresOn: new Date(Date.now() + 3600_000) }));
    for (const c of [dst, sas]) {
      for (const name of NAMES) assert.equal(blobUrlIn(c, name), c.getBlobClient(name).url, name);
    }
    assert.ok(blobUrlIn(sas, 'a b').includes('/a%20b?'), 'the SAS stays after the name');
  });

  const cases: Array<[string, CopyFromUrlOptions]> = [
    ['no options', {}],
    [
      'metadata (mixed case), tier, tags, If-None-Match, the pinned source and its MD5',
      {
        metadata: { Project: 'Apollo & Co', owner: 'ops', Name: 'n' },
        tier: 'Cool',
        tags: { team: 'data', 'cost center': '42', 'a+b-c.d/e:f=g_h': 'v w' },
        conditions: { ifNoneMatch: '*' },
        sourceConditions: { ifMatch: '' },
        sourceContentMD5: new Uint8Array(0),
      },
    ],
    ['a bearer source authorization', { sourceAuthorization: { scheme: 'Bearer', value: 'eyJ0.e30.sig' } }],
  ];
  for (const [title, options] of cases) {
    it(`the same request and outcome: ${title}`, async () => {
      const o: CopyFromUrlOptions = {
        ...options,
        sourceConditions: options.sourceConditions ? { ifMatch: etag } : undefined,
        sourceContentMD5: options.sourceContentMD5 ? new Uint8Array(md5) : undefined,
      };
      const name = `same/${title.length}-${NAMES[title.length % NAMES.length]}`;
      const sdk = await recorded(() => dst.getBlobClient(name).syncCopyFromURL(sourceUrl, sdkOptions(o)));
      await dst.getBlobClient(name).deleteIfExists();
      const own = await recorded(() => new BlobTarget(dst, name).copyFromUrl(sourceUrl, o));
      assert.equal(sdk.seen.length, 1, 'one request each (no retry)');
      assert.deepEqual(own.seen, sdk.seen);
      assert.deepEqual(own.outcome, sdk.outcome);
      if (!o.sourceAuthorization) assert.equal(own.outcome, 'copied');
    });
  }

  it('lands the bytes, content headers, metadata, tags and tier, as the SDK copy does', async () => {
    const o: CopyFromUrlOptions = {
      metadata: { Project: 'Apollo & Co', owner: 'ops' },
      tier: 'Cool',
      tags: { team: 'data', 'cost center': '42' },
      conditions: { ifNoneMatch: '*' },
      sourceConditions: { ifMatch: etag },
      sourceContentMD5: new Uint8Array(md5),
    };
    const answer = await new BlobTarget(dst, 'landed/own 😀.txt').copyFromUrl(sourceUrl, o);
    await dst.getBlobClient('landed/sdk 😀.txt').syncCopyFromURL(sourceUrl, sdkOptions(o));
    const view = async (name: string) => {
      const b = dst.getBlobClient(name);
      const p = await b.getProperties();
      return {
        bytes: await b.downloadToBuffer(),
        md5: Buffer.from(p.contentMD5 ?? []).toString('base64'),
        contentType: p.contentType,
        contentLanguage: p.contentLanguage,
        contentDisposition: p.contentDisposition,
        cacheControl: p.cacheControl,
        metadata: p.metadata,
        tier: p.accessTier,
        tags: (await b.getTags()).tags,
      };
    };
    const own = await view('landed/own 😀.txt');
    assert.deepEqual(own, {
      bytes: body,
      md5: md5.toString('base64'),
      contentType: 'text/plain; charset=utf-8',
      contentLanguage: 'fr-CA',
      contentDisposition: 'attachment; filename="a & b.txt"',
      cacheControl: 'max-age=60',
      metadata: { project: 'Apollo & Co', owner: 'ops' },
      tier: 'Cool',
      tags: { team: 'data', 'cost center': '42' },
    });
    assert.deepEqual(own, await view('landed/sdk 😀.txt'));
    const p = await dst.getBlobClient('landed/own 😀.txt').getProperties();
    assert.equal(answer.etag, p.etag);
    assert.equal(answer.lastModified?.getTime(), p.lastModified?.getTime());
    assert.equal(answer.copyStatus, 'success');
    assert.equal(answer.copyId, p.copyId);
    assert.ok(answer.requestId);
  });

  it('each refusal the engine meets is the same CopyError as the SDK gives', async () => {
    await dst.getBlockBlobClient('exists.txt').upload('x', 1);
    const refusals: Array<[string, ContainerClient, string, CopyFromUrlOptions, number]> = [
      ['the destination exists (If-None-Match *)', dst, 'exists.txt', { conditions: { ifNoneMatch: '*' } }, 409],
      ['the source changed (its pinned ETag)', dst, 'pinned.txt', { sourceConditions: { ifMatch: '"0x1"' } }, 412],
      ['the destination container is missing', account.service.getContainerClient('no-such-container'), 'x.txt', {}, 404],
    ];
    for (const [title, container, name, o, status] of refusals) {
      const sdkErr = await container.getBlobClient(name).syncCopyFromURL(sourceUrl, sdkOptions(o)).then(() => assert.fail(`${title}: the SDK copied`), (e: unknown) => e);
      const ownErr = await new BlobTarget(container, name).copyFromUrl(sourceUrl, o).then(() => assert.fail(`${title}: copied`), (e: unknown) => e);
      const want = toCopyError(sdkErr, 'Copy', 'destination').info;
      const got = toCopyError(ownErr, 'Copy', 'destination').info;
      assert.equal(want.status, status, title);
      assert.deepEqual({ ...got, requestId: undefined }, { ...want, requestId: undefined }, title);
      assert.deepEqual({ ...restDetails(ownErr), requestId: undefined }, { ...restDetails(sdkErr), requestId: undefined }, title);
      assert.ok(got.requestId, `${title}: the request id is kept`);
    }
  });
});
