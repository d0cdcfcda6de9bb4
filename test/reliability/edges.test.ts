/**
 * Truthful copies on real estates: the CLI against Azurite (two accounts), one case per way a copy could claim more
 * than it did. Each case checks the exit code, the summary line, `--json`, stderr and the bytes at both ends.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { BlobServiceClient } from '@azure/storage-blob';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, runCli, startCli, type CliResult } from '../helpers/cli';
import { blobMd5, md5 } from '../helpers/content';

let cliPath = '';

interface JsonSummary {
  ok: boolean;
  outcome: string;
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  unplanned: number;
  refused: Array<{ source: string; reason: string }>;
}

async function names(service: BlobServiceClient, container: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix: prefix || undefined })) out.push(b.name);
  return out.sort();
}

async function upload(service: BlobServiceClient, container: string, name: string, body: string | Buffer, metadata?: Record<string, string>): Promise<void> {
  await service.getContainerClient(container).getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { metadata });
}

/** Uploads `count` small blobs named `${prefix}${i}` (4 digits), a few at a time. */
async function seed(service: BlobServiceClient, container: string, prefix: string, count: number): Promise<void> {
  const c = service.getContainerClient(container);
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) => {
        const name = `${prefix}${String(i + k).padStart(4, '0')}`;
        return c.getBlockBlobClient(name).upload(name, name.length);
      }),
    );
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

