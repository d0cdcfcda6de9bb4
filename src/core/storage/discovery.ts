/**
 * Account discovery through Azure Resource Manager: tenants, subscriptions, storage accounts and their keys, with the
 * SDK clients the Azure extensions use (@azure/arm-resources-subscriptions, the one the sign-in library lists
 * subscriptions with, and @azure/arm-storage). Given a TokenCredential for the management plane and an ARM endpoint
 * (public, sovereign or custom cloud); no vscode here.
 */
import type { TokenCredential } from '@azure/core-auth';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { getContinuationToken, StorageManagementClient, type StorageAccount } from '@azure/arm-storage';

/** Where Azure Resource Manager is and which token audience it takes. */
export interface ArmTarget {
  readonly credential: TokenCredential;
  /** e.g. https://management.azure.com (a sovereign or custom cloud's resourceManagerEndpointUrl). */
  readonly endpoint?: string;
  /** Token audience (activeDirectoryResourceId), e.g. https://management.core.windows.net/. Default: the endpoint. */
  readonly audience?: string;
  /** Tries per request (the SDK's retry policy); default 3. */
  readonly maxTries?: number;
}

export interface DiscoveredTenant {
  readonly tenantId: string;
  readonly displayName?: string;
  readonly defaultDomain?: string;
}

export interface DiscoveredSubscription {
  readonly subscriptionId: string;
  readonly name: string;
  readonly tenantId?: string;
  readonly state?: string;
}

export interface DiscoveredAccount {
  /** ARM resource id. */
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** StorageV2, BlobStorage, BlockBlobStorage, Storage, FileStorage. */
  readonly kind?: string;
  /** Region, e.g. westeurope. */
  readonly location?: string;
  /** Hierarchical namespace (Data Lake Storage). */
  readonly isHnsEnabled: boolean;
  /** Blob endpoint without trailing slash; undefined for accounts without a blob service (FileStorage). */
  readonly blobEndpoint?: string;
  /** Whether the account accepts shared keys (ARM leaves it unset when it was never changed: then it does). */
  readonly allowSharedKeyAccess: boolean;
}

export interface AccountPage {
  readonly items: DiscoveredAccount[];
  /** The nextLink of ARM's answer; undefined on the last page. */
  readonly continuationToken?: string;
}

const DEFAULT_ENDPOINT = 'https://management.azure.com';

