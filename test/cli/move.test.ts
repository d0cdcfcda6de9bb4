/**
 * `blob-copy move`, bundled like dist/cli.js and run as a child process against a real Azurite:
 * same credentials and exit codes as `copy`; a read-only source SAS fails before copying; a blob skipped by the
 * conflict policy keeps its source; a CLI killed mid-move (SIGKILL) loses nothing, and running the same command
 * again leaves every blob in exactly one place.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { BlobServiceClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, startCli } from '../helpers/cli';

let cliPath = '';

const start = (args: string[], env: Record<string, string> = {}) => startCli(cliPath, args, env, 90_000);

const run = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

function containerSas(container: string, permissions: string): string {
  return generateBlobSASQueryParameters(
    { containerName: container, permissions: ContainerSASPermissions.parse(permissions), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 3600_000) },
    new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key),
  ).toString();
}

async function listNames(service: BlobServiceClient, container: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix: prefix || undefined })) names.push(b.name);
  return names.sort();
}

describe('blob-copy move against Azurite', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  let both: Record<string, string>;

  before(async () => {
    cliPath = await bundleCli('cli-test-move');
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    both = { '--source-connection-string': azurite.connectionString(), '--destination-connection-string': azurite.connectionString(SECOND_ACCOUNT) };
  });
  after(async () => {
    await azurite?.stop();
  });

  it('moves one blob to a new name with SAS URLs (source SAS with "d"); "Moved 1 of 1"; no secret printed', async () => {
    const c = dev.getContainerClient('one');
    await c.create();
    await c.getBlockBlobClient('a.txt').upload('alpha', 5);
    const sas = containerSas('one', 'racwdl');
    const r = await run(['move', `${azurite.endpoint()}/one/a.txt?${sas}`, `${azurite.endpoint()}/one/renamed/b.txt?${sas}`]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^Moved 1 of 1 blob/);
    const sig = new URLSearchParams(sas).get('sig')!;
    assert.ok(!r.stdout.includes(sig) && !r.stderr.includes(sig) && !r.stderr.includes(encodeURIComponent(sig)));
    assert.deepEqual(await listNames(dev, 'one'), ['renamed/b.txt']);
    assert.equal((await c.getBlobClient('renamed/b.txt').downloadToBuffer()).toString(), 'alpha');
  });

  it('a read-only source SAS fails the plan: exit 1, nothing copied, nothing deleted', async () => {
    const c = dev.getContainerClient('rosrc');
    await c.create();
    await c.getBlockBlobClient('keep.txt').upload('keep', 4);
    await acct2.createContainer('rodst');
    const r = await run(['move', `${azurite.endpoint()}/rosrc/keep.txt?${containerSas('rosrc', 'rl')}`, `${azurite.endpoint(SECOND_ACCOUNT)}/rodst/`, '--destination-connection-string', azurite.connectionString(SECOND_ACCOUNT)]);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /SAS may not delete \(permissions "rl"\)/);
    assert.deepEqual(await listNames(acct2, 'rodst'), []);
    assert.deepEqual(await listNames(dev, 'rosrc'), ['keep.txt']);
  });

  it('--conflict skip: exit 0, the skipped blob keeps its source, --json says "move"', async () => {
    const c = dev.getContainerClient('skip');
    await c.create();
    await c.getBlockBlobClient('f/x.txt').upload('new x', 5);
    await c.getBlockBlobClient('f/y.txt').upload('new y', 5);
    await acct2.createContainer('skipdst');
    await acct2.getContainerClient('skipdst').getBlockBlobClient('x.txt').upload('old x', 5);
    const args = ['move', `${azurite.endpoint()}/skip/f/`, `${azurite.endpoint(SECOND_ACCOUNT)}/skipdst/`, '-r', '--conflict', 'skip', '--json'];
    const r = await run([...args, ...Object.entries(both).flat()]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const summary = JSON.parse(r.stdout) as { ok: boolean; command: string; succeeded: number; skipped: number };
    assert.deepEqual([summary.ok, summary.command, summary.succeeded, summary.skipped], [true, 'move', 1, 1]);
    assert.deepEqual(await listNames(dev, 'skip'), ['f/x.txt']);
    assert.equal((await acct2.getContainerClient('skipdst').getBlobClient('x.txt').downloadToBuffer()).toString(), 'old x');
  });

  it('killed mid-move (SIGKILL), nothing is lost; the same command again leaves every blob in exactly one place', { timeout: 150_000 }, async () => {
    const N = 200;
    const c = dev.getContainerClient('kill');
    await c.create();
    const body = (i: number) => `blob ${i} `.repeat(20 + i);
    for (let i = 0; i < N; i++) await c.getBlockBlobClient(`d/${String(i).padStart(3, '0')}.txt`).upload(body(i), body(i).length);
    await acct2.createContainer('killdst');
    const args = ['move', `${azurite.endpoint()}/kill/d/`, `${azurite.endpoint(SECOND_ACCOUNT)}/killdst/in/`, '-r', '--concurrency', '1', ...Object.entries(both).flat()];
    const first = start(args);
    const deadline = Date.now() + 60_000;
    let left = N;
    while (Date.now() < deadline && first.child.exitCode === null) {
      left = (await listNames(dev, 'kill')).length;
      if (left <= N - 10) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.code, null, `killed before it finished (left ${left}): ${killed.stdout}`);
    const srcAfterKill = new Set((await listNames(dev, 'kill')).map((n) => n.slice('d/'.length)));
    const dstAfterKill = new Set((await listNames(acct2, 'killdst')).map((n) => n.slice('in/'.length)));
    assert.ok(srcAfterKill.size < N && srcAfterKill.size > 0, `killed mid-move: ${srcAfterKill.size} of ${N} sources left`);
    for (let i = 0; i < N; i++) {
      const name = `${String(i).padStart(3, '0')}.txt`;
      assert.ok(srcAfterKill.has(name) || dstAfterKill.has(name), `${name} is somewhere after the kill`);
    }

    const again = await run(args);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, new RegExp(`^Moved ${srcAfterKill.size} of ${srcAfterKill.size} blob`));
    assert.deepEqual(await listNames(dev, 'kill'), [], 'no source left');
    const arrived = await listNames(acct2, 'killdst');
    assert.equal(arrived.length, N);
    for (const i of [0, 7, 99, N - 1]) {
      const name = `in/${String(i).padStart(3, '0')}.txt`;
      assert.equal((await acct2.getContainerClient('killdst').getBlobClient(name).downloadToBuffer()).toString(), body(i), name);
    }
  });
});
