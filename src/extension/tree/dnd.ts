/**
 * Drag blobs, folders and containers; drop them on a container or folder (also in another connection) to copy.
 * The drag carries plain copy sources; the drop runs the same copy flow as "Paste".
 */
import * as vscode from 'vscode';
import type { BlobLocation } from '../../core';
import { copySourceOf, copyTargetOf, type CopySourceInfo } from './capabilities';
import type { StorageNode } from './nodes';

const TREE_MIME = 'application/vnd.code.tree.blobcopy.storage';

export class StorageDragAndDrop implements vscode.TreeDragAndDropController<StorageNode> {
  readonly dragMimeTypes = [TREE_MIME, 'text/uri-list'];
  readonly dropMimeTypes = [TREE_MIME];

  constructor(
    private readonly drop: (sources: readonly CopySourceInfo[], target: BlobLocation) => Promise<unknown>,
    private readonly urlOf: (source: CopySourceInfo) => string | undefined,
  ) {}

  handleDrag(nodes: readonly StorageNode[], data: vscode.DataTransfer, _token?: vscode.CancellationToken): void {
    const sources = nodes.map(copySourceOf).filter((s): s is CopySourceInfo => !!s);
    if (!sources.length) return;
    data.set(TREE_MIME, new vscode.DataTransferItem(sources));
    const urls = sources.map(this.urlOf).filter((u): u is string => !!u);
    if (urls.length) data.set('text/uri-list', new vscode.DataTransferItem(urls.join('\r\n')));
  }

  async handleDrop(target: StorageNode | undefined, data: vscode.DataTransfer, token: vscode.CancellationToken): Promise<void> {
    const destination = copyTargetOf(target);
    if (!destination || token.isCancellationRequested) return;
    const item = data.get(TREE_MIME);
    if (!item) return;
    const sources = await readSources(item);
    // Dropping a folder into itself (or below itself) would copy it into its own listing: ignore that.
    const useful = sources.filter((s) => !contains(s.location, destination));
    if (!useful.length || token.isCancellationRequested) return;
    await this.drop(useful, destination);
  }
}

async function readSources(item: vscode.DataTransferItem): Promise<CopySourceInfo[]> {
  let value: unknown = item.value;
  if (typeof value === 'string' || value === undefined) {
    try {
      value = JSON.parse(typeof value === 'string' ? value : await item.asString());
    } catch {
      return [];
    }
  }
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is CopySourceInfo => !!v && typeof v === 'object' && 'location' in v && 'sourceKind' in v);
}

function contains(source: BlobLocation, target: BlobLocation): boolean {
  if (source.connectionId !== target.connectionId || source.container !== target.container) return false;
  if (source.path === '') return true; // a container into itself
  return source.path.endsWith('/') && target.path.startsWith(source.path);
}
