/**
 * Destination names that exist. A plan's pages come in listing order, and so do their destination names (one prefix
 * put before each source-relative name keeps the order): one forward cursor over the destination folder's listing
 * answers every page, each destination blob listed once. Where the cursor would list far more unrelated blobs than
 * the pages name (a busy folder), a page lists its own names' common prefix instead, and a few names get a HEAD each.
 */
import pLimit from 'p-limit';
import type { ContainerClient } from '@azure/storage-blob';
import { toCopyError } from '../base/errors';
import { compareNames } from './expand';
import type { RestCall } from '../../shared/vocabulary';
import { listBlobsFlatPages, type ListedBlob, type ListedPage } from '../storage/listBlobs';

interface DestInfo {
  exists: boolean;
  lastModified?: Date;
}

/** Fewer names than this get a HEAD each. */
const HEAD_BELOW = 20;
/** Blobs per destination listing page (the service's maximum). */
const LIST_PAGE = 5000;

/** What a listing says of a blob that is there. */
const existing = (b: ListedBlob): DestInfo => ({ exists: true, lastModified: b.properties.lastModified });

/** Blobs a listing may pass that the page does not name before a cheaper way answers instead. */
const unrelatedCap = (names: number): number => names * 4 + 1000;

/** A forward walk over the destination folder's listing. */
interface Cursor {
  readonly scope: string;
  readonly pages: AsyncIterator<ListedPage>;
  /** Listed names not yet passed by a page (in order), with what the listing said of them. */
  ahead: Array<[string, DestInfo]>;
  /** The last name listed (undefined before the first page). */
  last?: string;
  done: boolean;
  /** The first name of the page prepared before (a page before it restarts the walk). */
  from?: string;
  /** The first page, asked for before the first source page came (see prefetch); taken by the walk. */
  pending?: Promise<IteratorResult<ListedPage>>;
}

/** Existence of destination names: a forward cursor over the folder's listing, a page's prefix listing, or HEADs. */
export class DestinationProbe {
  private listed?: Map<string, DestInfo>;
  /** The range of names `listed` answers for (a name outside it gets a HEAD). */
  private range?: { first: string; last: string; prefix?: string };
  private cursor?: Cursor;
  /** The cursor was given up for this scope (too many unrelated blobs): pages list their own prefix. */
  private noCursor?: string;
  private readonly limit: ReturnType<typeof pLimit>;
  /** onCall: told of each REST call made (the cost preview counts the planning calls). */
  constructor(
    private readonly container: ContainerClient,
    concurrency: number,
    private readonly onCall?: (call: RestCall) => void,
    /** Blobs per listing call (the service's maximum unless a test asks for less). */
    private readonly listPage = LIST_PAGE,
  ) {
    this.limit = pLimit(concurrency);
  }

  /**
   * Prepares for these names (one page of a plan, in listing order): forgets what the previous page needed.
   * `scope`: the destination folder every name of this source starts with ('' for the container), the cursor's
   * prefix; without it each page lists its own names' common prefix.
   */
  async prepare(names: readonly string[], signal?: AbortSignal, scope?: string): Promise<void> {
    this.listed = undefined;
    this.range = undefined;
    // A few names are HEADed, unless the folder's first page is already on its way (then the walk answers them).
    if (names.length < HEAD_BELOW && !(scope !== undefined && this.cursor?.scope === scope && this.cursor.pending)) return;
    let first = names[0];
    let last = names[0];
    for (const n of names) {
      if (compareNames(n, first) < 0) first = n;
      if (compareNames(n, last) > 0) last = n;
    }
    try {
      if (scope !== undefined && this.noCursor !== scope && (await this.walk(scope, first, last, names.length, signal))) return;
      await this.listPrefix(names, first, last, signal);
    } catch (e) {
      this.cursor = undefined;
      const err = toCopyError(e, `List destination container ${this.container.containerName}`, 'destination');
      if (err.info.status === 404) {
        // The container does not exist (yet): nothing conflicts; the copy reports it.
        this.listed = new Map();
        this.range = { first, last };
        return;
      }
      throw err;
    }
  }

