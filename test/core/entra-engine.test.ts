/**
 * Entra ID end to end on an Entra-only setup. Azurite runs over HTTPS with `--oauth basic`; the engine's
 * connections are kind 'token' (no key anywhere on their side); a TLS fault proxy in pass-through records every
 * request they make. Setup and checks read Azurite directly with the account key (the harness, not the engine).
 */
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { testCredential, CountingCredential, USER_OID } from '../helpers/entra';
import { describeEntra } from '../helpers/entraSuite';
import { startFaultProxy, FaultProxy, ProxyLogEntry } from '../helpers/faultProxy';
import { AccountClient, ConnectionSpec, createAccountClient } from '../../src/core/storage/connections';
import { CopyEngine, CopyRequest } from '../../src/core';
import type { CopyError } from '../../src/core/base/errors';
import { sasLifetimeMs } from '../../src/core/storage/auth';
import { blobMd5, data, md5, MemoryLog, stopFast } from '../helpers/engine';

/** Connection ids: E = Entra (token), K = key; 1 = devstoreaccount1, 2 = acct2. */
const E1 = 'entra1';
const E2 = 'entra2';
const K2 = 'key2';

describeEntra('Entra ID connections on an OAuth Azurite (engine)', __filename, (certificate) => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let credential: CountingCredential;
  let engine: CopyEngine;
  let log: MemoryLog;
  const clients = new Map<string, AccountClient>();

  const spec = (id: string): ConnectionSpec => {
    const account = id.endsWith('1') ? DEV_ACCOUNT : SECOND_ACCOUNT;
    if (id.startsWith('entra')) return { kind: 'token', accountName: account.name, blobEndpoint: proxy.endpoint(account.name), credential };
    return { kind: 'connectionString', connectionString: proxy.connectionString(account.name, account.key) };
  };
  const resolve = async (id: string): Promise<AccountClient> => {
    let c = clients.get(id);
    if (!c) clients.set(id, (c = createAccountClient(spec(id), { retryOptions: { maxTries: 2, retryDelayInMs: 100 } })));
    return c;
  };
  /** Direct (key) access to Azurite for setup and checks. */
  const direct = (account = DEV_ACCOUNT) => azurite.serviceClient(account);
  const copy = async (request: CopyRequest) => {
    const summary = await engine.copy(request);
    assert.equal(summary.failed, 0, JSON.stringify({ summary, log: log.lines.slice(-20) }));
    return summary;
  };
  const since = (from: number): ProxyLogEntry[] => proxy.requestLog().filter((e) => e.seq > from);
  const lastSeq = () => proxy.requestLog().at(-1)?.seq ?? 0;

  before(async () => {
    azurite = await startAzurite({ oauth: certificate });
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port }, {}, { tls: certificate });
    credential = testCredential();
    log = new MemoryLog();
    engine = new CopyEngine({ resolve, log, concurrency: 4, rangeConcurrency: 2, blockSizeBytes: 1024 * 1024 });
    await direct().createContainer('src');
    await direct().createContainer('dst');
    await direct(SECOND_ACCOUNT).createContainer('dst2');
    await direct(SECOND_ACCOUNT).createContainer('src2');
  });
  after(async () => {
    engine?.dispose();
    await proxy?.stop();
    await stopFast(azurite);
  });

  it('the OAuth Azurite refuses a request without credentials and one with a token for another audience', async () => {
    const anonymous = createAccountClient({ kind: 'anonymous', url: azurite.endpoint() });
    await assert.rejects(anonymous.service.getContainerClient('src').getProperties(), (e: { statusCode?: number }) => e.statusCode === 401 || e.statusCode === 403);
    const wrong = createAccountClient({
      kind: 'token',
      accountName: DEV_ACCOUNT.name,
      blobEndpoint: azurite.endpoint(),
      credential: testCredential({ claims: { aud: 'https://management.azure.com' } }),
    }, { retryOptions: { maxTries: 1 } });
    await assert.rejects(wrong.service.getContainerClient('src').getProperties(), (e: { statusCode?: number }) => e.statusCode === 403);
  });

  it('a token connection lists containers and blobs', async () => {
    await direct().getContainerClient('src').getBlockBlobClient('listed/a.txt').upload('a', 1);
    await direct().getContainerClient('src').getBlockBlobClient('listed/b.txt').upload('bb', 2);
    const account = await resolve(E1);
    const containers: string[] = [];
    for await (const c of account.service.listContainers()) containers.push(c.name);
    assert.deepEqual(containers.sort(), ['dst', 'src']);
    const blobs: Array<[string, number | undefined]> = [];
    for await (const b of account.service.getContainerClient('src').listBlobsFlat({ prefix: 'listed/' })) blobs.push([b.name, b.properties.contentLength]);
    assert.deepEqual(blobs, [['listed/a.txt', 1], ['listed/b.txt', 2]]);
    assert.ok(credential.calls >= 1 && credential.scopes.every((s) => s === 'https://storage.azure.com/.default'), JSON.stringify(credential.scopes));
  });

  it('copies within the account (Copy Blob) and to another container (Copy Blob From URL): bytes, properties, metadata', async () => {
    const buf = data(700_000, 1);
    await direct().getContainerClient('src').getBlockBlobClient('same.bin').uploadData(buf, {
      blobHTTPHeaders: { blobContentType: 'application/x-entra', blobCacheControl: 'max-age=60' },
      metadata: { origin: 'entra' },
    });
    const from = lastSeq();
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'same.bin' } }],
      destination: { connectionId: E1, container: 'src', path: 'same copy.bin' },
      options: { strategy: 'copy-blob' },
    });
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'same.bin' } }],
      destination: { connectionId: E1, container: 'dst', path: '' },
    });
    for (const [container, name] of [['src', 'same copy.bin'], ['dst', 'same.bin']]) {
      const blob = direct().getContainerClient(container).getBlobClient(name);
      assert.equal(await blobMd5(blob), md5(buf), `${container}/${name}`);
      const props = await blob.getProperties();
      assert.equal(props.contentType, 'application/x-entra');
      assert.equal(props.cacheControl, 'max-age=60');
      assert.deepEqual(props.metadata, { origin: 'entra' });
    }
    const ops = engine.jobs().slice(-2).map((j) => j.operation);
    assert.deepEqual(ops, ['copy-blob', 'copy-blob-from-url']);
    // The copy calls went with a bearer token; their source is a user-delegation SAS.
    const copies = since(from).filter((e) => e.copySource);
    assert.ok(copies.length >= 2, JSON.stringify(copies));
    for (const e of copies) assert.equal(e.authScheme, 'Bearer');
  });

  it('copies to another account with a user-delegation SAS made for exactly the source blob (read-only, short-lived)', async () => {
    const small = data(200_000, 2);
    const large = data(3 * 1024 * 1024 + 17, 3);
    await direct().getContainerClient('src').getBlockBlobClient('x/small.bin').uploadData(small, { metadata: { size: 'small' } });
    await direct().getContainerClient('src').getBlockBlobClient('x/large.bin').uploadData(large, { blobHTTPHeaders: { blobContentType: 'video/x-large' } });
    const from = lastSeq();
    const started = Date.now();
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'x/small.bin' } }],
      destination: { connectionId: E2, container: 'dst2', path: 'x/' },
    });
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'x/large.bin' } }],
      destination: { connectionId: E2, container: 'dst2', path: 'x/' },
      options: { strategy: 'put-block-from-url' },
    });
    const d2 = direct(SECOND_ACCOUNT).getContainerClient('dst2');
    assert.equal(await blobMd5(d2.getBlobClient('x/small.bin')), md5(small));
    assert.deepEqual((await d2.getBlobClient('x/small.bin').getProperties()).metadata, { size: 'small' });
    assert.equal(await blobMd5(d2.getBlobClient('x/large.bin')), md5(large));
    assert.equal((await d2.getBlobClient('x/large.bin').getProperties()).contentType, 'video/x-large');
    assert.equal((await d2.getBlockBlobClient('x/large.bin').getBlockList('committed')).committedBlocks?.length, 4);

    const requests = since(from);
    // The delegation key is cached per account (an earlier copy may have fetched it).
    const keyRequests = proxy.requestLog().filter((e) => e.comp === 'userdelegationkey' && e.path === '/devstoreaccount1/');
    assert.ok(keyRequests.length >= 1 && keyRequests.length <= 2, `Get User Delegation Key was called (${keyRequests.length})`);
    assert.ok(keyRequests.every((e) => e.authScheme === 'Bearer' && e.method === 'POST'));
    const copies = requests.filter((e) => e.copySource);
    assert.ok(copies.length >= 5, `one Copy Blob From URL + 4 Put Block From URL, got ${copies.length}`);
    for (const e of copies) {
      const src = new URL(e.copySource!);
      const q = src.searchParams;
      const expectedPath = e.path.includes('small.bin') ? '/devstoreaccount1/src/x/small.bin' : '/devstoreaccount1/src/x/large.bin';
      assert.equal(src.pathname, expectedPath, 'the SAS names exactly the source blob');
      assert.equal(q.get('sp'), 'r', 'read-only');
      assert.equal(q.get('sr'), 'b', 'blob resource');
      assert.equal(q.get('spr'), 'https');
      assert.equal(q.get('skoid'), USER_OID, 'a user-delegation SAS (signed with the delegation key of the signed-in identity)');
      assert.ok(q.get('sig'), 'signed');
      const expiry = Date.parse(q.get('se')!);
      const size = e.path.includes('small.bin') ? small.length : large.length;
      assert.ok(expiry > started, 'not expired');
      assert.ok(expiry <= Date.now() + sasLifetimeMs(size) + 1000, `short-lived: expires ${q.get('se')}`);
      assert.equal(e.authScheme, 'Bearer', 'the destination call carries the token');
      assert.equal(e.copySourceAuthScheme, undefined);
    }
  });

  it('copies from an Entra account to a key account and back', async () => {
    const buf = data(400_000, 4);
    await direct().getContainerClient('src').getBlockBlobClient('there.bin').uploadData(buf, { metadata: { trip: 'out' } });
    const from = lastSeq();
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'there.bin' } }],
      destination: { connectionId: K2, container: 'src2', path: '' },
    });
    assert.equal(await blobMd5(direct(SECOND_ACCOUNT).getContainerClient('src2').getBlobClient('there.bin')), md5(buf));
    await copy({
      sources: [{ kind: 'location', location: { connectionId: K2, container: 'src2', path: 'there.bin' } }],
      destination: { connectionId: E1, container: 'dst', path: 'back.bin' },
    });
    const back = direct().getContainerClient('dst').getBlobClient('back.bin');
    assert.equal(await blobMd5(back), md5(buf));
    assert.deepEqual((await back.getProperties()).metadata, { trip: 'out' });
    const copies = since(from).filter((e) => e.copySource);
    // Out: a key account writes, the Entra source is read through a user-delegation SAS.
    const out = copies.find((e) => e.path.startsWith('/acct2/'))!;
    assert.equal(out.authScheme, 'SharedKey');
    assert.equal(new URL(out.copySource!).searchParams.get('skoid'), USER_OID);
    // Back: the Entra account writes with its token, the key source is read through a service SAS (no skoid).
    const home = copies.find((e) => e.path.startsWith('/devstoreaccount1/'))!;
    assert.equal(home.authScheme, 'Bearer');
    assert.equal(new URL(home.copySource!).searchParams.get('skoid'), null);
    assert.equal(new URL(home.copySource!).searchParams.get('sp'), 'r');
  });

  it('an Entra-only copy sends no shared key: every request carries a bearer token or a SAS', async () => {
    await direct().getContainerClient('src').getBlockBlobClient('only/one.bin').uploadData(data(150_000, 5));
    await direct().getContainerClient('src').getBlockBlobClient('only/two.bin').uploadData(data(2 * 1024 * 1024 + 5, 6));
    const from = lastSeq();
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'only/' } }],
      destination: { connectionId: E2, container: 'dst2', path: 'only/' },
      options: { conflict: 'overwrite' },
    });
    await copy({
      sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'only/' } }],
      destination: { connectionId: E1, container: 'dst', path: 'only/' },
      options: { conflict: 'overwrite' },
    });
    const requests = since(from);
    assert.ok(requests.length >= 8, `recorded ${requests.length} requests`);
    const bad = requests.filter((e) => !(e.authScheme === 'Bearer' || (e.authScheme === undefined && e.sas)));
    assert.deepEqual(bad.map((e) => `${e.method} ${e.path} auth=${e.authScheme}`), []);
    assert.ok(!requests.some((e) => e.authScheme === 'SharedKey' || e.authScheme === 'SharedKeyLite'));
    // Copy sources are user-delegation SAS (signed with the delegation key), never a key-signed SAS.
    for (const e of requests.filter((r) => r.copySource)) assert.equal(new URL(e.copySource!).searchParams.get('skoid'), USER_OID);
    const listed: string[] = [];
    for await (const b of direct(SECOND_ACCOUNT).getContainerClient('dst2').listBlobsFlat({ prefix: 'only/' })) listed.push(b.name);
    assert.deepEqual(listed, ['only/one.bin', 'only/two.bin']);
  });

  it('a long copy whose tokens expire during it keeps going: the credential is asked again, no job fails', async () => {
    // Tokens live 3 s (Azurite rejects an expired one: see the last test); the copy takes longer (delayed blocks).
    // The SDK's bearer policy renews a token that has less than 1 s left before it sends a request with it, so
    // the proxy's delay stays below that second.
    const shortLived = testCredential({ lifetimeMs: 3000 });
    const id = 'entra-short';
    clients.set(id, createAccountClient({ kind: 'token', accountName: SECOND_ACCOUNT.name, blobEndpoint: proxy.endpoint(SECOND_ACCOUNT.name), credential: shortLived }));
    const srcId = 'entra-short-src';
    clients.set(srcId, createAccountClient({ kind: 'token', accountName: DEV_ACCOUNT.name, blobEndpoint: proxy.endpoint(DEV_ACCOUNT.name), credential: shortLived }));
    const buf = data(16 * 1024 * 1024 + 3, 7);
    await direct().getContainerClient('src').getBlockBlobClient('long.bin').uploadData(buf);
    proxy.setRules({ delayMs: 500, match: (r) => r.comp === 'block', maxDelays: 100 });
    const started = Date.now();
    try {
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: srcId, container: 'src', path: 'long.bin' } }],
        destination: { connectionId: id, container: 'dst2', path: 'long.bin' },
        options: { strategy: 'put-block-from-url', blockSizeBytes: 1024 * 1024 },
      });
      const took = Date.now() - started;
      assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines.slice(-10) }));
      assert.equal(summary.failed, 0);
      assert.ok(took > 3000 * 1.2, `the copy outlived a token (took ${took} ms)`);
      assert.ok(shortLived.calls >= 3, `tokens were refreshed during the copy: ${shortLived.calls} getToken calls`);
      const exps = new Set(shortLived.issued.map((t) => t.expiresOnTimestamp));
      assert.ok(Math.max(...exps) - Math.min(...exps) >= 3000, 'a later token replaced an expired one');
    } finally {
      proxy.setRules({});
    }
    assert.equal(await blobMd5(direct(SECOND_ACCOUNT).getContainerClient('dst2').getBlobClient('long.bin')), md5(buf));
  });

  it('an expired token fails the job with "sign in again"; a missing role names the role to assign', async () => {
    // A credential that keeps handing out one token that already expired (a session nobody refreshed).
    const stale = { token: '', expiresOnTimestamp: 0 };
    const { unsignedToken } = await import('../helpers/entra');
    stale.token = unsignedToken({}, -60_000);
    clients.set('entra-stale', createAccountClient(
      { kind: 'token', accountName: DEV_ACCOUNT.name, blobEndpoint: proxy.endpoint(DEV_ACCOUNT.name), credential: { getToken: async () => ({ ...stale, expiresOnTimestamp: Date.now() + 3600_000 }) } },
      { retryOptions: { maxTries: 1 } },
    ));
    await direct().getContainerClient('src').getBlockBlobClient('stale.bin').upload('x', 1);
    // Planning reads the source with the token: the copy is refused before any job starts.
    await assert.rejects(
      engine.copy({
        sources: [{ kind: 'location', location: { connectionId: 'entra-stale', container: 'src', path: 'stale.bin' } }],
        destination: { connectionId: E1, container: 'dst', path: '' },
      }),
      (e: CopyError) => {
        assert.equal(e.name, 'CopyError');
        assert.equal(e.info.status, 403, JSON.stringify(e.info));
        assert.match(`${e.message} ${e.info.hint}`, /sign in again/i);
        assert.doesNotMatch(JSON.stringify(e.info), /eyJ/, 'no token in the error');
        return true;
      },
    );

    // The service refuses writes: 403 AuthorizationPermissionMismatch on the destination account.
    proxy.setRules({ refuse: { status: 403, code: 'AuthorizationPermissionMismatch' }, match: (r) => r.method === 'PUT' && r.path.startsWith('/acct2/') });
    try {
      await direct().getContainerClient('src').getBlockBlobClient('role.bin').upload('r', 1);
      const s2 = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: E1, container: 'src', path: 'role.bin' } }],
        destination: { connectionId: E2, container: 'dst2', path: 'role.bin' },
      });
      assert.equal(s2.failed, 1, JSON.stringify(s2));
      const job = engine.jobs().at(-1)!;
      assert.match(`${job.error?.message} ${job.error?.hint}`, /Storage Blob Data Contributor/);
      assert.match(`${job.error?.hint}`, /destination/);
    } finally {
      proxy.setRules({});
    }
  });
});
