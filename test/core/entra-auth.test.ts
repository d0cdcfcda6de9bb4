/**
 * Units: SourceAuthorizer.authorize() for Entra sources (user-delegation SAS, else a bearer token when
 * Get User Delegation Key is refused), the shim's check of x-ms-copy-source-authorization, and the error hints for
 * Entra ID failures.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  RestError,
  StorageSharedKeyCredential,
  UserDelegationKey,
} from '@azure/storage-blob';
import { AccountClient, createAccountClient } from '../../src/core/storage/connections';
import { SourceAuthorizer, STORAGE_SCOPE } from '../../src/core/storage/auth';
import { toCopyError } from '../../src/core/base/errors';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { testCredential, USER_OID, TENANT_ID } from '../helpers/entra';
import { FromUrlShim, startFromUrlShim } from '../shim/fromUrlShim';
import { stopFast } from '../helpers/engine';

const ENDPOINT = 'https://entraacct.blob.core.windows.net';

function fakeKey(): UserDelegationKey {
  return {
    signedObjectId: USER_OID,
    signedTenantId: TENANT_ID,
    signedStartsOn: new Date(Date.now() - 60_000),
    signedExpiresOn: new Date(Date.now() + 6 * 3600_000),
    signedService: 'b',
    signedVersion: '2025-01-05',
    value: Buffer.alloc(32, 7).toString('base64'),
  };
}

function restError(status: number, code: string): RestError {
  return new RestError(`${code}: refused`, { statusCode: status, code });
}

/** A token account whose Get User Delegation Key is replaced by `key` (no network). */
function tokenAccount(key: () => Promise<UserDelegationKey>): { account: AccountClient; credential: ReturnType<typeof testCredential>; keyCalls: () => number } {
  const credential = testCredential();
  const account = createAccountClient({ kind: 'token', accountName: 'entraacct', blobEndpoint: ENDPOINT, credential });
  let calls = 0;
  (account.service as { getUserDelegationKey: BlobServiceClient['getUserDelegationKey'] }).getUserDelegationKey = async () => {
    calls++;
    return Object.assign(await key(), { _response: undefined }) as never;
  };
  return { account, credential, keyCalls: () => calls };
}

const source = (path: string) => ({ kind: 'location' as const, location: { connectionId: 'e', container: 'data', path } });

describe('SourceAuthorizer.authorize() for Entra ID sources', () => {
  it('signs a user-delegation SAS for exactly the blob, read-only, HTTPS, with no authorization header', async () => {
    const { account, keyCalls } = tokenAccount(async () => fakeKey());
    const access = await new SourceAuthorizer().authorize(source('a dir/b.bin'), account, 1024);
    const url = new URL(access.url);
    assert.equal(`${url.origin}${url.pathname}`, `${ENDPOINT}/data/a%20dir/b.bin`);
    assert.equal(url.searchParams.get('sp'), 'r');
    assert.equal(url.searchParams.get('sr'), 'b');
    assert.equal(url.searchParams.get('spr'), 'https');
    assert.equal(url.searchParams.get('skoid'), USER_OID);
    assert.ok(Date.parse(url.searchParams.get('se')!) < Date.now() + 2 * 3600_000, 'short-lived');
    assert.equal(access.authorization, undefined);
    assert.equal(keyCalls(), 1);
  });

  it('falls back to a bearer token when Get User Delegation Key answers 403, told once per account', async () => {
    const { account, credential, keyCalls } = tokenAccount(async () => {
      throw restError(403, 'AuthorizationPermissionMismatch');
    });
    const warnings: string[] = [];
    const authorizer = new SourceAuthorizer({ warn: (m) => warnings.push(m) });
    const first = await authorizer.authorize(source('x/one.bin'), account, 10);
    const second = await authorizer.authorize(source('x/two.bin'), account, 10);
    assert.equal(first.url, `${ENDPOINT}/data/x/one.bin`, 'no SAS on the URL');
    assert.equal(second.url, `${ENDPOINT}/data/x/two.bin`);
    assert.equal(first.authorization?.scheme, 'Bearer');
    assert.equal(first.authorization?.value, credential.issued[0].token);
    assert.equal(second.authorization?.value, credential.issued[1].token);
    assert.ok(first.expiresOn && first.expiresOn > Date.now(), 'the access says when the token expires');
    assert.deepEqual(credential.scopes, [STORAGE_SCOPE, STORAGE_SCOPE]);
    assert.equal(keyCalls(), 1, 'the refused key is not asked for again for every blob');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /entraacct/);
    assert.match(warnings[0], /Storage Blob Delegator/);
    assert.doesNotMatch(warnings[0], /eyJ/, 'no token in the log');
  });

  it('does not treat other failures of Get User Delegation Key as a refusal', async () => {
    const { account, credential } = tokenAccount(async () => {
      throw restError(500, 'InternalError');
    });
    await assert.rejects(new SourceAuthorizer().authorize(source('b.bin'), account, 10), (e: RestError) => e.statusCode === 500);
    assert.equal(credential.calls, 0, 'no bearer token handed out');
  });

  it('says "sign in again" when the credential has no token', async () => {
    const account = createAccountClient({ kind: 'token', accountName: 'entraacct', blobEndpoint: ENDPOINT, credential: { getToken: async () => null } });
    (account.service as { getUserDelegationKey: unknown }).getUserDelegationKey = async () => {
      throw restError(403, 'AuthorizationPermissionMismatch');
    };
    await assert.rejects(new SourceAuthorizer().authorize(source('b.bin'), account, 10), /sign in again/);
  });

  it('keeps key and SAS sources as before: a SAS URL, no authorization header', async () => {
    const key = createAccountClient({ kind: 'sharedKey', accountName: 'keyacct', accountKey: DEV_ACCOUNT.key });
    const access = await new SourceAuthorizer().authorize(source('k.bin'), key, 10);
    assert.equal(access.authorization, undefined);
    assert.equal(new URL(access.url).searchParams.get('sp'), 'r');
    assert.equal(new URL(access.url).searchParams.get('skoid'), null);
    const url = await new SourceAuthorizer().authorize({ kind: 'url', url: 'https://x.blob.core.windows.net/c/b?sv=1&sig=s' }, undefined, 1);
    assert.deepEqual(url, { url: 'https://x.blob.core.windows.net/c/b?sv=1&sig=s' });
  });
});

