/**
 * The per-try policy in the SDK's own pipeline (it replaced a v1 IHttpClient whose adapters cost ~70 µs of
 * CPU per request): it is in the pipeline of every kind of connection, after the retry policy and before signing,
 * shared by the clients derived from a service client; each throttled try is reported and lowers its account's gate.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { attemptPolicy, createAccountClient, FORM_DATA_POLICY, onTransientFailure, TRACING_POLICY, type TransientFailure } from '../../src/core/storage/connections';
import { storageContextOf } from '../../src/core/storage/blobRequests';
import { gateFor } from '../../src/core/storage/throttle';
import { accountKey } from '../../src/core/base/urls';
import { DEV_ACCOUNT, startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';

describe('connections: the per-try policy in the SDK pipeline', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('every kind of connection has it once, between the retry policy and signing, shared by derived clients; no form-data policy', () => {
    const endpoint = `http://127.0.0.1:1/${DEV_ACCOUNT.name}`;
    const clients = [
      createAccountClient({ kind: 'sharedKey', accountName: DEV_ACCOUNT.name, accountKey: DEV_ACCOUNT.key, blobEndpoint: endpoint }),
      createAccountClient({ kind: 'connectionString', connectionString: `AccountName=${DEV_ACCOUNT.name};AccountKey=${DEV_ACCOUNT.key};BlobEndpoint=${endpoint};` }),
      createAccountClient({ kind: 'sas', url: `${endpoint}?sv=2024-08-04&sig=x` }),
      createAccountClient({ kind: 'anonymous', url: endpoint }),
      createAccountClient({ kind: 'token', accountName: DEV_ACCOUNT.name, blobEndpoint: endpoint, credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3600_000 }) } }),
    ];
    for (const c of clients) {
      const { pipeline } = storageContextOf(c.service); // throws when the SDK's pipeline is not reachable
      assert.ok(pipeline, 'the SDK pipeline is reachable');
      const names = pipeline.getOrderedPolicies().map((p) => p.name);
      assert.equal(names.filter((n) => n === attemptPolicy.name).length, 1, names.join(', '));
      assert.ok(!names.includes(FORM_DATA_POLICY), `no form-data policy (blob requests carry none): ${names.join(', ')}`);
      assert.ok(!names.includes(TRACING_POLICY), `no tracing policy (nothing registers an instrumenter): ${names.join(', ')}`);
      const at = names.indexOf(attemptPolicy.name);
      const retry = names.findIndex((n) => /retry/i.test(n));
      assert.ok(retry >= 0 && retry < at, `after the retry policy: ${names.join(', ')}`);
      const sign = names.findIndex((n) => /sharedKey|bearerToken/i.test(n));
      if (sign >= 0) assert.ok(at < sign, `before signing: ${names.join(', ')}`);
      // A blob client made from the service shares its pipeline (one policy, not one per client).
      const blob = c.service.getContainerClient('c').getBlobClient('b');
      const ctx = (blob as unknown as { storageClientContext: { pipeline: unknown } }).storageClientContext;
      assert.equal(ctx.pipeline, pipeline);
    }
  });

  it('each throttled try is reported once (status, code, no query) and lowers the account gate; the call then succeeds', { timeout: 60_000 }, async () => {
    const endpoint = proxy.endpoint(DEV_ACCOUNT.name);
    const client = createAccountClient({ kind: 'sharedKey', accountName: DEV_ACCOUNT.name, accountKey: DEV_ACCOUNT.key, blobEndpoint: endpoint });
    await client.service.getContainerClient('policy').createIfNotExists();
    const seen: TransientFailure[] = [];
    const sub = onTransientFailure((f) => {
      if (f.url.startsWith(endpoint)) seen.push(f);
    });
    const gate = gateFor(accountKey(endpoint));
    const throttledBefore = gate.stats().throttled;
    proxy.setRules({ throttle503: { ratio: 1, retryAfterSeconds: 0 }, maxFaults: 2 });
    try {
      const props = await client.service.getContainerClient('policy').getProperties();
      assert.ok(props.etag, 'the third try got through');
    } finally {
      sub.dispose();
      proxy.setRules({});
    }
    assert.equal(seen.length, 2, JSON.stringify(seen));
    for (const f of seen) {
      assert.equal(f.status, 503);
      assert.equal(f.code, 'ServerBusy');
      assert.ok(!f.url.includes('?'), f.url);
    }
    assert.equal(gate.stats().throttled - throttledBefore, 2);
  });

  it('a refused connection is reported as a network error of each try', { timeout: 60_000 }, async () => {
    const endpoint = `http://127.0.0.1:9/${DEV_ACCOUNT.name}`; // discard port: nothing listens
    const client = createAccountClient({ kind: 'sharedKey', accountName: DEV_ACCOUNT.name, accountKey: DEV_ACCOUNT.key, blobEndpoint: endpoint }, { retryOptions: { maxTries: 2, retryDelayInMs: 10 } });
    const seen: TransientFailure[] = [];
    const sub = onTransientFailure((f) => {
      if (f.url.startsWith(endpoint)) seen.push(f);
    });
    try {
      await assert.rejects(client.service.getContainerClient('x').getProperties());
    } finally {
      sub.dispose();
    }
    assert.equal(seen.length, 2, JSON.stringify(seen));
    assert.ok(seen.every((f) => f.status === undefined && f.code === 'ECONNREFUSED'), JSON.stringify(seen));
  });
});
