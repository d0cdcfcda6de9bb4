/**
 * A loopback storage endpoint for benchmarks (bench/cost.ts, bench/latency.ts): it stores nothing and answers at
 * once. List Containers (the source container), List Blobs of the source container (generated names `data/f00000000.bin`…, 1 KiB each, real XML paged with
 * NextMarker), of any other container (empty), Get Properties (source: 200; elsewhere: 200 once a copy call named
 * it, else 404), Get Container Properties, and the copy calls of a same-account copy (Copy Blob From URL, Copy Blob,
 * Put Blob From URL: success at once). It counts copy calls per name. With `reflectCopies` (the resume workload), a
 * destination lists and HEADs the names copied to it, each with the source's length and MD5 and the time of its first
 * copy, as a real account would after the copies. Not a test double: no test claims correctness from it.
 */
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';

/** Azurite's well-known account name: the clients sign with its published key (the harness checks no signature). */
const ACCOUNT = 'devstoreaccount1';
export const HARNESS_SOURCE = 'cost-src';
export const HARNESS_PREFIX = 'data/';
const SOURCE = HARNESS_SOURCE;
const PREFIX = HARNESS_PREFIX;
const SIZE = 1024;
const MD5 = 'kBhzC8kL0x1pDJUOAbW7WQ==';
const ETAG = '"0x8DD0000000000001"';
const MODIFIED = 'Sat, 05 Dec 2026 00:00:00 GMT';
export const nameOf = (i: number) => `${PREFIX}f${String(i).padStart(8, '0')}.bin`;

/** The endpoint: answers at once, stores nothing but a copy count per generated name. */
export class Harness {
  copies: Uint8Array;
  copyCalls = 0;
  twice = 0;
  /** Lowest and highest index of a name copied twice. */
  twiceRange: [number, number] = [Infinity, -Infinity];
  other = new Map<string, number>();
  /** A destination lists and HEADs what was copied to it (see the file's comment). */
  reflectCopies = false;
  /** Seconds (epoch) of each name's first copy, while reflectCopies. */
  private copiedAt = new Uint32Array(0);
  private server?: http.Server;
  port = 0;
  constructor(public blobs: number) {
    this.copies = new Uint8Array(blobs);
  }

  reset(blobs: number): void {
    this.blobs = blobs;
    this.copies = new Uint8Array(blobs);
    this.copiedAt = new Uint32Array(this.reflectCopies ? blobs : 0);
    this.copyCalls = 0;
    this.twice = 0;
    this.twiceRange = [Infinity, -Infinity];
    this.other.clear();
  }

