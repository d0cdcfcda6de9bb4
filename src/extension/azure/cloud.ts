/**
 * The Azure sign-in, on the library the Azure extensions use (@microsoft/vscode-azext-azureauth): VS Code's Microsoft
 * sign-in (or its sovereign-cloud provider, from the `microsoft-sovereign-cloud` settings), tenant-scoped sessions,
 * the configured cloud's Resource Manager endpoint, and the subscription choice shared with the Azure Resources
 * extension. Listing goes through src/core/storage/discovery.ts. Built as its own bundle (dist/azure.js) and required on
 * first use, so activation loads none of it.
 */
import * as vscode from 'vscode';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { getConfiguredAuthProviderId, getConfiguredAzureEnv, getSessionFromVSCode, VSCodeAzureSubscriptionProvider } from '@microsoft/vscode-azext-azureauth';
import { accessKeyOffer, listAccountKey, listStorageAccountsPage, listSubscriptions, listTenants, type ArmTarget } from '../../core/storage/discovery';
import { tokenExpiry } from '../../core/storage/jwt';
import type { AzureCloud, AzureStatus, AzureSubscription, AzureTenant } from './types';

const STORAGE_SCOPE = 'https://storage.azure.com/.default';
/** The Azure Resources extension's setting (tenant/subscription ids); ours when that extension is not installed. */
const SHARED_FILTER = { section: 'azureResourceGroups', key: 'selectedSubscriptions' };
const OWN_FILTER = { section: 'blobCopy.azure', key: 'selectedSubscriptions' };
/** VS Code waits for an authentication provider to register; we do not wait longer than this. */
const PROVIDER_WAIT_MS = 10_000;

function withTimeout<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms))),
  ]);
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

export function createAzureCloud(log?: vscode.LogOutputChannel): AzureCloud {
  const provider = new VSCodeAzureSubscriptionProvider(log);

  const accountOf = async (accountId?: string): Promise<vscode.AuthenticationSessionAccountInformation | undefined> => {
    if (!accountId) return undefined;
    const accounts = await vscode.authentication.getAccounts(getConfiguredAuthProviderId());
    return accounts.find((a) => a.id === accountId);
  };

  /** A credential that hands out the signed-in account's session token for `scopes` (silently; never prompts). */
  const sessionCredential = (scopes: string[], tenantId: string | undefined, accountId: string | undefined, what: string): TokenCredential => ({
    async getToken(): Promise<AccessToken> {
      const account = await accountOf(accountId);
      const session = await getSessionFromVSCode(scopes, tenantId, { silent: true, account });
      if (!session) throw new Error(`Not signed in to Azure${tenantId ? ` for tenant ${tenantId}` : ''} (${what}): run "Sign in to Azure…" again.`);
      return { token: session.accessToken, expiresOnTimestamp: tokenExpiry(session.accessToken) };
    },
  });

  const target = (tenantId: string | undefined, accountId: string | undefined): ArmTarget => {
    const env = getConfiguredAzureEnv();
    return {
      // [] = the library's default: the configured cloud's management scope.
      credential: sessionCredential([], tenantId, accountId, 'Azure Resource Manager'),
      endpoint: env.resourceManagerEndpointUrl,
      audience: env.managementEndpointUrl,
    };
  };

  const readFilter = (): string[] => {
    for (const f of [SHARED_FILTER, OWN_FILTER]) {
      const ids = vscode.workspace.getConfiguration(f.section).get<string[]>(f.key, []);
      if (Array.isArray(ids) && ids.length) return ids.filter((s) => typeof s === 'string');
    }
    return [];
  };

  return {
    async status(): Promise<AzureStatus> {
      let cloud = 'AzureCloud';
      try {
        cloud = getConfiguredAzureEnv().name;
      } catch (e) {
        return { signedIn: false, cloud: 'custom', unavailable: `Azure sign-in is not available: the cloud settings (microsoft-sovereign-cloud.*) are not usable: ${message(e)}` };
      }
      try {
        const accounts = await withTimeout(vscode.authentication.getAccounts(getConfiguredAuthProviderId()), PROVIDER_WAIT_MS, 'The Microsoft sign-in');
        if (accounts.length === 0) return { signedIn: false, cloud };
        return { signedIn: await withTimeout(provider.isSignedIn(), PROVIDER_WAIT_MS, 'The Microsoft sign-in'), cloud };
      } catch (e) {
        return { signedIn: false, cloud, unavailable: `Azure sign-in is not available here: ${message(e)}` };
      }
    },

    async signIn(): Promise<boolean> {
      try {
        return await provider.signIn();
      } catch (e) {
        log?.info(`Azure sign-in did not complete: ${message(e)}`);
        return false;
      }
    },

    async tenants(): Promise<AzureTenant[]> {
      const out: AzureTenant[] = [];
      for (const account of await vscode.authentication.getAccounts(getConfiguredAuthProviderId())) {
        if (!(await getSessionFromVSCode([], undefined, { silent: true, account }))) continue;
        for (const t of await listTenants(target(undefined, account.id))) out.push({ ...t, accountId: account.id, accountLabel: account.label });
      }
      return out;
    },

    async subscriptions(tenant: AzureTenant, all = false): Promise<AzureSubscription[]> {
      const filter = all ? [] : readFilter().map((id) => id.split('/')[1] ?? id);
      const subs = await listSubscriptions(target(tenant.tenantId, tenant.accountId), filter);
      return subs.map((s) => ({ ...s, tenantId: s.tenantId ?? tenant.tenantId, accountId: tenant.accountId }));
    },

    accountsPage: (subscription, continuationToken) => listStorageAccountsPage(target(subscription.tenantId, subscription.accountId), subscription.subscriptionId, continuationToken),

    accessKeyOffer: (subscription, account) => accessKeyOffer(target(subscription.tenantId, subscription.accountId), account),

    accountKey: (subscription, account) => listAccountKey(target(subscription.tenantId, subscription.accountId), account),

    storageCredential: (tenantId, accountId) => sessionCredential([STORAGE_SCOPE], tenantId, accountId, 'Azure Storage'),

    selectedSubscriptions: readFilter,

    async setSelectedSubscriptions(ids: readonly string[]): Promise<void> {
      const value = ids.length ? [...ids] : undefined;
      const shared = vscode.workspace.getConfiguration(SHARED_FILTER.section);
      // Written where the Azure Resources extension reads it when that extension is installed (its setting exists).
      if (shared.inspect(SHARED_FILTER.key)?.defaultValue !== undefined) await shared.update(SHARED_FILTER.key, value, vscode.ConfigurationTarget.Global);
      else await vscode.workspace.getConfiguration(OWN_FILTER.section).update(OWN_FILTER.key, value, vscode.ConfigurationTarget.Global);
    },

    onDidChangeSessions(listener: () => void) {
      return vscode.authentication.onDidChangeSessions((e) => {
        if (e.provider.id === getConfiguredAuthProviderId()) listener();
      });
    },
  };
}
