/**
 * In the extension host: an Entra ID connection through the extension's real code path
 * (blobCopy.addConnection → validation → ConnectionStore → createEntraCredential → DefaultAzureCredential's
 * environment credential) against Azurite over HTTPS with `--oauth basic`, with no key anywhere on the extension's
 * side. The token comes from a loopback HTTPS authority (AZURE_AUTHORITY_HOST, instance discovery skipped).
 *
 * Trust: the extension host runs on the VS Code server's Node 24, which can add a CA at run time
 * (tls.setDefaultCACertificates); NODE_EXTRA_CA_CERTS set by the test launcher works too.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { certificateTrusted, ensureTestCertificate, startTokenEndpoint, trustAtRuntime, type TokenEndpoint } from '../helpers/entra';
import { childrenOf, findChild, getEnv, labelOf, uniqueName, type Env } from './env';
import type { ConnectionInfo } from '../../src/extension/connections/model';

const CLIENT_ID = '7a1b2c3d-1111-4222-8333-0e0a00000001';
const CLIENT_SECRET = `ui-secret-${crypto.randomBytes(8).toString('hex')}`;
const AZURE_VARS = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_AUTHORITY_HOST'] as const;

describe('Entra ID connection in the extension (OAuth Azurite over HTTPS, no key)', function () {
  this.timeout(120_000);
  let env: Env;
  let azurite: AzuriteInstance;
  let authority: TokenEndpoint;
  let restoreTrust: (() => void) | undefined;
  const savedVars: Partial<Record<(typeof AZURE_VARS)[number], string>> = {};
  const added: string[] = [];
  const container = uniqueName('entra');
  const payload = crypto.randomBytes(250_000);

  const addEntra = async (accountName: string, label: string): Promise<ConnectionInfo> => {
    const info = (await vscode.commands.executeCommand('blobCopy.addConnection', {
      kind: 'entra',
      label,
      accountName,
      blobEndpoint: azurite.endpoint(accountName),
      auth: 'default',
    })) as ConnectionInfo | undefined;
    assert.ok(info, `the Entra connection for ${accountName} was added`);
    added.push(info.id);
    return info;
  };

  before(async () => {
    env = await getEnv();
    const certificate = ensureTestCertificate();
    restoreTrust = trustAtRuntime(certificate);
    assert.ok(await certificateTrusted(certificate), 'the extension host trusts the test certificate (Node >= 22.19 / 24.5, or NODE_EXTRA_CA_CERTS)');
    azurite = await startAzurite({ oauth: certificate });
    authority = await startTokenEndpoint(certificate, new Map([[CLIENT_ID, CLIENT_SECRET]]));
    for (const k of AZURE_VARS) savedVars[k] = process.env[k];
    Object.assign(process.env, {
      AZURE_TENANT_ID: authority.tenantId,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      AZURE_AUTHORITY_HOST: authority.authorityHost,
    });
    const dev = azurite.serviceClient();
    await dev.createContainer(container);
    await dev.getContainerClient(container).getBlockBlobClient('docs/readme.txt').upload('hello entra', 11);
    await dev.getContainerClient(container).getBlockBlobClient('docs/data.bin').uploadData(payload, { metadata: { via: 'extension' } });
    await azurite.serviceClient('acct2').createContainer(container);
  });

  after(async () => {
    for (const id of added) await vscode.commands.executeCommand('blobCopy.removeConnection', { id }).then(undefined, () => undefined);
    for (const k of AZURE_VARS) {
      if (savedVars[k] === undefined) delete process.env[k];
      else process.env[k] = savedVars[k];
    }
    await authority?.stop();
    await azurite?.stop();
    restoreTrust?.();
  });

  it('adds an Entra connection (validated with a token), lists its containers and blobs in the tree, and stores no secret', async () => {
    const before = authority.tokenRequests.get(CLIENT_ID) ?? 0;
    const info = await addEntra('devstoreaccount1', 'entra-dev');
    assert.equal(info.kind, 'entra');
    assert.ok((authority.tokenRequests.get(CLIENT_ID) ?? 0) > before, 'validation asked the authority for a token');
    const connection = await findChild(env.api, undefined, 'entra-dev');
    env.api.tree.refresh(connection);
    const containers = (await childrenOf(env.api, connection)).map((n) => labelOf(env.api, n));
    assert.ok(containers.includes(container), containers.join(', '));
    const c = await findChild(env.api, connection, container);
    const docs = await findChild(env.api, c, 'docs');
    assert.deepEqual((await childrenOf(env.api, docs)).map((n) => labelOf(env.api, n)), ['data.bin', 'readme.txt']);
    const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
    assert.ok(!state.includes(CLIENT_SECRET), 'no secret in globalState');
    assert.ok(!env.api.logLines.join('\n').includes(CLIENT_SECRET), 'no secret in the log');
    assert.doesNotMatch(env.api.logLines.join('\n'), /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no token in the log');
  });

  it('copies with the extension engine: within the account and to another Entra account (user-delegation SAS)', async () => {
    const dev = env.api.connections.list().find((c) => c.label === 'entra-dev');
    assert.ok(dev);
    const other = await addEntra('acct2', 'entra-acct2');
    {
      // engine.copy() resolves when the batch is final.
      const same = await env.api.engine.copy({
        sources: [{ kind: 'location', location: { connectionId: dev.id, container, path: 'docs/' } }],
        destination: { connectionId: dev.id, container, path: 'copy/' },
      });
      assert.equal(same.succeeded, 2, JSON.stringify(same));
      const cross = await env.api.engine.copy({
        sources: [{ kind: 'location', location: { connectionId: dev.id, container, path: 'docs/data.bin' } }],
        destination: { connectionId: other.id, container, path: '' },
      });
      assert.equal(cross.succeeded, 1, JSON.stringify({ cross, log: env.api.logLines.slice(-10) }));
    }
    const direct = azurite.serviceClient().getContainerClient(container);
    assert.equal((await direct.getBlobClient('copy/readme.txt').downloadToBuffer()).toString(), 'hello entra');
    assert.ok((await direct.getBlobClient('copy/data.bin').downloadToBuffer()).equals(payload));
    const there = azurite.serviceClient('acct2').getContainerClient(container).getBlobClient('data.bin');
    assert.ok((await there.downloadToBuffer()).equals(payload));
    assert.deepEqual((await there.getProperties()).metadata, { via: 'extension' });
    assert.ok(!authority.paths.some((p) => p.includes('discovery/instance')), 'no instance discovery');
  });
});
