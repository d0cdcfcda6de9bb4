/**
 * Activation: builds the one small context object (connections, engine, tree, status bar, panel opener, log) and
 * registers everything through the command table. Returns an API object for tests and other extensions.
 */
import * as vscode from 'vscode';
import { CopyEngine, type BlobLocation, type JobSnapshot } from '../core';
import { readSettings, SECTION } from './config';
import { ConnectionStore } from './connections/store';
import { registerCommands, commands, locationUrl } from './commands';
import type { CopyClipboard, Ctx, Prompts } from './context';
import { defaultPrompts, runCopy } from './copy/flow';
import { createLogger, errorMessage } from './logger';
import { watchBatches } from './notifications';
import { CopyJobsPanel, registerCopyJobsSerializer, type CopyJobsPanelDeps } from './panel';
import { CopyStatusBar } from './statusBar';
import { StorageDragAndDrop } from './tree/dnd';
import type { CopySourceInfo, StorageNode } from './tree/nodes';
import { StorageTreeProvider } from './tree/provider';
import { AZURITE_ID } from './connections/model';

export const VIEW_ID = 'blobCopy.storage';

export interface BlobCopyApi {
  readonly tree: StorageTreeProvider;
  readonly view: vscode.TreeView<StorageNode>;
  readonly dnd: StorageDragAndDrop;
  readonly engine: CopyEngine;
  readonly connections: ConnectionStore;
  readonly statusBar: CopyStatusBar;
  /** Questions the copy flow asks; tests replace `conflict` to answer without a modal. */
  readonly prompts: Prompts;
  readonly clipboard: CopyClipboard;
  readonly panel: {
    show(): CopyJobsPanel;
    readonly current: CopyJobsPanel | undefined;
    /** Every message the host posted to / received from the webview, newest last (bounded). */
    readonly trace: { direction: 'toWebview' | 'fromWebview'; message: unknown }[];
  };
  /** Non-secret state the extension keeps (tests check that no secret lands here). */
  readonly globalState: vscode.Memento;
}

function createClipboard(): CopyClipboard {
  let items: readonly CopySourceInfo[] = [];
  return {
    get items() {
      return items;
    },
    set(next) {
      items = [...next];
      void vscode.commands.executeCommand('setContext', 'blobCopy.canPaste', items.length > 0);
    },
  };
}

/** Job snapshots name the destination as "container/path": the batch tells the connection (for "reveal"). */
function locationOfJob(batchDestinations: ReadonlyMap<string, BlobLocation>, destination: string, job: JobSnapshot): BlobLocation | undefined {
  const dest = batchDestinations.get(job.batchId);
  if (!dest) return undefined;
  const clean = destination.replace(/\?.*$/, '');
  const slash = clean.indexOf('/');
  if (slash <= 0) return { ...dest, path: '' };
  return { connectionId: dest.connectionId, container: clean.slice(0, slash), path: clean.slice(slash + 1) };
}

