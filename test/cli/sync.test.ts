/**
 * `blob-copy sync`, bundled like dist/cli.js and run as a child process against a real Azurite: the four groups
 * (new, changed by length, changed by Content-MD5 at equal length, same, extra) in the dry run and --json; a sync
 * without and with --delete-destination; a second sync that does nothing and says so in one line; a sync killed
 * half-way and run again; a source listing that fails part-way deletes nothing; overlapping folders and bad flags are
 * refused before anything is written.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, startCli } from '../helpers/cli';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { waitFor } from '../helpers/wait';

let cliPath = '';
const run = (args: string[], env: Record<string, string> = {}) => startCli(cliPath, args, env, 120_000).done;

async function listed(c: ContainerClient, prefix = ''): Promise<Map<string, { etag: string; size: number }>> {
  const m = new Map<string, { etag: string; size: number }>();
  for await (const b of c.listBlobsFlat({ prefix: prefix || undefined })) m.set(b.name.slice(prefix.length), { etag: b.properties.etag!, size: b.properties.contentLength ?? 0 });
  return m;
}

async function put(c: ContainerClient, name: string, text: string): Promise<void> {
  await c.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
}

describe('blob-copy sync against Azurite', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  let creds: string[];

  before(async () => {
    cliPath = await bundleCli('cli-test-sync');
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    creds = ['--source-connection-string', azurite.connectionString(), '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)];
  });
  after(async () => {
    await azurite?.stop();
  });

  it('groups, dry run, sync without and with --delete-destination, and a second sync that does nothing', { timeout: 120_000 }, async (t) => {
    const src = dev.getContainerClient('groups');
    const dst = acct2.getContainerClient('groupsdst');
    await src.create();
    await dst.create();
    // The destination is written first, so "same" is not newer at the source (and Content-MD5 decides it anyway).
    await put(dst, 'mirror/len.txt', 'abc');
    await put(dst, 'mirror/md5.txt', 'bbbb');
    await put(dst, 'mirror/same.txt', 'same!');
    await put(dst, 'mirror/extra.txt', 'only here');
    await put(dst, 'mirror/sub/extra2.txt', 'x');
    await put(src, 'data/len.txt', 'abcde');
    await put(src, 'data/md5.txt', 'aaaa');
    await put(src, 'data/same.txt', 'same!');
    await put(src, 'data/new.txt', 'brand new');
    await put(src, 'data/sub/new2.txt', 'n2');
    await put(src, 'other/outside.txt', 'not under data/');
    const srcUrl = `${azurite.endpoint()}/groups/data/`;
    const dstUrl = `${azurite.endpoint(SECOND_ACCOUNT)}/groupsdst/mirror/`;
    const before = await listed(dst, 'mirror/');

    const dry = await run(['sync', srcUrl, dstUrl, '--dry-run', ...creds]);
    assert.equal(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
    t.diagnostic(`dry run:\n${dry.stdout}`);
    assert.match(dry.stdout, /^new +2 blob\(s\) +11 B {2}new\.txt, sub\/new2\.txt$/m);
    assert.match(dry.stdout, /^changed +2 blob\(s\) +9 B {2}len\.txt, md5\.txt$/m);
    assert.match(dry.stdout, /^same +1 blob\(s\) +5 B {2}same\.txt \(left alone\)$/m);
    assert.match(dry.stdout, /^extra +2 blob\(s\) +10 B {2}extra\.txt, sub\/extra2\.txt \(kept: --delete-destination deletes them\)$/m);
    assert.match(dry.stdout, /Dry run: sync \(compare: auto\): 4 blob\(s\) to copy, 20 B; 1 the same; 2 extra\(s\) kept\. Nothing was written\./);
    assert.match(dry.stdout, /Cost|request|List Blobs/i);

    const json = await run(['sync', srcUrl, dstUrl, '--dry-run', '--json', '--delete-destination', ...creds]);
    assert.equal(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout) as { ok: boolean; deleteDestination: boolean; groups: Record<string, { count: number; bytes: number; first: string[] }>; cost: { requests: Record<string, number> } };
    assert.equal(plan.deleteDestination, true);
    assert.deepEqual(
      Object.fromEntries(Object.entries(plan.groups).map(([g, v]) => [g, [v.count, v.bytes, v.first]])),
      { new: [2, 11, ['new.txt', 'sub/new2.txt']], changed: [2, 9, ['len.txt', 'md5.txt']], same: [1, 5, ['same.txt']], extra: [2, 10, ['extra.txt', 'sub/extra2.txt']] },
    );
    assert.equal(plan.cost.requests['List Blobs'], 2, 'one listing page of each side');
    assert.deepEqual(await listed(dst, 'mirror/'), before, 'a dry run writes nothing');

    const first = await run(['sync', srcUrl, dstUrl, ...creds]);
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /^Synced: 2 new and 2 changed blob\(s\) copied, 20 B in [\d.]+ s; 1 the same\. 2 extra blob\(s\) only at the destination kept \(--delete-destination deletes them\)\.$/m);
    const afterFirst = await listed(dst, 'mirror/');
    assert.deepEqual([...afterFirst.keys()].sort(), ['extra.txt', 'len.txt', 'md5.txt', 'new.txt', 'same.txt', 'sub/extra2.txt', 'sub/new2.txt']);
    assert.equal(afterFirst.get('same.txt')!.etag, before.get('same.txt')!.etag, 'the same blob was left alone');
    assert.equal((await dst.getBlobClient('mirror/md5.txt').downloadToBuffer()).toString(), 'aaaa');
    assert.equal((await dst.getBlobClient('mirror/len.txt').downloadToBuffer()).toString(), 'abcde');
    assert.ok(!afterFirst.has('outside.txt'));

    const again = await run(['sync', srcUrl, dstUrl, ...creds]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim().split('\n').length, 1, again.stdout);
    assert.match(again.stdout, /^Already in sync: 5 blob\(s\) \(25 B\) the same at both ends; nothing copied, nothing deleted\. 2 extra blob\(s\) only at the destination kept/);
    assert.deepEqual(await listed(dst, 'mirror/'), afterFirst);

    const del = await run(['sync', srcUrl, dstUrl, '--delete-destination', '--json', ...creds]);
    assert.equal(del.code, 0, `${del.stdout}\n${del.stderr}`);
    const s = JSON.parse(del.stdout) as { ok: boolean; outcome: string; deleted: number; succeeded: number; groups: Record<string, { count: number }> };
    assert.deepEqual([s.ok, s.outcome, s.deleted, s.succeeded, s.groups.extra.count, s.groups.same.count], [true, 'complete', 2, 0, 2, 5]);
    assert.deepEqual([...(await listed(dst, 'mirror/')).keys()].sort(), ['len.txt', 'md5.txt', 'new.txt', 'same.txt', 'sub/new2.txt']);

    const noop = await run(['sync', srcUrl, dstUrl, '--delete-destination', ...creds]);
    assert.equal(noop.code, 0, noop.stderr);
    assert.equal(noop.stdout, 'Already in sync: 5 blob(s) (25 B) the same at both ends; nothing copied, nothing deleted.\n');
  });

  it('--compare size leaves a changed blob of equal length alone; --compare md5 copies it', { timeout: 60_000 }, async () => {
    const src = dev.getContainerClient('cmp');
    const dst = acct2.getContainerClient('cmpdst');
    await src.create();
    await dst.create();
    await put(src, 'a.txt', 'aaaa');
    await put(dst, 'a.txt', 'bbbb');
    const urls = [`${azurite.endpoint()}/cmp/`, `${azurite.endpoint(SECOND_ACCOUNT)}/cmpdst/`];
    const bySize = await run(['sync', ...urls, '--compare', 'size', ...creds]);
    assert.equal(bySize.code, 0, bySize.stderr);
    assert.match(bySize.stdout, /^Already in sync: 1 blob\(s\)/);
    assert.equal((await dst.getBlobClient('a.txt').downloadToBuffer()).toString(), 'bbbb');
    const byMd5 = await run(['sync', ...urls, '--compare', 'md5', ...creds]);
    assert.equal(byMd5.code, 0, byMd5.stderr);
    assert.match(byMd5.stdout, /^Synced: 0 new and 1 changed/);
    assert.equal((await dst.getBlobClient('a.txt').downloadToBuffer()).toString(), 'aaaa');
  });

  it('bad input: overlapping folders, an unknown --compare, --conflict: one line each, nothing written', { timeout: 60_000 }, async () => {
    const c = dev.getContainerClient('overlap');
    await c.create();
    await put(c, 'data/a.txt', 'a');
    await put(c, 'data/sub/old.txt', 'old');
    const into = await run(['sync', `${azurite.endpoint()}/overlap/data/`, `${azurite.endpoint()}/overlap/data/sub/`, '--delete-destination', '--source-connection-string', azurite.connectionString(), '--destination-connection-string', azurite.connectionString()]);
    assert.equal(into.code, 1, into.stdout);
    assert.equal(into.stderr.trim().split('\n').length, 1, into.stderr);
    assert.match(into.stderr, /^error: "overlap\/data\/" and "overlap\/data\/sub\/" overlap \(one is inside the other\)/);
    const onto = await run(['sync', `${azurite.endpoint()}/overlap/data/`, `${azurite.endpoint()}/overlap/data`, '--source-connection-string', azurite.connectionString(), '--destination-connection-string', azurite.connectionString()]);
    assert.equal(onto.code, 1);
    assert.match(onto.stderr, /would be synced onto itself/);
    assert.deepEqual([...(await listed(c)).keys()].sort(), ['data/a.txt', 'data/sub/old.txt']);
    const bad = await run(['sync', `${azurite.endpoint()}/overlap/data/`, `${azurite.endpoint()}/overlap/x/`, '--compare', 'hash', ...creds]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'blob-copy: --compare must be one of auto, size, md5, time; got "hash".\n');
    const conflict = await run(['sync', `${azurite.endpoint()}/overlap/data/`, `${azurite.endpoint()}/overlap/x/`, '--conflict', 'skip', ...creds]);
    assert.equal(conflict.code, 2);
    assert.match(conflict.stderr, /--conflict does not apply to "sync"/);
    const rehydrate = await run(['sync', `${azurite.endpoint()}/overlap/data/`, `${azurite.endpoint()}/overlap/x/`, '--rehydrate', 'high', ...creds]);
    assert.equal(rehydrate.code, 2);
    assert.match(rehydrate.stderr, /^blob-copy: --rehydrate does not apply to "sync"/);
    const empty = await run(['sync', `${azurite.endpoint()}/overlap/nothing/`, `${azurite.endpoint(SECOND_ACCOUNT)}/emptydst/`, '--delete-destination', ...creds]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^error: Nothing to sync: there is no blob under overlap\/nothing\//);
  });

  describe('through a fault proxy', () => {
    let proxy: FaultProxy;
    before(async () => {
      proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    });
    after(async () => {
      await proxy?.stop();
    });

    async function fill(c: ContainerClient, prefix: string, n: number): Promise<void> {
      for (let i = 0; i < n; i += 50) {
        await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => put(c, `${prefix}${String(i + k).padStart(4, '0')}.txt`, `blob ${i + k}`)));
      }
    }

    it('a source listing that fails part-way deletes nothing: exit 1, the extras stay', { timeout: 120_000 }, async () => {
      const src = dev.getContainerClient('lfsrc');
      const dst = dev.getContainerClient('lfdst');
      await src.create();
      await dst.create();
      await fill(src, 'f/', 250);
      await put(dst, 'f/zz-extra.txt', 'extra');
      await put(dst, 'f/0000-extra.txt', 'extra');
      // The source's second listing page (the one with a marker) is refused: the listing stops after its first page.
      proxy.setRules({ match: (r) => r.comp === 'list' && r.path.includes('/lfsrc') && /(^|&)marker=/.test(r.query), refuse: { status: 403, code: 'AuthorizationFailure' } });
      try {
        const cs = proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
        const r = await run(['sync', `${proxy.endpoint(DEV_ACCOUNT.name)}/lfsrc/f/`, `${proxy.endpoint(DEV_ACCOUNT.name)}/lfdst/f/`, '--delete-destination', '--json', '--source-connection-string', cs, '--destination-connection-string', cs]);
        assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
        const s = JSON.parse(r.stdout) as { ok: boolean; outcome: string; deleted: number; listingError?: { status?: number }; deletionSkipped?: string; succeeded: number };
        assert.equal(s.ok, false);
        assert.equal(s.outcome, 'partial');
        assert.equal(s.deleted, 0);
        assert.equal(s.listingError?.status, 403);
        assert.match(s.deletionSkipped ?? '', /listing did not reach its end/);
        assert.ok(s.succeeded > 0 && s.succeeded < 250, `copied ${s.succeeded}`);
      } finally {
        proxy.setRules({});
      }
      const names = await listed(dst, 'f/');
      assert.ok(names.has('zz-extra.txt') && names.has('0000-extra.txt'), 'no extra was deleted');
    });

    it('a sync killed half-way loses nothing and deletes nothing; run again it completes, then does nothing', { timeout: 180_000 }, async () => {
      const src = dev.getContainerClient('killsrc');
      const dst = dev.getContainerClient('killdst');
      await src.create();
      await dst.create();
      await fill(src, '', 200);
      await put(dst, 'zz-extra.txt', 'extra');
      const cs = proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
      const args = ['sync', `${proxy.endpoint(DEV_ACCOUNT.name)}/killsrc/`, `${proxy.endpoint(DEV_ACCOUNT.name)}/killdst/`, '--delete-destination', '--concurrency', '1', '--source-connection-string', cs, '--destination-connection-string', cs];
      // Each copy waits 100 ms at the proxy, so the kill comes while most blobs are still to copy.
      proxy.setRules({ match: (r) => r.copySource !== undefined, delayMs: 100 });
      let copies = 0;
      const hook = proxy.onRequest((r) => {
        if (r.copySource !== undefined) copies++;
      });
      try {
        const { child, done } = startCli(cliPath, args, {}, 120_000);
        await waitFor(() => copies >= 20, 60_000, '20 copy requests');
        child.kill('SIGKILL');
        const killed = await done;
        assert.equal(killed.code, null, 'killed by the signal');
      } finally {
        hook.dispose();
        proxy.setRules({});
      }
      const mid = await listed(dst);
      assert.ok(mid.has('zz-extra.txt'), 'killed before the copies ended: the extra is still there');
      assert.ok(mid.size < 201, `${mid.size - 1} of 200 copied before the kill`);
      const rerun = await run(args);
      assert.equal(rerun.code, 0, `${rerun.stdout}\n${rerun.stderr}`);
      assert.match(rerun.stdout, /^Synced: \d+ new and 0 changed blob\(s\) copied, .*1 extra\(s\) deleted/m);
      const end = await listed(dst);
      assert.deepEqual([...end.keys()].sort(), [...(await listed(src)).keys()].sort());
      const third = await run(args);
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stdout, /^Already in sync: 200 blob\(s\) \(1\.5 KiB\) the same at both ends; nothing copied, nothing deleted\.\n$/);
    });
  });
});
