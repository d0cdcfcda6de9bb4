/** The source's SAS URL, built without a BlobClient per blob: the same URL the SDK builds. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { SourceAuthorizer } from '../../../src/core/storage/auth';
import { escapePath } from '../../../src/core/base/urls';
import { DEV_ACCOUNT } from '../../helpers/azurite';

describe('source SAS URL', () => {
  it('matches the URL the SDK builds for the same blob (names with spaces, unicode, %, #, ?)', async () => {
    const service = new BlobServiceClient('http://127.0.0.1:1/devstoreaccount1', new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key));
    const sharedKey = new StorageSharedKeyCredential(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
    const auth = new SourceAuthorizer();
    for (const name of ['a.txt', 'dir/sub dir/ü ñ.bin', 'x%20y#z?.txt', 'deep/a+b=c&d.json']) {
      const expected = service.getContainerClient('src').getBlobClient(name).url;
      assert.equal(`${service.url}/src/${escapePath(name)}`, expected);
      const url = await auth.readUrl({ kind: 'location', location: { connectionId: 'a', container: 'src', path: name } }, { service, sharedKey, accountName: DEV_ACCOUNT.name, endpoint: service.url }, 10);
      assert.equal(url.split('?')[0], expected);
      assert.match(url, /[?&]sp=r(&|$)/);
      assert.match(url, /[?&]sr=b(&|$)/);
    }
  });
});
