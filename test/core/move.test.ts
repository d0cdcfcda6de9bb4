/**
 * Move and rename against Azurite: a source is deleted only after its copy is committed and verified,
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
import { blobNames, startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, CopyError, createAccountClient, describeRecoverability, sourceRecoverability, type AccountClient, type CopyRequest } from '../../src/core';
import { A1, A2, blobMd5, data, md5, MemoryLog, stopFast } from '../helpers/engine';


const loc = (connectionId: string, container: string, p: string) => ({ connectionId, container, path: p });
const src = (connectionId: string, container: string, p: string) => ({ kind: 'location' as const, location: loc(connectionId, container, p) });


type Send = () => Promise<PipelineResponse>;
type Hook = (req: PipelineRequest, send: Send) => Promise<PipelineResponse>;

/** Adds a per-attempt policy to an account client's pipeline (as connections.ts adds its own), calling the hook. */
function withHook(client: AccountClient, hook: () => Hook | undefined): AccountClient {
  const core = (client.service as unknown as { pipeline: { _corePipeline: { addPolicy(p: PipelinePolicy, o: { afterPhase: 'Retry' }): void } } }).pipeline._corePipeline;
  core.addPolicy({ name: 'moveTestHook', sendRequest: (req, next) => (hook() ?? ((_r, send) => send()))(req, () => next(req)) }, { afterPhase: 'Retry' });
  return client;
}

