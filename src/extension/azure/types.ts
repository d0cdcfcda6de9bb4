/**
 * What the extension asks of the Azure sign-in (src/extension/azure/cloud.ts, its own bundle dist/azure.js, loaded
 * when the Azure root is first shown). Types only: the extension bundle imports nothing of the sign-in library.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AccountPage, DiscoveredAccount, DiscoveredSubscription, DiscoveredTenant } from '../../core/storage/discovery';


/** Whether the Microsoft sign-in can be used here and whether an account is signed in. */
export interface AzureStatus {
  readonly signedIn: boolean;
  /** Why sign-in cannot be used (one line), when it cannot. */
  readonly unavailable?: string;
  /** The cloud, e.g. "AzureCloud", "ChinaCloud" or a custom cloud's name. */
  readonly cloud: string;
}

/** A tenant seen through one signed-in account. */
export interface AzureTenant extends DiscoveredTenant {
  /** VS Code's account id (AuthenticationSessionAccountInformation.id). */
  readonly accountId: string;
  readonly accountLabel: string;
}

export interface AzureSubscription extends DiscoveredSubscription {
  readonly tenantId: string;
  readonly accountId: string;
}

export interface AzureCloud {
  status(): Promise<AzureStatus>;
  /** VS Code's Microsoft sign-in (the account picker). Resolves false when the user cancels. */
  signIn(): Promise<boolean>;
  /** Tenants of every signed-in account. */
  tenants(): Promise<AzureTenant[]>;
  /** A tenant's subscriptions, filtered by the subscription choice unless `all`. */
  subscriptions(tenant: AzureTenant, all?: boolean): Promise<AzureSubscription[]>;
  /** One ARM page of a subscription's storage accounts. */
  accountsPage(subscription: AzureSubscription, continuationToken?: string): Promise<AccountPage>;
  /** Whether "Use access key for this account" may be offered (shared keys allowed and listable). */
  accessKeyOffer(subscription: Pick<AzureSubscription, 'tenantId' | 'accountId'>, account: DiscoveredAccount): Promise<{ offer: boolean; reason?: string }>;
  /** The account key (a secret: secret storage only). */
  accountKey(subscription: Pick<AzureSubscription, 'tenantId' | 'accountId'>, account: DiscoveredAccount): Promise<string>;
  /** Storage (data plane) tokens of the signed-in account for a tenant. */
  storageCredential(tenantId: string, accountId?: string): TokenCredential;
  /** The subscription choice ("tenant/subscription" ids), shared with the Azure Resources extension where it is installed. */
  selectedSubscriptions(): string[];
  setSelectedSubscriptions(ids: readonly string[]): Promise<void>;
  /** Fires when the configured provider's sessions change (sign-in or sign-out in the Accounts menu). */
  onDidChangeSessions(listener: () => void): { dispose(): void };
}
