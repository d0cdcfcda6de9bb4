/**
 * Bearer source authorization end to end on an OAuth Azurite. A TLS fault proxy answers 403 to Get User
 * Delegation Key (an identity without "Storage Blob Delegator"); SourceAuthorizer.authorize() then returns the plain
 * blob URL and a bearer token, and the destination's From-URL calls carry it as x-ms-copy-source-authorization.
 * The source container is private and the URL has no SAS, so only that header lets the service read the source
 * (Azurite ignores the header: the proxy emulates it, see FaultProxyOptions.emulateCopySourceAuthorization).
 *
 * This drives the SDK call the engine's Copy Blob From URL operation makes (syncCopyFromURL with
 * `sourceAuthorization`); once the engine passes SourceAccess.authorization to it, engine.copy() takes this path.
 */
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { RestError } from '@azure/storage-blob';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { testCredential } from '../helpers/entra';
import { describeEntra } from '../helpers/entraSuite';
import { startFaultProxy, FaultProxy } from '../helpers/faultProxy';
import { AccountClient, createAccountClient } from '../../src/core/storage/connections';
import { SourceAuthorizer } from '../../src/core/storage/auth';
import { CopyEngine } from '../../src/core';
import { MemoryLog } from '../helpers/content';
import { data, md5, stopFast } from '../helpers/engine';

describeEntra('bearer source authorization when the user delegation key is refused', __filename, (certificate) => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: AccountClient;
  let dst: AccountClient;
  const credential = testCredential();

  before(async () => {
    azurite = await startAzurite({ oauth: certificate });
    // Azurite ignores x-ms-copy-source-authorization: the proxy emulates it (the service's read of the source gets
    // the token as its Authorization, which Azurite then checks).
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port }, {}, { tls: certificate, emulateCopySourceAuthorization: true });
    const options = { retryOptions: { maxTries: 1 } };
    src = createAccountClient({ kind: 'token', accountName: DEV_ACCOUNT.name, blobEndpoint: proxy.endpoint(DEV_ACCOUNT.name), credential }, options);
    dst = createAccountClient({ kind: 'token', accountName: SECOND_ACCOUNT.name, blobEndpoint: proxy.endpoint(SECOND_ACCOUNT.name), credential }, options);
    await azurite.serviceClient().createContainer('private');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst');
  });
  after(async () => {
    await proxy?.stop();
    await stopFast(azurite);
  });

  it('reads a private source across accounts with the token header, and cannot without it', async () => {
    const buf = data(300_000, 11);
    await azurite.serviceClient().getContainerClient('private').getBlockBlobClient('secret.bin').uploadData(buf);
    proxy.setRules({ refuse: { status: 403, code: 'AuthorizationPermissionMismatch' }, match: (r) => r.comp === 'userdelegationkey' });
    const warnings: string[] = [];
    const authorizer = new SourceAuthorizer({ warn: (m) => warnings.push(m) });
    const access = await authorizer.authorize({ kind: 'location', location: { connectionId: 's', container: 'private', path: 'secret.bin' } }, src, buf.length);
    assert.equal(access.url, `${proxy.endpoint(DEV_ACCOUNT.name)}/private/secret.bin`, 'no SAS in the URL');
    assert.equal(access.authorization?.scheme, 'Bearer');
    assert.equal(warnings.length, 1);
    const refused = proxy.requestLog().filter((e) => e.comp === 'userdelegationkey');
    assert.equal(refused.length, 1);
    assert.equal(refused[0].status, 403);

    const container = dst.service.getContainerClient('dst');
    // Without the header the private source cannot be read.
    const without = await container.getBlockBlobClient('without.bin').syncCopyFromURL(access.url).then(() => undefined, (e: RestError) => e);
    assert.ok(without && [401, 403, 404].includes(without.statusCode ?? 0), `refused without the header: ${without?.statusCode} ${without?.code}`);
    assert.equal(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst').getBlobClient('without.bin').exists(), false);

    // With it: Copy Blob From URL. (Put Block From URL cannot be shown here: Azurite reads its source with a
    // loopback request of its own, pinned to its port, past the proxy that emulates the header.)
    const sourceAuthorization = access.authorization!;
    await container.getBlockBlobClient('copied.bin').syncCopyFromURL(access.url, { sourceAuthorization });

    const direct = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst');
    assert.equal(md5(await direct.getBlobClient('copied.bin').downloadToBuffer()), md5(buf));
    const fromUrl = proxy.requestLog().filter((e) => e.copySource && e.status !== undefined && e.status < 300);
    assert.equal(fromUrl.length, 1);
    for (const e of fromUrl) {
      assert.equal(e.copySourceAuthScheme, 'Bearer');
      assert.equal(e.authScheme, 'Bearer');
      assert.equal(new URL(e.copySource!).search, '', 'the source URL carries no SAS');
    }
    const sourceReads = proxy.requestLog().filter((e) => (e.method === 'GET' || e.method === 'HEAD') && e.path === '/devstoreaccount1/private/secret.bin');
    assert.ok(sourceReads.some((e) => e.sourceAuthorizationInjected && e.status !== undefined && e.status < 300), 'the service read the source with the token');
    assert.ok(sourceReads.some((e) => !e.sourceAuthorizationInjected && e.status !== undefined && e.status >= 400), 'and could not without it');
  });

  it('engine.copy() reads the source with the token when the user delegation key is refused', async () => {
    const log = new MemoryLog();
    const engine = new CopyEngine({ resolve: async (id) => (id === 's' ? src : dst), log });
    try {
      const buf = data(200_000, 12);
      await azurite.serviceClient().getContainerClient('private').getBlockBlobClient('engine.bin').uploadData(buf);
      proxy.setRules({ refuse: { status: 403, code: 'AuthorizationPermissionMismatch' }, match: (r) => r.comp === 'userdelegationkey' });
      const from = proxy.requestLog().at(-1)?.seq ?? 0;
      const summary = await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: 's', container: 'private', path: 'engine.bin' } }],
        destination: { connectionId: 'd', container: 'dst', path: 'engine.bin' },
        options: { strategy: 'auto' },
      });
      assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
      assert.equal(log.lines.filter((l) => l.includes('Storage Blob Delegator')).length, 1, 'told once');
      assert.equal(md5(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst').getBlobClient('engine.bin').downloadToBuffer()), md5(buf));
      const copies = proxy.requestLog().filter((e) => e.seq > from && e.copySource);
      assert.ok(copies.length >= 1);
      for (const e of copies) {
        assert.equal(e.copySourceAuthScheme, 'Bearer');
        assert.equal(new URL(e.copySource!).search, '');
      }
    } finally {
      proxy.setRules({});
      engine.dispose();
    }
  });
});
