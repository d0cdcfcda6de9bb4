/**
 * Account discovery (src/core/storage/discovery.ts) against the loopback Azure Resource Manager (helpers/arm.ts) over HTTPS,
 * with the data plane on an OAuth Azurite: tenants, subscriptions per tenant and the subscription filter, storage
 * accounts with nextLink paging, an ARM error as one line, and a missing data role (403
 * AuthorizationPermissionMismatch) with and without shared keys allowed.
 */
import { after, before, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  accessKeyOffer,
  ArmError,
  isMissingDataRole,
  listAccountKey,
  listStorageAccounts,
  listStorageAccountsPage,
  listSubscriptions,
  listTenants,
  missingDataRoleMessage,
  type ArmTarget,
} from '../../src/core/storage/discovery';
import { createAccountClient, listContainersPage } from '../../src/core';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { managementToken, MANAGEMENT_AUDIENCE, startArm, startRoleGate, type ArmEndpoint, type ArmModel, type RoleGate } from '../helpers/arm';
import { testCredential, TENANT_ID } from '../helpers/entra';
import { describeEntra } from '../helpers/entraSuite';
import { stopFast } from '../helpers/engine';

const TENANT_B = '5d1c0a2e-0000-4000-8000-0000000000bb';
const SUB_A1 = '11111111-aaaa-4000-8000-000000000001';
const SUB_A2 = '11111111-aaaa-4000-8000-000000000002';
const SUB_B1 = '22222222-bbbb-4000-8000-000000000001';

/** A management-plane credential for one tenant; records the scopes asked for. */
function armCredential(tenantId: string): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[]): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: managementToken(tenantId), expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