describe('truthful copies: edge cases through the CLI', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  let creds: string[];
  const url = (container: string, path = '', account?: typeof SECOND_ACCOUNT) => `${azurite.endpoint(account)}/${container}/${path}`;
  /** Runs the CLI with the default account's connection string for each side the arguments give none. */
  const run = (args: string[], timeoutMs = 120_000): Promise<CliResult> => {
    const extra: string[] = [];
    for (let i = 0; i < creds.length; i += 2) if (!args.includes(creds[i])) extra.push(creds[i], creds[i + 1]);
    return runCli(cliPath, [...args, ...extra], {}, timeoutMs);
  };

  before(async () => {
    [cliPath, azurite] = await Promise.all([bundleCli('cli-edges'), startAzurite()]);
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    await Promise.all(['src', 'self', 'mark', 'empty', 'arch', 'race'].map((c) => dev.createContainer(c)));
    await Promise.all(['far', 'mfar'].map((c) => acct2.createContainer(c)));
    creds = ['--source-connection-string', azurite.connectionString(), '--destination-connection-string', azurite.connectionString()];
  });
  after(async () => {
    await azurite?.stop();
  });

  it('a blob the plan refuses on a later listing page makes the batch partial: exit 1, named, every other blob copied', async () => {
    await seed(dev, 'src', 'data/f', 150);
    // Sorts last (page 2 of the listing): its destination name under "deeper/folder/" is over the 1,024-character limit.
    const long = `data/zz${'z'.repeat(1015)}`;
    await upload(dev, 'src', long, 'too long at the destination');
    const r = await run(['copy', url('src', 'data/'), url('src', 'deeper/folder/'), '--recursive', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as JsonSummary;
    assert.equal(j.ok, false);
    assert.equal(j.outcome, 'partial');
    assert.equal(j.succeeded, 150);
    assert.equal(j.unplanned, 1);
    assert.equal(j.refused[0].source, long);
    assert.match(j.refused[0].reason, /at most 1024 characters/);
    assert.equal((await names(dev, 'src', 'deeper/folder/')).length, 150);
    // Without --json: the summary line says partial and stderr names the blob, once.
    const t = await run(['copy', url('src', 'data/'), url('src', 'deeper/other/'), '--recursive']);
    assert.equal(t.code, 1);
    assert.match(t.stdout, /^Partial: 150 of 151 blob\(s\) copied, .*1 not copied \(cannot be planned\)\.$/m);
    const named = lines(t.stderr).filter((l) => l.includes('data/zzzz'));
    assert.equal(named.length, 1, t.stderr);
    assert.match(named[0], /^not copied: data\/zz/);
    // A dry run says the same and exits 1.
    const dry = await run(['copy', url('src', 'data/'), url('src', 'deeper/third/'), '--recursive', '--dry-run']);
    assert.equal(dry.code, 1);
    assert.match(dry.stdout, /1 cannot be copied/);
    assert.deepEqual(await names(dev, 'src', 'deeper/third/'), []);
  });

  it('a folder copied into its own subfolder copies each original exactly once', async () => {
    await seed(dev, 'self', 'a/f', 600);
    await upload(dev, 'self', 'a/b/orig.txt', 'an original under the destination folder');
    const before = await names(dev, 'self', 'a/');
    const r = await run(['copy', url('self', 'a/'), url('self', 'a/b/'), '--recursive', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as JsonSummary;
    assert.equal(j.succeeded, before.length);
    const expected = [...before, ...before.map((n) => `a/b/${n.slice(2)}`)].sort();
    assert.deepEqual(await names(dev, 'self', 'a/'), expected);
    assert.equal((await dev.getContainerClient('self').getBlobClient('a/b/b/orig.txt').downloadToBuffer()).toString(), 'an original under the destination folder');
  });

  it('directory markers are copied as what they are (0 bytes, their metadata), by copy and by move', async () => {
    const marker = { hdi_isfolder: 'true' };
    await upload(dev, 'mark', 'm/', '', marker);
    await upload(dev, 'mark', 'm/x/', '', marker);
    await upload(dev, 'mark', 'm/x/file.txt', 'in x');
    await upload(dev, 'mark', 'm/y/', '', marker); // an empty folder: only its marker
    const r = await run(['copy', url('mark', 'm/'), url('far', 'n/', SECOND_ACCOUNT), '--recursive', '--json', '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await names(acct2, 'far', 'n/'), ['n/', 'n/x/', 'n/x/file.txt', 'n/y/']);
    for (const m of ['n/', 'n/x/', 'n/y/']) {
      const p = await acct2.getContainerClient('far').getBlobClient(m).getProperties();
      assert.equal(p.contentLength, 0, m);
      assert.equal(p.metadata?.hdi_isfolder, 'true', m);
    }
    const mv = await run(['move', url('mark', 'm/'), url('mfar', 'moved/', SECOND_ACCOUNT), '--recursive', '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)]);
    assert.equal(mv.code, 0, mv.stderr);
    assert.deepEqual(await names(acct2, 'mfar'), ['moved/', 'moved/x/', 'moved/x/file.txt', 'moved/y/']);
    assert.deepEqual(await names(dev, 'mark', 'm/'), []);
  });

  it('nothing to copy is an error with one line saying why, unless --allow-empty', async () => {
    await upload(dev, 'empty', 'docs/a.txt', 'a');
    const cases: Array<[string[], RegExp]> = [
      [['copy', url('empty', 'docs/'), url('empty', 'out/'), '--recursive', '--include', '*.pdf'], /^error: Nothing to copy: no blob under empty\/docs\/ matches the include\/exclude patterns \(NothingToCopy\)\. Check the patterns/m],
      [['copy', url('empty', 'dcos/'), url('empty', 'out/'), '--recursive'], /^error: Nothing to copy: there is no blob under empty\/dcos\/ \(NothingToCopy\)\. Check the source folder name/m],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 1, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(lines(r.stderr).filter((l) => l.startsWith('error:')).length, 1, r.stderr);
      const allowed = await run([...args, '--allow-empty']);
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /Copied 0 of 0/);
    }
    assert.deepEqual(await names(dev, 'empty', 'out/'), []);
  });

  it('an empty page blob copies to another account', async () => {
    await dev.getContainerClient('src').getPageBlobClient('pages/empty.vhd').create(0, { metadata: { kind: 'empty-disk' } });
    const r = await run(['copy', url('src', 'pages/empty.vhd'), url('far', 'pages/empty.vhd', SECOND_ACCOUNT), '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)]);
    assert.equal(r.code, 0, r.stderr);
    const p = await acct2.getContainerClient('far').getBlobClient('pages/empty.vhd').getProperties();
    assert.equal(p.blobType, 'PageBlob');
    assert.equal(p.contentLength, 0);
    assert.equal(p.metadata?.kind, 'empty-disk');
  });

  it('archived sources are refused by name with the tier and how to go on; the rest of the folder copies', async () => {
    await upload(dev, 'arch', 'cold/a.txt', 'online');
    await upload(dev, 'arch', 'cold/b.txt', 'archived');
    await dev.getContainerClient('arch').getBlobClient('cold/b.txt').setAccessTier('Archive');
    for (const dest of [url('far', 'cold/', SECOND_ACCOUNT), url('arch', 'copy/')]) {
      const r = await run(['copy', url('arch', 'cold/'), dest, '--recursive', '--json', '--destination-connection-string', azurite.connectionString(dest.includes(SECOND_ACCOUNT.name) ? SECOND_ACCOUNT : undefined)]);
      assert.equal(r.code, 1, r.stderr);
      const j = JSON.parse(r.stdout) as JsonSummary;
      assert.equal(j.succeeded, 1);
      assert.equal(j.unplanned, 1);
      assert.equal(j.refused[0].source, 'cold/b.txt');
      assert.match(j.refused[0].reason, /Archive tier.*rehydrate/);
    }
    assert.equal((await acct2.getContainerClient('far').getBlobClient('cold/a.txt').downloadToBuffer()).toString(), 'online');
    assert.equal(await acct2.getContainerClient('far').getBlobClient('cold/b.txt').exists(), false);
    // --rehydrate: within the account, a rehydrating Copy Blob brings it online at the destination; the source stays archived.
    const r = await run(['copy', url('arch', 'cold/'), url('arch', 'warm/'), '--recursive', '--rehydrate', 'high', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as JsonSummary & { jobs: Array<{ source: string; operation: string }> };
    assert.equal(j.succeeded, 2);
    assert.equal(j.jobs.find((x) => x.source.endsWith('cold/b.txt'))?.operation, 'copy-blob');
    const warm = dev.getContainerClient('arch').getBlobClient('warm/b.txt');
    assert.equal((await warm.downloadToBuffer()).toString(), 'archived');
    assert.equal((await warm.getProperties()).accessTier, 'Hot');
    assert.equal((await dev.getContainerClient('arch').getBlobClient('cold/b.txt').getProperties()).accessTier, 'Archive');
    // Across accounts Azure has no way to copy it: still refused, by name.
    const far = await run(['copy', url('arch', 'cold/'), url('far', 'cold2/', SECOND_ACCOUNT), '--recursive', '--rehydrate', 'high', '--json', '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)]);
    assert.equal(far.code, 1);
    assert.match((JSON.parse(far.stdout) as JsonSummary).refused[0].reason, /only within its own account/);
  });

  it('two runs with --conflict skip into one folder: both exit 0, each blob written once, the rest skipped', async () => {
    await seed(dev, 'race', 'in/f', 300);
    const args = ['copy', url('race', 'in/'), url('race', 'out/'), '--recursive', '--conflict', 'skip', '--json', ...creds];
    const [a, b] = await Promise.all([startCli(cliPath, args, {}, 120_000).done, startCli(cliPath, args, {}, 120_000).done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ja = JSON.parse(a.stdout) as JsonSummary;
    const jb = JSON.parse(b.stdout) as JsonSummary;
    assert.equal(ja.failed + jb.failed, 0);
    assert.equal(ja.succeeded + ja.skipped, 300);
    assert.equal(jb.succeeded + jb.skipped, 300);
    const out = await names(dev, 'race', 'out/');
    assert.equal(out.length, 300);
    const sample = dev.getContainerClient('race').getBlobClient('out/f0123');
    assert.equal(await blobMd5(sample), md5(Buffer.from('in/f0123')));
  });

  it('one account named through localhost and 127.0.0.1 is one account: a copy or move onto itself is refused', async () => {
    await upload(dev, 'src', 'self/one.txt', 'stay');
    const port = new URL(azurite.endpoint()).port;
    const viaLocalhost = `http://localhost:${port}/${new URL(azurite.endpoint()).pathname.split('/')[1]}/src/self/one.txt`;
    for (const command of ['copy', 'move']) {
      const r = await run([command, viaLocalhost, url('src', 'self/one.txt')]);
      assert.equal(r.code, 1, `${command}: ${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /onto itself/);
      assert.doesNotMatch(r.stderr, /changed after/);
    }
    assert.equal((await dev.getContainerClient('src').getBlobClient('self/one.txt').downloadToBuffer()).toString(), 'stay');
  });
});
