/** Blob URLs, path-style (Azurite) and virtual-host (Azure). */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseBlobUrl } from '../../../src/core/base/urls';

describe('blob URLs', () => {
  it('parses path-style and virtual-host blob URLs', () => {
    assert.deepEqual(parseBlobUrl('http://127.0.0.1:10000/devstoreaccount1/c/dir/a%20b%23.txt?sv=1&sig=x'), {
      endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
      accountName: 'devstoreaccount1',
      container: 'c',
      path: 'dir/a b#.txt',
      query: 'sv=1&sig=x',
    });
    const v = parseBlobUrl('https://acct.blob.core.windows.net/c/folder/');
    assert.equal(v.accountName, 'acct');
    assert.equal(v.path, 'folder/');
    assert.equal(v.query, undefined);
  });
});
