/** The interactive "Add Connection…" flow: asks for the kind and the details, validates, saves. */
import * as vscode from 'vscode';
import { endpointUrlProblem, parseConnectionString } from '../../core/storage/connectionString';
import { errorMessage } from '../logger';
import { signInWithVsCode } from './credentials';
import type { Notifier } from '../context';
import type { AddConnectionInput, ConnectionInfo } from './model';
import type { ConnectionStore } from './store';

type KindPick = vscode.QuickPickItem & { value: AddConnectionInput['kind'] };

const KINDS: KindPick[] = [
  { value: 'connectionString', label: '$(key) Connection string', detail: 'DefaultEndpointsProtocol=…;AccountName=…;AccountKey=… (or SharedAccessSignature=…)' },
  { value: 'accountKey', label: '$(key) Account name and key', detail: 'The account name and one of its access keys' },
  { value: 'sas', label: '$(link) SAS URL', detail: 'An account or container URL with a SAS token (…?sv=…&sig=…)' },
  { value: 'entra', label: '$(account) Microsoft Entra ID', detail: 'Sign in with your Microsoft account (falls back to DefaultAzureCredential)' },
];

async function ask(prompt: string, options: Partial<vscode.InputBoxOptions> = {}): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({ prompt, ignoreFocusOut: true, ...options });
  return value === undefined ? undefined : value.trim();
}

/** Asks the user for a connection; undefined when they cancel. */
export async function askConnectionInput(): Promise<AddConnectionInput | undefined> {
  const pick = await vscode.window.showQuickPick(KINDS, { title: 'Add Connection', placeHolder: 'How do you connect to the storage account?', ignoreFocusOut: true });
  if (!pick) return undefined;
  switch (pick.value) {
    case 'connectionString': {
      const connectionString = await ask('Storage connection string', {
        password: true,
        placeHolder: 'DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net',
        validateInput: (v) => {
          try {
            parseConnectionString(v);
            return undefined;
          } catch (err) {
            return errorMessage(err);
          }
        },
      });
      if (!connectionString) return undefined;
      const label = await ask('Name for the connection (optional)');
      if (label === undefined) return undefined;
      return { kind: 'connectionString', connectionString, label };
    }
    case 'accountKey': {
      const accountName = await ask('Storage account name', { validateInput: (v) => (/^[a-z0-9]{3,24}$/.test(v.trim()) ? undefined : '3–24 lowercase letters and digits') });
      if (!accountName) return undefined;
      const accountKey = await ask(`Access key of ${accountName}`, { password: true, validateInput: (v) => (/^[A-Za-z0-9+/]+={0,2}$/.test(v.trim()) ? undefined : 'The key is base64 (letters, digits, +, /, =)') });
      if (!accountKey) return undefined;
      const blobEndpoint = await ask('Blob endpoint (leave empty for Azure public cloud)', {
        placeHolder: `https://${accountName}.blob.core.windows.net`,
        validateInput: (v) => (v.trim() ? endpointUrlProblem(v.trim(), 'Blob endpoint') : undefined),
      });
      if (blobEndpoint === undefined) return undefined;
      return { kind: 'accountKey', accountName, accountKey, blobEndpoint: blobEndpoint || undefined, label: accountName };
    }
    case 'sas': {
      const url = await ask('Account or container SAS URL', {
        password: true,
        placeHolder: 'https://account.blob.core.windows.net/container?sv=…&sig=…',
        validateInput: (v) => (/^https?:\/\/[^?]+\?.*sig=/i.test(v.trim()) ? undefined : 'Paste a URL with a SAS token (it contains "?…sig=…")'),
      });
      if (!url) return undefined;
      const label = await ask('Name for the connection (optional)');
      if (label === undefined) return undefined;
      return { kind: 'sas', url, label };
    }
    case 'entra': {
      const accountName = await ask('Storage account name', { validateInput: (v) => (/^[a-z0-9]{3,24}$/.test(v.trim()) ? undefined : '3–24 lowercase letters and digits') });
      if (!accountName) return undefined;
      const signedIn = await signInWithVsCode(true);
      return { kind: 'entra', accountName, auth: signedIn ? 'vscode' : 'default', label: `${accountName} (Entra ID)` };
    }
  }
}

/**
 * Asks (through `askInput`, by default the quick picks above), validates with progress and saves. When the check
 * fails it shows why (nothing saved) and offers "Try Again"; returns undefined then.
 */
export async function addConnectionInteractively(
  store: ConnectionStore,
  notify: Notifier,
  askInput: () => Promise<AddConnectionInput | undefined> = askConnectionInput,
): Promise<ConnectionInfo | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const input = await askInput();
    if (!input) return undefined;
    try {
      const info = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Blob Copy: checking the connection…' },
        () => store.add(input),
      );
      void notify.info(`Connection "${info.label}" added.`);
      return info;
    } catch (err) {
      const again = await notify.error(`Connection not saved: ${errorMessage(err)}`, 'Try Again');
      if (again !== 'Try Again') return undefined;
    }
  }
  return undefined;
}
