/**
 * The CLI on an Entra-only setup. No key and no SAS on the command line or in the environment: the CLI
 * falls back to DefaultAzureCredential, whose environment credential (AZURE_TENANT_ID / AZURE_CLIENT_ID /
 * AZURE_CLIENT_SECRET) gets its token from a loopback HTTPS authority (AZURE_AUTHORITY_HOST, instance discovery
 * skipped); Azurite runs over HTTPS with `--oauth basic`. The CLI is bundled as dist/cli.js is and run as a child.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, runCli, type CliResult } from '../helpers/cli';
import { startTokenEndpoint, TokenEndpoint } from '../helpers/entra';
import { describeEntra } from '../helpers/entraSuite';
import { defaultCredentialOptions } from '../../src/cli/credentials';
import { stopFast } from '../helpers/engine';

let cliPath = '';

const CLIENT_ID = '5e0c1a2b-aaaa-4bbb-8ccc-ddddeeeeffff';
const CLIENT_SECRET = `secret-${crypto.randomBytes(12).toString('hex')}`;

/** Runs the CLI asynchronously (the token endpoint lives in this process: a blocking spawnSync would starve it). */
const run = (args: string[], env: Record<string, string>, timeoutMs = 90_000) => runCli(cliPath, args, env, timeoutMs);

describe('CLI: DefaultAzureCredential options from the environment', () => {
  it('honours AZURE_AUTHORITY_HOST and skips instance discovery only for an authority outside the Azure clouds', () => {
    assert.deepEqual(defaultCredentialOptions({}), {});
    assert.deepEqual(defaultCredentialOptions({ AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com' }), {
      authorityHost: 'https://login.microsoftonline.com',
      disableInstanceDiscovery: false,
    });
    assert.equal(defaultCredentialOptions({ AZURE_AUTHORITY_HOST: 'https://login.chinacloudapi.cn/' }).disableInstanceDiscovery, false);
    assert.deepEqual(defaultCredentialOptions({ AZURE_AUTHORITY_HOST: 'https://adfs.contoso.local/adfs' }), {
      authorityHost: 'https://adfs.contoso.local/adfs',
      disableInstanceDiscovery: true,
    });
    assert.throws(() => defaultCredentialOptions({ AZURE_AUTHORITY_HOST: 'login.microsoftonline.com' }), /AZURE_AUTHORITY_HOST must be an https:\/\/ URL/);
  });
});

describeEntra('blob-copy CLI with Entra ID only (OAuth Azurite, environment credential)', __filename, (certificate) => {
  let azurite: AzuriteInstance;
  let authority: TokenEndpoint;
  let env: Record<string, string>;
  const payload = crypto.randomBytes(500_000);

  before(async () => {
    cliPath = await bundleCli('cli-test-entra');
    azurite = await startAzurite({ oauth: certificate });
    authority = await startTokenEndpoint(certificate, new Map([[CLIENT_ID, CLIENT_SECRET]]));
    env = {
      NODE_EXTRA_CA_CERTS: certificate.certPath,
      AZURE_TENANT_ID: authority.tenantId,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      AZURE_AUTHORITY_HOST: authority.authorityHost,
    };
    const dev = azurite.serviceClient();
    await dev.createContainer('src');
    await dev.createContainer('dst');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('other');
    await dev.getContainerClient('src').getBlockBlobClient('one.bin').uploadData(payload, {
      blobHTTPHeaders: { blobContentType: 'application/x-entra-cli' },
      metadata: { via: 'cli' },
    });
  });
  after(async () => {
    await authority?.stop();
    await stopFast(azurite);
  });

  const assertNoSecrets = (r: CliResult) => {
    for (const s of [CLIENT_SECRET, DEV_ACCOUNT.key, SECOND_ACCOUNT.key]) {
      assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `a secret was printed:\n${r.stdout}\n${r.stderr}`);
    }
    assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'a token was printed');
  };

  it('copies within the account with no key and no SAS (token from the loopback authority)', async () => {
    const before = authority.tokenRequests.get(CLIENT_ID) ?? 0;
    const r = await run(['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/one copy.bin`], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    const blob = azurite.serviceClient().getContainerClient('dst').getBlobClient('one copy.bin');
    assert.ok((await blob.downloadToBuffer()).equals(payload));
    const props = await blob.getProperties();
    assert.equal(props.contentType, 'application/x-entra-cli');
    assert.deepEqual(props.metadata, { via: 'cli' });
    assert.ok((authority.tokenRequests.get(CLIENT_ID) ?? 0) > before, 'the CLI asked the authority for a token');
    assert.ok(!authority.paths.some((p) => p.includes('discovery/instance')), 'no instance discovery');
  });

  it('copies to another account with no key and no SAS (user-delegation SAS source)', async () => {
    const r = await run(['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint(SECOND_ACCOUNT)}/other/`, '--json'], env);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertNoSecrets(r);
    const got = await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('other').getBlobClient('one.bin').downloadToBuffer();
    assert.ok(got.equals(payload));
  });

  it('a wrong client secret exits 1 and says to sign in, without printing the secret', async () => {
    const r = await run(['copy', `${azurite.endpoint()}/src/one.bin`, `${azurite.endpoint()}/dst/never.bin`], { ...env, AZURE_CLIENT_SECRET: 'wrong-secret-value' });
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /Sign in to Azure again/);
    assert.ok(!r.stderr.includes('wrong-secret-value'));
    assertNoSecrets(r);
    assert.equal(await azurite.serviceClient().getContainerClient('dst').getBlobClient('never.bin').exists(), false);
  });
});
