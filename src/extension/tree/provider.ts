/**
 * The storage tree: connection → containers → virtual folders → blobs, one page at a time. The continuation token
 * lives on the parent node; "Load more…" fetches the next page; refresh resets a node's pages.
 */
import * as vscode from 'vscode';
import type { BlobLocation } from '../../core';
import { loadCore } from '../loadCore';
import type { ConnectionStore } from '../connections/store';
import { errorMessage } from '../logger';
import { BlobNode, ConnectionNode, ContainerNode, FolderNode, LoadMoreNode, MessageNode, type ParentNode, type StorageNode } from './nodes';

/** Most pages "reveal" loads at one level while looking for a node. */
const REVEAL_MAX_PAGES = 50;

export class StorageTreeProvider implements vscode.TreeDataProvider<StorageNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<StorageNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private roots?: ConnectionNode[];
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly connections: ConnectionStore,
    private readonly pageSize: () => number,
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
      this.roots ??= this.connections.list().map((info) => new ConnectionNode(info));
      return this.roots;
    }
    if (!node.page) return [];
    if (node.page.items === undefined) await this.fetchNextPage(node);
    return this.childrenOf(node);
  }

  /** The children already loaded (no fetch), with "Load more…" or a message at the end. */
  childrenOf(node: ParentNode): StorageNode[] {
    const page = node.page;
    const out: StorageNode[] = [...(page.items ?? [])];
    if (page.error) out.push(new MessageNode(node, page.error, true));
    else if (page.items && page.items.length === 0 && !page.continuationToken) {
      out.push(new MessageNode(node, node.kind === 'connection' ? 'No containers' : 'No blobs', false));
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
      page.loadMore = undefined;
      page.pending = undefined;
    }
    this._onDidChangeTreeData.fire(node);
  }

  /** Refreshes the loaded node showing a location (a copy's destination), if any. */
  refreshLocation(location: BlobLocation): void {
    const root = this.roots?.find((c) => c.info.id === location.connectionId);
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
    const roots = await this.getChildren();
    const conn = roots.find((n): n is ConnectionNode => n.kind === 'connection' && n.info.id === location.connectionId);
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

  dispose(): void {
    this.subscription.dispose();
    this._onDidChangeTreeData.dispose();
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
      .catch((err: unknown) => {
        if (node.page.pending !== pending) return;
        page.items ??= [];
        page.error = `Could not list: ${errorMessage(err)}`;
      })
      .finally(() => {
        if (page.pending === pending) page.pending = undefined;
      });
    page.pending = pending;
    return pending;
  }

  private async fetchPage(node: ParentNode): Promise<{ items: StorageNode[]; continuationToken?: string }> {
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
