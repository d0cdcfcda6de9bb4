import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { childrenOf, getEnv, labelOf, type Env } from './env';

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('connections', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });

  it('lists Azurite out of the box, at the configured port', async () => {
    const roots = await childrenOf(env.api);
    const azurite = roots.find((n) => n.kind === 'connection' && n.info.kind === 'azurite');
    assert.ok(azurite, 'Azurite connection is listed');
    assert.equal(labelOf(env.api, azurite), 'Azurite (local emulator)');
    assert.equal(env.api.tree.getTreeItem(azurite).contextValue, 'connection');
    assert.ok(azurite.kind === 'connection' && azurite.info.endpoint.endsWith(`:${env.azurite.port}/devstoreaccount1`));
  });

  it('adds a connection from a connection string (validated), keeps the key out of settings and globalState', async () => {
    const key = env.azurite.accounts[1].key;
    const info = (await vscode.commands.executeCommand('blobCopy.addConnection', {
      kind: 'connectionString',
      label: 'Second account',
      connectionString: env.azurite.connectionString('acct2'),
    })) as { id: string; label: string; accountName: string };
    assert.equal(info.label, 'Second account');
    assert.equal(info.accountName, 'acct2');
    const roots = await childrenOf(env.api);
    assert.ok(roots.some((n) => labelOf(env.api, n) === 'Second account'), 'the new connection shows in the tree');
    // No secret outside SecretStorage.
    const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
    assert.ok(state.includes('Second account'), 'the non-secret list is in globalState');
    assert.ok(!state.includes(key), 'the account key is not in globalState');
    assert.ok(!state.includes('AccountKey'), 'no connection string in globalState');
    const settings = JSON.stringify(vscode.workspace.getConfiguration('blobCopy'));
    assert.ok(!settings.includes(key), 'the account key is not in the settings');
    // It works: the engine's resolver reaches the account.
    const account = await env.api.connections.resolve(info.id);
    assert.equal(account.accountName, 'acct2');
  });

  it('adds an account-key connection and a SAS URL connection', async () => {
    const acct = env.azurite.accounts[1];
    const keyInfo = (await vscode.commands.executeCommand('blobCopy.addConnection', {
      kind: 'accountKey',
      label: 'acct2 by key',
      accountName: acct.name,
      accountKey: acct.key,
      blobEndpoint: env.azurite.endpoint('acct2'),
    })) as { id: string };
    assert.ok(env.api.connections.get(keyInfo.id));
    // A container SAS URL: the connection shows just that container.
    const { ContainerSASPermissions, generateBlobSASQueryParameters } = await import('@azure/storage-blob');
    const container = env.acct2.getContainerClient('sas-only');
    await container.createIfNotExists();
    const sas = generateBlobSASQueryParameters(
      { containerName: 'sas-only', permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) },
      env.azurite.credential('acct2'),
    ).toString();
    const sasInfo = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'sas', label: 'sas-only', url: `${container.url}?${sas}` })) as { id: string; container?: string };
    assert.equal(sasInfo.container, 'sas-only');
    const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
    assert.ok(!state.includes(sas.split('sig=')[1]?.split('&')[0] ?? 'x'), 'the SAS signature is not in globalState');
    const node = (await childrenOf(env.api)).find((n) => n.kind === 'connection' && n.info.id === sasInfo.id);
    assert.ok(node);
    const kids = await childrenOf(env.api, node);
    assert.deepEqual(kids.map((k) => labelOf(env.api, k)), ['sas-only']);
  });

  it('rejects a malformed connection string with a clear message and saves nothing', async () => {
    const before = env.api.connections.list().length;
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', connectionString: 'this is not a connection string' })),
      /Malformed connection string/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', connectionString: 'AccountName=x;AccountKey=not base64!!;BlobEndpoint=http://127.0.0.1:1/x' })),
      /base64/,
    );
    // A malformed endpoint is named by its field.
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', connectionString: 'AccountName=x;AccountKey=eA==;BlobEndpoint=http://' })),
      /BlobEndpoint "http:\/\/" is not a valid URL \(expected e\.g\. https:\/\/account\.blob\.core\.windows\.net\)/,
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'accountKey', accountName: 'acct3', accountKey: 'eA==', blobEndpoint: 'http://' })),
      /Blob endpoint "http:\/\/" is not a valid URL/,
    );
    assert.equal(env.api.connections.list().length, before);
  });

  it('rejects an unreachable endpoint (bounded) and a wrong key, and saves nothing', async () => {
    const before = env.api.connections.list().length;
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('blobCopy.addConnection', {
          kind: 'connectionString',
          connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${env.azurite.accounts[0].key};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
          timeoutMs: 5000,
        }),
      ),
      /Cannot reach|No answer/,
    );
    assert.ok(Date.now() - started < 15_000, 'the check is bounded');
    const wrongKey = Buffer.from('definitely-not-the-key-of-this-account-0123456789abcdef0123456789').toString('base64');
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'accountKey', accountName: 'devstoreaccount1', accountKey: wrongKey, blobEndpoint: env.azurite.endpoint() }),
      ),
      /rejected the credentials/,
    );
    assert.equal(env.api.connections.list().length, before);
  });

  it('renames and removes a connection (and its secret)', async () => {
    const info = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', label: 'temp', connectionString: env.azurite.connectionString('acct2') })) as { id: string };
    const renamed = await vscode.commands.executeCommand('blobCopy.renameConnection', { id: info.id, label: 'temp renamed' });
    assert.equal(renamed, 'temp renamed');
    assert.equal(env.api.connections.get(info.id)?.label, 'temp renamed');
    assert.ok((await childrenOf(env.api)).some((n) => labelOf(env.api, n) === 'temp renamed'));
    const removed = await vscode.commands.executeCommand('blobCopy.removeConnection', { id: info.id });
    assert.equal(removed, true);
    assert.equal(env.api.connections.get(info.id), undefined);
    await assert.rejects(env.api.connections.resolve(info.id), /Unknown connection/);
    // The built-in Azurite entry cannot be removed.
    assert.equal(await vscode.commands.executeCommand('blobCopy.removeConnection', { id: 'azurite' }), false);
  });
});
