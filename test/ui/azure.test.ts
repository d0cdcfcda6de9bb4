/**
 * "Sign in to Azure" in the extension host: the Azure root of the tree, signed out → signed in through VS Code's
 * authentication service (the Accounts menu's sign-in request: VS Code refuses its modal consent dialog in extension
 * test runs) → subscriptions → storage accounts → containers → a copy between two discovered accounts, a missing data
 * role with the access key offered and chosen, Select Subscriptions…, Sign Out.
 *
 * What stands in for Azure: a test authentication provider registered here under the id the sign-in library uses for
 * a custom cloud ("microsoft-sovereign-cloud"; it hands out unsigned tokens for the scopes asked), the
 * `microsoft-sovereign-cloud.*` settings pointing the library at a loopback Resource Manager (helpers/arm.ts), and
 * an OAuth Azurite over HTTPS for the data plane. Not covered: Microsoft's own sign-in page and token service, and
 * VS Code's consent dialog.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite, type AzuriteInstance } from '../helpers/azurite';
import { MANAGEMENT_AUDIENCE, startArm, startRoleGate, type ArmEndpoint, type RoleGate } from '../helpers/arm';
import { certificateTrusted, ensureTestCertificate, TENANT_ID, trustAtRuntime, unsignedToken } from '../helpers/entra';
import { childrenOf, findChild, getEnv, installDefaultSeams, labelOf, uniqueName, waitFor, waitForBatch, type Env } from './env';
import type { StorageNode } from '../../src/extension/tree/nodes';

const PROVIDER_ID = 'microsoft-sovereign-cloud';
const SUB_MAIN = '3c1f0000-0000-4000-8000-00000000c0de';
const SUB_LOCKED = '3c1f0000-0000-4000-8000-00000000dead';
const ACCOUNT = { id: 'blob-copy-test-user', label: 'tester@contoso.test' };

/** Stands in for VS Code's Microsoft sign-in: one account; a session for any scopes once signed in. */
class TestSignIn implements vscode.AuthenticationProvider {
  signedIn = false;
  created = 0;
  private readonly changed = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changed.event;
  readonly tokens: string[] = [];

  private session(scopes: readonly string[]): vscode.AuthenticationSession {
    const tenant = scopes.find((s) => s.startsWith('VSCODE_TENANT:'))?.slice('VSCODE_TENANT:'.length) ?? TENANT_ID;
    const resource = (scopes.find((s) => s.endsWith('.default')) ?? MANAGEMENT_AUDIENCE).replace(/\.default$/, '');
    // Storage tokens carry Azurite's audience (no trailing slash); management tokens the cloud's.
    const aud = resource.startsWith('https://storage.azure.com') ? 'https://storage.azure.com' : resource;
    const accessToken = unsignedToken({ aud, tid: tenant, iss: `https://sts.windows.net/${tenant}/` });
    this.tokens.push(accessToken);
    return { id: `session:${[...scopes].sort().join(' ')}`, accessToken, account: ACCOUNT, scopes: [...scopes] };
  }

  async getSessions(scopes?: readonly string[]): Promise<vscode.AuthenticationSession[]> {
    return this.signedIn ? [this.session(scopes ?? [])] : [];
  }

  async createSession(scopes: readonly string[]): Promise<vscode.AuthenticationSession> {
    this.signedIn = true;
    this.created++;
    const s = this.session(scopes);
    this.changed.fire({ added: [s], removed: [], changed: [] });
    return s;
  }

  async removeSession(): Promise<void> {
    this.signedIn = false;
  }
}

