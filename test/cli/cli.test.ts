/**
 * The `blob-copy` CLI, bundled exactly like dist/cli.js (esbuild, CJS, Node 20) into .cache and run as a child
 * process against a real Azurite (two accounts). No network beyond loopback; DefaultAzureCredential is never
 * reached (every test gives credentials; the child's environment has no AZURE_* variables unless a test sets one).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, repoRoot, runCli, type CliResult } from '../helpers/cli';

let cliPath = '';

const run = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) => runCli(cliPath, args, env, timeoutMs);

function containerSas(account: { name: string; key: string }, container: string, permissions: string): string {
  return generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse(permissions),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    new StorageSharedKeyCredential(account.name, account.key),
  ).toString();
}

async function listNames(service: BlobServiceClient, container: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
  return names.sort();
}

describe('blob-copy CLI against Azurite', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  const payload = crypto.randomBytes(300_000);
  let srcSas: string;
  let dstSas: string;
  const secrets: string[] = [];

  before(async () => {
    cliPath = await bundleCli('cli-test');
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    const src = dev.getContainerClient('src');
    await src.create();
    await dev.createContainer('dst');
    await acct2.createContainer('other');
    await src.getBlockBlobClient('one.bin').upload(payload, payload.length, {
      blobHTTPHeaders: { blobContentType: 'application/x-test' },
      metadata: { origin: 'cli-test' },
    });
    for (const name of ['docs/a.txt', 'docs/b.txt', 'docs/c.log', 'docs/sub/d.txt', 'docs/sub/e.log', 'other/x.txt']) {
      await src.getBlockBlobClient(name).upload(`content of ${name}`, `content of ${name}`.length);
    }
    srcSas = containerSas(DEV_ACCOUNT, 'src', 'rl');
    dstSas = containerSas(DEV_ACCOUNT, 'dst', 'racwdl');
    for (const q of [srcSas, dstSas]) secrets.push(new URLSearchParams(q).get('sig')!);
    secrets.push(DEV_ACCOUNT.key, SECOND_ACCOUNT.key);
  });
  after(async () => {
    await azurite?.stop();
  });

  const assertNoSecrets = (r: CliResult) => {
    for (const s of secrets) {
      assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `a secret was printed:\n${r.stdout}\n${r.stderr}`);
      const enc = encodeURIComponent(s);
      assert.ok(!r.stdout.includes(enc) && !r.stderr.includes(enc), 'an encoded secret was printed');
    }
  };

  it('--help and --version', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /blob-copy copy <source-url> <destination-url>/);
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('bad input exits 2 with a clear message and writes nothing', async () => {
    const before = await listNames(dev, 'dst');
    const cases: Array<[string[], RegExp]> = [
      [['copy', 'not a url', `${azurite.endpoint()}/dst/x`], /source URL "not a url" is not a valid URL/],
      [['copy', `ftp://127.0.0.1/${DEV_ACCOUNT.name}/src/one.bin`, `${azurite.endpoint()}/dst/x`], /must start with https:\/\//],
      [['copy', `${azurite.endpoint()}/src/one.bin`], /needs a source URL and a destination URL/],
      [['copy', `${azurite.endpoint()}/src/docs/`, `${azurite.endpoint()}/dst/`], /--recursive/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--strategy', 'fastest'], /--strategy must be one of/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--conflict', 'merge'], /--conflict must be one of/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--concurrency', '0'], /--concurrency must be an integer from 1 to 1024 \(got 0\)/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--bogus'], /Unknown option "--bogus"/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--include', '*.txt'], /--include \/ --exclude filter a folder/],
      [['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--source-connection-string', 'garbage'], /Malformed connection string/],
      [
        ['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/x`, '--source-connection-string', azurite.connectionString(SECOND_ACCOUNT)],
        /is for account "acct2", but the URL names account "devstoreaccount1"/,
      ],
      [['frobnicate'], /Unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
      assertNoSecrets(r);
    }
    assert.deepEqual(await listNames(dev, 'dst'), before);
  });

  it('copies one blob with SAS URLs; bytes, content type and metadata arrive; the SAS is never printed', async () => {
    const r = await run(['copy', `${azurite.endpoint()}/src/one.bin?${srcSas}`, `${azurite.endpoint()}/dst/copied/one.bin?${dstSas}`]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    const d = dev.getContainerClient('dst').getBlockBlobClient('copied/one.bin');
    assert.ok((await d.downloadToBuffer()).equals(payload));
    const props = await d.getProperties();
    assert.equal(props.contentType, 'application/x-test');
    assert.equal(props.metadata?.origin, 'cli-test');
    assert.match(r.stdout, /Copied 1 of 1 blob/);
  });

  it('copies one blob to another account with the two connection-string flags, into a folder URL', async () => {
    const r = await run([
      'copy',
      `${azurite.endpoint()}/src/one.bin`,
      `${azurite.endpoint(SECOND_ACCOUNT)}/other/incoming/`,
      '--source-connection-string',
      azurite.connectionString(),
      '--destination-connection-string',
      azurite.connectionString(SECOND_ACCOUNT),
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    const got = await acct2.getContainerClient('other').getBlockBlobClient('incoming/one.bin').downloadToBuffer();
    assert.ok(got.equals(payload));
  });

  it('copies recursively with --include / --exclude, keeping relative names (AZURE_STORAGE_CONNECTION_STRING for both sides)', async () => {
    const r = await run(
      ['copy', `${azurite.endpoint()}/src/docs/`, `${azurite.endpoint()}/dst/filtered/`, '--recursive', '--include', '*.txt', '--exclude', 'sub/*', '--json'],
      { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString() },
    );
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    assert.deepEqual(await listNames(dev, 'dst', 'filtered/'), ['filtered/a.txt', 'filtered/b.txt']);
    const summary = JSON.parse(r.stdout) as { ok: boolean; total: number; succeeded: number; failed: number; jobs: unknown[]; settled?: string };
    assert.equal(summary.ok, true);
    assert.equal(summary.total, 2);
    assert.equal(summary.succeeded, 2);
    assert.equal(summary.failed, 0);
    assert.equal(summary.jobs.length, 2);
    // Where the requests in flight settled: in --json, not on stderr without --verbose.
    assert.match(summary.settled ?? '', /^Requests in flight settled at \d+ to http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 .*small blobs capped at \d+ in flight\.$/);
    assert.doesNotMatch(r.stderr, /Requests in flight settled/);
  });

  it('--dry-run shows the plan and writes nothing (text and JSON)', async () => {
    const before = await listNames(dev, 'dst');
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString() };
    const text = await run(['copy', `${azurite.endpoint()}/src/docs/`, `${azurite.endpoint()}/dst/dry/`, '-r', '--dry-run'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Dry run: 5 blob\(s\)/);
    assert.match(text.stdout, /sub\/e\.log/);
    // Cost preview: 5 small blobs in one account: one Copy Blob From URL each; planning lists the source once and
    // the destination folder once (asked for beside the source's first page; it answers the few names, no HEADs).
    assert.match(text.stdout, /REST calls: 5 × Copy Blob From URL, 2 × List Blobs\./);
    assert.match(text.stdout, /Bytes: \d+ B stay inside one account; none cross accounts\. No bytes pass through this machine\./);
    const json = await run(['copy', `${azurite.endpoint()}/src/docs/`, `${azurite.endpoint()}/dst/dry/`, '-r', '--dry-run', '--json', '--exclude', '*.log'], env);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as {
      dryRun: boolean;
      plan: { count: number; bytes: number; items: Array<{ destination: string }>; cost: { requests: Record<string, number>; bytes: { sameAccount: number; crossAccount: number } } };
    };
    assert.equal(parsed.dryRun, true);
    assert.equal(parsed.plan.count, 3);
    assert.deepEqual(parsed.plan.cost.requests, { 'Copy Blob From URL': 3, 'List Blobs': 2 });
    assert.deepEqual(parsed.plan.cost.bytes, { sameAccount: parsed.plan.bytes, crossAccount: 0 });
    assert.deepEqual(parsed.plan.items.map((i) => i.destination).sort(), ['dst/dry/a.txt', 'dst/dry/b.txt', 'dst/dry/sub/d.txt']);
    assert.deepEqual(await listNames(dev, 'dst'), before);
  });

  it('--conflict skip counts as success; --json reports the skip', async () => {
    const args = ['copy', `${azurite.endpoint()}/src/one.bin?${srcSas}`, `${azurite.endpoint()}/dst/copied/one.bin?${dstSas}`, '--conflict', 'skip', '--json'];
    const r = await run(args);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    const summary = JSON.parse(r.stdout) as { ok: boolean; skipped: number; succeeded: number };
    assert.equal(summary.ok, true);
    assert.equal(summary.skipped, 1);
    assert.equal(summary.succeeded, 0);
  });

  it('a missing source exits 1 with a message that names no secret', async () => {
    const r = await run(['copy', `${azurite.endpoint()}/src/missing.bin?${srcSas}`, `${azurite.endpoint()}/dst/missing.bin?${dstSas}`]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /error:/);
    assertNoSecrets(r);
    assert.equal(await dev.getContainerClient('dst').getBlockBlobClient('missing.bin').exists(), false);
  });
});