describeEntra('account discovery through a loopback Azure Resource Manager', __filename, (certificate) => {
  let azurite: AzuriteInstance;
  let arm: ArmEndpoint;
  let gate: RoleGate;
  const target = (tenantId = TENANT_ID): ArmTarget & { credential: ReturnType<typeof armCredential> } => ({
    credential: armCredential(tenantId),
    endpoint: arm.endpoint,
    audience: MANAGEMENT_AUDIENCE,
    maxTries: 1,
  });

  before(async () => {
    azurite = await startAzurite({ oauth: certificate });
    gate = await startRoleGate(certificate, { host: azurite.host, port: azurite.port });
    await azurite.serviceClient(DEV_ACCOUNT).createContainer('photos');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('backup');
    const model: ArmModel = {
      tenants: [
        { tenantId: TENANT_ID, displayName: 'Contoso', defaultDomain: 'contoso.onmicrosoft.com' },
        { tenantId: TENANT_B, displayName: 'Fabrikam' },
      ],
      subscriptions: [
        { subscriptionId: SUB_A1, tenantId: TENANT_ID, displayName: 'Production' },
        { subscriptionId: SUB_A2, tenantId: TENANT_ID, displayName: 'Development' },
        { subscriptionId: SUB_B1, tenantId: TENANT_B, displayName: 'Fabrikam Main' },
      ],
      accounts: [
        { subscriptionId: SUB_A1, resourceGroup: 'rg-data', name: DEV_ACCOUNT.name, location: 'westeurope', blobEndpoint: `${azurite.endpoint(DEV_ACCOUNT)}/`, key: DEV_ACCOUNT.key },
        { subscriptionId: SUB_A1, resourceGroup: 'rg-data', name: SECOND_ACCOUNT.name, location: 'northeurope', kind: 'BlockBlobStorage', isHnsEnabled: true, blobEndpoint: `${azurite.endpoint(SECOND_ACCOUNT)}/`, key: SECOND_ACCOUNT.key },
        { subscriptionId: SUB_A1, resourceGroup: 'rg-lake', name: 'lake3', location: 'eastus', isHnsEnabled: true },
        { subscriptionId: SUB_A1, resourceGroup: 'rg-lake', name: 'lake4', kind: 'FileStorage', location: 'eastus', allowSharedKeyAccess: false },
        { subscriptionId: SUB_A1, resourceGroup: 'rg-lake', name: 'lake5', location: 'eastus', allowSharedKeyAccess: true },
        // Behind the role gate: the signed-in identity has no data role there.
        { subscriptionId: SUB_A2, resourceGroup: 'rg-dev', name: SECOND_ACCOUNT.name, location: 'westus', blobEndpoint: `${gate.origin}/${SECOND_ACCOUNT.name}/`, key: SECOND_ACCOUNT.key },
        { subscriptionId: SUB_A2, resourceGroup: 'rg-dev', name: 'nokeys', location: 'westus', blobEndpoint: `${gate.origin}/${DEV_ACCOUNT.name}/`, allowSharedKeyAccess: false, key: DEV_ACCOUNT.key },
        { subscriptionId: SUB_A2, resourceGroup: 'rg-dev', name: 'keysdenied', location: 'westus', blobEndpoint: `${gate.origin}/${DEV_ACCOUNT.name}/`, listKeysDenied: true },
      ],
      pageSize: 2,
      failAccounts: {
        [SUB_B1]: { status: 403, code: 'AuthorizationFailed', message: "The client 'u' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/read' over scope '/subscriptions/22222222-bbbb-4000-8000-000000000001'." },
      },
    };
    arm = await startArm(certificate, model);
  });
  after(async () => {
    await arm?.stop();
    await gate?.stop();
    await stopFast(azurite);
  });

  it('lists both tenants, asking for a token of the management audience', async () => {
    const t = target();
    const tenants = await listTenants(t);
    assert.deepEqual(tenants.map((x) => [x.tenantId, x.displayName, x.defaultDomain]), [
      [TENANT_ID, 'Contoso', 'contoso.onmicrosoft.com'],
      [TENANT_B, 'Fabrikam', '5d1c0a2e.onmicrosoft.com'],
    ]);
    assert.deepEqual([...new Set(t.credential.scopes)], [`${MANAGEMENT_AUDIENCE.replace(/\/$/, '')}/.default`]);
    assert.ok(arm.requests.some((r) => r.path === '/tenants' && r.apiVersion), 'ARM got an api-version');
  });

  it("lists each tenant's subscriptions with that tenant's token, sorted by name, and applies a filter", async () => {
    const a = await listSubscriptions(target(TENANT_ID));
    assert.deepEqual(a.map((s) => s.name), ['Development', 'Production']);
    assert.ok(a.every((s) => s.tenantId === TENANT_ID));
    const b = await listSubscriptions(target(TENANT_B));
    assert.deepEqual(b.map((s) => s.subscriptionId), [SUB_B1]);
    const filtered = await listSubscriptions(target(TENANT_ID), [SUB_A1, SUB_B1]);
    assert.deepEqual(filtered.map((s) => s.subscriptionId), [SUB_A1]);
  });

  it('pages storage accounts with nextLink, one ARM page at a time, with name, kind, region, HNS, endpoint and shared-key flag', async () => {
    const first = await listStorageAccountsPage(target(), SUB_A1);
    assert.deepEqual(first.items.map((a) => a.name), [DEV_ACCOUNT.name, SECOND_ACCOUNT.name]);
    assert.ok(first.continuationToken?.includes('$skipToken=2'), first.continuationToken);
    const second = await listStorageAccountsPage(target(), SUB_A1, first.continuationToken);
    assert.deepEqual(second.items.map((a) => a.name), ['lake3', 'lake4']);
    const third = await listStorageAccountsPage(target(), SUB_A1, second.continuationToken);
    assert.deepEqual(third.items.map((a) => a.name), ['lake5']);
    assert.equal(third.continuationToken, undefined);

    const all = await listStorageAccounts(target(), SUB_A1);
    assert.equal(all.length, 5);
    const acct2 = all.find((a) => a.name === SECOND_ACCOUNT.name)!;
    assert.deepEqual(
      { kind: acct2.kind, location: acct2.location, hns: acct2.isHnsEnabled, endpoint: acct2.blobEndpoint, rg: acct2.resourceGroup, sk: acct2.allowSharedKeyAccess },
      { kind: 'BlockBlobStorage', location: 'northeurope', hns: true, endpoint: azurite.endpoint(SECOND_ACCOUNT), rg: 'rg-data', sk: true },
    );
    assert.equal(all.find((a) => a.name === 'lake4')!.allowSharedKeyAccess, false);
    assert.equal(all.find((a) => a.name === 'lake3')!.allowSharedKeyAccess, true, 'unset means allowed');
  });

  it('an ARM refusal becomes one line with the status, the code and what was being done', async () => {
    await assert.rejects(listStorageAccountsPage(target(TENANT_B), SUB_B1), (e: unknown) => {
      assert.ok(e instanceof ArmError);
      assert.equal(e.statusCode, 403);
      assert.equal(e.code, 'AuthorizationFailed');
      assert.match(e.message, /^Azure Resource Manager: could not list storage accounts \(403 AuthorizationFailed\): The client 'u' does not have authorization/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    // A token of another tenant does not see the subscription.
    await assert.rejects(listStorageAccountsPage(target(TENANT_B), SUB_A1), (e: ArmError) => e.statusCode === 404 && e.code === 'SubscriptionNotFound');
  });

  it('the discovered blob endpoint works with the signed-in identity (bearer tokens on the OAuth Azurite)', async () => {
    const [dev] = (await listStorageAccountsPage(target(), SUB_A1)).items;
    const client = createAccountClient({ kind: 'token', accountName: dev.name, blobEndpoint: dev.blobEndpoint, credential: testCredential() });
    const page = await listContainersPage(client, undefined, 50);
    assert.ok(page.items.some((c) => c.name === 'photos'));
  });

  it('a missing data role: the one-line role advice, and the access key offered only where shared keys are allowed and listable', async () => {
    const accounts = await listStorageAccounts(target(), SUB_A2);
    const gated = accounts.find((a) => a.name === SECOND_ACCOUNT.name)!;
    const bearer = createAccountClient({ kind: 'token', accountName: gated.name, blobEndpoint: gated.blobEndpoint, credential: testCredential() }, { retryOptions: { maxTries: 1 } });
    const err = await listContainersPage(bearer, undefined, 50).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err, 'the gate refused the bearer request');
    assert.ok(isMissingDataRole(err), JSON.stringify(err));
    assert.equal(
      missingDataRoleMessage(gated.name),
      `Your Azure sign-in has no data access to ${SECOND_ACCOUNT.name}: ask for "Storage Blob Data Reader" (or "Storage Blob Data Contributor" to copy into it) on the account or its container.`,
    );
    assert.ok(!isMissingDataRole({ statusCode: 403, code: 'AuthenticationFailed' }), 'a bad token is not a missing role');

    // Shared keys allowed and listable: offered; with the key, the same endpoint answers.
    assert.deepEqual(await accessKeyOffer(target(), gated), { offer: true });
    const key = await listAccountKey(target(), gated);
    assert.equal(key, SECOND_ACCOUNT.key);
    const keyed = createAccountClient({ kind: 'sharedKey', accountName: gated.name, accountKey: key, blobEndpoint: gated.blobEndpoint });
    assert.ok((await listContainersPage(keyed, undefined, 50)).items.some((c) => c.name === 'backup'));

    // Shared keys not allowed: not offered, and ARM's List Keys is not even asked.
    const before = arm.requests.length;
    const nokeys = accounts.find((a) => a.name === 'nokeys')!;
    assert.deepEqual(await accessKeyOffer(target(), nokeys), { offer: false, reason: 'nokeys does not allow shared key access.' });
    assert.equal(arm.requests.slice(before).filter((r) => r.path.endsWith('/listKeys')).length, 0);

    // Shared keys allowed, but the identity may not list keys: not offered, with ARM's reason.
    const denied = await accessKeyOffer(target(), accounts.find((a) => a.name === 'keysdenied')!);
    assert.equal(denied.offer, false);
    assert.match(denied.reason ?? '', /could not list the keys of keysdenied \(403 AuthorizationFailed\)/);
  });
});
