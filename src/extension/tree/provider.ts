/**
 * The storage tree: connection → containers → virtual folders → blobs, one page at a time. The continuation token
 * lives on the parent node; "Load more…" fetches the next page; refresh resets a node's pages.
 */
import * as vscode from 'vscode';
import type { BlobLocation } from '../../core';
import { isMissingDataRole, missingDataRoleMessage } from '../../core/storage/dataRole';
import { loadCore } from '../loadCore';
import type { AzureCloud } from '../azure/types';
import type { ConnectionStore } from '../connections/store';
import { azureConnectionId, type ConnectionInfo } from '../connections/model';
import { COMMANDS } from '../commands/ids';
import { errorMessage } from '../logger';
import {
  ActionNode,
  AzureRootNode,
  BlobNode,
  ConnectionNode,
  ContainerNode,
  FolderNode,
  LoadMoreNode,
  MessageNode,
  SubscriptionNode,
  TenantNode,
  type ParentNode,
  type StorageNode,
} from './nodes';

/** What the tree needs of the Azure sign-in: the sign-in (loaded on first use) and whether the user signed out here. */
export interface AzureSource {
  cloud(): AzureCloud;
  /** "Sign Out" in Blob Copy: the tree shows "Sign in to Azure…" until the next sign-in. */
  signedOut(): boolean;
}

/** Most pages "reveal" loads at one level while looking for a node. */
const REVEAL_MAX_PAGES = 50;

