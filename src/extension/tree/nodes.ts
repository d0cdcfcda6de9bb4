/**
 * Tree nodes: plain data plus the TreeItem they render to. No SDK calls here (the provider fetches pages).
 * Commands ask nodes for capabilities (`copySource`, `copyTarget`) instead of checking classes.
 */
import * as vscode from 'vscode';
import type { BlobEntry, BlobLocation, BlobType, FolderEntry } from '../../core';
import { formatBytes } from '../../shared/vocabulary';
import type { ConnectionInfo } from '../connections/model';
import type { AzureSubscription, AzureTenant } from '../azure/types';
import { COMMANDS } from '../commands/ids';
import type { CopySourceInfo } from './capabilities';

/** One page-at-a-time child list, kept on the parent node (reset on refresh). */
interface PageState {
  items?: StorageNode[];
  continuationToken?: string;
  error?: string;
  pending?: Promise<void>;
  loadMore?: LoadMoreNode;
  /** Shown after the error (e.g. "Use access key for this account…"). */
  actions?: ActionNode[];
}

export type ParentNode = ConnectionNode | ContainerNode | FolderNode | AzureRootNode | TenantNode | SubscriptionNode;
export type StorageNode = ParentNode | BlobNode | LoadMoreNode | MessageNode | ActionNode;

function nodeId(connectionId: string, container?: string, path?: string): string {
  return [connectionId, container, path].filter((p) => p !== undefined).join('|');
}

export class ConnectionNode {
  readonly kind = 'connection';
  readonly page: PageState = {};
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  /** `parent`: the subscription of a storage account found through the Azure sign-in. */
  constructor(
    readonly info: ConnectionInfo,
    readonly parent?: SubscriptionNode,
  ) {}
  get connectionId(): string {
    return this.info.id;
  }
  get id(): string {
    return nodeId(this.info.id);
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.info.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const azure = this.info.azure;
    if (azure) {
      item.contextValue = 'azureAccount';
      item.iconPath = new vscode.ThemeIcon('database');
      item.description = [azure.accountKind, azure.location, azure.hns ? 'HNS' : undefined].filter(Boolean).join(' · ');
      item.tooltip = new vscode.MarkdownString(
        `**${escape(this.info.label)}** · ${escape(item.description)}\n\n\`${escape(this.info.endpoint)}\`\n\nResource group \`${escape(azure.resourceGroup)}\` · ` +
          `shared keys ${azure.allowSharedKeyAccess ? 'allowed' : 'not allowed'}${azure.hns ? ' · hierarchical namespace' : ''}`,
      );
      return item;
    }
    item.contextValue = 'connection';
    item.iconPath = new vscode.ThemeIcon(this.info.kind === 'azurite' ? 'server-environment' : this.info.kind === 'entra' ? 'account' : 'database');
    item.description = this.info.kind === 'azurite' ? new URL(this.info.endpoint).host : this.info.accountName;
    const kind = { azurite: 'Azurite emulator', connectionString: 'Connection string', accountKey: 'Account key', sas: 'SAS URL', entra: 'Microsoft Entra ID', azure: 'Azure sign-in' }[this.info.kind];
    item.tooltip = new vscode.MarkdownString(`**${escape(this.info.label)}**\n\n${kind} · \`${escape(this.info.endpoint)}\`${this.info.container ? `\n\nLimited to container \`${escape(this.info.container)}\`` : ''}`);
    return item;
  }
}

export class ContainerNode {
  readonly kind = 'container';
  readonly page: PageState = {};
  constructor(
    readonly parent: ConnectionNode,
    readonly name: string,
    readonly lastModified?: Date,
  ) {}
  get connectionId(): string {
    return this.parent.info.id;
  }
  get location(): BlobLocation {
    return { connectionId: this.connectionId, container: this.name, path: '' };
  }
  get copySource(): CopySourceInfo {
    return { sourceKind: 'container', location: this.location };
  }
  get copyTarget(): BlobLocation {
    return this.location;
  }
  get id(): string {
    return nodeId(this.connectionId, this.name);
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'container';
    item.iconPath = new vscode.ThemeIcon('archive');
    item.tooltip = new vscode.MarkdownString(`**Container** \`${escape(this.name)}\`${this.lastModified ? `\n\nLast modified: ${this.lastModified.toLocaleString()}` : ''}`);
    return item;
  }
}

export class FolderNode {
  readonly kind = 'folder';
  readonly page: PageState = {};
  constructor(
    readonly parent: ContainerNode | FolderNode,
    readonly entry: FolderEntry,
  ) {}
  get connectionId(): string {
    return this.parent.connectionId;
  }
  get container(): string {
    return this.parent.kind === 'container' ? this.parent.name : this.parent.container;
  }
  get prefix(): string {
    return this.entry.prefix;
  }
  get location(): BlobLocation {
    return { connectionId: this.connectionId, container: this.container, path: this.entry.prefix };
  }
  get copySource(): CopySourceInfo {
    return { sourceKind: 'folder', location: this.location };
  }
  get copyTarget(): BlobLocation {
    return this.location;
  }
  get id(): string {
    return nodeId(this.connectionId, this.container, this.entry.prefix);
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.entry.name || this.entry.prefix, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'folder';
    item.iconPath = vscode.ThemeIcon.Folder;
    item.tooltip = new vscode.MarkdownString(`**Folder** \`${escape(this.entry.prefix)}\` in \`${escape(this.container)}\``);
    return item;
  }
}

