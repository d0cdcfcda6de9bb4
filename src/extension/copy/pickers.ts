/**
 * Quick picks for the palette versions of the commands: connection → container → prefix (destination) and
 * connection → container → folder/blob (source). Names are validated as the service would.
 */
import * as vscode from 'vscode';
import type { BlobLocation } from '../../core';
import { validateBlobName, validateContainerName } from '../../core/base/limits';
import { loadCore } from '../loadCore';
import type { ConnectionInfo } from '../connections/model';
import { readSettings } from '../config';
import type { Ctx } from '../context';
import { formatBytes } from '../../shared/vocabulary';
import { errorMessage } from '../logger';
import type { CopySourceInfo } from '../tree/capabilities';

type Item<T> = vscode.QuickPickItem & { value: T };

export async function pickConnection(ctx: Ctx, title: string): Promise<ConnectionInfo | undefined> {
  const items: Item<ConnectionInfo>[] = ctx.connections.all().map((c) => ({ label: c.label, description: c.endpoint, value: c }));
  return pickOne(ctx, items, { title, placeholder: 'Connection' });
}

/** A one-item quick pick (created, so tests see it through ctx.quickInputShown). */
function pickOne<T>(ctx: Ctx, items: Item<T>[], options: { title: string; placeholder: string }): Promise<T | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item<T>>();
    qp.title = options.title;
    qp.placeholder = options.placeholder;
    qp.ignoreFocusOut = true;
    qp.items = items;
    let settled = false;
    const finish = (value: T | undefined) => {
      if (settled) return;
      settled = true;
      resolve(value);
      qp.dispose();
    };
    qp.onDidAccept(() => {
      const picked = qp.selectedItems[0] ?? qp.activeItems[0];
      if (picked) finish(picked.value);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    ctx.quickInputShown(qp as unknown as vscode.QuickPick<vscode.QuickPickItem>);
  });
}

/** Containers of a connection (first pages), plus typing a new name (created when the copy needs it). */
async function pickContainer(ctx: Ctx, conn: ConnectionInfo, title: string, allowNew: boolean): Promise<{ name: string; isNew: boolean } | undefined> {
  const account = await ctx.connections.resolve(conn.id);
  const names: string[] = [];
  let token: string | undefined;
  try {
    for (let i = 0; i < 5; i++) {
      const page = await loadCore().listContainersPage(account, token, readSettings().pageSize);
      names.push(...page.items.map((c) => c.name));
      token = page.continuationToken;
      if (!token) break;
    }
  } catch (err) {
    void ctx.notify.error(`Cannot list the containers of ${conn.label}: ${errorMessage(err)}`);
    return undefined;
  }
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item<string>>();
    qp.title = title;
    qp.placeholder = allowNew ? 'Container (type a new name to create it)' : 'Container';
    qp.ignoreFocusOut = true;
    const base: Item<string>[] = names.map((n) => ({ label: n, iconPath: new vscode.ThemeIcon('archive'), value: n }));
    qp.items = base;
    let settled = false;
    const finish = (value: { name: string; isNew: boolean } | undefined) => {
      if (settled) return;
      settled = true;
      resolve(value);
      qp.dispose();
    };
    const NEW_ICON = '$(add)';
    const BAD_ICON = '$(error)';
    qp.onDidChangeValue((v) => {
      const typed = v.trim();
      if (!allowNew || !typed || names.includes(typed)) {
        qp.items = base;
        return;
      }
      const problem = validateContainerName(typed);
      // An invalid name shows why, and cannot be accepted (its value is empty).
      qp.items = [
        problem
          ? { label: `${BAD_ICON} ${typed}`, description: problem, detail: 'Not a valid container name: fix the name to create the container.', value: '', alwaysShow: true }
          : { label: `${NEW_ICON} ${typed}`, description: 'new container', value: typed, alwaysShow: true },
        ...base,
      ];
    });
    qp.onDidAccept(() => {
      const picked = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!picked || !picked.value) {
        const problem = qp.value.trim() ? validateContainerName(qp.value.trim()) : undefined;
        if (problem) ctx.log.info(`Container name "${qp.value.trim().slice(0, 80)}" refused: ${problem}`);
        return;
      }
      finish({ name: picked.value, isNew: !names.includes(picked.value) });
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    ctx.quickInputShown(qp as unknown as vscode.QuickPick<vscode.QuickPickItem>);
  });
}