describe('Azure sign-in: tenants → subscriptions → storage accounts in the tree', function () {
  this.timeout(180_000);
  let env: Env;
  let azurite: AzuriteInstance;
  let arm: ArmEndpoint;
  let gate: RoleGate;
  let signIn: TestSignIn;
  let registration: vscode.Disposable | undefined;
  let restoreTrust: (() => void) | undefined;
  const src = uniqueName('signin-src');
  const dst = uniqueName('signin-dst');
  const payload = crypto.randomBytes(300_000);
  const cloudSettings = vscode.workspace.getConfiguration('microsoft-sovereign-cloud');

  const root = async (): Promise<StorageNode> => {
    const roots = await childrenOf(env.api);
    const azure = roots.find((n) => n.kind === 'azureRoot');
    assert.ok(azure, `an Azure root: ${roots.map((n) => labelOf(env.api, n)).join(', ')}`);
    return azure;
  };
  const labels = async (node: StorageNode) => (await childrenOf(env.api, node)).map((n) => labelOf(env.api, n));
  /** Secret storage keys the extension wrote for discovered accounts (the chosen access keys). */
  const chosenKeys = async () => {
    const out: string[] = [];
    for (const c of env.api.connections.all().filter((x) => x.kind === 'azure')) if (await env.api.connections.usesAccessKey(c.id)) out.push(c.label);
    return out;
  };

  before(async () => {
    env = await getEnv();
    const certificate = ensureTestCertificate();
    restoreTrust = trustAtRuntime(certificate);
    assert.ok(await certificateTrusted(certificate), 'the extension host trusts the test certificate');
    azurite = await startAzurite({ oauth: certificate });
    gate = await startRoleGate(certificate, { host: azurite.host, port: azurite.port });
    const source = azurite.serviceClient(DEV_ACCOUNT).getContainerClient(src);
    await source.create();
    await source.getBlockBlobClient('photos/cat.jpg').uploadData(payload, { metadata: { via: 'signin' }, blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer(dst);
    arm = await startArm(certificate, {
      tenants: [{ tenantId: TENANT_ID, displayName: 'Contoso', defaultDomain: 'contoso.onmicrosoft.com' }],
      subscriptions: [
        { subscriptionId: SUB_MAIN, tenantId: TENANT_ID, displayName: 'Blob Copy Test' },
        { subscriptionId: SUB_LOCKED, tenantId: TENANT_ID, displayName: 'Locked' },
      ],
      accounts: [
        { subscriptionId: SUB_MAIN, resourceGroup: 'rg-photos', name: DEV_ACCOUNT.name, location: 'westeurope', blobEndpoint: `${azurite.endpoint(DEV_ACCOUNT)}/`, key: DEV_ACCOUNT.key },
        { subscriptionId: SUB_MAIN, resourceGroup: 'rg-backup', name: SECOND_ACCOUNT.name, kind: 'BlockBlobStorage', location: 'northeurope', isHnsEnabled: true, blobEndpoint: `${azurite.endpoint(SECOND_ACCOUNT)}/`, key: SECOND_ACCOUNT.key },
        // No data role for the signed-in identity there (the gate answers 403 to bearer requests).
        { subscriptionId: SUB_LOCKED, resourceGroup: 'rg-locked', name: SECOND_ACCOUNT.name, location: 'westus', blobEndpoint: `${gate.origin}/${SECOND_ACCOUNT.name}/`, key: SECOND_ACCOUNT.key },
      ],
      // One account per ARM page: the tree follows nextLink with "Load more…".
      pageSize: 1,
    });
    // Registered before the settings name a custom cloud: VS Code's own Microsoft sign-in registers this id for a
    // custom cloud too, and the first registration in a host is the one that stays.
    signIn = new TestSignIn();
    registration = vscode.authentication.registerAuthenticationProvider(PROVIDER_ID, 'Test Sovereign Cloud', signIn, { supportsMultipleAccounts: false });
    // A custom cloud, configured as a user of a sovereign cloud would: the library reads these settings.
    await cloudSettings.update('environment', 'custom', vscode.ConfigurationTarget.Global);
    await cloudSettings.update(
      'customEnvironment',
      {
        name: 'BlobCopyTestCloud',
        portalUrl: 'https://portal.blob-copy.test',
        managementEndpointUrl: MANAGEMENT_AUDIENCE,
        resourceManagerEndpointUrl: `${arm.endpoint}/`,
        activeDirectoryEndpointUrl: 'https://login.blob-copy.test/',
        activeDirectoryResourceId: MANAGEMENT_AUDIENCE,
      },
      vscode.ConfigurationTarget.Global,
    );
    await env.api.azure.setSignedOut(false);
    env.api.tree.refresh();
  });

  after(async () => {
    installDefaultSeams(env.api);
    await vscode.commands.executeCommand('blobCopy.azureSignOut').then(undefined, () => undefined);
    registration?.dispose();
    await cloudSettings.update('environment', undefined, vscode.ConfigurationTarget.Global);
    await cloudSettings.update('customEnvironment', undefined, vscode.ConfigurationTarget.Global);
    await arm?.stop();
    await gate?.stop();
    await azurite?.stop();
    restoreTrust?.();
  });

  afterEach(() => installDefaultSeams(env.api));

  it('signed out: the Azure root offers "Sign in to Azure…", and the hand-added connections stay', async () => {
    const azure = await root();
    env.api.tree.refresh(azure);
    assert.deepEqual(await labels(azure), ['Sign in to Azure…']);
    assert.equal(env.api.tree.getTreeItem(azure).contextValue, 'azureSignedOut');
    assert.ok((await childrenOf(env.api)).some((n) => labelOf(env.api, n) === 'Azurite (local emulator)'));
    assert.equal(arm.requests.length, 0, 'no Resource Manager call while signed out');
  });

  it("signs in through VS Code's sign-in, then lists subscriptions and their storage accounts (kind, region, HNS), paged", async () => {
    const action = (await childrenOf(env.api, await root()))[0];
    const command = env.api.tree.getTreeItem(action).command;
    assert.equal(command?.command, 'blobCopy.azureSignIn');
    // VS Code refuses modal dialogs in extension test runs, so its consent dialog cannot be answered here: the test
    // signs in the way the Accounts menu does. A session request that neither prompts nor is silent puts "Sign in
    // with … to use Blob Copy" there; running that item creates the session and allows the extension (no dialog).
    assert.equal(await vscode.authentication.getSession(PROVIDER_ID, [`${MANAGEMENT_AUDIENCE}.default`], {}), undefined);
    const request = await waitFor('the Accounts menu sign-in request', async () => (await vscode.commands.getCommands(true)).find((c) => /^microsoft-sovereign-cloud:.*:signIn\d+$/.test(c)));
    await vscode.commands.executeCommand(request);
    // Then "Sign in to Azure…" finds the session without asking again.
    assert.equal(await vscode.commands.executeCommand(command.command, ...(command.arguments ?? [])), true);
    assert.equal(signIn.created, 1, 'one sign-in');
    const azure = await root();
    // One tenant: its subscriptions directly under the root, sorted by name.
    assert.deepEqual(await labels(azure), ['Blob Copy Test', 'Locked']);
    assert.equal(env.api.tree.getTreeItem(azure).description, ACCOUNT.label);
    const main = await findChild(env.api, azure, 'Blob Copy Test');
    assert.deepEqual(await labels(main), [DEV_ACCOUNT.name, 'Load more…']);
    const acct2 = await findChild(env.api, main, SECOND_ACCOUNT.name);
    assert.equal(env.api.tree.getTreeItem(acct2).description, 'BlockBlobStorage · northeurope · HNS');
    assert.equal(env.api.tree.getTreeItem(await findChild(env.api, main, DEV_ACCOUNT.name)).description, 'StorageV2 · westeurope');
    assert.ok(arm.requests.some((r) => r.path === `/subscriptions/${SUB_MAIN}/providers/Microsoft.Storage/storageAccounts` && r.tenant === TENANT_ID));
    assert.ok(arm.requests.every((r) => r.status === 200), JSON.stringify(arm.requests.filter((r) => r.status !== 200)));
    // The containers, with the signed-in identity's bearer tokens (the OAuth Azurite takes nothing else).
    assert.ok((await labels(acct2)).includes(dst));
    const dev = await findChild(env.api, main, DEV_ACCOUNT.name);
    const photos = await findChild(env.api, await findChild(env.api, dev, src), 'photos');
    assert.deepEqual(await labels(photos), ['cat.jpg']);
    // What a user sees: the view with the tree expanded down to the blob.
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('blobCopy.storage.focus');
    await env.api.view.reveal(await findChild(env.api, photos, 'cat.jpg'), { expand: true, select: true });
    await env.api.view.reveal(acct2, { expand: true });
    console.log(`[blob-copy-ui:screenshot] azure-tree.png|${dst}`);
  });

  it('copies a blob from one discovered account to the other: byte-identical, no secret stored', async () => {
    const main = await findChild(env.api, await root(), 'Blob Copy Test');
    const dev = await findChild(env.api, main, DEV_ACCOUNT.name);
    const blob = await findChild(env.api, await findChild(env.api, await findChild(env.api, dev, src), 'photos'), 'cat.jpg');
    const target = await findChild(env.api, await findChild(env.api, main, SECOND_ACCOUNT.name), dst);
    assert.ok(blob.kind === 'blob' && target.kind === 'container');
    assert.equal(blob.connectionId, `azure:${SUB_MAIN}/${DEV_ACCOUNT.name}`);
    // Drag and drop, as between hand-added connections.
    const data = new vscode.DataTransfer();
    const token = new vscode.CancellationTokenSource().token;
    await env.api.dnd.handleDrag([blob], data, token);
    const batches = new Set(env.api.engine.jobs().map((j) => j.batchId));
    await env.api.dnd.handleDrop(target, data, token);
    const batchId = await waitFor('the drop batch', () => env.api.engine.jobs().find((j) => !batches.has(j.batchId))?.batchId);
    await waitForBatch(env.api, batchId);
    const copied = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient(dst).getBlobClient('cat.jpg');
    assert.ok((await copied.downloadToBuffer()).equals(payload), 'byte-identical');
    assert.deepEqual((await copied.getProperties()).metadata, { via: 'signin' });
    // The cost preview knows both accounts' regions.
    assert.ok(env.api.logLines.some((l) => l.includes('The bytes leave westeurope for northeurope: Azure bills data transfer between regions.')), env.api.logLines.slice(-8).join('\n'));
    assert.deepEqual(await chosenKeys(), [], 'no access key stored: the sign-in was enough');
    const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
    const log = env.api.logLines.join('\n');
    for (const t of signIn.tokens) {
      assert.ok(!state.includes(t) && !log.includes(t), 'no token in globalState or the log');
    }
    assert.ok(!state.includes(DEV_ACCOUNT.key) && !state.includes(SECOND_ACCOUNT.key), 'no key in globalState');
  });

  it('a missing data role names the role and offers the access key; the key the user chose goes to secret storage only', async () => {
    const locked = await findChild(env.api, await root(), 'Locked');
    const account = await findChild(env.api, locked, SECOND_ACCOUNT.name);
    const kids = await childrenOf(env.api, account);
    const text = kids.map((n) => labelOf(env.api, n));
    assert.equal(text[0], `Your Azure sign-in has no data access to ${SECOND_ACCOUNT.name}: ask for "Storage Blob Data Reader" (or "Storage Blob Data Contributor" to copy into it) on the account or its container.`);
    assert.equal(text[1], 'Use access key for this account…');
    const offer = env.api.tree.getTreeItem(kids[1]).command!;
    assert.ok(gate.refused > 0);
    // Declined: nothing stored, still the message.
    const asked: string[] = [];
    env.api.prompts.useAccessKey = async (name) => {
      asked.push(name);
      return false;
    };
    assert.equal(await vscode.commands.executeCommand(offer.command, ...(offer.arguments ?? [])), false);
    assert.deepEqual(await chosenKeys(), []);
    // Accepted: asked again (each time), the key is read through ARM List Keys and kept in secret storage.
    env.api.prompts.useAccessKey = async (name) => {
      asked.push(name);
      return true;
    };
    assert.equal(await vscode.commands.executeCommand(offer.command, ...(offer.arguments ?? [])), true);
    assert.deepEqual(asked, [SECOND_ACCOUNT.name, SECOND_ACCOUNT.name]);
    assert.ok(arm.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/rg-locked/providers/Microsoft.Storage/storageAccounts/${SECOND_ACCOUNT.name}/listKeys`)));
    assert.deepEqual(await chosenKeys(), [SECOND_ACCOUNT.name]);
    const relisted = await findChild(env.api, await findChild(env.api, await root(), 'Locked'), SECOND_ACCOUNT.name);
    assert.ok((await labels(relisted)).includes(dst), 'listed with the key');
    const state = JSON.stringify(env.api.globalState.keys().map((k) => env.api.globalState.get(k)));
    const settings = JSON.stringify(vscode.workspace.getConfiguration().inspect('blobCopy'));
    assert.ok(!state.includes(SECOND_ACCOUNT.key) && !settings.includes(SECOND_ACCOUNT.key) && !env.api.logLines.join('\n').includes(SECOND_ACCOUNT.key), 'the key only in secret storage');
  });

  it('Select Subscriptions… narrows the tree to the chosen subscriptions', async () => {
    env.api.prompts.pickSubscriptions = async (items) => {
      assert.deepEqual(items.map((i) => [i.label, i.picked]), [['Blob Copy Test', true], ['Locked', true]]);
      return items.filter((i) => i.label === 'Locked').map((i) => i.id);
    };
    await vscode.commands.executeCommand('blobCopy.selectSubscriptions');
    assert.deepEqual(vscode.workspace.getConfiguration('blobCopy.azure').get('selectedSubscriptions'), [`${TENANT_ID}/${SUB_LOCKED}`]);
    assert.deepEqual(await labels(await root()), ['Locked']);
    await vscode.workspace.getConfiguration('blobCopy.azure').update('selectedSubscriptions', undefined, vscode.ConfigurationTarget.Global);
    env.api.tree.refresh(await root());
    assert.deepEqual(await labels(await root()), ['Blob Copy Test', 'Locked']);
  });

  it('several tenants: the root lists tenants, each with the subscriptions its own token sees', async () => {
    const FABRIKAM = '5d1c0a2e-0000-4000-8000-0000000000bb';
    arm.model.tenants.push({ tenantId: FABRIKAM, displayName: 'Fabrikam', defaultDomain: 'fabrikam.onmicrosoft.com' });
    arm.model.subscriptions.push({ subscriptionId: '3c1f0000-0000-4000-8000-0000000fab01', tenantId: FABRIKAM, displayName: 'Fabrikam Main' });
    try {
      env.api.tree.refresh(await root());
      assert.deepEqual(await labels(await root()), ['Contoso', 'Fabrikam']);
      const fabrikam = await findChild(env.api, await root(), 'Fabrikam');
      assert.equal(env.api.tree.getTreeItem(fabrikam).description, 'fabrikam.onmicrosoft.com');
      assert.deepEqual(await labels(fabrikam), ['Fabrikam Main']);
      // An ARM refusal shows on its node, as one line.
      arm.model.failAccounts = { '3c1f0000-0000-4000-8000-0000000fab01': { status: 403, code: 'AuthorizationFailed', message: "The client 'tester' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/read'." } };
      assert.deepEqual(await labels(await findChild(env.api, fabrikam, 'Fabrikam Main')), [
        "Could not list: Azure Resource Manager: could not list storage accounts (403 AuthorizationFailed): The client 'tester' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/read'.",
      ]);
      assert.deepEqual(await labels(await findChild(env.api, await root(), 'Contoso')), ['Blob Copy Test', 'Locked']);
      assert.ok(arm.requests.some((r) => r.path === '/subscriptions' && r.tenant === FABRIKAM), "Fabrikam's subscriptions were asked with a Fabrikam token");
    } finally {
      arm.model.tenants.pop();
      arm.model.subscriptions.pop();
      arm.model.failAccounts = undefined;
    }
  });

  it('sign-in unavailable (a custom cloud without its settings): one line on the Azure root, hand-added connections stay', async () => {
    const saved = cloudSettings.inspect('customEnvironment')?.globalValue;
    await cloudSettings.update('customEnvironment', undefined, vscode.ConfigurationTarget.Global);
    try {
      const azure = await root();
      env.api.tree.refresh(azure);
      const kids = await childrenOf(env.api, azure);
      assert.equal(kids.length, 1);
      assert.equal(kids[0].kind, 'message');
      assert.match(labelOf(env.api, kids[0]), /^Azure sign-in is not available: the cloud settings \(microsoft-sovereign-cloud\.\*\) are not usable: Please provide "name"/);
      assert.ok(!labelOf(env.api, kids[0]).includes('\n'));
      assert.ok((await childrenOf(env.api)).some((n) => labelOf(env.api, n) === 'Azurite (local emulator)'));
    } finally {
      await cloudSettings.update('customEnvironment', saved, vscode.ConfigurationTarget.Global);
    }
  });

  it('Sign Out forgets the discovered accounts and the chosen key', async () => {
    const lockedId = `azure:${SUB_LOCKED}/${SECOND_ACCOUNT.name}`;
    assert.equal(await env.api.connections.usesAccessKey(lockedId), true);
    await vscode.commands.executeCommand('blobCopy.azureSignOut');
    const azure = await root();
    env.api.tree.refresh(azure);
    assert.deepEqual(await labels(azure), ['Sign in to Azure…']);
    assert.equal(await env.api.connections.usesAccessKey(lockedId), false, 'the chosen key is deleted');
    assert.deepEqual(env.api.connections.all().filter((c) => c.kind === 'azure'), []);
  });
});
