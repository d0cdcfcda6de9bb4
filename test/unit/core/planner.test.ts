/** Planner helpers: the operation `auto` chooses, renamed names, include/exclude globs. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { chooseOperation, globFilter, renamedName } from '../../../src/core/plan/planner';

describe('planner helpers', () => {
  const none = () => false;
  it('auto: same account → copy-blob; across → put-blob ≤ 256 MiB, put-block above; append/page by type', () => {
    assert.equal(chooseOperation('auto', 'BlockBlob', 1 << 30, true, none).operation, 'copy-blob');
    assert.equal(chooseOperation('auto', 'BlockBlob', 4096, true, none).operation, 'copy-blob-from-url');
    assert.equal(chooseOperation('auto', 'PageBlob', 4096, true, none).operation, 'copy-blob');
    assert.equal(chooseOperation('auto', 'BlockBlob', 1024, false, none).operation, 'put-blob-from-url');
    assert.equal(chooseOperation('auto', 'BlockBlob', 257 * 1024 * 1024, false, none).operation, 'put-block-from-url');
    assert.equal(chooseOperation('auto', 'AppendBlob', 10, false, none).operation, 'append-block-from-url');
    assert.equal(chooseOperation('auto', 'PageBlob', 512, false, none).operation, 'put-page-from-url');
  });
  it('auto falls back where a server lacks an operation; forced strategies stay, unless the type does not fit', () => {
    const azurite = (op: string) => ['put-blob-from-url', 'append-block-from-url', 'put-page-from-url'].includes(op);
    assert.equal(chooseOperation('auto', 'BlockBlob', 1024, false, azurite).operation, 'copy-blob-from-url');
    assert.equal(chooseOperation('auto', 'AppendBlob', 1024, false, azurite).operation, 'copy-blob');
    assert.equal(chooseOperation('auto', 'PageBlob', 1024, false, azurite).operation, 'copy-blob');
    assert.equal(chooseOperation('put-blob-from-url', 'BlockBlob', 1024, false, azurite).operation, 'put-blob-from-url');
    const misfit = chooseOperation('put-page-from-url', 'BlockBlob', 1024, false, none, 'x');
    assert.equal(misfit.operation, 'put-blob-from-url');
    assert.match(misfit.warning!, /using auto/);
  });
  it('renames as "name (n).ext" and globs like AzCopy', () => {
    assert.equal(renamedName('dir/photo.jpg', 1), 'dir/photo (1).jpg');
    assert.equal(renamedName('archive.tar.gz', 2), 'archive.tar (2).gz');
    assert.equal(renamedName('.env', 1), '.env (1)');
    assert.equal(renamedName('dir.v2/README', 3), 'dir.v2/README (3)');
    const f = globFilter(['*.txt', 'logs/**'], ['secret*']);
    assert.ok(f('a/b/c.txt'));
    assert.ok(f('logs/x/y.bin'));
    assert.ok(!f('a/b.bin'));
    assert.ok(!f('secret.txt'));
  });
});
