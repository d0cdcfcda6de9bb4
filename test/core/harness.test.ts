import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startAzurite, AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import { createAccountClient } from '../../src/core/storage/connections';
import { listBlobsPage, listContainersPage } from '../../src/core/storage/listing';

describe('Azurite harness and paged listing', () => {
  let azurite: AzuriteInstance;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });

  it('serves two accounts on a loopback port', async () => {
    assert.ok(azurite.port > 0);
    await azurite.serviceClient().createContainer('harness-a');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('harness-b');
    const names: string[] = [];
    for await (const c of azurite.serviceClient(SECOND_ACCOUNT).listContainers()) names.push(c.name);
    assert.deepEqual(names, ['harness-b']);
  });

  it('lists containers, folders and blobs one page at a time', async () => {
    const account = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString() });
    const container = account.service.getContainerClient('paged');
    await container.create();
    for (let i = 0; i < 5; i++) await container.getBlockBlobClient(`dir/sub${i}/x.txt`).upload('x', 1);
    for (let i = 0; i < 7; i++) await container.getBlockBlobClient(`dir/file${i}.txt`).upload('hello', 5);
    const first = await listBlobsPage(account, 'paged', 'dir/', undefined, 4);
    assert.equal(first.items.length, 4);
    assert.ok(first.continuationToken, 'a first page of 4 out of 12 entries has a continuation token');
    const seen = [...first.items];
    let token: string | undefined = first.continuationToken;
    for (let guard = 0; token && guard < 10; guard++) {
      const next = await listBlobsPage(account, 'paged', 'dir/', token, 4);
      seen.push(...next.items);
      token = next.continuationToken;
    }
    assert.equal(seen.filter((e) => e.kind === 'folder').length, 5);
    const blobs = seen.filter((e) => e.kind === 'blob');
    assert.equal(blobs.length, 7);
    assert.ok(blobs.every((b) => b.kind === 'blob' && b.size === 5 && b.blobType === 'BlockBlob'));
    const containers = await listContainersPage(account);
    assert.ok(containers.items.some((c) => c.name === 'paged'));
  });
});

describe('Azurite harness: a start that fails', () => {
  it('stops the Azurite it spawned, so the test process can end', { timeout: 60_000 }, async () => {
    // A child process whose only work is a start that times out at once: it must exit by itself.
    const script = `require(${JSON.stringify(path.join(__dirname, '..', 'helpers', 'azurite.js'))}).startAzurite({ timeoutMs: 1 }).then(() => process.exit(3), (e) => console.log(e.message.split('\\n')[0]))`;
    // Its own process group: if it hangs, the Azurite it started is stopped with it.
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const limit = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref());
    const result = await Promise.race([exited, limit]);
    if (result === 'still running') process.kill(-child.pid!, 'SIGKILL');
    assert.equal(result, 0, `the process ended by itself (output: ${out})`);
    assert.match(out, /Azurite did not start within 1 ms/);
  });
});