const BLOB_CONTEXT: Record<BlobType, string> = { BlockBlob: 'blob.block', AppendBlob: 'blob.append', PageBlob: 'blob.page' };
const BLOB_ICON: Record<BlobType, string> = { BlockBlob: 'file', AppendBlob: 'output', PageBlob: 'file-binary' };
const BLOB_LABEL: Record<BlobType, string> = { BlockBlob: 'Block blob', AppendBlob: 'Append blob', PageBlob: 'Page blob' };

export class BlobNode {
  readonly kind = 'blob';
  readonly page = undefined;
  readonly copyTarget = undefined;
  constructor(
    readonly parent: ContainerNode | FolderNode,
    readonly entry: BlobEntry,
  ) {}
  get connectionId(): string {
    return this.parent.connectionId;
  }
  get container(): string {
    return this.parent.kind === 'container' ? this.parent.name : this.parent.container;
  }
  get location(): BlobLocation {
    return { connectionId: this.connectionId, container: this.container, path: this.entry.name };
  }
  get copySource(): CopySourceInfo {
    return { sourceKind: 'blob', location: this.location, blobType: this.entry.blobType, size: this.entry.size };
  }
  get id(): string {
    return nodeId(this.connectionId, this.container, this.entry.name);
  }
  treeItem(): vscode.TreeItem {
    const e = this.entry;
    const item = new vscode.TreeItem(e.displayName || e.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = BLOB_CONTEXT[e.blobType] ?? 'blob.block';
    item.iconPath = new vscode.ThemeIcon(BLOB_ICON[e.blobType] ?? 'file');
    item.description = formatBytes(e.size);
    const lines = [
      `**${escape(e.name)}**`,
      '',
      `| | |`,
      `|---|---|`,
      `| Type | ${BLOB_LABEL[e.blobType] ?? e.blobType} |`,
      `| Size | ${formatBytes(e.size)} (${e.size.toLocaleString('en-US')} bytes) |`,
      `| Tier | ${escape(e.accessTier ?? '—')} |`,
      `| Last modified | ${e.lastModified ? e.lastModified.toLocaleString() : '—'} |`,
      `| Content type | ${escape(e.contentType ?? '—')} |`,
    ];
    item.tooltip = new vscode.MarkdownString(lines.join('\n'));
    return item;
  }
}

/** "Load more…": fetches the next page of its parent. */
export class LoadMoreNode {
  readonly kind = 'loadMore';
  readonly page = undefined;
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  constructor(readonly parent: ParentNode) {}
  get id(): string {
    return `more:${this.parent.id}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = 'loadMore';
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.command = { command: COMMANDS.loadMore, title: 'Load more…', arguments: [this] };
    return item;
  }
}

/** The Azure root: "Sign in to Azure…" when signed out; tenants or subscriptions when signed in. */
export class AzureRootNode {
  readonly kind = 'azureRoot';
  readonly parent = undefined;
  readonly page: PageState = {};
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  /** Set by the provider once the sign-in state is known: the account shown, or undefined (signed out). */
  signedInAs?: string;
  get id(): string {
    return 'azure';
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Azure', vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.contextValue = this.signedInAs === undefined ? 'azureSignedOut' : 'azureSignedIn';
    item.iconPath = new vscode.ThemeIcon('azure');
    item.description = this.signedInAs;
    item.tooltip = this.signedInAs === undefined ? 'Storage accounts of your Azure subscriptions: sign in to list them.' : `Signed in as ${this.signedInAs}`;
    return item;
  }
}

export class TenantNode {
  readonly kind = 'tenant';
  readonly page: PageState = {};
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  constructor(
    readonly parent: AzureRootNode,
    readonly tenant: AzureTenant,
  ) {}
  get id(): string {
    return `tenant:${this.tenant.accountId}/${this.tenant.tenantId}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.tenant.displayName || this.tenant.tenantId, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'tenant';
    item.iconPath = new vscode.ThemeIcon('organization');
    item.description = this.tenant.defaultDomain;
    item.tooltip = `Tenant ${this.tenant.tenantId} (${this.tenant.accountLabel})`;
    return item;
  }
}

export class SubscriptionNode {
  readonly kind = 'subscription';
  readonly page: PageState = {};
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  constructor(
    readonly parent: AzureRootNode | TenantNode,
    readonly subscription: AzureSubscription,
  ) {}
  get id(): string {
    return `subscription:${this.subscription.accountId}/${this.subscription.tenantId}/${this.subscription.subscriptionId}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.subscription.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.contextValue = 'subscription';
    item.iconPath = new vscode.ThemeIcon('key');
    item.tooltip = `Subscription ${this.subscription.subscriptionId}`;
    return item;
  }
}

/** A clickable leaf that runs a command ("Sign in to Azure…", "Use access key for this account…"). */
export class ActionNode {
  readonly kind = 'action';
  readonly page = undefined;
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  constructor(
    readonly parent: ParentNode,
    readonly label: string,
    readonly command: string,
    readonly icon: string,
    readonly tooltip?: string,
  ) {}
  get id(): string {
    return `action:${this.command}:${this.parent.id}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = 'action';
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.tooltip = this.tooltip;
    item.command = { command: this.command, title: this.label, arguments: [this.parent] };
    return item;
  }
}

/** An error or an empty-list hint shown as a leaf. */
export class MessageNode {
  readonly kind = 'message';
  readonly page = undefined;
  readonly copySource = undefined;
  readonly copyTarget = undefined;
  constructor(
    readonly parent: ParentNode,
    readonly text: string,
    readonly isError: boolean,
  ) {}
  get id(): string {
    return `message:${this.parent.id}`;
  }
  treeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.contextValue = this.isError ? 'error' : 'message';
    item.iconPath = new vscode.ThemeIcon(this.isError ? 'warning' : 'info');
    item.tooltip = this.text;
    return item;
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
