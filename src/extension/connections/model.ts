/** What a saved connection is (non-secret part, kept in globalState) and what "Add Connection" accepts. */
import type { BlobLocation } from '../../core';
import { escapePath } from '../../core/base/urls';

type ConnectionKind = 'azurite' | 'connectionString' | 'accountKey' | 'sas' | 'entra' | 'azure';

/** Where a storage account found through the Azure sign-in lives (non-secret). */
interface AzureAccountInfo {
  readonly tenantId: string;
  /** VS Code's account id of the sign-in that found it. */
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** Region, e.g. westeurope. */
  readonly location?: string;
  /** StorageV2, BlockBlobStorage… */
  readonly accountKind?: string;
  readonly hns: boolean;
  readonly allowSharedKeyAccess: boolean;
}

/** Non-secret description of a connection: safe to keep in globalState and to show. */
export interface ConnectionInfo {
  readonly id: string;
  readonly label: string;
  readonly kind: ConnectionKind;
  readonly accountName: string;
  /** Blob endpoint without SAS, without trailing slash. */
  readonly endpoint: string;
  /** Set when the connection is limited to one container (container SAS URL). */
  readonly container?: string;
  /** Entra ID: VS Code's Microsoft sign-in, or DefaultAzureCredential. */
  readonly auth?: 'vscode' | 'default';
  /** Found through the Azure sign-in (kind 'azure'): its subscription, region and flags. */
  readonly azure?: AzureAccountInfo;
  /** The built-in Azurite entry (not stored, cannot be renamed or removed). */
  readonly builtin?: boolean;
}

/** Arguments of `blobCopy.addConnection` when called programmatically (tests, other extensions). */
export type AddConnectionInput =
  | { readonly kind: 'connectionString'; readonly label?: string; readonly connectionString: string }
  | { readonly kind: 'accountKey'; readonly label?: string; readonly accountName: string; readonly accountKey: string; readonly blobEndpoint?: string }
  | { readonly kind: 'sas'; readonly label?: string; readonly url: string }
  | { readonly kind: 'entra'; readonly label?: string; readonly accountName: string; readonly blobEndpoint?: string; readonly auth?: 'vscode' | 'default' };

/** The connection id of a storage account found through the Azure sign-in: stable across sessions (the journal keeps it). */
export function azureConnectionId(subscriptionId: string, accountName: string): string {
  return `azure:${subscriptionId}/${accountName}`;
}

/** What goes into SecretStorage, as JSON, under one key per connection. */
export type SecretPayload =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'accountKey'; readonly accountKey: string }
  | { readonly kind: 'sas'; readonly url: string };

export const AZURITE_ID = 'azurite';

export function isAddConnectionInput(value: unknown): value is AddConnectionInput {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'connectionString':
      return typeof v.connectionString === 'string';
    case 'accountKey':
      return typeof v.accountName === 'string' && typeof v.accountKey === 'string';
    case 'sas':
      return typeof v.url === 'string';
    case 'entra':
      return typeof v.accountName === 'string';
    default:
      return false;
  }
}

/** The URL of a blob/folder/container, never with a SAS (the connection's endpoint has none). */
export function locationUrl(info: Pick<ConnectionInfo, 'endpoint'>, loc: BlobLocation): string {
  const path = loc.path ? `/${escapePath(loc.path)}` : '';
  return `${info.endpoint}/${encodeURIComponent(loc.container)}${path}`;
}