describe('move and rename', () => {
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
    assert.deepEqual(await blobNames(c), ['new.bin']);
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
    assert.deepEqual(await blobNames(c), ['keep/me.txt'], 'every moved source is gone, the rest stays');
    const moved = await blobNames(d);
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
    assert.deepEqual(await blobNames(c), ['docsx/other.txt', 'papers/a.txt', 'papers/sub/b.txt', 'papers/sub/deeper/c.txt']);
    assert.equal((await c.getBlobClient('papers/sub/deeper/c.txt').downloadToBuffer()).toString(), 'CCC');
  });

  it('refuses a folder moved onto itself or into its own subfolder, and a destination that is another moved blob, before writing', async () => {
    const c = await container(dev, { 'f/a.txt': 'a', 'f/b/a.txt': 'x', 'g.txt': 'g', 'in/sub/k.txt': 'in', 'out/sub/k.txt': 'out' });
    const before = await blobNames(c);
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
    assert.deepEqual(await blobNames(c), before, 'nothing written');
  });

  it('a source modified after planning is kept: the copy fails on the pinned ETag, nothing is deleted', async () => {
    const c = await container(dev, { 'v.txt': 'version 1' });
    const d = await container(dev);
    const { engine: e } = engine();
    const plan = await e.plan({ sources: [src(A1, c.containerName, 'v.txt')], destination: loc(A1, d.containerName, ''), options: { move: true } });
    await c.getBlockBlobClient('v.txt').upload('version 2!', 10);
    const s = await e.waitForBatch(e.start(plan));
    assert.equal(s.failed, 1);
    const job = e.jobs().find((j) => j.batchId === s.batchId)!;
    assert.equal(job.error?.code, 'SourceChanged');
    assert.equal((await c.getBlobClient('v.txt').downloadToBuffer()).toString(), 'version 2!');
    assert.deepEqual(await blobNames(d), []);
  });

  it('a source changed between the verified copy and the delete is kept (If-Match), and the job says so', async () => {
    const c = await container(dev, { 'w.txt': 'planned version' });
    const d = await container(far);
    const { engine: e } = engine();
    let deletes = 0;
    hook = async (req, send) => {
      if (req.method === 'DELETE' && req.url.includes(`/${c.containerName}/w.txt`)) {
        deletes++;
        await c.getBlockBlobClient('w.txt').upload('someone wrote this', 18); // another writer, just before our delete
      }
      return send();
    };
    try {
      const s = await e.copy({ sources: [src(A1, c.containerName, 'w.txt')], destination: loc(A2, d.containerName, 'w.txt'), options: { move: true } });
      assert.equal(s.failed, 1);
      assert.equal(deletes, 1, 'the delete was tried once, after the copy');
      const job = e.jobs().find((j) => j.batchId === s.batchId)!;
      assert.equal(job.error?.code, 'SourceChanged');
      assert.match(job.error?.message ?? '', /source changed after the move was planned, so it was kept/);
      assert.equal((await c.getBlobClient('w.txt').downloadToBuffer()).toString(), 'someone wrote this');
      assert.equal((await d.getBlobClient('w.txt').downloadToBuffer()).toString(), 'planned version', 'the verified copy stays');
    } finally {
      hook = undefined;
    }
  });

  it('conflict "skip": the skipped blob keeps its source; the others move', async () => {
    const c = await container(dev, { 'f/a.txt': 'new a', 'f/b.txt': 'new b' });
    const d = await container(dev, { 'a.txt': 'existing a' });
    const { engine: e } = engine();
    const s = await e.copy({ sources: [src(A1, c.containerName, 'f/')], destination: loc(A1, d.containerName, ''), options: { move: true, conflict: 'skip' } });
    assert.equal(s.skipped, 1);
    assert.equal(s.succeeded, 1);
    assert.deepEqual(await blobNames(c), ['f/a.txt'], 'the skipped source stays');
    assert.equal((await d.getBlobClient('a.txt').downloadToBuffer()).toString(), 'existing a');
    assert.equal((await d.getBlobClient('b.txt').downloadToBuffer()).toString(), 'new b');
  });

  it('cancel mid-move: moved blobs are only at the destination, every canceled source is intact', { timeout: 60_000 }, async () => {
    const blobs: Record<string, string> = {};
    for (let i = 0; i < 40; i++) blobs[`c/${String(i).padStart(2, '0')}.txt`] = `blob ${i} `.repeat(i + 1);
    const c = await container(dev, blobs);
    const d = await container(far);
    const { engine: e } = engine({ concurrency: 2, smallBlobConcurrency: 2 });
    hook = async (req, send) => {
      if (req.method === 'PUT') await new Promise((r) => setTimeout(r, 40)); // slow copies down
      return send();
    };
    try {
      const plan = await e.plan({ sources: [src(A1, c.containerName, 'c/')], destination: loc(A2, d.containerName, ''), options: { move: true } });
      const batchId = e.start(plan);
      const end = Date.now() + 30_000;
      while ((e.batch(batchId)?.succeeded ?? 0) < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      e.cancelBatch(batchId);
      const s = await e.waitForBatch(batchId);
      assert.ok(s.succeeded >= 5 && s.canceled > 0, JSON.stringify(s));
      assert.equal(s.succeeded + s.canceled, 40);
      const left = new Set(await blobNames(c));
      const arrived = new Set(await blobNames(d));
      for (const j of e.jobs().filter((x) => x.batchId === batchId)) {
        const name = j.sourceLocation!.path;
        if (j.state === 'succeeded') {
          assert.ok(!left.has(name) && arrived.has(name.slice(2)), `${name} moved`);
        } else {
          assert.equal(j.state, 'canceled');
          assert.ok(left.has(name), `${name} canceled: its source is intact`);
          assert.equal((await c.getBlobClient(name).downloadToBuffer()).toString(), blobs[name]);
        }
      }
    } finally {
      hook = undefined;
    }
  });

  it('a blob with snapshots is kept unless snapshots are included (then deleted with them)', async () => {
    const c = await container(dev, { 's1.txt': 'one', 's2.txt': 'two' });
    await c.getBlobClient('s1.txt').createSnapshot();
    await c.getBlobClient('s2.txt').createSnapshot();
    const d = await container(dev);
    const { engine: e } = engine();
    const kept = await e.copy({ sources: [src(A1, c.containerName, 's1.txt')], destination: loc(A1, d.containerName, ''), options: { move: true } });
    assert.equal(kept.failed, 1);
    const job = e.jobs().find((j) => j.batchId === kept.batchId)!;
    assert.equal(job.error?.code, 'SnapshotsPresent');
    assert.match(job.error?.message ?? '', /has snapshots, so it was kept/);
    assert.match(job.error?.hint ?? '', /include snapshots/);
    const withSnapshots = async () => {
      const out: string[] = [];
      for await (const b of c.listBlobsFlat({ includeSnapshots: true })) out.push(`${b.name}${b.snapshot ? '@snapshot' : ''}`);
      return out.sort();
    };
    assert.deepEqual(await withSnapshots(), ['s1.txt', 's1.txt@snapshot', 's2.txt', 's2.txt@snapshot']);
    assert.equal((await d.getBlobClient('s1.txt').downloadToBuffer()).toString(), 'one', 'the verified copy is there');

    const moved = await e.copy({ sources: [src(A1, c.containerName, 's2.txt')], destination: loc(A1, d.containerName, ''), options: { move: true, includeSnapshots: true } });
    assert.equal(moved.succeeded, 1);
    assert.deepEqual(await withSnapshots(), ['s1.txt', 's1.txt@snapshot']);
  });

  it('a read-only source SAS (no "d") fails the plan of a move across accounts; a SAS with "d" moves', async () => {
    const c = await container(dev, { 'r.txt': 'read only' });
    const d = await container(far);
    const sas = (perms: string) =>
      generateBlobSASQueryParameters(
        { containerName: c.containerName, permissions: ContainerSASPermissions.parse(perms), expiresOn: new Date(Date.now() + 3600_000) },
        new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key),
      ).toString();
    extraConnections.set('ro', createAccountClient({ kind: 'sas', url: `${azurite.endpoint()}/${c.containerName}?${sas('rl')}` }));
    extraConnections.set('rd', createAccountClient({ kind: 'sas', url: `${azurite.endpoint()}/${c.containerName}?${sas('rdl')}` }));
    const { engine: e } = engine();
    await assert.rejects(
      e.plan({ sources: [src('ro', c.containerName, 'r.txt')], destination: loc(A2, d.containerName, ''), options: { move: true } }),
      (err: unknown) => err instanceof CopyError && /SAS may not delete \(permissions "rl"\)/.test(err.message) && !err.message.includes('sig='),
    );
    assert.equal((await e.plan({ sources: [src('ro', c.containerName, 'r.txt')], destination: loc(A2, d.containerName, '') })).totals.count, 1, 'a copy is fine');
    assert.deepEqual(await blobNames(d), [], 'nothing copied');
    const s = await e.copy({ sources: [src('rd', c.containerName, 'r.txt')], destination: loc(A2, d.containerName, ''), options: { move: true } });
    assert.equal(s.succeeded, 1);
    assert.deepEqual(await blobNames(c), []);
    assert.deepEqual(await blobNames(d), ['r.txt']);
  });

  it('tells how long a deleted source stays recoverable (Azurite: whatever it reports, never a throw)', async () => {
    const client = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString() });
    const r = await sourceRecoverability(client);
    assert.equal(r.versioning, 'unknown');
    assert.match(describeRecoverability(r), /^(Blob soft delete is (on|off)|Whether a deleted source can be recovered is unknown)/);
    assert.equal(describeRecoverability({ softDelete: { state: 'on', days: 7 }, versioning: 'unknown' }), 'Blob soft delete is on: a deleted source stays recoverable for 7 days.');
    assert.match(describeRecoverability({ softDelete: { state: 'off' }, versioning: 'unknown' }), /cannot be recovered/);
    const down = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString().replace(/:\d+\//, ':1/') }, { retryOptions: { maxTries: 1 } });
    const unknown = await sourceRecoverability(down);
    assert.equal(unknown.softDelete.state, 'unknown');
  });
});

