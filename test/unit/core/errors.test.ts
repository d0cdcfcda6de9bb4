/** Error mapping: a storage RestError becomes one actionable CopyError line with status, code and request id. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { RestError } from '@azure/storage-blob';
import { CopyError } from '../../../src/core';
import { toCopyError } from '../../../src/core/base/errors';

function restError(status: number, code: string, extra: Record<string, string> = {}): RestError {
  const headers = new Map<string, string>([['x-ms-error-code', code], ['x-ms-request-id', 'req-123'], ...Object.entries(extra)]);
  const e = new RestError(`${code}: something went wrong`, { statusCode: status, code });
  Object.assign(e, {
    details: { errorCode: code, requestId: 'req-123', ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k === 'x-ms-copy-source-error-code' ? 'copySourceErrorCode' : 'copySourceStatusCode', v])) },
    response: { status, headers: { get: (n: string) => headers.get(n.toLowerCase()) } },
  });
  return e;
}

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
