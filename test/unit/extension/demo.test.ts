/** The demo's extra Azurite accounts, read from the environment npm start sets (plain Node). */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { AddConnectionInput, ConnectionInfo } from '../../../src/extension/connections/model';
import { addDemoConnections, parseDemoAccounts } from '../../../src/extension/connections/demo';

const KEY = Buffer.from('a demo key that must never be printed').toString('base64');
const account = (over: Record<string, unknown> = {}) => ({ name: 'acct2', key: KEY, endpoint: 'http://127.0.0.1:10000/acct2/', ...over });

function recorder() {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => void lines.push(`[${level}] ${m}`);
  return { lines, log: { info: push('info'), warn: push('warn'), error: push('error') } };
}

describe('parseDemoAccounts', () => {
  it('nothing set: nothing to add', () => {
    assert.deepEqual(parseDemoAccounts(undefined), { accounts: [], problems: [] });
    assert.deepEqual(parseDemoAccounts('  '), { accounts: [], problems: [] });
  });

  it('reads account-key inputs with a default label and the endpoint without its trailing slash', () => {
    const { accounts, problems } = parseDemoAccounts(JSON.stringify([account(), account({ name: 'acct3', endpoint: 'http://localhost:1/acct3', label: ' Third ' })]));
    assert.deepEqual(problems, []);
    assert.deepEqual(accounts, [
      { kind: 'accountKey', label: 'acct2 (Azurite, second account)', accountName: 'acct2', accountKey: KEY, blobEndpoint: 'http://127.0.0.1:10000/acct2' },
      { kind: 'accountKey', label: 'Third', accountName: 'acct3', accountKey: KEY, blobEndpoint: 'http://localhost:1/acct3' },
    ]);
  });

  it('refuses what is not an emulator account, and never quotes a key', () => {
    assert.deepEqual(parseDemoAccounts('{').problems, ['BLOB_COPY_DEMO_ACCOUNTS is not JSON.']);
    assert.deepEqual(parseDemoAccounts('{}').problems, ['BLOB_COPY_DEMO_ACCOUNTS is not a JSON array.']);
    const { accounts, problems } = parseDemoAccounts(
      JSON.stringify([
        account({ name: 'Bad_Name' }),
        account({ key: 'not base64!' }),
        account({ endpoint: 'nowhere' }),
        account({ endpoint: 'https://acct2.blob.core.windows.net' }),
        account({ endpoint: 'http://10.0.0.5:10000/acct2' }),
        null,
      ]),
    );
    assert.equal(accounts.length, 0);
    assert.equal(problems.length, 6);
    assert.match(problems[0], /\[0\]: "name"/);
    assert.match(problems[1], /\[1\]: "key" is not base64/);
    assert.match(problems[2], /\[2\]: "endpoint" is not a URL/);
    assert.match(problems[3], /\[3\]: "endpoint" is not an http:\/\/ loopback/);
    assert.match(problems[4], /\[4\]: "endpoint" is not an http:\/\/ loopback/);
    assert.ok(problems.every((p) => !p.includes(KEY)));
  });
});

describe('addDemoConnections', () => {
  function fakeStore(existing: ConnectionInfo[] = [], fail?: string) {
    const added: AddConnectionInput[] = [];
    return {
      added,
      list: () => existing,
      add: async (input: AddConnectionInput): Promise<ConnectionInfo> => {
        if (fail) throw new Error(fail);
        added.push(input);
        const info: ConnectionInfo = { id: `id${added.length}`, label: input.label ?? '', kind: 'accountKey', accountName: 'acct2', endpoint: 'http://127.0.0.1:10000/acct2' };
        existing.push(info);
        return info;
      },
    };
  }

  it('adds each account once: an endpoint that already has a connection is left alone', async () => {
    const store = fakeStore();
    const { lines, log } = recorder();
    const text = JSON.stringify([account()]);
    assert.equal((await addDemoConnections(store, text, log)).length, 1);
    assert.equal((await addDemoConnections(store, text, log)).length, 0);
    assert.equal(store.added.length, 1);
    assert.deepEqual(lines, ['[info] Demo accounts: added the connection "acct2 (Azurite, second account)" (http://127.0.0.1:10000/acct2); its key is in the secret storage.']);
  });

  it('logs refusals and failures (redacted, without the key) instead of throwing', async () => {
    const { lines, log } = recorder();
    const added = await addDemoConnections(fakeStore([], `connect ECONNREFUSED; AccountKey=${KEY}`), JSON.stringify([account(), account({ name: 'x' })]), log);
    assert.deepEqual(added, []);
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^\[warn\] Demo accounts: BLOB_COPY_DEMO_ACCOUNTS\[1\]: "name"/);
    assert.match(lines[1], /^\[warn\] Demo accounts: could not add acct2 at http:\/\/127\.0\.0\.1:10000\/acct2: connect ECONNREFUSED/);
    assert.ok(lines.every((l) => !l.includes(KEY)));
  });
});
