/**
 * Every command the extension contributes, by name. The one list of command ids: code refers to `COMMANDS.x`, never
 * to a string literal, and test/unit/extension/manifest.test.ts checks that package.json contributes exactly these.
 * No `vscode` here, so plain-Node tests can read it.
 */
export const PREFIX = 'blobCopy.';

export const COMMANDS = {
  addConnection: 'blobCopy.addConnection',
  renameConnection: 'blobCopy.renameConnection',
  removeConnection: 'blobCopy.removeConnection',
  refresh: 'blobCopy.refresh',
  loadMore: 'blobCopy.loadMore',
  revealInTree: 'blobCopy.revealInTree',
  copyBlobTo: 'blobCopy.copyBlobTo',
  copyFolderTo: 'blobCopy.copyFolderTo',
  copyContainerTo: 'blobCopy.copyContainerTo',
  copy: 'blobCopy.copy',
  paste: 'blobCopy.paste',
  moveTo: 'blobCopy.moveTo',
  syncTo: 'blobCopy.syncTo',
  rename: 'blobCopy.rename',
  cut: 'blobCopy.cut',
  copyFromUrl: 'blobCopy.copyFromUrl',
  copyWithOperation: 'blobCopy.copyWithOperation',
  copyUrl: 'blobCopy.copyUrl',
  openJobs: 'blobCopy.openJobs',
  cancel: 'blobCopy.cancel',
  retryFailed: 'blobCopy.retryFailed',
  abortPendingCopy: 'blobCopy.abortPendingCopy',
  clearFinished: 'blobCopy.clearFinished',
  resume: 'blobCopy.resume',
  azureSignIn: 'blobCopy.azureSignIn',
  azureSignOut: 'blobCopy.azureSignOut',
  selectSubscriptions: 'blobCopy.selectSubscriptions',
  useAccessKey: 'blobCopy.useAccessKey',
} as const satisfies Record<string, `${typeof PREFIX}${string}`>;

export type CommandName = keyof typeof COMMANDS;

/** The storage tree view and the context key that enables Paste (package.json `when` clauses name them too). */
export const VIEW_ID = 'blobCopy.storage';
export const CAN_PASTE_CONTEXT = 'blobCopy.canPaste';