function clientOptions(target: ArmTarget) {
  const endpoint = (target.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const audience = (target.audience ?? endpoint).replace(/\/+$/, '');
  return {
    endpoint,
    credentialScopes: [`${audience}/.default`],
    retryOptions: { maxRetries: Math.max(0, (target.maxTries ?? 3) - 1), retryDelayInMs: 500, maxRetryDelayInMs: 5000 },
  };
}

/** The tenants the credential's identity belongs to. */
export async function listTenants(target: ArmTarget): Promise<DiscoveredTenant[]> {
  const client = new SubscriptionClient(target.credential, clientOptions(target));
  const out: DiscoveredTenant[] = [];
  try {
    for await (const t of client.tenants.list()) {
      if (t.tenantId) out.push({ tenantId: t.tenantId, displayName: t.displayName, defaultDomain: t.defaultDomain });
    }
  } catch (e) {
    throw armError(e, 'list tenants');
  }
  return out;
}

/**
 * The subscriptions the credential sees (a credential is for one tenant), sorted by name. `filter`: subscription ids
 * to keep (the "Select Subscriptions…" choice); empty or undefined keeps all.
 */
export async function listSubscriptions(target: ArmTarget, filter?: readonly string[]): Promise<DiscoveredSubscription[]> {
  const client = new SubscriptionClient(target.credential, clientOptions(target));
  const out: DiscoveredSubscription[] = [];
  try {
    for await (const s of client.subscriptions.list()) {
      if (!s.subscriptionId) continue;
      if (filter?.length && !filter.includes(s.subscriptionId)) continue;
      out.push({ subscriptionId: s.subscriptionId, name: s.displayName ?? s.subscriptionId, tenantId: s.tenantId, state: s.state });
    }
  } catch (e) {
    throw armError(e, 'list subscriptions');
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** One page of a subscription's storage accounts (ARM's page size; `continuationToken` is its nextLink). */
export async function listStorageAccountsPage(target: ArmTarget, subscriptionId: string, continuationToken?: string): Promise<AccountPage> {
  const client = new StorageManagementClient(target.credential, subscriptionId, clientOptions(target));
  try {
    const pages = client.storageAccounts.list().byPage(continuationToken ? { continuationToken } : undefined);
    const next = await pages.next();
    if (next.done) return { items: [] };
    const page: StorageAccount[] = next.value;
    return { items: page.map((a) => toAccount(a, subscriptionId)).filter((a): a is DiscoveredAccount => !!a), continuationToken: getContinuationToken(page) || undefined };
  } catch (e) {
    throw armError(e, 'list storage accounts');
  }
}

/** Every storage account of a subscription (all pages; at most `maxPages`). */
export async function listStorageAccounts(target: ArmTarget, subscriptionId: string, maxPages = 100): Promise<DiscoveredAccount[]> {
  const out: DiscoveredAccount[] = [];
  let token: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await listStorageAccountsPage(target, subscriptionId, token);
    out.push(...page.items);
    token = page.continuationToken;
    if (!token) break;
  }
  return out;
}

/**
 * The account's first key with full permission (ARM List Keys: needs Microsoft.Storage/storageAccounts/listkeys/action,
 * e.g. Contributor or "Storage Account Key Operator"). A secret: the caller keeps it in secret storage only.
 */
export async function listAccountKey(target: ArmTarget, account: Pick<DiscoveredAccount, 'subscriptionId' | 'resourceGroup' | 'name'>): Promise<string> {
  const client = new StorageManagementClient(target.credential, account.subscriptionId, clientOptions(target));
  let keys;
  try {
    keys = await client.storageAccounts.listKeys(account.resourceGroup, account.name);
  } catch (e) {
    throw armError(e, `list the keys of ${account.name}`);
  }
  const key = keys.keys?.find((k) => k.value && (k.permissions ?? 'Full').toLowerCase() === 'full')?.value;
  if (!key) throw new Error(`Azure returned no full-permission key for ${account.name}.`);
  return key;
}

const RESOURCE_GROUP = /\/resourceGroups\/([^/]+)\//i;

function toAccount(a: StorageAccount, subscriptionId: string): DiscoveredAccount | undefined {
  if (!a.id || !a.name) return undefined;
  const blob = a.primaryEndpoints?.blob?.replace(/\/+$/, '');
  return {
    id: a.id,
    name: a.name,
    subscriptionId,
    resourceGroup: RESOURCE_GROUP.exec(a.id)?.[1] ?? '',
    kind: a.kind,
    location: a.location,
    isHnsEnabled: a.isHnsEnabled === true,
    blobEndpoint: blob || undefined,
    allowSharedKeyAccess: a.allowSharedKeyAccess !== false,
  };
}

/** An ARM failure as one line: what was being done, the status, ARM's error code and message. */
export class ArmError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ArmError';
  }
}

function armError(e: unknown, doing: string): ArmError {
  const err = e as { statusCode?: number; code?: string; message?: string; details?: { error?: { code?: string; message?: string } } };
  const code = err.details?.error?.code ?? err.code;
  const text = (err.details?.error?.message ?? err.message ?? String(e)).split('\n')[0].trim();
  const status = err.statusCode;
  const where = status ? ` (${status}${code ? ` ${code}` : ''})` : code ? ` (${code})` : '';
  return new ArmError(`Azure Resource Manager: could not ${doing}${where}: ${text}`, status, code);
}

export { isMissingDataRole, missingDataRoleMessage } from './dataRole';

/**
 * Whether "Use access key for this account" can be offered after a missing data role: only when the account allows
 * shared keys and the identity may list its keys (tried once; the key is not kept). `reason` says why not.
 */
export async function accessKeyOffer(target: ArmTarget, account: DiscoveredAccount): Promise<{ offer: boolean; reason?: string }> {
  if (!account.allowSharedKeyAccess) return { offer: false, reason: `${account.name} does not allow shared key access.` };
  try {
    await listAccountKey(target, account);
    return { offer: true };
  } catch (e) {
    return { offer: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