  /** Moves the cursor over [first, last]; false when it lists too many unrelated blobs (then it is given up). */
  private async walk(scope: string, first: string, last: string, count: number, signal?: AbortSignal): Promise<boolean> {
    let c = this.cursor;
    if (!c || c.scope !== scope || (c.from !== undefined && compareNames(first, c.from) < 0)) c = this.cursor = this.newCursor(scope, signal);
    c.from = first;
    const map = new Map<string, DestInfo>();
    let skipped = 0;
    const cap = unrelatedCap(count);
    const take = (entries: Array<[string, DestInfo]>): Array<[string, DestInfo]> => {
      let i = 0;
      for (; i < entries.length; i++) {
        const [name, info] = entries[i];
        if (compareNames(name, first) < 0) skipped++;
        else if (compareNames(name, last) <= 0) map.set(name, info);
        else break;
      }
      return entries.slice(i);
    };
    c.ahead = take(c.ahead);
    while (c.ahead.length === 0 && !c.done && (c.last === undefined || compareNames(c.last, last) <= 0)) {
      if (skipped > cap) {
        // Far more blobs in the folder than this page names: list the page's own prefix from now on.
        this.cursor = undefined;
        this.noCursor = scope;
        return false;
      }
      const pending = c.pending;
      c.pending = undefined;
      if (!pending) this.onCall?.('List Blobs'); // a prefetched page was counted when asked for
      const r = await (pending ?? c.pages.next());
      if (r.done) {
        c.done = true;
        break;
      }
      const items = r.value.blobs;
      if (items.length) c.last = items[items.length - 1].name;
      if (!r.value.continuationToken) c.done = true;
      c.ahead = take(items.map((b) => [b.name, existing(b)]));
    }
    this.listed = map;
    this.range = { first, last };
    return true;
  }

  /**
   * Asks for the first page of the destination folder's listing now, before the first source page has come, so the
   * check of that page does not wait a round trip of its own (a folder copy's first copies start one round trip
   * sooner). The walk takes the page; a failure (a missing container: 404) is met there.
   */
  prefetch(scope: string, signal?: AbortSignal): void {
    if (this.cursor || this.noCursor === scope) return;
    const c = (this.cursor = this.newCursor(scope, signal));
    this.onCall?.('List Blobs');
    c.pending = c.pages.next();
    c.pending.catch(() => undefined); // met when the walk awaits it; never unhandled when no walk comes
  }

  private newCursor(scope: string, signal?: AbortSignal): Cursor {
    return { scope, pages: listBlobsFlatPages(this.container, scope || undefined, this.listPage, signal), ahead: [], done: false };
  }

  /** One listing of the names' common prefix (capped: too many unrelated blobs under it leave HEADs to answer). */
  private async listPrefix(names: readonly string[], first: string, last: string, signal?: AbortSignal): Promise<void> {
    let prefix = names[0];
    for (const n of names) {
      let i = 0;
      while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
      prefix = prefix.slice(0, i);
    }
    const map = new Map<string, DestInfo>();
    const cap = unrelatedCap(names.length);
    this.onCall?.('List Blobs'); // the first page; each further page below
    let firstPage = true;
    for await (const page of listBlobsFlatPages(this.container, prefix || undefined, this.listPage, signal)) {
      if (!firstPage) this.onCall?.('List Blobs');
      firstPage = false;
      for (const b of page.blobs) map.set(b.name, existing(b));
      if (map.size > cap) return; // too many unrelated blobs under the prefix: HEAD instead
    }
    this.listed = map;
    this.range = { first, last, prefix };
  }

  async info(name: string, signal?: AbortSignal): Promise<DestInfo> {
    const r = this.range;
    if (this.listed && r && (r.prefix !== undefined ? name.startsWith(r.prefix) : compareNames(name, r.first) >= 0 && compareNames(name, r.last) <= 0)) {
      return this.listed.get(name) ?? { exists: false };
    }
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
