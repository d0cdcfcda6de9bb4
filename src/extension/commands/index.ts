/**
 * The command table: one factory per command, `(ctx) => handler`, keyed by the names in ids.ts (the compiler
 * checks the table names every command, and nothing else), and the one place they are registered.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../context';
import { errorMessage } from '../logger';
import type { StorageNode } from '../tree/nodes';
import { azureSignIn, azureSignOut, selectSubscriptions, useAccessKey } from './azure';
import { addConnection, loadMore, refresh, removeConnection, renameConnection, revealInTree } from './connections';
import { copyFromUrl, copyMark, copyTo, copyUrl, copyWithOperation, paste } from './copy';
import { COMMANDS, type CommandName } from './ids';
import { isProgrammatic, parseInvocation } from './invocation';
import { cut, moveTo, rename } from './move';
import { syncTo } from './sync';
import { abortPendingCopy, cancel, clearFinished, openJobs, resume, retryFailed } from './jobs';
import type { CommandFactory } from './types';

export { COMMANDS, CAN_PASTE_CONTEXT, VIEW_ID } from './ids';

export const commands: Record<CommandName, CommandFactory> = {
  addConnection,
  renameConnection,
  removeConnection,
  refresh,
  loadMore,
  revealInTree,
  copyBlobTo: copyTo('blob'),
  copyFolderTo: copyTo('folder'),
  copyContainerTo: copyTo('container'),
  copy: copyMark,
  paste,
  moveTo,
  syncTo,
  rename,
  cut,
  copyFromUrl,
  copyWithOperation,
  copyUrl,
  openJobs,
  cancel,
  retryFailed,
  abortPendingCopy,
  clearFinished,
  resume,
  azureSignIn,
  azureSignOut,
  selectSubscriptions,
  useAccessKey,
};

/**
 * The one place commands are registered: each handler gets its invocation read once (parseInvocation), and one
 * wrapper applies the error policy: a failure of a call from code rejects with the message the UI would show, a
 * failure from the palette or a menu shows it. Every registration is pushed to the extension's subscriptions.
 */
export function registerCommands(ctx: Ctx, table: Record<CommandName, CommandFactory> = commands): void {
  for (const name of Object.keys(table) as CommandName[]) {
    const handler = table[name](ctx);
    const id = COMMANDS[name];
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        const inv = parseInvocation<StorageNode>(args);
        try {
          return await handler(inv);
        } catch (err) {
          const message = errorMessage(err);
          ctx.log.error(`${id} failed: ${message}`);
          // A caller in code gets the same message the UI shows (a CopyError's hint included).
          if (isProgrammatic(inv)) throw err instanceof Error && !('info' in err) ? err : new Error(message);
          void ctx.notify.error(`Blob Copy: ${message}`);
          return undefined;
        }
      }),
    );
  }
}