const CHILD = `
const core = require(process.env.BC_CORE);
const hangDeletes = process.env.BC_HANG.split(',');
function client(cs) {
  const c = core.createAccountClient({ kind: 'connectionString', connectionString: cs }, { retryOptions: { maxTries: 1 } });
  // The source delete of the named blobs never gets an answer: the process is killed between copy and delete.
  c.service.pipeline._corePipeline.addPolicy({ name: 'hang', sendRequest: (req, next) =>
    req.method === 'DELETE' && hangDeletes.some((n) => req.url.split('?')[0].endsWith('/' + n)) ? new Promise(() => {}) : next(req) }, { afterPhase: 'Retry' });
  return c;
}
const clients = { a1: client(process.env.BC_CS1), a2: client(process.env.BC_CS2) };
setInterval(() => {}, 1000);
const engine = new core.CopyEngine({ resolve: async (id) => clients[id], journalDir: process.env.BC_JOURNAL, concurrency: 2, smallBlobConcurrency: 2 });
engine.copy({
  sources: [{ kind: 'location', location: { connectionId: 'a1', container: process.env.BC_SRC, path: 'k/' } }],
  destination: { connectionId: 'a2', container: process.env.BC_DST, path: '' },
  options: { move: true },
}).then((s) => { process.stdout.write(JSON.stringify(s)); process.exit(0); }, (e) => { process.stderr.write(String(e)); process.exit(2); });
`;

