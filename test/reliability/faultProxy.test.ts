/**
 * The fault proxy itself: it forwards faithfully (signatures still verify), and each fault kind happens, is seen
 * by the SDK the way a real fault would be, and is bounded.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { BlobServiceClient, ContainerClient, StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, prng, startFaultProxy } from '../helpers/faultProxy';

const fastRetries = (maxTries: number): StoragePipelineOptions => ({
  retryOptions: { maxTries, retryDelayInMs: 10, maxRetryDelayInMs: 50, tryTimeoutInMs: 30_000 },
});

describe('fault proxy', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  const client = (pipeline: StoragePipelineOptions): ContainerClient =>
    new BlobServiceClient(proxy.endpoint(DEV_ACCOUNT.name), new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key), pipeline).getContainerClient('proxy');

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    await azurite.serviceClient().createContainer('proxy');
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('forwards requests untouched: SharedKey signatures verify, bodies stream both ways', async () => {
    proxy.setRules({});
    proxy.resetStats();
    const c = client(fastRetries(1));
    const data = crypto.randomBytes(3 * 1024 * 1024 + 17);
    await c.getBlockBlobClient('plain.bin').uploadData(data, { blockSize: 1024 * 1024, concurrency: 2, maxSingleShotSize: 1024 * 1024 });
    const back = await c.getBlockBlobClient('plain.bin').downloadToBuffer();
    assert.ok(back.equals(data));
    const s = proxy.stats();
    assert.ok(s.requests >= 5, `requests ${s.requests}`);
    assert.equal(s.forwarded, s.requests);
    assert.deepEqual(s.faults, { throttle503: 0, reset: 0, cut: 0, delay: 0 });
    assert.ok(proxy.requestLog().some((e) => e.comp === 'blocklist' && e.status === 201));
    assert.equal(proxy.connectionString('acct', 'a2V5'), `DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:${proxy.port}/acct;`);
  });

  it('throttle503: 30% of requests get 503 ServerBusy + Retry-After; the SDK retries them and every upload succeeds', async () => {
    proxy.setRules({ throttle503: { ratio: 0.3, retryAfterSeconds: 1 }, seed: 42, maxFaults: 200 });
    proxy.resetStats();
    const c = client(fastRetries(8));
    for (let i = 0; i < 30; i++) await c.getBlockBlobClient(`t/${i}.txt`).upload(`blob ${i}`, `blob ${i}`.length);
    const s = proxy.stats();
    assert.ok(s.faults.throttle503 >= 3, `throttled ${s.faults.throttle503}`);
    assert.equal(s.requests, 30 + s.faults.throttle503, 'every throttled request was retried once more');
    const throttled = proxy.requestLog().filter((e) => e.fault === 'throttle503');
    assert.ok(throttled.every((e) => e.status === 503));
    proxy.setRules({});
    for (let i = 0; i < 30; i++) assert.equal((await c.getBlockBlobClient(`t/${i}.txt`).downloadToBuffer()).toString(), `blob ${i}`);
  });

  it('throttle503 is bounded by maxFaults, and a raw request sees the status, error code and Retry-After', async () => {
    proxy.setRules({ throttle503: { ratio: 1, retryAfterSeconds: 7 }, maxFaults: 3 });
    proxy.resetStats();
    const res = await fetch(`${proxy.endpoint(DEV_ACCOUNT.name)}/proxy?restype=container`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(res.headers.get('x-ms-error-code'), 'ServerBusy');
    assert.match(await res.text(), /<Code>ServerBusy<\/Code>/);
    // Two faults left in the budget: an SDK call with 3 tries gets through on its third.
    await client(fastRetries(3)).getBlockBlobClient('bounded.txt').upload('x', 1);
    assert.equal(proxy.stats().faults.throttle503, 3);
    // Budget spent: everything passes now, even with ratio 1.
    await client(fastRetries(1)).getBlockBlobClient('bounded2.txt').upload('y', 1);
    assert.equal(proxy.stats().faults.throttle503, 3);
  });

  it('500 instead of 503 when asked', async () => {
    proxy.setRules({ throttle503: { ratio: 1, status: 500 }, maxFaults: 1 });
    await assert.rejects(client(fastRetries(1)).getBlockBlobClient('five.txt').upload('x', 1), (e: { statusCode?: number }) => e.statusCode === 500);
  });

  it('reset: with one try the SDK surfaces a connection error; with retries it succeeds; bounded', async () => {
    proxy.setRules({ resetRatio: 1, maxFaults: 1 });
    proxy.resetStats();
    await assert.rejects(client(fastRetries(1)).getBlockBlobClient('r.txt').upload('r', 1), (e: { code?: string; message?: string }) => {
      assert.ok(e.code === 'ECONNRESET' || /socket hang up|ECONNRESET/i.test(String(e.message)), `a reset error: ${e.code} ${e.message}`);
      return true;
    });
    assert.equal(proxy.stats().faults.reset, 1);
    // Budget spent: the next call passes.
    await client(fastRetries(1)).getBlockBlobClient('r.txt').upload('r', 1);
    proxy.setRules({ resetRatio: 1, maxFaults: 2 });
    await client(fastRetries(4)).getBlockBlobClient('r2.txt').upload('r2', 2);
    assert.equal(proxy.stats().faults.reset, 3);
    assert.equal(proxy.requestLog().filter((e) => e.fault === 'reset' && e.status === undefined).length, 3);
  });

  it('cut: a download gets headers and half of the body, then the connection dies; retries recover the exact bytes', async () => {
    proxy.setRules({});
    const data = crypto.randomBytes(1024 * 1024);
    await client(fastRetries(1)).getBlockBlobClient('cut.bin').uploadData(data);
    proxy.setRules({ cutResponseRatio: 1, maxFaults: 1, match: (r) => r.method === 'GET' });
    proxy.resetStats();
    const response = await client(fastRetries(1)).getBlockBlobClient('cut.bin').download(0, undefined, { maxRetryRequests: 0 });
    assert.equal(response.contentLength, data.length, 'headers arrived whole');
    let received = 0;
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const body = response.readableStreamBody!;
        body.on('data', (chunk: Buffer) => (received += chunk.length));
        body.on('end', () => (received === data.length ? resolve() : reject(new Error(`ended early at ${received}`))));
        body.on('error', reject);
      }),
    );
    assert.ok(received > 0 && received < data.length, `received ${received} of ${data.length}`);
    assert.equal(proxy.stats().faults.cut, 1);
    // The SDK (12.32 on Node 20) does not retry a body cut off mid-stream: the socket close fires 'aborted' on the
    // response and RetriableReadableStream turns that into an AbortError. So a cut surfaces as an error...
    proxy.setRules({ cutResponseRatio: 1, maxFaults: 1, match: (r) => r.method === 'GET' });
    await assert.rejects(client(fastRetries(3)).getBlockBlobClient('cut.bin').downloadToBuffer(0, undefined, { maxRetryRequestsPerBlock: 3 }));
    assert.equal(proxy.stats().faults.cut, 2);
    // ...and once the budget is spent the same call returns the exact bytes.
    const back = await client(fastRetries(3)).getBlockBlobClient('cut.bin').downloadToBuffer();
    assert.ok(back.equals(data));
    assert.equal(proxy.stats().faults.cut, 2);
  });

  it('cut of a body-less response: the operation happened upstream, the client only sees a dead connection', async () => {
    proxy.setRules({ cutResponseRatio: 1, maxFaults: 1, match: (r) => r.method === 'PUT' });
    proxy.resetStats();
    const b = client(fastRetries(1)).getBlockBlobClient('done-but-unheard.txt');
    await assert.rejects(b.upload('hello', 5));
    proxy.setRules({});
    assert.equal((await b.downloadToBuffer()).toString(), 'hello', 'Azurite did commit it');
    assert.equal(proxy.stats().faults.cut, 1);
  });

  it('delay: matching requests wait delayMs; match() limits the faults to chosen operations; bounded by maxDelays', async () => {
    proxy.setRules({ delayMs: 250, maxDelays: 2, match: (r) => r.method === 'HEAD' });
    proxy.resetStats();
    const b = client(fastRetries(1)).getBlockBlobClient('r.txt');
    let t0 = Date.now();
    await b.getProperties();
    assert.ok(Date.now() - t0 >= 240, `waited ${Date.now() - t0} ms`);
    t0 = Date.now();
    await b.downloadToBuffer(); // GET: not matched
    await b.getProperties();
    await b.getProperties(); // third HEAD: budget of 2 spent
    assert.equal(proxy.stats().faults.delay, 2);
    assert.ok(proxy.requestLog().filter((e) => e.fault === 'delay').every((e) => e.method === 'HEAD'));
  });

  it('is deterministic for a seed', () => {
    const a = prng(7);
    const b = prng(7);
    const c = prng(8);
    const sa = Array.from({ length: 20 }, a);
    assert.deepEqual(sa, Array.from({ length: 20 }, b));
    assert.notDeepEqual(sa, Array.from({ length: 20 }, c));
    assert.ok(sa.every((x) => x >= 0 && x < 1));
  });

  it('an unreachable upstream surfaces as a connection error, not a hang', async () => {
    const dead = await startFaultProxy({ host: '127.0.0.1', port: 1 });
    try {
      proxy.setRules({});
      const c = new BlobServiceClient(dead.endpoint(DEV_ACCOUNT.name), new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key), fastRetries(2));
      await assert.rejects(c.getContainerClient('proxy').getProperties());
      assert.equal(dead.stats().upstreamErrors, 2);
    } finally {
      await dead.stop();
    }
  });

  it('setDown("refuse"): connections are refused and open ones dropped; back up on the same port', async () => {
    proxy.setRules({});
    const c = client(fastRetries(1));
    await c.getBlockBlobClient('down/a.txt').upload('a', 1); // leaves a keep-alive connection open
    const port = proxy.port;
    await proxy.setDown('refuse');
    assert.equal(proxy.down(), 'refuse');
    try {
      // A fresh connection (no pooled socket): refused.
      const code = await new Promise<string | undefined>((resolve) => {
        const req = http.get({ host: proxy.host, port, path: `/${DEV_ACCOUNT.name}/proxy?restype=container`, agent: false }, () => resolve(undefined));
        req.on('error', (e: { code?: string }) => resolve(e.code));
      });
      assert.equal(code, 'ECONNREFUSED');
      // The SDK's pooled keep-alive connection was dropped: its next request fails too.
      await assert.rejects(c.getBlockBlobClient('down/a.txt').getProperties(), (e: { code?: string }) => /ECONNREFUSED|ECONNRESET/.test(String(e.code)));
    } finally {
      await proxy.setDown(false);
    }
    assert.equal(proxy.down(), false);
    assert.equal(proxy.port, port);
    assert.equal((await c.getBlockBlobClient('down/a.txt').downloadToBuffer()).toString(), 'a');
  });

  it('setDown("reset"): every connection, open or new, is destroyed; then it forwards again', async () => {
    proxy.setRules({});
    const c = client(fastRetries(1));
    await c.getBlockBlobClient('down/b.txt').upload('b', 1);
    proxy.resetStats();
    await proxy.setDown('reset');
    try {
      await assert.rejects(c.getBlockBlobClient('down/b.txt').getProperties(), (e: { code?: string; message?: string }) =>
        /ECONNRESET|socket hang up/.test(`${e.code} ${e.message}`),
      );
      assert.equal(proxy.stats().requests, 0, 'no request got through');
    } finally {
      await proxy.setDown(false);
    }
    // A pooled socket the client has not yet seen die may fail one try: the SDK's retry takes a new connection.
    assert.equal((await client(fastRetries(3)).getBlockBlobClient('down/b.txt').downloadToBuffer()).toString(), 'b');
    assert.ok(proxy.stats().forwarded >= 1);
  });

  it('an outage is bounded: the proxy comes back by itself after maxDownMs', async () => {
    await proxy.setDown('refuse', { maxDownMs: 300 });
    const t0 = Date.now();
    const c = client(fastRetries(1));
    for (let i = 0; i < 100 && proxy.down(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(proxy.down(), false);
    assert.ok(Date.now() - t0 < 1500, `back after ${Date.now() - t0} ms`);
    await proxy.whenUp(); // it listens again right after the flag flips
    await c.getBlockBlobClient('down/c.txt').upload('c', 1);
  });
});
