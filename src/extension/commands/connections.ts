/** The connection and tree commands: add, rename, remove a connection; refresh, load more, reveal in the tree. */
import * as vscode from 'vscode';
import { addConnectionInteractively } from '../connections/addConnection';
import { isAddConnectionInput, type ConnectionInfo } from '../connections/model';
import type { Ctx } from '../context';
import { pickConnection } from '../copy/pickers';
import { connectionIdOf, locationOf } from './invocation';
import type { CommandFactory, CommandInvocation } from './types';

/** The connection clicked, named by id, or picked. */
async function connectionFrom(ctx: Ctx, inv: CommandInvocation, title: string): Promise<ConnectionInfo | undefined> {
  if (inv.kind === 'menu' && inv.node.kind === 'connection') return inv.node.info;
  const id = connectionIdOf(inv);
  if (id !== undefined) return ctx.connections.get(id);
  return pickConnection(ctx, title);
}

/** A saved connection to change (clicked, named or picked); the built-in Azurite entry gets `builtinNote` instead. */
async function savedConnectionFrom(ctx: Ctx, inv: CommandInvocation, title: string, builtinNote: string): Promise<ConnectionInfo | undefined> {
  const conn = await connectionFrom(ctx, inv, title);
  if (conn?.builtin) {
    void ctx.notify.info(builtinNote);
    return undefined;
  }
  return conn;
}

export const addConnection: CommandFactory = (ctx) => async (inv) => {
  if (inv.kind === 'api' && isAddConnectionInput(inv.args)) {
    const { timeoutMs } = inv.args as { timeoutMs?: unknown };
    return ctx.connections.add(inv.args, typeof timeoutMs === 'number' ? timeoutMs : undefined);
  }
  return addConnectionInteractively(ctx.connections, ctx.notify, () => ctx.prompts.connectionInput());
};

export const renameConnection: CommandFactory = (ctx) => async (inv) => {
  const conn = await savedConnectionFrom(ctx, inv, 'Rename Connection', 'The Azurite entry comes from the settings (blobCopy.azurite.host / port) and cannot be renamed.');
  if (!conn) return undefined;
  const explicit = inv.kind === 'id' ? inv.text : inv.kind === 'api' && typeof inv.args.label === 'string' ? inv.args.label : undefined;
  const label = explicit ?? (await vscode.window.showInputBox({ title: 'Rename Connection', value: conn.label, validateInput: (v) => (v.trim() ? undefined : 'Enter a name') }));
  if (!label) return undefined;
  await ctx.connections.rename(conn.id, label);
  return label.trim();
};

export const removeConnection: CommandFactory = (ctx) => async (inv) => {
  const conn = await savedConnectionFrom(ctx, inv, 'Remove Connection', 'The Azurite entry is built in; point it elsewhere with the blobCopy.azurite.* settings.');
  if (!conn) return false;
  // Named by id (code): no confirmation. Clicked or picked: the modal asks.
  if (inv.kind !== 'api' && inv.kind !== 'id') {
    const ok = await vscode.window.showWarningMessage(`Remove the connection "${conn.label}"? Its stored secret is deleted too.`, { modal: true }, 'Remove');
    if (ok !== 'Remove') return false;
  }
  await ctx.connections.remove(conn.id);
  return true;
};

export const refresh: CommandFactory = (ctx) => (inv) => ctx.tree.refresh(inv.kind === 'menu' ? inv.node : undefined);

export const loadMore: CommandFactory = (ctx) => async (inv) => {
  if (inv.kind !== 'menu') return [];
  const node = inv.node;
  if (node.kind === 'loadMore' || node.kind === 'connection' || node.kind === 'container' || node.kind === 'folder') return ctx.tree.loadMore(node);
  return [];
};

export const revealInTree: CommandFactory = (ctx) => async (inv) => {
  const loc = locationOf(inv);
  if (!loc) return undefined;
  const node = await ctx.tree.find(loc);
  if (node) await ctx.view.reveal(node, { select: true, focus: true, expand: node.kind !== 'blob' });
  return node;
};
