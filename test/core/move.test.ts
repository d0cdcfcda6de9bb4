/**
 * Move and rename (issue #12) against Azurite: a source is deleted only after its copy is committed and verified,
 * with If-Match on the source ETag pinned at plan time; skipped, failed and canceled copies keep their sources;
 * snapshots keep a source unless included; read-only source credentials and moves into themselves are refused by
 * the plan; a kill between copy and delete resumes by deleting (after re-verifying), not by copying again.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PipelinePolicy, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential, type BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, CopyError, createAccountClient, describeRecoverability, sourceRecoverability, type AccountClient, type CopyRequest } from '../../src/core';
import { A1, A2, blobMd5, data, md5, MemoryLog, stopFast } from './fixtures';

const loc = (connectionId: string, container: string, p: string) => ({ connectionId, container, path: p });
const src = (connectionId: string, container: string, p: string) => ({ kind: 'location' as const, location: loc(connectionId, container, p) });

async function names(c: ContainerClient, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix: prefix || undefined })) out.push(b.name);
  return out.sort();
}

type Send = () => Promise<PipelineResponse>;
type Hook = (req: PipelineRequest, send: Send) => Promise<PipelineResponse>;

/** Adds a per-attempt policy to an account client's pipeline (as connections.ts adds its own), calling the hook. */
function withHook(client: AccountClient, hook: () => Hook | undefined): AccountClient {
  const core = (client.service as unknown as { pipeline: { _corePipeline: { addPolicy(p: PipelinePolicy, o: { afterPhase: 'Retry' }): void } } }).pipeline._corePipeline;
  core.addPolicy({ name: 'moveTestHook', sendRequest: (req, next) => (hook() ?? ((_r, send) => send()))(req, () => next(req)) }, { afterPhase: 'Retry' });
  return client;
}

