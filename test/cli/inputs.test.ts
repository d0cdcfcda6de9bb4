/**
 * The CLI's input validation and error lines, through `blob-copy` bundled like dist/cli.js against a real Azurite:
 * bad input is one line naming the flag or field, exit 2, nothing written; an error is one line (no empty message,
 * no duplicate, no SDK retry chatter without --verbose); --recursive on a blob URL copies that blob. Also plain
 * unit checks of the sentences for errors without a body (HEAD answers) on errors Azurite really returns.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { RestError } from '@azure/core-rest-pipeline';
import { BlobServiceClient, ContainerClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { endpointUrlProblem, parseConnectionString } from '../../src/core/storage/connectionString';
import { toCopyError } from '../../src/core/base/errors';
import { AzuriteInstance, DEV_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, runCli, type CliResult } from '../helpers/cli';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';

let cliPath = '';

/** stderr as lines (without the empty string after the last newline). */
const lines = (r: CliResult) => r.stderr.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);

async function names(service: BlobServiceClient, container: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of service.getContainerClient(container).listBlobsFlat()) out.push(b.name);
  return out.sort();
}

function containerSas(container: string, permissions: string): string {
  return generateBlobSASQueryParameters(
    { containerName: container, permissions: ContainerSASPermissions.parse(permissions), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 3600_000) },
    new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key),
  ).toString();
}

