/** Pure parts: redaction, error mapping, limits and name validation, strategy choice, naming, globs. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestError } from '@azure/storage-blob';
import { CopyError, LIMITS, redact, validateBlobName, validateContainerName } from '../../src/core';
import { toCopyError } from '../../src/core/errors';
import { chooseOperation, globFilter, renamedName } from '../../src/core/planner';
import { parseBlobUrl } from '../../src/core/urls';
import { DEV_ACCOUNT } from '../helpers/azurite';

function restError(status: number, code: string, extra: Record<string, string> = {}): RestError {
  const headers = new Map<string, string>([['x-ms-error-code', code], ['x-ms-request-id', 'req-123'], ...Object.entries(extra)]);
  const e = new RestError(`${code}: something went wrong`, { statusCode: status, code });
  Object.assign(e, {
    details: { errorCode: code, requestId: 'req-123', ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k === 'x-ms-copy-source-error-code' ? 'copySourceErrorCode' : 'copySourceStatusCode', v])) },
    response: { status, headers: { get: (n: string) => headers.get(n.toLowerCase()) } },
  });
  return e;
}

describe('redact', () => {
  it('removes sig and SAS parameters, AccountKey, Authorization, SharedKey and Bearer values', () => {
    const sasUrl = 'http://127.0.0.1:10000/devstoreaccount1/c/a%20b.txt?sv=2025-01-05&se=2031-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=abc%2Bdef%3D';
    const out = redact(`copy failed for ${sasUrl}`);
    assert.ok(!out.includes('abc%2Bdef'));
    assert.ok(!out.includes('2031-01-01'));
    assert.match(out, /a%20b\.txt\?sv=REDACTED/);
    assert.match(out, /sig=REDACTED/);
    const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT.key};BlobEndpoint=http://x`;
    assert.ok(!redact(cs).includes(DEV_ACCOUNT.key));
    assert.ok(!redact(`Authorization: SharedKey devstoreaccount1:${'Q'.repeat(44)}`).includes('Q'.repeat(44)));
    assert.ok(!redact('authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.sig').includes('eyJ0eXAi'));
    assert.ok(!redact('x-ms-copy-source-authorization: Bearer abc.def').includes('abc.def'));
    assert.equal(redact('plain text with no secrets'), 'plain text with no secrets');
    assert.equal(redact(redact(sasUrl)), redact(sasUrl), 'idempotent');
  });

  it('CopyError redacts its message and hint', () => {
    const e = new CopyError({ message: 'failed https://a.blob.core.windows.net/c/b?sv=1&sig=SECRET', hint: `AccountKey=${DEV_ACCOUNT.key}` });
    assert.ok(!e.message.includes('SECRET'));
    assert.ok(!e.info.hint!.includes(DEV_ACCOUNT.key));
  });
});

describe('error mapping', () => {
  it('403 on a copy source → "not allowed to read the source" with the copy source\'s status and code, and request id', () => {
    const e = toCopyError(restError(403, 'CannotVerifyCopySource', { 'x-ms-copy-source-error-code': 'AuthorizationFailure', 'x-ms-copy-source-status-code': '403' }), 'Copy a → b');
    assert.ok(e instanceof CopyError);
    assert.match(e.message, /not allowed to read the source \(the source answered 403 AuthorizationFailure\)/);
    assert.doesNotMatch(e.message, /expired/);
    assert.equal(e.info.status, 403);
    assert.equal(e.info.requestId, 'req-123');
    assert.ok(e.info.hint);
    const s = toCopyError(restError(403, 'AuthorizationFailure'), 'Read source', 'source');
    assert.match(s.message, /not allowed to read the source/);
  });
  it('copy-source errors each say what the source answered, with their own hint', () => {
    const cs = (status: number, code: string, message = '') => {
      const err = restError(409, 'CannotVerifyCopySource', { 'x-ms-copy-source-error-code': code, 'x-ms-copy-source-status-code': String(status) });
      if (message) (err as unknown as { details: Record<string, unknown> }).details.copySourceErrorMessage = message;
      return toCopyError(err, 'Copy a → b');
    };
    const archived = cs(409, 'BlobArchived');
    assert.match(archived.message, /Archive tier.*\(the source answered 409 BlobArchived\)/);
    assert.match(archived.info.hint ?? '', /Rehydrate/);
    assert.equal(archived.info.code, 'BlobArchived');
    assert.match(cs(404, 'BlobNotFound').message, /source was not found/);
    assert.match(cs(412, 'ConditionNotMet').message, /source changed/);
    assert.match(cs(403, 'AuthenticationFailed', 'Signature not valid in the specified time frame').message, /SAS has expired/);
    assert.doesNotMatch(cs(403, 'AuthenticationFailed', 'Signature did not match').message, /expired/);
    assert.match(cs(401, 'NoAuthenticationInformation').message, /private and the service got no credentials/);
    assert.match(cs(500, 'InternalError').message, /could not read the source \(the source answered 500 InternalError\)/);
  });
  it('404 ContainerNotFound on the destination → "create it"; 409 BlobAlreadyExists; 412 on the source; 501', () => {
    assert.match(toCopyError(restError(404, 'ContainerNotFound'), 'Copy', 'destination').message, /destination container does not exist: create it/);
    const exists = toCopyError(restError(409, 'BlobAlreadyExists'), 'Copy');
    assert.equal(exists.info.code, 'BlobAlreadyExists');
    assert.match(exists.info.hint ?? '', /skip/);
    assert.match(toCopyError(restError(412, 'SourceConditionNotMet'), 'Copy').message, /source changed during the copy/);
    assert.match(toCopyError(restError(412, 'ConditionNotMet', { 'x-ms-copy-source-error-code': 'ConditionNotMet', 'x-ms-copy-source-status-code': '412' }), 'Copy').message, /source changed/);
    assert.match(toCopyError(restError(501, 'APINotImplemented'), 'Copy').message, /does not implement/);
    const abort = new Error('The operation was aborted.');
    abort.name = 'AbortError';
    assert.equal(toCopyError(abort, 'Copy').info.code, 'Canceled');
  });
});

describe('limits and names', () => {
  it('has one table of service limits', () => {
    assert.equal(LIMITS.putPageMaxBytes, 4 * 1024 * 1024);
    assert.equal(LIMITS.pageAlignment, 512);
    assert.equal(LIMITS.maxBlocksPerBlob, 50_000);
    assert.equal(LIMITS.putBlobFromUrlMaxBytes, 5000 * 1024 * 1024);
    assert.equal(LIMITS.syncCopyFromUrlMaxBytes, 256 * 1024 * 1024);
  });
  it('validates container and blob names with actionable messages', () => {
    assert.equal(validateContainerName('photos-2024'), undefined);
    assert.equal(validateContainerName('$root'), undefined);
    assert.match(validateContainerName('ab')!, /3–63/);
    assert.match(validateContainerName('Photos')!, /lowercase: use "photos"/);
    assert.match(validateContainerName('a--b')!, /two hyphens/);
    assert.match(validateContainerName('-ab')!, /starts with/);
    assert.match(validateContainerName('ab-')!, /ends with/);
    assert.match(validateContainerName('a_b')!, /only lowercase/);
    assert.equal(validateBlobName('dir/ü #?%.txt'), undefined);
    assert.match(validateBlobName('')!, /empty/);
    assert.match(validateBlobName('x'.repeat(1025))!, /1024/);
    assert.match(validateBlobName('a/'.repeat(255) + 'b')!, /254/);
    assert.match(validateBlobName('bad\u0001name')!, /control/);
  });
});

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