describe('move and rename (issue #12)', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let far: BlobServiceClient;
  const engines: CopyEngine[] = [];
  const dirs: string[] = [];
  /** Per-test HTTP hook on the engine's clients (undefined = plain). */
  let hook: Hook | undefined;
  const extraConnections = new Map<string, AccountClient>();

  function engine(extra: Partial<ConstructorParameters<typeof CopyEngine>[0]> = {}): { engine: CopyEngine; log: MemoryLog } {
    const log = new MemoryLog();
    const clients = new Map<string, AccountClient>();
    const e = new CopyEngine({
      resolve: async (id) => {
        const extraConn = extraConnections.get(id);
        if (extraConn) return extraConn;
        let c = clients.get(id);
        if (!c) {
          const account = id === A1 ? DEV_ACCOUNT : id === A2 ? SECOND_ACCOUNT : undefined;
          if (!account) throw new Error(`unknown connection ${id}`);
          c = withHook(createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(account) }, { retryOptions: { maxTries: 2, retryDelayInMs: 100 } }), () => hook);
          clients.set(id, c);
        }
        return c;
      },
      log,
      concurrency: 8,
      outageToleranceSeconds: 0,
      ...extra,
    });
    engines.push(e);
    return { engine: e, log };
  }

  before(async () => {
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    far = azurite.serviceClient(SECOND_ACCOUNT);
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await stopFast(azurite);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  let n = 0;
  async function container(service: BlobServiceClient, blobs: Record<string, string | Buffer> = {}): Promise<ContainerClient> {
    const c = service.getContainerClient(`mv${++n}-${Date.now().toString(36)}`);
    await c.create();
    for (const [name, body] of Object.entries(blobs)) await c.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    return c;
  }

  it('moves one blob to a new name in the same container: bytes and metadata arrive, the source is gone', async () => {
    const c = await container(dev);
    const body = data(300_000, 1);
    await c.getBlockBlobClient('old.bin').upload(body, body.length, { metadata: { owner: 'me' }, blobHTTPHeaders: { blobContentType: 'application/x-test' } });
    const { engine: e, log } = engine();
    const s = await e.copy({ sources: [src(A1, c.containerName, 'old.bin')], destination: loc(A1, c.containerName, 'new.bin'), options: { move: true } });
    assert.equal(s.succeeded, 1, JSON.stringify({ s, jobs: e.jobs(), log: log.lines }));
    assert.deepEqual(await names(c), ['new.bin']);
    const d = c.getBlobClient('new.bin');
    assert.equal(await blobMd5(d), md5(body));
    const p = await d.getProperties();
    assert.equal(p.metadata?.owner, 'me');
    assert.equal(p.contentType, 'application/x-test');
    assert.ok(log.lines.some((l) => /Move .*old\.bin → .*new\.bin: source deleted \(If-Match "/.test(l)), log.lines.join('\n'));
  });

  it('moves a folder of 200 blobs to another account: every blob in exactly one place, bytes identical', { timeout: 120_000 }, async () => {
    const blobs: Record<string, Buffer> = {};
    for (let i = 0; i < 200; i++) blobs[`data/${i % 7}/f${i}.bin`] = data(1000 + i * 37, i);
    const c = await container(dev, blobs);
    await c.getBlockBlobClient('keep/me.txt').upload('stay', 4);
    const d = await container(far);
    const { engine: e, log } = engine();
    const plan = await e.plan({ sources: [src(A1, c.containerName, 'data/')], destination: loc(A2, d.containerName, 'moved/'), options: { move: true } });
    assert.equal(plan.totals.count, 200);
    const s = await e.waitForBatch(e.start(plan));
    assert.equal(s.succeeded, 200, JSON.stringify({ s, log: log.lines.filter((l) => !l.startsWith('info')).slice(0, 5) }));
    assert.deepEqual(await names(c), ['keep/me.txt'], 'every moved source is gone, the rest stays');
    const moved = await names(d);
    assert.equal(moved.length, 200);
    for (const name of ['data/0/f0.bin', 'data/3/f101.bin', 'data/3/f199.bin']) {
      assert.equal(await blobMd5(d.getBlobClient(`moved/${name.slice('data/'.length)}`)), md5(blobs[name]), name);
    }
  });

  it('renames a folder in place (every blob under the prefix, subfolders included)', async () => {
    const c = await container(dev, { 'docs/a.txt': 'A', 'docs/sub/b.txt': 'BB', 'docs/sub/deeper/c.txt': 'CCC', 'docsx/other.txt': 'not in the folder' });
    const { engine: e } = engine();
    const s = await e.copy({ sources: [src(A1, c.containerName, 'docs/')], destination: loc(A1, c.containerName, 'papers/'), options: { move: true } });
    assert.equal(s.succeeded, 3);
    assert.deepEqual(await names(c), ['docsx/other.txt', 'papers/a.txt', 'papers/sub/b.txt', 'papers/sub/deeper/c.txt']);
    assert.equal((await c.getBlobClient('papers/sub/deeper/c.txt').downloadToBuffer()).toString(), 'CCC');
  });

  it('refuses a folder moved onto itself or into its own subfolder, and a destination that is another moved blob, before writing', async () => {
    const c = await container(dev, { 'f/a.txt': 'a', 'f/b/a.txt': 'x', 'g.txt': 'g', 'in/sub/k.txt': 'in', 'out/sub/k.txt': 'out' });
    const before = await names(c);
    const { engine: e } = engine();
    const cases: Array<[CopyRequest, RegExp]> = [
      [{ sources: [src(A1, c.containerName, 'f/')], destination: loc(A1, c.containerName, 'f/') }, /moved onto itself/],
      [{ sources: [src(A1, c.containerName, 'f/')], destination: loc(A1, c.containerName, 'f') }, /moved onto itself/],
      [{ sources: [src(A1, c.containerName, 'f/')], destination: loc(A1, c.containerName, 'f/inner/') }, /into its own subfolder "f\/inner\/"/],
      [{ sources: [src(A1, c.containerName, '')], destination: loc(A1, c.containerName, 'all/') }, /into its own subfolder/],
      // in/sub/k.txt → out/sub/k.txt, which is itself moved (to out/k.txt): refused, whatever the order would be.
      [{ sources: [src(A1, c.containerName, 'in/'), src(A1, c.containerName, 'out/sub/')], destination: loc(A1, c.containerName, 'out/') }, /"out\/sub\/k\.txt" is both moved and the destination of "in\/sub\/k\.txt"/],
    ];
    for (const [req, message] of cases) {
      await assert.rejects(e.plan({ ...req, options: { move: true } }), (err: unknown) => err instanceof CopyError && message.test(err.message), JSON.stringify(req));
      // The same request as a copy is planned (copying into a subfolder is fine); "onto itself" is refused for both.
      if (req.destination.path !== 'f/' && req.destination.path !== 'f') assert.ok((await e.plan(req)).totals.count > 0);
    }
    assert.deepEqual(await names(c), before, 'nothing written');
  });
});
