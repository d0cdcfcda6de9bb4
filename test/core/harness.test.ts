import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import { createAccountClient } from '../../src/core/connections';
import { listBlobsPage, listContainersPage } from '../../src/core/listing';

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
