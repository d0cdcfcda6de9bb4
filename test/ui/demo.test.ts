/** `npm start`'s second Azurite account becomes a connection in the real extension's store (key in SecretStorage). */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { addDemoConnections } from '../../src/extension/connections/demo';
import { childrenOf, getEnv, labelOf } from './env';

describe('demo accounts (npm start)', () => {
  it('adds the second account as an account-key connection, its key only in SecretStorage; a second start adds nothing', async () => {
    const env = await getEnv();
    const acct = env.azurite.accounts[1];
    const label = 'demo second account';
    const text = JSON.stringify([{ name: acct.name, key: acct.key, endpoint: env.azurite.endpoint(acct.name), label }]);
    const lines: string[] = [];
    const log = { info: (m: string) => void lines.push(m), warn: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) };
    // The real store; "already there" judged among this test's connections only (other tests add acct2 too).
    const store = { list: () => env.api.connections.list().filter((c) => c.label === label), add: env.api.connections.add.bind(env.api.connections) };

    const added = await addDemoConnections(store, text, log);
    assert.equal(added.length, 1, lines.join('\n'));
    try {
      assert.equal(added[0].kind, 'accountKey');
      assert.equal(added[0].accountName, 'acct2');
      assert.deepEqual(await addDemoConnections(store, text, log), [], 'a second start adds nothing');
      assert.ok((await childrenOf(env.api)).some((n) => labelOf(env.api, n) === label), 'the tree shows it');
      assert.equal((await env.api.connections.resolve(added[0].id)).accountName, 'acct2', 'the key was stored: the resolver reaches the account');
      const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
      assert.ok(state.includes(label) && !state.includes(acct.key), 'globalState has the connection, not its key');
      assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('blobCopy')).includes(acct.key), 'no key in the settings');
      assert.ok(![...lines, ...env.api.logLines].some((l) => l.includes(acct.key)), 'no key in the log');
    } finally {
      await env.api.connections.remove(added[0].id);
    }
  });
});