  async start(): Promise<void> {
    this.server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => this.answer(req, res));
    this.server.maxHeadersCount = 200;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      this.server?.closeAllConnections();
      this.server?.close(() => r());
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = decodeURIComponent(q >= 0 ? url.slice(0, q) : url);
    const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
    const [, , container = '', ...rest] = pathname.split('/');
    const blob = rest.join('/');
    const common: Record<string, string> = { 'x-ms-request-id': randomUUID(), 'x-ms-version': '2025-11-05', date: new Date().toUTCString() };
    const send = (status: number, headers: Record<string, string> = {}, body = '') => {
      res.writeHead(status, { ...common, 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    const comp = query.get('comp');
    if (!container && comp === 'list') {
      // List Containers (a connection's check when it is added): the source container.
      const xml =
        `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:${this.port}/${ACCOUNT}/"><Containers><Container><Name>${SOURCE}</Name>` +
        `<Properties><Last-Modified>${MODIFIED}</Last-Modified><Etag>${ETAG}</Etag><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState></Properties></Container></Containers><NextMarker /></EnumerationResults>`;
      return send(200, { 'content-type': 'application/xml' }, xml);
    }
    if (query.get('restype') === 'container' && comp === 'list') return this.list(container, query, send);
    if (query.get('restype') === 'container' && !comp) return send(200, { etag: ETAG, 'last-modified': MODIFIED });
    const index = this.indexOf(container, blob);
    if ((req.method === 'HEAD' || req.method === 'GET') && !comp) {
      const exists = container === SOURCE ? index !== undefined : index !== undefined && this.copies[index] > 0;
      if (!exists) return send(404, { 'x-ms-error-code': 'BlobNotFound' });
      return send(200, {
        'content-length': String(SIZE),
        'content-type': 'application/octet-stream',
        'content-md5': MD5,
        etag: ETAG,
        'last-modified': container !== SOURCE && this.copiedAt.length ? this.modifiedOf(index!) : MODIFIED,
        'x-ms-blob-type': 'BlockBlob',
        'x-ms-access-tier': 'Hot',
        'x-ms-access-tier-inferred': 'true',
        'x-ms-server-encrypted': 'true',
      });
    }
    if (req.method === 'PUT' && !comp && req.headers['x-ms-copy-source']) {
      this.copyCalls++;
      if (index !== undefined) {
        if (this.copies[index] === 1) {
          this.twice++;
          this.twiceRange = [Math.min(this.twiceRange[0], index), Math.max(this.twiceRange[1], index)];
        }
        if (this.copies[index] < 255) this.copies[index]++;
        if (this.copiedAt.length && !this.copiedAt[index]) this.copiedAt[index] = Math.floor(Date.now() / 1000);
      }
      const done = { etag: ETAG, 'last-modified': MODIFIED, 'x-ms-copy-id': randomUUID(), 'x-ms-copy-status': 'success' };
      const putBlobFromUrl = req.headers['x-ms-blob-type'] !== undefined && req.headers['x-ms-requires-sync'] === undefined;
      return putBlobFromUrl ? send(201, { etag: ETAG, 'last-modified': MODIFIED, 'x-ms-request-server-encrypted': 'true' }) : send(202, done);
    }
    const key = `${req.method} ${comp ?? ''}`;
    this.other.set(key, (this.other.get(key) ?? 0) + 1);
    // Setting headers, metadata, tags or tier: accepted (nothing is stored).
    return send(req.method === 'PUT' ? 200 : 404, req.method === 'PUT' ? { etag: ETAG, 'last-modified': MODIFIED } : { 'x-ms-error-code': 'BlobNotFound' });
  }

  /** A copied name's Last-Modified: the time of its first copy. */
  private modifiedOf(index: number): string {
    return new Date(this.copiedAt[index] * 1000).toUTCString();
  }

  /** The generated index of a name in any container (destinations keep the source's relative names). */
  private indexOf(container: string, blob: string): number | undefined {
    const m = /f(\d{8})\.bin$/.exec(blob);
    if (!m || (container === SOURCE && !blob.startsWith(PREFIX))) return undefined;
    const i = Number(m[1]);
    return i < this.blobs ? i : undefined;
  }

  private list(container: string, query: URLSearchParams, send: (s: number, h?: Record<string, string>, b?: string) => void): void {
    const prefix = query.get('prefix') ?? '';
    const max = Math.min(5000, Number(query.get('maxresults') ?? 5000));
    const marker = query.get('marker') ?? '';
    let from = marker ? Number(marker.slice(1)) : 0;
    const items: string[] = [];
    if (container === SOURCE && PREFIX.startsWith(prefix.slice(0, PREFIX.length))) {
      // Names are in listing order; start at the first one not before the prefix.
      if (prefix.length > PREFIX.length) {
        while (from < this.blobs && nameOf(from) < prefix) from++;
      }
      for (let i = from; i < this.blobs && items.length < max; i++) {
        const name = nameOf(i);
        if (!name.startsWith(prefix)) break;
        items.push(
          `<Blob><Name>${name}</Name><Properties><Creation-Time>${MODIFIED}</Creation-Time><Last-Modified>${MODIFIED}</Last-Modified><Etag>${ETAG}</Etag>` +
            `<Content-Length>${SIZE}</Content-Length><Content-Type>application/octet-stream</Content-Type><Content-MD5>${MD5}</Content-MD5>` +
            `<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus>` +
            `<LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted></Properties><OrMetadata /></Blob>`,
        );
        from = i + 1;
      }
    }
    let more = container === SOURCE && items.length === max && from < this.blobs && nameOf(from).startsWith(prefix);
    if (container !== SOURCE && this.copiedAt.length) {
      // A destination (names without the source's prefix): what was copied to it, in order.
      for (let i = from; i < this.blobs && items.length < max; i++) {
        if (!this.copies[i]) continue;
        const name = nameOf(i).slice(PREFIX.length);
        if (!name.startsWith(prefix)) continue;
        items.push(
          `<Blob><Name>${name}</Name><Properties><Last-Modified>${this.modifiedOf(i)}</Last-Modified><Etag>${ETAG}</Etag><Content-Length>${SIZE}</Content-Length>` +
            `<Content-Type>application/octet-stream</Content-Type><Content-MD5>${MD5}</Content-MD5><BlobType>BlockBlob</BlobType></Properties></Blob>`,
        );
        from = i + 1;
      }
      more = items.length === max && from < this.blobs;
    }
    const xml =
      `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:${this.port}/${ACCOUNT}/" ContainerName="${container}">` +
      `<Prefix>${prefix}</Prefix>${marker ? `<Marker>${marker}</Marker>` : ''}<MaxResults>${max}</MaxResults><Blobs>${items.join('')}</Blobs>` +
      `<NextMarker>${more ? `m${from}` : ''}</NextMarker></EnumerationResults>`;
    send(200, { 'content-type': 'application/xml' }, xml);
  }
}

