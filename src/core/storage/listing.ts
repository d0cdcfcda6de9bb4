/**
 * Paged listing for the tree: one page at a time, `(container, prefix, token) → { items, continuationToken }`.
 */
import type { BlobItem, ContainerItem } from '@azure/storage-blob';
import type { AccountClient } from './connections';

import type { BlobType } from '../../shared/vocabulary';
export type { BlobType };

export interface ContainerEntry {
  readonly kind: 'container';
  readonly name: string;
  readonly lastModified?: Date;
  readonly publicAccess?: string;
}

export interface FolderEntry {
  readonly kind: 'folder';
  /** Full prefix, ending with the delimiter, e.g. "photos/2024/". */
  readonly prefix: string;
  /** Last segment for display, e.g. "2024". */
  readonly name: string;
}

export interface BlobEntry {
  readonly kind: 'blob';
  /** Full blob name. */
  readonly name: string;
  /** Last segment for display. */
  readonly displayName: string;
  readonly blobType: BlobType;
  readonly size: number;
  readonly lastModified?: Date;
  readonly contentType?: string;
  readonly accessTier?: string;
  readonly etag?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly continuationToken?: string;
}

export const DEFAULT_PAGE_SIZE = 200;

export async function listContainersPage(account: AccountClient, token?: string, pageSize = DEFAULT_PAGE_SIZE): Promise<Page<ContainerEntry>> {
  if (account.container) {
    // A container-scoped SAS cannot list containers: the connection shows its one container.
    return { items: [{ kind: 'container', name: account.container }] };
  }
  const iterator = account.service.listContainers().byPage({ maxPageSize: pageSize, continuationToken: token || undefined });
  const res = await iterator.next();
  if (res.done || !res.value) return { items: [] };
  const page = res.value;
  const items: ContainerEntry[] = (page.containerItems ?? []).map((c: ContainerItem) => ({
    kind: 'container',
    name: c.name,
    lastModified: c.properties.lastModified,
    publicAccess: c.properties.publicAccess,
  }));
  return { items, continuationToken: page.continuationToken || undefined };
}

export async function listBlobsPage(
  account: AccountClient,
  container: string,
  prefix: string,
  token?: string,
  pageSize = DEFAULT_PAGE_SIZE,
  delimiter = '/',
): Promise<Page<FolderEntry | BlobEntry>> {
  const client = account.service.getContainerClient(container);
  const iterator = client
    .listBlobsByHierarchy(delimiter, { prefix: prefix || undefined })
    .byPage({ maxPageSize: pageSize, continuationToken: token || undefined });
  const res = await iterator.next();
  if (res.done || !res.value) return { items: [] };
  const page = res.value;
  const folders: FolderEntry[] = (page.segment.blobPrefixes ?? []).map((p) => ({
    kind: 'folder',
    prefix: p.name,
    name: p.name.slice(prefix.length).replace(/\/$/, ''),
  }));
  // A folder's directory marker (a blob named like the folder, "photos/2024/") is the folder itself, shown above.
  const blobs: BlobEntry[] = (page.segment.blobItems ?? []).filter((b: BlobItem) => b.name !== prefix || !prefix).map((b: BlobItem) => ({
    kind: 'blob',
    name: b.name,
    displayName: b.name.slice(prefix.length),
    blobType: (b.properties.blobType ?? 'BlockBlob') as BlobType,
    size: b.properties.contentLength ?? 0,
    lastModified: b.properties.lastModified,
    contentType: b.properties.contentType,
    accessTier: b.properties.accessTier,
    etag: b.properties.etag,
  }));
  return { items: [...folders, ...blobs], continuationToken: page.continuationToken || undefined };
}
