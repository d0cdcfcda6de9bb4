/**
 * The demo's extra emulator accounts (`npm start` runs Azurite with a second account, acct2): scripts/start.mjs names
 * them in the environment of the VS Code it starts, and activation adds each as an account-key connection, its key
 * in SecretStorage like every other key (never in settings). Only loopback endpoints are taken: this is for a local
 * emulator, not a way to configure real accounts. No runtime `vscode` import (plain-Node tests load the parser).
 */
import type { Logger } from '../../core';
import { errorMessage } from '../logger';
import type { AddConnectionInput, ConnectionInfo } from './model';

/** JSON: `[{ "name": "acct2", "key": "<base64>", "endpoint": "http://127.0.0.1:10000/acct2", "label"?: "…" }]`. */
export const DEMO_ACCOUNTS_ENV = 'BLOB_COPY_DEMO_ACCOUNTS';

type DemoInput = Extract<AddConnectionInput, { kind: 'accountKey' }> & { readonly blobEndpoint: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The accounts named in the variable, and what was refused (without any key). */
export function parseDemoAccounts(text: string | undefined): { readonly accounts: DemoInput[]; readonly problems: string[] } {
  const accounts: DemoInput[] = [];
  const problems: string[] = [];
  if (!text?.trim()) return { accounts, problems };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return { accounts, problems: [`${DEMO_ACCOUNTS_ENV} is not JSON.`] };
  }
  if (!Array.isArray(list)) return { accounts, problems: [`${DEMO_ACCOUNTS_ENV} is not a JSON array.`] };
  list.forEach((item: unknown, i) => {
    const a = (item ?? {}) as Record<string, unknown>;
    const where = `${DEMO_ACCOUNTS_ENV}[${i}]`;
    if (typeof a.name !== 'string' || !/^[a-z0-9]{3,24}$/.test(a.name)) return void problems.push(`${where}: "name" is not a storage account name.`);
    if (typeof a.key !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(a.key)) return void problems.push(`${where}: "key" is not base64.`);
    let url: URL;
    try {
      url = new URL(String(a.endpoint));
    } catch {
      return void problems.push(`${where}: "endpoint" is not a URL.`);
    }
    if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) return void problems.push(`${where}: "endpoint" is not an http:// loopback address (emulator accounts only).`);
    const label = typeof a.label === 'string' && a.label.trim() ? a.label.trim() : `${a.name} (Azurite, second account)`;
    accounts.push({ kind: 'accountKey', label, accountName: a.name, accountKey: a.key, blobEndpoint: url.href.replace(/\/+$/, '') });
  });
  return { accounts, problems };
}

/** What adding needs of the connection store. */
interface DemoConnectionTarget {
  list(): ConnectionInfo[];
  add(input: AddConnectionInput): Promise<ConnectionInfo>;
}

/**
 * Adds each account that has no connection at its endpoint yet (so a second start adds nothing). Failures are
 * logged, never thrown: the demo goes on with what it has. Returns the connections added.
 */
export async function addDemoConnections(store: DemoConnectionTarget, text: string | undefined, log: Logger): Promise<ConnectionInfo[]> {
  const { accounts, problems } = parseDemoAccounts(text);
  for (const p of problems) log.warn(`Demo accounts: ${p}`);
  const added: ConnectionInfo[] = [];
  for (const input of accounts) {
    if (store.list().some((c) => c.endpoint === input.blobEndpoint)) continue;
    try {
      const info = await store.add(input);
      log.info(`Demo accounts: added the connection "${info.label}" (${info.endpoint}); its key is in the secret storage.`);
      added.push(info);
    } catch (err) {
      log.warn(`Demo accounts: could not add ${input.accountName} at ${input.blobEndpoint}: ${errorMessage(err)}`);
    }
  }
  return added;
}