describe('blob-copy CLI: input validation and error lines', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let src = '';
  let dst = '';
  let creds: string[] = [];
  const payload = crypto.randomBytes(70_000);
  const run = (args: string[], timeoutMs = 60_000) => runCli(cliPath, args, {}, timeoutMs);

  before(async () => {
    cliPath = await bundleCli('cli-inputs-test');
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    await dev.createContainer('src');
    await dev.createContainer('dst');
    const c = dev.getContainerClient('src');
    await c.getBlockBlobClient('one.bin').upload(payload, payload.length);
    for (const name of ['docs/a.txt', 'docs/b.txt', 'both', 'both/inner.txt']) await c.getBlockBlobClient(name).upload(name, name.length);
    src = `${azurite.endpoint()}/src`;
    dst = `${azurite.endpoint()}/dst`;
    creds = ['--source-connection-string', azurite.connectionString(), '--destination-connection-string', azurite.connectionString()];
  });
  after(async () => {
    await azurite?.stop();
  });

  /** Runs a command that must be refused: exit 2, exactly `expected` on stderr, nothing on stdout, nothing written. */
  async function refused(args: string[], expected: string): Promise<void> {
    const before = await names(dev, 'dst');
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.deepEqual(lines(r), [expected]);
    assert.equal(r.stdout, '');
    assert.deepEqual(await names(dev, 'dst'), before);
  }

  it('negative and malformed numeric flags: one line naming the flag and its range, in both "--flag v" and "--flag=v" forms', async () => {
    const cases: Array<[string, string, string]> = [
      ['--concurrency', '-1', 'an integer from 1 to 1024'],
      ['--concurrency', '2.5', 'an integer from 1 to 1024'],
      ['--concurrency', '1e3', 'an integer from 1 to 1024'],
      ['--block-size-mib', '-4', 'a number of MiB above 0 and at most 4000'],
      ['--block-size-mib', '0', 'a number of MiB above 0 and at most 4000'],
      ['--outage-tolerance', '-1', 'a number of seconds from 0 to 604800'],
      ['--outage-tolerance', '-0.5', 'a number of seconds from 0 to 604800'],
    ];
    for (const [flag, value, range] of cases) {
      const expected = `blob-copy: ${flag} must be ${range} (got ${value}).`;
      await refused(['copy', `${src}/one.bin`, `${dst}/n.bin`, ...creds, flag, value], expected);
      await refused(['copy', `${src}/one.bin`, `${dst}/n.bin`, ...creds, `${flag}=${value}`], expected);
    }
    await refused(['copy', `${src}/one.bin`, `${dst}/n.bin`, ...creds, '--concurrency'], 'blob-copy: --concurrency needs a value.');
    await refused(['copy', `${src}/one.bin`, `${dst}/n.bin`, ...creds, '--include', '--json'], 'blob-copy: --include needs a value (a value that starts with "-" is written --include=<value>).');
    // A valid value still copies (the negative-number handling takes nothing else).
    const ok = await run(['copy', `${src}/one.bin`, `${dst}/numeric-ok.bin`, ...creds, '--concurrency', '3', '--outage-tolerance=0', '--block-size-mib', '0.5']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok((await dev.getContainerClient('dst').getBlobClient('numeric-ok.bin').downloadToBuffer()).equals(payload));
  });

  it('a malformed endpoint in a connection string or a positional URL: one line naming the flag and the field', async () => {
    const key = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT.name};AccountKey=${DEV_ACCOUNT.key}`;
    await refused(
      ['copy', `${src}/one.bin`, `${dst}/e.bin`, '--source-connection-string', `${key};BlobEndpoint=http://`, '--destination-connection-string', azurite.connectionString()],
      'blob-copy: --source-connection-string: BlobEndpoint "http://" is not a valid URL (expected e.g. https://account.blob.core.windows.net).',
    );
    await refused(
      ['copy', `${src}/one.bin`, `${dst}/e.bin`, '--source-connection-string', azurite.connectionString(), '--destination-connection-string', `${key};BlobEndpoint=ftp://x/y`],
      'blob-copy: --destination-connection-string: BlobEndpoint "ftp://x/y" must start with https:// (or http:// for the emulator).',
    );
    await refused(
      ['copy', `${src}/one.bin`, `${dst}/e.bin`, '--source-connection-string', `${key};BlobEndpoint=http://127.0.0.1:10000`.replace(`AccountName=${DEV_ACCOUNT.name};`, '')],
      'blob-copy: --source-connection-string: BlobEndpoint "http://127.0.0.1:10000" names no account, and AccountName is missing (for the emulator: http://127.0.0.1:10000/devstoreaccount1).',
    );
    await refused(
      ['copy', `${src}/one.bin`, 'http://', ...creds],
      'blob-copy: The destination URL "http://" is not a valid URL (expected e.g. https://account.blob.core.windows.net/container/path, or http://127.0.0.1:10000/account/container/path for the emulator).',
    );
    // The extension's Add Connection flow validates with the same functions.
    assert.throws(() => parseConnectionString(`${key};BlobEndpoint=http://`), { message: 'BlobEndpoint "http://" is not a valid URL (expected e.g. https://account.blob.core.windows.net).' });
    assert.equal(endpointUrlProblem('https//acct', 'Blob endpoint'), 'Blob endpoint "https//acct" is not a valid URL (expected e.g. https://account.blob.core.windows.net).');
    assert.equal(endpointUrlProblem('https://acct.blob.core.windows.net', 'Blob endpoint'), undefined);
  });

  it('a missing source (HEAD, no body): exit 1, one line with a real sentence before the status', async () => {
    const r = await run(['copy', `${src}/nope.txt`, `${dst}/nope.txt`, ...creds]);
    assert.equal(r.code, 1, r.stderr);
    const got = lines(r);
    assert.equal(got.length, 1, r.stderr);
    assert.match(got[0], /^error: Read source src\/nope\.txt: the blob does not exist \(HTTP 404, BlobNotFound, request id [\w-]+\)\. Check the name; the blob may have been deleted since the plan was made\.$/);
    assert.equal(await dev.getContainerClient('dst').getBlobClient('nope.txt').exists(), false);
  });

  it('a job that fails during the copy is told once: one "failed:" line per job, no live duplicate (--verbose adds the live lines)', async () => {
    // The destination's SAS may read and list (planning works) but not write: each copy fails with 403.
    const readOnly = containerSas('dst', 'rl');
    const args = ['copy', `${src}/docs/`, `${dst}/denied/?${readOnly}`, '--recursive', '--source-connection-string', azurite.connectionString()];
    const r = await run(args);
    assert.equal(r.code, 1, r.stderr);
    const got = lines(r);
    assert.equal(got.length, 2, r.stderr);
    for (const name of ['a.txt', 'b.txt']) {
      const mentions = got.filter((l) => l.includes(`docs/${name}`));
      assert.equal(mentions.length, 1, `src/docs/${name} is named once:\n${r.stderr}`);
      assert.match(mentions[0], new RegExp(`^failed: Copy src/docs/${name.replace('.', '\\.')} → dst/denied/${name.replace('.', '\\.')}: .*\\(HTTP 403, AuthorizationPermissionMismatch`));
    }
    assert.match(r.stdout, /^Failed: 0 of 2 blob\(s\) copied, .* 2 failed\.$/m);
    assert.deepEqual(await names(dev, 'dst').then((n) => n.filter((x) => x.startsWith('denied/'))), []);
    const verbose = await run([...args, '--verbose']);
    assert.equal(verbose.code, 1, verbose.stderr);
    assert.equal(lines(verbose).filter((l) => l.startsWith('error: Copy src/docs/')).length, 2, verbose.stderr);
    assert.equal(lines(verbose).filter((l) => l.startsWith('failed: Copy src/docs/')).length, 2, verbose.stderr);
    // --json has no list on stderr: each failure is told there once, as it happens (the JSON carries them all).
    const json = await run([...args, '--json']);
    assert.equal(json.code, 1, json.stderr);
    assert.equal(lines(json).length, 2, json.stderr);
    assert.ok(lines(json).every((l) => /^error: Copy src\/docs\/[ab]\.txt → dst\/denied\/[ab]\.txt: This request is not authorized .*\(request id [\w-]+\)$/.test(l)), json.stderr);
    assert.equal((JSON.parse(json.stdout) as { failed: number }).failed, 2);
  });

  describe('an unreachable endpoint', () => {
    let proxy: FaultProxy;
    before(async () => {
      proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
      await proxy.setDown('refuse', { maxDownMs: 120_000 });
    });
    after(async () => {
      await proxy?.stop();
    });

    it('prints one error line; the SDK retries only with --verbose', { timeout: 120_000 }, async () => {
      const args = ['copy', `${proxy.endpoint(DEV_ACCOUNT.name)}/src/one.bin`, `${dst}/unreachable.bin`, '--source-connection-string', proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key), '--destination-connection-string', azurite.connectionString()];
      const finalLine = new RegExp(`^error: Read source src/one\\.bin: connect ECONNREFUSED 127\\.0\\.0\\.1:${proxy.port}\\. The storage endpoint is unreachable: check the URL, the network, or start the emulator\\.$`);
      const quiet = await run(args, 90_000);
      assert.equal(quiet.code, 1, quiet.stderr);
      assert.equal(lines(quiet).length, 1, quiet.stderr);
      assert.match(lines(quiet)[0], finalLine);
      const retry = new RegExp(`^HEAD http://127\\.0\\.0\\.1:${proxy.port}/${DEV_ACCOUNT.name}/src/one\\.bin: network error ECONNREFUSED; the SDK's retry policy retries it\\.$`);
      const verbose = await run([...args, '--verbose'], 90_000);
      assert.equal(verbose.code, 1, verbose.stderr);
      const got = lines(verbose);
      assert.ok(got.filter((l) => retry.test(l)).length >= 2, `one line per retry with --verbose:\n${verbose.stderr}`);
      assert.match(got[got.length - 1], finalLine);
      assert.equal(got.filter((l) => l.startsWith('error:')).length, 1, verbose.stderr);
      assert.equal(await dev.getContainerClient('dst').getBlobClient('unreachable.bin').exists(), false);
    });
  });

  it('--recursive on a blob URL copies that blob (to a blob name, or into a folder URL); a folder without "/" stays a folder', async () => {
    const toName = await run(['copy', `${src}/one.bin`, `${dst}/r/renamed.bin`, '--recursive', ...creds]);
    assert.equal(toName.code, 0, toName.stderr);
    assert.match(toName.stdout, /^Copied 1 of 1 blob\(s\)/);
    const toFolder = await run(['copy', `${src}/one.bin`, `${dst}/r/folder/`, '-r', ...creds]);
    assert.equal(toFolder.code, 0, toFolder.stderr);
    const folder = await run(['copy', `${src}/docs`, `${dst}/r/docs`, '-r', ...creds]);
    assert.equal(folder.code, 0, folder.stderr);
    assert.match(folder.stdout, /^Copied 2 of 2 blob\(s\)/);
    const copied = (await names(dev, 'dst')).filter((n) => n.startsWith('r/'));
    assert.deepEqual(copied, ['r/docs/a.txt', 'r/docs/b.txt', 'r/folder/one.bin', 'r/renamed.bin']);
    for (const n of ['r/renamed.bin', 'r/folder/one.bin']) assert.ok((await dev.getContainerClient('dst').getBlobClient(n).downloadToBuffer()).equals(payload), n);
  });

  it('--recursive on a name that is a blob and a folder at once is refused with one line', async () => {
    await refused(
      ['copy', `${src}/both`, `${dst}/both-copy`, '--recursive', ...creds],
      'blob-copy: The source names both a blob "both" and a folder "both/": end the source URL with "/" to copy the folder, or leave out --recursive to copy the blob.',
    );
  });

  describe('errors without a body (HEAD answers) get a sentence', () => {
    let container: ContainerClient;
    before(async () => {
      container = dev.getContainerClient('heads');
      await container.create();
      await container.getBlockBlobClient('a.txt').upload('a', 1);
    });

    async function headError(p: Promise<unknown>): Promise<unknown> {
      try {
        await p;
      } catch (e) {
        assert.equal((e as Error).message, '', 'Azurite answers HEAD without a body: the SDK message is empty');
        return e;
      }
      throw new Error('the HEAD succeeded');
    }

    it('404, 412 and 403 from Azurite, and statuses without a code', async () => {
      const notFound = await headError(container.getBlobClient('nope').getProperties());
      assert.equal(toCopyError(notFound, 'Read source heads/nope', 'source').message, 'Read source heads/nope: the blob does not exist.');
      const noContainer = await headError(dev.getContainerClient('nocontainer').getBlobClient('x').getProperties());
      assert.equal(toCopyError(noContainer, 'Read source nocontainer/x', 'source').message, 'Read source nocontainer/x: the container does not exist.');
      const changed = await headError(container.getBlobClient('a.txt').getProperties({ conditions: { ifMatch: '"0x1"' } }));
      assert.equal(toCopyError(changed, 'Check heads/a.txt', 'destination').message, 'Check heads/a.txt: the blob changed since it was read.');
      const wrongKey = new ContainerClient(container.url, new StorageSharedKeyCredential(DEV_ACCOUNT.name, Buffer.alloc(64, 1).toString('base64')));
      const denied = await headError(wrongKey.getBlobClient('a.txt').getProperties());
      const deniedError = toCopyError(denied, 'Check heads/a.txt', 'destination');
      assert.equal(deniedError.message, 'Check heads/a.txt: the service refused access: the credentials lack permission for this request.');
      assert.equal(deniedError.info.status, 403);

      assert.equal(toCopyError(new RestError('', { statusCode: 409 }), 'Write x').message, "Write x: the request conflicts with the blob's current state.");
      assert.equal(toCopyError(new RestError('', { statusCode: 418 }), 'Write x').message, 'Write x: the service answered HTTP 418.');
      assert.equal(toCopyError(new Error(''), 'Write x').message, 'Write x: the request failed for an unknown reason.');
      // A message of its own is kept.
      assert.equal(toCopyError(new RestError('The specified blob does not exist.', { statusCode: 404 }), 'Read y', 'source').message, 'Read y: The specified blob does not exist.');
    });
  });
});