export function activate(context: vscode.ExtensionContext): BlobCopyApi {
  const log = vscode.window.createOutputChannel('Blob Copy', { log: true });
  context.subscriptions.push(log);
  const settings = readSettings();
  const connections = new ConnectionStore(context.globalState, context.secrets);
  context.subscriptions.push(connections);
  const engine = new CopyEngine({
    resolve: connections.resolve,
    journalDir: context.globalStorageUri.fsPath,
    concurrency: settings.concurrency,
    rangeConcurrency: settings.rangeConcurrency,
    blockSizeBytes: settings.blockSizeBytes || undefined,
    log: createLogger(log),
  });
  context.subscriptions.push({ dispose: () => engine.dispose() });

  const tree = new StorageTreeProvider(connections, () => readSettings().pageSize);
  context.subscriptions.push(tree);

  // The context is completed below; the drop handler and the panel only use it after activation.
  // eslint-disable-next-line prefer-const
  let ctx: Ctx;
  const dnd = new StorageDragAndDrop(
    async (sources, destination) => {
      try {
        return await runCopy(ctx, { sources: sources.map((s) => ({ kind: 'location', location: s.location })), destination });
      } catch (err) {
        log.error(`Drop failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`Blob Copy: ${errorMessage(err)}`);
        return undefined;
      }
    },
    (source) => {
      const info = connections.get(source.location.connectionId);
      return info ? locationUrl(info, source.location) : undefined;
    },
  );
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, dragAndDropController: dnd, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(view);

  const trace: BlobCopyApi['panel']['trace'] = [];
  const panelDeps: CopyJobsPanelDeps = {
    extensionUri: context.extensionUri,
    jobs: engine,
    log,
    redact: (t) => t,
    reveal: (destination: string, job: JobSnapshot) => {
      const loc = locationOfJob(ctx.batchDestinations, destination, job);
      if (!loc) {
        void vscode.window.showInformationMessage(`Cannot find ${destination} in the Blob Copy view.`);
        return undefined;
      }
      return vscode.commands.executeCommand('blobCopy.revealInTree', loc);
    },
    trace: (direction, message) => {
      trace.push({ direction, message });
      if (trace.length > 500) trace.splice(0, trace.length - 500);
    },
  };
  registerCopyJobsSerializer(context, panelDeps);

  const statusBar = new CopyStatusBar(() => engine.jobs());
  context.subscriptions.push(statusBar);
  const prompts: Prompts = { conflict: (summary, plan) => defaultPrompts.conflict(summary, plan) };

  ctx = {
    extension: context,
    connections,
    engine,
    tree,
    view,
    log,
    clipboard: createClipboard(),
    prompts,
    batchDestinations: new Map(),
    openJobs: (options) => {
      CopyJobsPanel.createOrShow(panelDeps, { preserveFocus: options?.preserveFocus });
    },
  };

  registerCommands(ctx, commands);
  const jobSub = engine.onJob(() => statusBar.schedule());
  context.subscriptions.push({ dispose: () => jobSub.dispose() });
  context.subscriptions.push(
    watchBatches(ctx, () => statusBar.schedule()),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.azurite`)) connections.invalidate(AZURITE_ID);
      else if (e.affectsConfiguration(`${SECTION}.pageSize`)) tree.refresh();
      if (e.affectsConfiguration(`${SECTION}.concurrency`) || e.affectsConfiguration(`${SECTION}.rangeConcurrency`) || e.affectsConfiguration(`${SECTION}.blockSizeMiB`)) {
        log.info('Concurrency and block size settings apply after a window reload.');
      }
    }),
  );

  void offerResume(ctx);
  log.info(`Blob Copy activated (VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}${vscode.env.remoteName ? `, remote ${vscode.env.remoteName}` : ''}).`);

  return {
    tree,
    view,
    dnd,
    engine,
    connections,
    statusBar,
    prompts,
    clipboard: ctx.clipboard,
    panel: {
      show: () => CopyJobsPanel.createOrShow(panelDeps),
      get current() {
        return CopyJobsPanel.current;
      },
      trace,
    },
    globalState: context.globalState,
  };
}

/** Unfinished jobs from the journal (a window closed mid-copy): offer to resume them. */
async function offerResume(ctx: Ctx): Promise<void> {
  try {
    const unfinished = await ctx.engine.unfinished();
    if (unfinished.length === 0) return;
    ctx.log.info(`${unfinished.length} unfinished copy job(s) in the journal.`);
    const choice = await vscode.window.showInformationMessage(
      `Blob Copy: ${unfinished.length} copy job${unfinished.length === 1 ? '' : 's'} did not finish when VS Code closed.`,
      'Resume',
      'Show Jobs',
    );
    if (choice === 'Resume') await vscode.commands.executeCommand('blobCopy.resume');
    else if (choice === 'Show Jobs') ctx.openJobs();
  } catch (err) {
    ctx.log.warn(`Could not read the copy journal: ${errorMessage(err)}`);
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
