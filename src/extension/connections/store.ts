/**
 * Saved connections. The non-secret list lives in globalState, every secret (connection string, account key, SAS URL)
 * only in SecretStorage. The built-in Azurite entry comes from the `blobCopy.azurite.*` settings.
 */
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { AccountClient, ConnectionSpec } from '../../core';
import { accountNameFromEndpoint, azuriteConnectionString, AZURITE_ACCOUNT_NAME, endpointUrlProblem, parseConnectionString } from '../../core/storage/connectionString';
import { loadCore } from '../loadCore';
import { readSettings } from '../config';
import { createEntraCredential } from './credentials';
import { AZURITE_ID, type AddConnectionInput, type ConnectionInfo, type SecretPayload } from './model';
import { sasExpiryProblem, validateConnection } from './validate';

const STATE_KEY = 'blobCopy.connections';
/** Storage accounts found through the Azure sign-in (non-secret), kept so that a journal's copy can resume. */
const AZURE_STATE_KEY = 'blobCopy.azureAccounts';
const secretKey = (id: string) => `blobCopy.connection.${id}`;
/** The access key the user chose for a discovered account ("Use access key for this account"). */
const azureKeySecret = (id: string) => `blobCopy.azureKey.${id}`;

export class ConnectionStore implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  private readonly clients = new Map<string, Promise<AccountClient>>();

  /** Storage tokens of the Azure sign-in for a tenant (set by the extension; the sign-in library lives elsewhere). */
  azureCredential?: (tenantId: string, accountId: string) => TokenCredential;

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  /** Azurite first, then the saved connections in the order they were added (the tree's hand-added roots). */
  list(): ConnectionInfo[] {
    return [this.azurite(), ...this.saved()];
  }

  /** list() and the storage accounts found through the Azure sign-in (copy destinations, pickers). */
  all(): ConnectionInfo[] {
    return [...this.list(), ...this.discovered()];
  }

  get(id: string): ConnectionInfo | undefined {
    return this.all().find((c) => c.id === id);
  }

  /** Remembers storage accounts found through the Azure sign-in as connections (kind 'azure'), by their stable ids. */
  async register(accounts: readonly ConnectionInfo[]): Promise<void> {
    const byId = new Map(this.discovered().map((c) => [c.id, c]));
    let changed = false;
    for (const a of accounts) {
      if (JSON.stringify(byId.get(a.id)) !== JSON.stringify(a)) changed = true;
      byId.set(a.id, a);
    }
    if (changed) await this.state.update(AZURE_STATE_KEY, [...byId.values()]);
  }

  /** Whether the user chose the access key for a discovered account. */
  async usesAccessKey(id: string): Promise<boolean> {
    return (await this.secrets.get(azureKeySecret(id))) !== undefined;
  }

  /** The user chose "Use access key for this account": the key goes to secret storage only. */
  async useAccessKey(id: string, key: string): Promise<void> {
    if (!this.discovered().some((c) => c.id === id)) throw new Error(`Unknown Azure account "${id}": refresh the Azure tree.`);
    await this.secrets.store(azureKeySecret(id), key);
    this.invalidate(id);
  }

  /** Sign Out: forgets the discovered accounts and every access key chosen for them. */
  async forgetAzure(): Promise<void> {
    for (const c of this.discovered()) {
      await this.secrets.delete(azureKeySecret(c.id));
      this.clients.delete(c.id);
    }
    await this.state.update(AZURE_STATE_KEY, undefined);
    this._onDidChange.fire();
  }

  /** The engine's ConnectionResolver: SDK clients for a connection id (cached until the connection changes). */
  resolve = (id: string): Promise<AccountClient> => {
    let client = this.clients.get(id);
    if (!client) {
      client = this.spec(id).then((spec) => loadCore().createAccountClient(spec));
      client.catch(() => this.clients.delete(id));
      this.clients.set(id, client);
    }
    return client;
  };

  /** Validates against the endpoint, then saves. Throws (nothing saved) with a clear message when the check fails. */
  async add(input: AddConnectionInput, timeoutMs?: number): Promise<ConnectionInfo> {
    const id = randomUUID();
    const { spec, secret, info } = describe(id, input);
    const account = await validateConnection(spec, timeoutMs);
    const saved: ConnectionInfo = {
      ...info,
      accountName: info.accountName || account.accountName,
      container: account.container,
      label: input.label?.trim() || defaultLabel(info.kind, account),
    };
    if (secret) await this.secrets.store(secretKey(id), JSON.stringify(secret));
    await this.state.update(STATE_KEY, [...this.saved(), saved]);
    this._onDidChange.fire();
    return saved;
  }

  async rename(id: string, label: string): Promise<void> {
    const trimmed = label.trim();
    if (!trimmed) throw new Error('A connection needs a name.');
    const all = this.saved();
    if (!all.some((c) => c.id === id)) throw new Error('Only saved connections can be renamed (Azurite is configured in the settings).');
    await this.state.update(STATE_KEY, all.map((c) => (c.id === id ? { ...c, label: trimmed } : c)));
    this._onDidChange.fire();
  }

  async remove(id: string): Promise<void> {
    const all = this.saved();
    if (!all.some((c) => c.id === id)) throw new Error('Only saved connections can be removed (Azurite is configured in the settings).');
    await this.secrets.delete(secretKey(id));
    await this.state.update(STATE_KEY, all.filter((c) => c.id !== id));
    this.clients.delete(id);
    this._onDidChange.fire();
  }

  /** Forgets cached clients (after the Azurite settings changed) and tells listeners. */
  invalidate(id?: string): void {
    if (id) this.clients.delete(id);
    else this.clients.clear();
    this._onDidChange.fire();
  }

  dispose(): void {
    this._onDidChange.dispose();
  }

  private azurite(): ConnectionInfo {
    const s = readSettings();
    return {
      id: AZURITE_ID,
      label: 'Azurite (local emulator)',
      kind: 'azurite',
      accountName: AZURITE_ACCOUNT_NAME,
      endpoint: `http://${s.azuriteHost}:${s.azuritePort}/${AZURITE_ACCOUNT_NAME}`,
      builtin: true,
    };
  }

  private discovered(): ConnectionInfo[] {
    const raw = this.state.get<unknown>(AZURE_STATE_KEY);
    return Array.isArray(raw) ? (raw as ConnectionInfo[]).filter((c) => c && typeof c.id === 'string' && c.kind === 'azure' && !!c.azure) : [];
  }

  private saved(): ConnectionInfo[] {
    const raw = this.state.get<unknown>(STATE_KEY);
    return Array.isArray(raw) ? (raw as ConnectionInfo[]).filter((c) => c && typeof c.id === 'string') : [];
  }

  /** A connection's spec, secrets included (the engine's worker asks for it; never logged or shown). */
  async spec(id: string): Promise<ConnectionSpec> {
    const info = this.get(id);
    if (!info) throw new Error(`Unknown connection "${id}": it was removed.`);
    switch (info.kind) {
      case 'azurite': {
        const s = readSettings();
        return { kind: 'connectionString', connectionString: azuriteConnectionString(s.azuriteHost, s.azuritePort) };
      }
      case 'entra':
        return { kind: 'token', accountName: info.accountName, blobEndpoint: info.endpoint, credential: createEntraCredential(info.auth ?? 'vscode') };
      case 'azure': {
        const key = await this.secrets.get(azureKeySecret(id));
        if (key) return { kind: 'sharedKey', accountName: info.accountName, accountKey: key, blobEndpoint: info.endpoint };
        if (!this.azureCredential || !info.azure) throw new Error(`${info.label}: sign in to Azure to use this account.`);
        return { kind: 'token', accountName: info.accountName, blobEndpoint: info.endpoint, credential: this.azureCredential(info.azure.tenantId, info.azure.accountId) };
      }
      case 'connectionString':
      case 'accountKey':
      case 'sas': {
        const raw = await this.secrets.get(secretKey(id));
        if (!raw) throw new Error(`The secret of "${info.label}" is missing from the secret storage: remove the connection and add it again.`);
        const secret = JSON.parse(raw) as SecretPayload;
        switch (secret.kind) {
          case 'connectionString':
            return { kind: 'connectionString', connectionString: secret.connectionString };
          case 'accountKey':
            return { kind: 'sharedKey', accountName: info.accountName, accountKey: secret.accountKey, blobEndpoint: info.endpoint };
          case 'sas':
            return { kind: 'sas', url: secret.url };
        }
      }
    }
  }
}