describe('move: a kill between copy and delete', () => {
  let azurite: AzuriteInstance;
  let journalDir: string;
  let engine: CopyEngine | undefined;
  before(async () => {
    azurite = await startAzurite();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-move-'));
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
    fs.rmSync(journalDir, { recursive: true, force: true });
  });

  function journal(): Array<{ item: { sourceName: string }; state: string; options: { move?: boolean }; progress: { move?: { phase: string; destEtag: string } } }> {
    const out = [];
    for (const f of fs.readdirSync(journalDir)) {
      if (!/^job-.*\.json$/.test(f)) continue; // job records (a streamed batch also keeps a batch-*.json)
      try {
        out.push(JSON.parse(fs.readFileSync(path.join(journalDir, f), 'utf8')));
      } catch {
        /* being replaced */
      }
    }
    return out;
  }

  it('resumes by deleting (after re-verifying the destination), never copying again; the rest of the folder moves', { timeout: 90_000 }, async () => {
    const dev = azurite.serviceClient();
    const far = azurite.serviceClient(SECOND_ACCOUNT);
    const c = dev.getContainerClient('ksrc');
    const d = far.getContainerClient('kdst');
    await c.create();
    await d.create();
    const bodies: Record<string, string> = {};
    for (let i = 1; i <= 6; i++) {
      bodies[`k/${i}.txt`] = `content ${i} `.repeat(100 * i);
      await c.getBlockBlobClient(`k/${i}.txt`).upload(bodies[`k/${i}.txt`], bodies[`k/${i}.txt`].length);
    }
    const child = spawn(process.execPath, ['-e', CHILD], {
      env: {
        ...process.env,
        BC_CORE: path.resolve(__dirname, '../../src/core/index.js'),
        BC_CS1: azurite.connectionString(DEV_ACCOUNT),
        BC_CS2: azurite.connectionString(SECOND_ACCOUNT),
        BC_JOURNAL: journalDir,
        BC_SRC: 'ksrc',
        BC_DST: 'kdst',
        BC_HANG: 'k/2.txt,k/3.txt',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOut = '';
    child.stdout.on('data', (x) => (childOut += x));
    child.stderr.on('data', (x) => (childOut += x));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 30_000;
    let copied: ReturnType<typeof journal> = [];
    try {
      while (Date.now() < deadline && child.exitCode === null) {
        copied = journal().filter((r) => r.progress.move?.phase === 'copied' && ['k/2.txt', 'k/3.txt'].includes(r.item.sourceName));
        if (copied.length >= 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      child.kill('SIGKILL'); // also when the loop throws: a child left running would keep this test process alive
      await exited;
    }
    assert.equal(copied.length, 2, `two jobs reached 'copied' before the kill; output: ${childOut}`);
    assert.deepEqual(copied.map((r) => r.item.sourceName).sort(), ['k/2.txt', 'k/3.txt']);
    assert.ok(copied.every((r) => r.options.move === true && r.progress.move!.destEtag.length > 2), 'the journal has the move option and the destination ETag');
    // Both copies landed and both sources are still there; k/1 moved; k/4..6 are queued in the journal.
    const srcNames = async () => {
      const out: string[] = [];
      for await (const b of c.listBlobsFlat()) out.push(b.name);
      return out.sort();
    };
    assert.deepEqual(await srcNames(), ['k/2.txt', 'k/3.txt', 'k/4.txt', 'k/5.txt', 'k/6.txt']);
    const etag2 = (await d.getBlobClient('2.txt').getProperties()).etag;
    // Someone overwrites k/3's destination before the resume: its source must be kept.
    await d.getBlockBlobClient('3.txt').upload('overwritten', 11);

    const log = new MemoryLog();
    const clients: Record<string, AccountClient> = {
      a1: createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(DEV_ACCOUNT) }),
      a2: createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(SECOND_ACCOUNT) }),
    };
    engine = new CopyEngine({ resolve: async (id) => clients[id], journalDir, log, outageToleranceSeconds: 0 });
    const batches = await engine.resume();
    assert.equal(batches.length, 1);
    const s = await engine.waitForBatch(batches[0]);
    assert.equal(s.succeeded, 4, JSON.stringify({ s, log: log.lines }));
    assert.equal(s.failed, 1);
    const k3 = engine.jobs().find((j) => j.sourceLocation?.path === 'k/3.txt')!;
    assert.equal(k3.error?.code, 'DestinationChanged');
    assert.deepEqual(await srcNames(), ['k/3.txt'], 'k/2 deleted on resume, k/4..6 moved, k/3 kept');
    assert.equal((await d.getBlobClient('2.txt').getProperties()).etag, etag2, 'k/2 was not copied again');
    assert.ok(log.lines.some((l) => /k\/2\.txt.*verified before the interruption/.test(l)), log.lines.join('\n'));
    for (const i of [1, 2, 4, 5, 6]) assert.equal((await d.getBlobClient(`${i}.txt`).downloadToBuffer()).toString(), bodies[`k/${i}.txt`]);
    assert.equal((await c.getBlobClient('k/3.txt').downloadToBuffer()).toString(), bodies['k/3.txt']);
  });
});
