/** Destination names that exist: one listing of the common prefix for many names, else one HEAD each. */
import pLimit from 'p-limit';
import type { ContainerClient } from '@azure/storage-blob';
import { toCopyError } from './errors';
import type { RestCall } from '../shared/vocabulary';

export interface DestInfo {
  exists: boolean;
  lastModified?: Date;
}

/** Existence of destination names: one listing of the common prefix for many names, else one HEAD each. */
export class DestinationProbe {
  private listed?: Map<string, DestInfo>;
  private readonly limit: ReturnType<typeof pLimit>;
  /** onCall: told of each REST call made (the cost preview counts the planning calls). */
  constructor(
    private readonly container: ContainerClient,
    concurrency: number,
    private readonly onCall?: (call: RestCall) => void,
  ) {
    this.limit = pLimit(concurrency);
  }

  /** Prepares for these names (one page of a plan): forgets what the previous page listed. */
  async prepare(names: readonly string[], signal?: AbortSignal): Promise<void> {
    this.listed = undefined;
    if (names.length < 20) return;
    let prefix = names[0];
    for (const n of names) {
      let i = 0;
      while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
      prefix = prefix.slice(0, i);
    }
    const map = new Map<string, DestInfo>();
    const cap = names.length * 4 + 1000;
    try {
      this.onCall?.('List Blobs'); // the first page; each further page below
      let firstPage = true;
      for await (const page of this.container.listBlobsFlat({ prefix: prefix || undefined, abortSignal: signal }).byPage({ maxPageSize: 5000 })) {
        if (!firstPage) this.onCall?.('List Blobs');
        firstPage = false;
        for (const b of page.segment.blobItems) map.set(b.name, { exists: true, lastModified: b.properties.lastModified });
        if (map.size > cap) return; // too many unrelated blobs under the prefix: HEAD instead
      }
    } catch (e) {
      const err = toCopyError(e, `List destination container ${this.container.containerName}`, 'destination');
      if (err.info.status === 404) {
        this.listed = map; // container does not exist (yet): nothing conflicts; the copy reports it
        return;
      }
      throw err;
    }
    this.listed = map;
  }

  async info(name: string, signal?: AbortSignal): Promise<DestInfo> {
    if (this.listed) return this.listed.get(name) ?? { exists: false };
    return this.limit(async () => {
      this.onCall?.('Get Blob Properties');
      try {
        const p = await this.container.getBlobClient(name).getProperties({ abortSignal: signal });
        return { exists: true, lastModified: p.lastModified };
      } catch (e) {
        const err = toCopyError(e, `Read destination ${this.container.containerName}/${name}`, 'destination');
        if (err.info.status === 404) return { exists: false };
        throw err;
      }
    });
  }
}