/** A virtual folder prefix: "" or "a/b/". */
async function askPrefix(title: string, value = ''): Promise<string | undefined> {
  const prefix = await vscode.window.showInputBox({
    title,
    prompt: 'Folder (prefix) in the container; empty for the container root',
    value,
    placeHolder: 'e.g. backups/2024/',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const p = v.trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return p ? validateBlobName(`${p}/x`) : undefined;
    },
  });
  if (prefix === undefined) return undefined;
  const p = prefix.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return p ? `${p}/` : '';
}

export async function pickDestination(ctx: Ctx, title = 'Copy to…'): Promise<BlobLocation | undefined> {
  const conn = await pickConnection(ctx, `${title} (destination connection)`);
  if (!conn) return undefined;
  const container = await pickContainer(ctx, conn, `${title} (destination container)`, true);
  if (!container) return undefined;
  if (container.isNew) {
    const account = await ctx.connections.resolve(conn.id);
    await account.service.getContainerClient(container.name).createIfNotExists();
    ctx.tree.refreshLocation({ connectionId: conn.id, container: container.name, path: '' });
  }
  const prefix = await askPrefix(`${title} (destination folder in ${container.name})`);
  if (prefix === undefined) return undefined;
  return { connectionId: conn.id, container: container.name, path: prefix };
}

/** Picks a source of a kind through the pickers (palette use without a tree selection). */
export async function pickSource(ctx: Ctx, kind: CopySourceInfo['sourceKind'], title: string): Promise<CopySourceInfo | undefined> {
  const conn = await pickConnection(ctx, `${title} (source connection)`);
  if (!conn) return undefined;
  const container = await pickContainer(ctx, conn, `${title} (source container)`, false);
  if (!container) return undefined;
  const base: BlobLocation = { connectionId: conn.id, container: container.name, path: '' };
  if (kind === 'container') return { sourceKind: 'container', location: base };
  if (kind === 'folder') {
    const prefix = await askPrefix(`${title} (source folder)`);
    if (!prefix) return undefined;
    return { sourceKind: 'folder', location: { ...base, path: prefix } };
  }
  return browseBlob(ctx, base, title);
}

/** Walks folders in a quick pick until a blob is chosen (bounded steps, first page of each level). */
async function browseBlob(ctx: Ctx, base: BlobLocation, title: string): Promise<CopySourceInfo | undefined> {
  const account = await ctx.connections.resolve(base.connectionId);
  let prefix = '';
  for (let step = 0; step < 64; step++) {
    const page = await loadCore().listBlobsPage(account, base.container, prefix, undefined, readSettings().pageSize);
    type V = { folder?: string; blob?: CopySourceInfo; up?: true };
    const items: Item<V>[] = [];
    if (prefix) items.push({ label: '$(arrow-up) ..', value: { up: true } });
    for (const e of page.items) {
      if (e.kind === 'folder') items.push({ label: `$(folder) ${e.name}`, value: { folder: e.prefix } });
      else {
        items.push({
          label: `$(file) ${e.displayName}`,
          description: `${formatBytes(e.size)} · ${e.blobType}`,
          value: { blob: { sourceKind: 'blob', location: { ...base, path: e.name }, blobType: e.blobType, size: e.size } },
        });
      }
    }
    const pick = await vscode.window.showQuickPick(items, { title: `${title} (source blob in ${base.container}/${prefix})`, ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.value.blob) return pick.value.blob;
    if (pick.value.up) prefix = prefix.replace(/[^/]*\/$/, '');
    else if (pick.value.folder) prefix = pick.value.folder;
  }
  return undefined;
}