describe('error hints for Entra ID failures', () => {
  const withUrl = (e: RestError, url: string) => Object.assign(e, { request: { url } });
  it('names the role per side, the delegator role for user delegation keys, and sign-in for missing tokens', () => {
    const dest = toCopyError(restError(403, 'AuthorizationPermissionMismatch'), 'Copy a → b', 'destination');
    assert.match(dest.info.hint!, /Storage Blob Data Contributor.*destination/);
    const src = toCopyError(restError(403, 'AuthorizationPermissionMismatch'), 'List source a', 'source');
    assert.match(src.info.hint!, /Storage Blob Data Reader.*source/);
    const key = toCopyError(withUrl(restError(403, 'AuthorizationPermissionMismatch'), 'https://a.blob.core.windows.net/?restype=service&comp=userdelegationkey'), 'Copy a → b');
    assert.match(key.info.hint!, /Storage Blob Delegator/);
    const copy = toCopyError(restError(403, 'AuthorizationPermissionMismatch'), 'Copy a → b');
    assert.match(copy.info.hint!, /Reader.*source.*Contributor.*destination/);
    const expired = toCopyError(restError(401, 'InvalidAuthenticationInfo'), 'List source a', 'source');
    assert.match(`${expired.message} ${expired.info.hint}`, /sign in again/);
    const failed = toCopyError(restError(403, 'AuthenticationFailed'), 'List source a', 'source');
    assert.match(failed.info.hint!, /sign in again/);
    const noToken = Object.assign(new Error('DefaultAzureCredential failed to retrieve a token'), { name: 'CredentialUnavailableError' });
    assert.match(toCopyError(noToken, 'List source a', 'source').info.hint!, /Sign in to Azure again/);
    const keyless = toCopyError(restError(403, 'KeyBasedAuthenticationNotPermitted'), 'List source a', 'destination');
    assert.match(keyless.info.hint!, /Entra ID/);
  });
});

describe('from-URL shim: x-ms-copy-source-authorization check (Azurite ignores the header)', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  const TOKEN = 'source-token-123';
  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite, { requireSourceAuthorization: (v) => v === `Bearer ${TOKEN}` });
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst');
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('s.txt').upload('shim-source', 11);
  });
  after(async () => {
    await shim?.stop();
    await stopFast(azurite);
  });

  it('refuses a from-URL request without the header or with another value, and passes the right one', async () => {
    // The destination is authorized by a container SAS: the shim drops the checked header before forwarding, which
    // a SharedKey signature (it covers x-ms-* headers) would not survive.
    const dstSas = generateBlobSASQueryParameters(
      { containerName: 'dst', permissions: ContainerSASPermissions.parse('racwl'), expiresOn: new Date(Date.now() + 3600_000) },
      new StorageSharedKeyCredential(SECOND_ACCOUNT.name, SECOND_ACCOUNT.key),
    ).toString();
    const dest = new ContainerClient(`${shim.endpoint(SECOND_ACCOUNT.name)}/dst?${dstSas}`, new AnonymousCredential(), { retryOptions: { maxTries: 1 } });
    // The source is readable with a key-signed SAS, so only the header check can refuse it.
    const key = createAccountClient({ kind: 'sharedKey', accountName: DEV_ACCOUNT.name, accountKey: DEV_ACCOUNT.key, blobEndpoint: shim.endpoint(DEV_ACCOUNT.name) });
    const { url } = await new SourceAuthorizer().authorize({ kind: 'location', location: { connectionId: 'k', container: 'src', path: 's.txt' } }, key, 11);
    const forwarded = dest.getBlockBlobClient('staged.txt');
    const handled = dest.getBlockBlobClient('put.txt');
    for (const sourceAuthorization of [undefined, { scheme: 'Bearer', value: 'wrong' }]) {
      const a = await forwarded.stageBlockFromURL(Buffer.from('b1').toString('base64'), url, 0, 11, { sourceAuthorization }).then(() => undefined, (e: RestError) => e);
      assert.equal(a?.statusCode, 403, 'Put Block From URL (forwarded to Azurite) is refused');
      assert.equal(a?.code, 'CannotVerifyCopySource');
      const b = await handled.syncUploadFromURL(url, { sourceAuthorization }).then(() => undefined, (e: RestError) => e);
      assert.equal(b?.statusCode, 403, 'Put Blob From URL (the shim\'s own) is refused');
      const err = toCopyError(b, 'Copy s.txt → put.txt');
      assert.match(err.message, /source/);
    }
    const good = { scheme: 'Bearer', value: TOKEN };
    await forwarded.stageBlockFromURL(Buffer.from('b1').toString('base64'), url, 0, 11, { sourceAuthorization: good });
    await forwarded.commitBlockList([Buffer.from('b1').toString('base64')]);
    await handled.syncUploadFromURL(url, { sourceAuthorization: good });
    const direct = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst');
    assert.equal((await direct.getBlobClient('staged.txt').downloadToBuffer()).toString(), 'shim-source');
    assert.equal((await direct.getBlobClient('put.txt').downloadToBuffer()).toString(), 'shim-source');
  });
});