export class StorageTreeProvider implements vscode.TreeDataProvider<StorageNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<StorageNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private roots?: (AzureRootNode | ConnectionNode)[];
  /** The storage account nodes listed under the Azure root, by connection id. */
  private readonly azureAccounts = new Map<string, ConnectionNode>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly connections: ConnectionStore,
    private readonly pageSize: () => number,
    private readonly azure?: AzureSource,
  ) {
    this.subscription = connections.onDidChange(() => this.refresh());
  }

  getTreeItem(node: StorageNode): vscode.TreeItem {
    return node.treeItem();
  }

  getParent(node: StorageNode): StorageNode | undefined {
    return node.parent;
  }

  async getChildren(node?: StorageNode): Promise<StorageNode[]> {
    if (!node) {
      this.roots ??= [...(this.azure ? [new AzureRootNode()] : []), ...this.connections.list().map((info) => new ConnectionNode(info))];
      return this.roots;
    }
    if (!node.page) return [];
    // A refresh while the first page was on its way (a sign-in event) drops that page: fetch again (bounded).
    for (let i = 0; i < 3 && node.page.items === undefined; i++) await this.fetchNextPage(node);
    return this.childrenOf(node);
  }

  /** The children already loaded (no fetch), with "Load more…" or a message at the end. */
  childrenOf(node: ParentNode): StorageNode[] {
    const page = node.page;
    const out: StorageNode[] = [...(page.items ?? [])];
    if (page.error) out.push(new MessageNode(node, page.error, true), ...(page.actions ?? []));
    else if (page.items && page.items.length === 0 && !page.continuationToken) {
      const empty = { connection: 'No containers', tenant: 'No subscriptions (Select Subscriptions… chooses them)', subscription: 'No storage accounts', azureRoot: 'No subscriptions (Select Subscriptions… chooses them)' }[node.kind as string] ?? 'No blobs';
      out.push(new MessageNode(node, empty, false));
    }
    if (page.continuationToken) {
      page.loadMore ??= new LoadMoreNode(node);
      out.push(page.loadMore);
    }
    return out;
  }

  /** Fetches the next page of a parent ("Load more…") and updates the view. */
  async loadMore(node: LoadMoreNode | ParentNode): Promise<StorageNode[]> {
    const parent = node.kind === 'loadMore' ? node.parent : node;
    await this.fetchNextPage(parent);
    this._onDidChangeTreeData.fire(parent);
    return this.childrenOf(parent);
  }

  /** Forgets the loaded pages of a node (or of the whole view) and lets the view ask again. */
  refresh(node?: StorageNode): void {
    if (!node || node.kind === 'loadMore' || node.kind === 'message') {
      if (node) return this.refresh(node.parent);
      this.roots = undefined;
      this._onDidChangeTreeData.fire(undefined);
      return;
    }
    if (node.page) {
      const page = node.page;
      page.items = undefined;
      page.continuationToken = undefined;
      page.error = undefined;
      page.actions = undefined;
      page.loadMore = undefined;
      page.pending = undefined;
    }
    this._onDidChangeTreeData.fire(node);
  }

  /** Refreshes the loaded node showing a location (a copy's destination), if any. */
  refreshLocation(location: BlobLocation): void {
    const root = this.connectionNode(location.connectionId);
    if (!root?.page.items) return;
    const container = root.page.items.find((n): n is ContainerNode => n.kind === 'container' && n.name === location.container);
    if (!container) return this.refresh(root);
    let node: ContainerNode | FolderNode = container;
    const prefix = location.path.endsWith('/') ? location.path : location.path.slice(0, location.path.lastIndexOf('/') + 1);
    for (;;) {
      const current: ContainerNode | FolderNode = node;
      const next: FolderNode | undefined = current.page.items?.find((n): n is FolderNode => n.kind === 'folder' && prefix.startsWith(n.prefix) && n.prefix !== (current.kind === 'folder' ? current.prefix : ''));
      if (!next) break;
      node = next;
    }
    this.refresh(node);
  }

  /** Finds the node of a location, loading pages on the way (bounded), for `TreeView.reveal`. */
  async find(location: BlobLocation): Promise<StorageNode | undefined> {
    await this.getChildren();
    const conn = this.connectionNode(location.connectionId);
    if (!conn) return undefined;
    const container = await this.findChild(conn, (n) => n.kind === 'container' && n.name === location.container);
    if (!container || !location.path) return container;
    let parent = container as ContainerNode | FolderNode;
    const segments = location.path.split('/');
    const isFolder = location.path.endsWith('/');
    let prefix = '';
    for (let i = 0; i < segments.length - 1; i++) {
      prefix += `${segments[i]}/`;
      const want = prefix;
      const folder = await this.findChild(parent, (n) => n.kind === 'folder' && n.prefix === want);
      if (!folder || folder.kind !== 'folder') return parent;
      if (isFolder && want === location.path) return folder;
      parent = folder;
    }
    return (await this.findChild(parent, (n) => n.kind === 'blob' && n.entry.name === location.path)) ?? parent;
  }

  /** The Azure root (when the tree has one). */
  get azureRoot(): AzureRootNode | undefined {
    return this.roots?.find((n): n is AzureRootNode => n.kind === 'azureRoot');
  }

  dispose(): void {
    this.subscription.dispose();
    this._onDidChangeTreeData.dispose();
  }

  /** The node of a connection: a hand-added root, or a storage account listed under the Azure root. */
  private connectionNode(id: string): ConnectionNode | undefined {
    return this.roots?.find((c): c is ConnectionNode => c.kind === 'connection' && c.info.id === id) ?? this.azureAccounts.get(id);
  }

  private async findChild(parent: ParentNode, match: (n: StorageNode) => boolean): Promise<StorageNode | undefined> {
    if (parent.page.items === undefined) await this.fetchNextPage(parent);
    for (let i = 0; i < REVEAL_MAX_PAGES; i++) {
      const found = parent.page.items?.find(match);
      if (found || !parent.page.continuationToken) return found;
      await this.fetchNextPage(parent);
      this._onDidChangeTreeData.fire(parent);
    }
    return undefined;
  }

  private fetchNextPage(node: ParentNode): Promise<void> {
    const page = node.page;
    if (page.pending) return page.pending;
    if (page.items !== undefined && !page.continuationToken) return Promise.resolve();
    const pending = this.fetchPage(node)
      .then(({ items, continuationToken }) => {
        if (node.page.pending !== pending) return; // refreshed meanwhile
        page.items = [...(page.items ?? []), ...items];
        page.continuationToken = continuationToken;
        page.error = undefined;
      })
      .catch(async (err: unknown) => {
        if (node.page.pending !== pending) return;
        const problem = await this.problemOf(node, err);
        if (node.page.pending !== pending) return;
        page.items ??= [];
        page.error = problem.message;
        page.actions = problem.actions;
      })
      .finally(() => {
        if (page.pending === pending) page.pending = undefined;
      });
    page.pending = pending;
    return pending;
  }

  /** The one line an error shows on its node, and what the user can do about it. */
  private async problemOf(node: ParentNode, err: unknown): Promise<{ message: string; actions?: ActionNode[] }> {
    if (node.kind !== 'connection' || !node.info.azure || !this.azure || !isMissingDataRole(err)) return { message: `Could not list: ${errorMessage(err)}` };
    const azure = node.info.azure;
    const message = missingDataRoleMessage(node.info.accountName);
    if (await this.connections.usesAccessKey(node.info.id)) return { message };
    const offer = await this.azure
      .cloud()
      .accessKeyOffer(azure, discoveredOf(node.info))
      .catch((e: unknown) => ({ offer: false, reason: errorMessage(e) }));
    if (!offer.offer) return { message: `${message} (No access key offered: ${offer.reason})` };
    return { message, actions: [new ActionNode(node, 'Use access key for this account…', COMMANDS.useAccessKey, 'key', 'Asks first; the key is kept in VS Code\'s secret storage only.')] };
  }

  private async fetchAzurePage(node: AzureRootNode | TenantNode | SubscriptionNode): Promise<{ items: StorageNode[]; continuationToken?: string }> {
    const cloud = this.azure!.cloud();
    if (node.kind === 'azureRoot') {
      const status = this.azure!.signedOut() ? { signedIn: false } : await cloud.status();
      node.signedInAs = undefined;
      if ('unavailable' in status && status.unavailable) return { items: [new MessageNode(node, status.unavailable, true)] };
      if (!status.signedIn) return { items: [new ActionNode(node, 'Sign in to Azure…', COMMANDS.azureSignIn, 'sign-in', 'Sign in with your Microsoft account to list your storage accounts.')] };
      const tenants = await cloud.tenants();
      node.signedInAs = [...new Set(tenants.map((t) => t.accountLabel))].join(', ') || 'signed in';
      this._onDidChangeTreeData.fire(node);
      if (tenants.length !== 1) return { items: tenants.map((t) => new TenantNode(node, t)) };
      return { items: (await cloud.subscriptions(tenants[0])).map((s) => new SubscriptionNode(node, s)) };
    }
    if (node.kind === 'tenant') return { items: (await cloud.subscriptions(node.tenant)).map((s) => new SubscriptionNode(node, s)) };
    const page = await cloud.accountsPage(node.subscription, node.page.continuationToken);
    const sub = node.subscription;
    const infos: ConnectionInfo[] = page.items
      .filter((a) => a.blobEndpoint)
      .map((a) => ({
        id: azureConnectionId(sub.subscriptionId, a.name),
        label: a.name,
        kind: 'azure',
        accountName: a.name,
        endpoint: a.blobEndpoint!,
        azure: {
          tenantId: sub.tenantId,
          accountId: sub.accountId,
          subscriptionId: sub.subscriptionId,
          resourceGroup: a.resourceGroup,
          location: a.location,
          accountKind: a.kind,
          hns: a.isHnsEnabled,
          allowSharedKeyAccess: a.allowSharedKeyAccess,
        },
      }));
    await this.connections.register(infos);
    const items = infos.map((info) => {
      const n = new ConnectionNode(info, node);
      this.azureAccounts.set(info.id, n);
      return n;
    });
    return { items, continuationToken: page.continuationToken };
  }

  private async fetchPage(node: ParentNode): Promise<{ items: StorageNode[]; continuationToken?: string }> {
    if (node.kind === 'azureRoot' || node.kind === 'tenant' || node.kind === 'subscription') return this.fetchAzurePage(node);
    const size = this.pageSize();
    const account = await this.connections.resolve(node.connectionId);
    if (node.kind === 'connection') {
      const page = await loadCore().listContainersPage(account, node.page.continuationToken, size);
      return { items: page.items.map((c) => new ContainerNode(node, c.name, c.lastModified)), continuationToken: page.continuationToken };
    }
    const container = node.kind === 'container' ? node.name : node.container;
    const prefix = node.kind === 'container' ? '' : node.prefix;
    const page = await loadCore().listBlobsPage(account, container, prefix, node.page.continuationToken, size);
    return {
      items: page.items.map((e) => (e.kind === 'folder' ? new FolderNode(node, e) : new BlobNode(node, e))),
      continuationToken: page.continuationToken,
    };
  }
}

/** The discovery record of a discovered connection (what the access-key offer needs). */
function discoveredOf(info: ConnectionInfo) {
  const a = info.azure!;
  return {
    id: '',
    name: info.accountName,
    subscriptionId: a.subscriptionId,
    resourceGroup: a.resourceGroup,
    kind: a.accountKind,
    location: a.location,
    isHnsEnabled: a.hns,
    blobEndpoint: info.endpoint,
    allowSharedKeyAccess: a.allowSharedKeyAccess,
  };
}