function defaultLabel(kind: ConnectionInfo['kind'], account: AccountClient): string {
  const base = account.accountName || new URL(account.endpoint).host;
  return account.container ? `${base}/${account.container}` : kind === 'entra' ? `${base} (Entra ID)` : base;
}

/** Splits an input into the client spec, the secret to store and the non-secret info. */
function describe(id: string, input: AddConnectionInput): { spec: ConnectionSpec; secret?: SecretPayload; info: ConnectionInfo } {
  const label = input.label?.trim() ?? '';
  switch (input.kind) {
    case 'connectionString': {
      const connectionString = input.connectionString.trim();
      const parsed = parseConnectionString(connectionString);
      const sas = /SharedAccessSignature=([^;]*)/i.exec(connectionString)?.[1];
      const expired = sas ? sasExpiryProblem(sas) : undefined;
      if (expired) throw new Error(expired);
      const accountName = parsed.accountName ?? accountNameFromEndpoint(parsed.blobEndpoint);
      return {
        spec: { kind: 'connectionString', connectionString },
        secret: { kind: 'connectionString', connectionString },
        info: { id, label, kind: 'connectionString', accountName, endpoint: parsed.blobEndpoint },
      };
    }
    case 'accountKey': {
      const accountName = input.accountName.trim();
      if (!/^[a-z0-9]{3,24}$/.test(accountName) && !input.blobEndpoint) throw new Error('Storage account names have 3–24 lowercase letters and digits.');
      const accountKey = input.accountKey.trim();
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) throw new Error('The account key is not base64: copy it again from the portal (Access keys).');
      const given = input.blobEndpoint?.trim() || `https://${accountName}.blob.core.windows.net`;
      assertHttpUrl(given, 'Blob endpoint');
      const endpoint = given.replace(/\/+$/, '');
      return {
        spec: { kind: 'sharedKey', accountName, accountKey, blobEndpoint: endpoint },
        secret: { kind: 'accountKey', accountKey },
        info: { id, label, kind: 'accountKey', accountName, endpoint },
      };
    }
    case 'sas': {
      const url = input.url.trim();
      assertHttpUrl(url.split('?')[0], 'SAS URL');
      if (!/[?&]sig=/i.test(url)) throw new Error('The URL carries no SAS token (no "sig=" parameter): paste the full SAS URL, "https://<account>.blob.core.windows.net/<container>?sv=…&sig=…".');
      const expired = sasExpiryProblem(url);
      if (expired) throw new Error(expired);
      const client = loadCore().createAccountClient({ kind: 'sas', url });
      return {
        spec: { kind: 'sas', url },
        secret: { kind: 'sas', url },
        info: { id, label, kind: 'sas', accountName: client.accountName, endpoint: client.endpoint, container: client.container },
      };
    }
    case 'entra': {
      const accountName = input.accountName.trim();
      if (!/^[a-z0-9]{3,24}$/.test(accountName) && !input.blobEndpoint) throw new Error('Storage account names have 3–24 lowercase letters and digits.');
      const given = input.blobEndpoint?.trim() || `https://${accountName}.blob.core.windows.net`;
      assertHttpUrl(given, 'Blob endpoint');
      const endpoint = given.replace(/\/+$/, '');
      const auth = input.auth ?? 'vscode';
      return {
        spec: { kind: 'token', accountName, blobEndpoint: endpoint, credential: createEntraCredential(auth) },
        info: { id, label, kind: 'entra', accountName, endpoint, auth },
      };
    }
  }
}

function assertHttpUrl(value: string, field: string): void {
  const problem = endpointUrlProblem(value, field);
  if (problem) throw new Error(problem);
}
