/**
 * Activation: builds the one small context object (connections, engine holder, tree, status bar, panel opener, log)
 * and registers everything through the command table. The copy engine and the storage SDK (dist/core.js) are not
 * loaded here: the engine is created on first use (lazyEngine.ts, loadCore.ts). Returns the test API (with the
 * connection resolver, i.e. account keys) only in an extension test run; any other extension gets a minimal,
 * secret-free API.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobSnapshot, WorkerEngine } from '../core';
import { PANEL_RETAINED } from '../core/base/defaults';
import { affectsTuning, engineTuning, readSettings, SECTION } from './config';
import { ConnectionStore } from './connections/store';
import { CAN_PASTE_CONTEXT, COMMANDS, commands, registerCommands, VIEW_ID } from './commands';
import type { AzureControl, CopyClipboard, Ctx, Notifier, Prompts, QuickInput, ShownMessage } from './context';
import type { AzureCloud } from './azure/types';
import { defaultPrompts, runCopy } from './copy/flow';
import { coreLoaded, loadAzure, loadCore } from './loadCore';
import { OnFirstUse, unfinishedQuestion, unfinishedWork, type UnfinishedWork } from './lazyEngine';
import { ChannelLog, errorMessage } from './logger';
import { watchBatches } from './notifications';
import { CopyJobsPanel, registerCopyJobsSerializer, type CopyJobsPanelDeps } from './panel';
import { CopyStatusBar } from './statusBar';
import { StorageDragAndDrop } from './tree/dnd';
import type { CopySourceInfo } from './tree/capabilities';
import type { StorageNode } from './tree/nodes';
import { StorageTreeProvider } from './tree/provider';
import { addDemoConnections, DEMO_ACCOUNTS_ENV } from './connections/demo';
import { AZURITE_ID, locationUrl } from './connections/model';

export { VIEW_ID };

/** What any extension gets outside a test run: no clients, no connections, nothing secret. */
export interface BlobCopyPublicApi {
  readonly apiVersion: 1;
}

/** When this bundle's top level ran (performance.now(), ms): the end of its require(), for the start-up benchmark. */
const MODULE_LOADED_AT = performance.now();

/** The API of an extension test run (`ExtensionMode.Test`): services, seams and records for the tests. */
export interface BlobCopyApi extends BlobCopyPublicApi {
  /**
   * Start-up timing (bench --startup): activate()'s own duration in ms, and when the module finished loading and
   * activate() started (performance.now() of the extension host process).
   */
  readonly activation: { readonly ms: number; readonly moduleLoadedAt: number; readonly activateStartedAt: number };
  readonly tree: StorageTreeProvider;
  readonly view: vscode.TreeView<StorageNode>;
  readonly dnd: StorageDragAndDrop;
  /** The copy engine (in its worker thread): reading this creates it (and loads dist/core.js) when it does not exist yet. */
  readonly engine: WorkerEngine;
  /** Whether the copy engine exists (reading this creates nothing). */
  readonly engineCreated: boolean;
  /** Whether the engine's module (dist/core.js, with the storage SDK) was loaded in this extension host. */
  readonly coreLoaded: boolean;
  readonly connections: ConnectionStore;
  /** The Azure sign-in (reading `cloud()` loads dist/azure.js). */
  readonly azure: AzureControl;
  readonly statusBar: CopyStatusBar;
  /** Questions the extension asks; tests replace them to answer without a modal. */
  readonly prompts: Prompts;
  /** Non-modal messages; tests replace the members to capture and answer them. */
  readonly notifier: Notifier;
  /** Every message shown through the notifier (test mode), newest last. */
  readonly shown: readonly ShownMessage[];
  /** Every line written to the Blob Copy log (test mode), "[level] text", newest last. */
  readonly logLines: readonly string[];
  /** Fires when a picker shows a quick pick or input box. */
  readonly onDidShowQuickInput: vscode.Event<QuickInput>;
  /** The engine's journal folder. */
  readonly journalDir: string;
  /** The start-up check for unfinished copies (asks through prompts.resumeUnfinished); resumed batch ids. */
  checkUnfinished(): Promise<string[]>;
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
  let mode: 'copy' | 'cut' = 'copy';
  return {
    get items() {
      return items;
    },
    get mode() {
      return mode;
    },
    set(next, nextMode = 'copy') {
      items = [...next];
      mode = nextMode;
      void vscode.commands.executeCommand('setContext', CAN_PASTE_CONTEXT, items.length > 0);
    },
  };
}

/**
 * Shows a job's destination blob in the storage tree. The snapshot names it (connection, container, path after any
 * rename), for batches started in this window and for batches resumed from the journal alike. Resolves to the node.
 */
export function revealJob(job: JobSnapshot): Thenable<unknown> {
  const { connectionId, container, path } = job.destinationLocation;
  return vscode.commands.executeCommand(COMMANDS.revealInTree, { connectionId, container, path });
}

/** Full API in an extension test run only; anything else gets the minimal one (no resolver, no keys). */
export function apiFor(mode: vscode.ExtensionMode, full: () => BlobCopyApi): BlobCopyApi | BlobCopyPublicApi {
  return mode === vscode.ExtensionMode.Test ? full() : Object.freeze({ apiVersion: 1 as const });
}

/** Blob Copy's own "Sign Out" of Azure (globalState; VS Code's account stays signed in). */
const AZURE_SIGNED_OUT_KEY = 'blobCopy.azure.signedOut';

export function activate(context: vscode.ExtensionContext): BlobCopyApi | BlobCopyPublicApi {
  const activateStarted = performance.now();
  const testMode = context.extensionMode === vscode.ExtensionMode.Test;
  const channel = vscode.window.createOutputChannel('Blob Copy', { log: true });
  context.subscriptions.push(channel);
  const log = new ChannelLog(channel, testMode);
  // As users run it (also in tests and benchmarks): the engine's debug lines only when the channel shows debug.
  const debugLog = () => channel.logLevel === vscode.LogLevel.Trace || channel.logLevel === vscode.LogLevel.Debug;
  const connections = new ConnectionStore(context.globalState, context.secrets);
  context.subscriptions.push(connections);
  const journalDir = context.globalStorageUri.fsPath;
  // The engine (and the storage SDK with it) is created on first use, with the settings of that moment.
  // It runs in a worker thread with its own bounded heap (memory flat in the number of blobs, and the
  // host's event loop free for the other extensions); connections and Entra ID tokens are answered from here.
  const engines = new OnFirstUse<WorkerEngine>(() => {
    const t0 = performance.now();
    const loading = !coreLoaded();
    const { WorkerEngine } = loadCore();
    // codeCacheDir: the worker compiles the engine with the V8 code cache of an earlier session.
    const engine = new WorkerEngine({
      spec: (id) => connections.spec(id),
      journalDir,
      retainFinished: PANEL_RETAINED,
      tuning: engineTuning(readSettings()),
      log,
      debugLog: debugLog(),
      network: networkSettings(),
      codeCacheDir: path.join(journalDir, 'code-cache'),
    });
    log.info(`Copy engine created in ${(performance.now() - t0).toFixed(1)} ms${loading ? ', its module (the engine and the Azure SDK) loaded with it' : ''}; it runs in worker thread ${engine.thread?.threadId}.`);
    return engine;
  });
  context.subscriptions.push(engines);
  // A connection removed or changed (Azurite's port): the worker resolves it again.
  engines.onCreate((engine) => connections.onDidChange(() => engine.forget()));
  // The engine's debug lines (one per blob) cross from its thread only while the channel shows them.
  engines.onCreate((engine) => channel.onDidChangeLogLevel(() => engine.setDebugLog(debugLog())));
  // Concurrency, block size and outage tolerance apply to the next job without a window reload.
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsTuning(e)) return;
      const t = engineTuning(readSettings());
      engines.peek()?.configure(t); // an engine created later reads the settings then
      log.info(
        `Settings changed: ${t.concurrency ? `${t.concurrency} blobs (small blobs up to ${Math.min(64, t.concurrency * 4)})` : '8 blobs (small blobs as many as the account takes)'} and ${t.rangeConcurrency} ranges in flight, block size ${t.blockSizeBytes ? `${t.blockSizeBytes / 1024 / 1024} MiB` : 'auto'}, ` +
          `outage tolerance ${t.outageToleranceSeconds} s; jobs that start from now on use them.`,
      );
    }),
  );

  // The Azure sign-in and discovery (dist/azure.js) load when the Azure root is first shown, not at activation.
  let cloud: AzureCloud | undefined;
  const azure: AzureControl = {
    cloud: () => {
      if (!cloud) {
        const created = loadAzure().createAzureCloud(channel);
        context.subscriptions.push(created.onDidChangeSessions(() => tree.refresh(tree.azureRoot)));
        cloud = created;
      }
      return cloud;
    },
    signedOut: () => context.globalState.get<boolean>(AZURE_SIGNED_OUT_KEY) === true,
    setSignedOut: async (value) => context.globalState.update(AZURE_SIGNED_OUT_KEY, value || undefined),
  };
  connections.azureCredential = (tenantId, accountId) => azure.cloud().storageCredential(tenantId, accountId);
  const tree = new StorageTreeProvider(connections, () => readSettings().pageSize, azure);
  context.subscriptions.push(tree);

  // Messages: the replaceable notifier behind a façade that records what was shown (test mode).
  const shown: ShownMessage[] = [];
  const notifier: Notifier = {
    info: (m, ...a) => vscode.window.showInformationMessage(m, ...a),
    warn: (m, ...a) => vscode.window.showWarningMessage(m, ...a),
    error: (m, ...a) => vscode.window.showErrorMessage(m, ...a),
  };
  const show =
    (level: keyof Notifier) =>
    (message: string, ...actions: string[]): Thenable<string | undefined> => {
      if (testMode) shown.push({ level, message, actions });
      return notifier[level](message, ...actions);
    };
  const notify: Notifier = { info: show('info'), warn: show('warn'), error: show('error') };
  const quickInputs = new vscode.EventEmitter<QuickInput>();
  context.subscriptions.push(quickInputs);

  // The context is completed below; the drop handler and the panel only use it after activation.
  // eslint-disable-next-line prefer-const
  let ctx: Ctx;
  const dnd = new StorageDragAndDrop(
    async (sources, destination) => {
      try {
        return await runCopy(ctx, { sources: sources.map((s) => ({ kind: 'location', location: s.location })), destination });
      } catch (err) {
        log.error(`Drop failed: ${errorMessage(err)}`);
        void notify.error(`Blob Copy: ${errorMessage(err)}`);
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
    // Opening or reviving the panel creates the engine.
    get jobs() {
      return engines.get();
    },
    log,
    reveal: (_destination: string, job: JobSnapshot) => revealJob(job),
    trace: testMode
      ? (direction, message) => {
          trace.push({ direction, message });
          if (trace.length > 500) trace.splice(0, trace.length - 500);
        }
      : undefined,
  };
  registerCopyJobsSerializer(context, panelDeps);

  // Nothing to show while no engine exists (it renders on engine events only).
  const statusBar = new CopyStatusBar(() => engines.peek()?.jobs() ?? [], (id) => engines.peek()?.batch(id), () => engines.peek()?.batches() ?? []);
  context.subscriptions.push(statusBar);
  const prompts: Prompts = { ...defaultPrompts };

  ctx = {
    extension: context,
    connections,
    azure,
    get engine() {
      return engines.get();
    },
    tree,
    view,
    log,
    clipboard: createClipboard(),
    prompts,
    notify,
    quickInputShown: (input) => quickInputs.fire(input),
    openJobs: (options) => {
      CopyJobsPanel.createOrShow(panelDeps, { preserveFocus: options?.preserveFocus });
    },
  };

  registerCommands(ctx, commands);
  // Attached when the engine is created; disposed with it.
  engines.onCreate((engine) => engine.onJob(() => statusBar.schedule()));
  engines.onCreate((engine) => watchBatches(ctx, engine, () => statusBar.schedule()));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.azurite`)) connections.invalidate(AZURITE_ID);
      else if (e.affectsConfiguration(`${SECTION}.pageSize`)) tree.refresh();
    }),
  );

  // `npm start` names the demo's second Azurite account: it becomes a connection (key in SecretStorage).
  const demoAccounts = process.env[DEMO_ACCOUNTS_ENV];
  if (demoAccounts) void addDemoConnections(connections, demoAccounts, log);
  // A test run calls the check itself (checkUnfinished) once its seams are in place.
  if (!testMode) void checkUnfinished(ctx);
  const activationMs = performance.now() - activateStarted;
  log.info(`Blob Copy activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}${vscode.env.remoteName ? `, remote ${vscode.env.remoteName}` : ''}).`);

  return apiFor(context.extensionMode, () => ({
    apiVersion: 1,
    tree,
    view,
    dnd,
    get engine() {
      return engines.get();
    },
    get engineCreated() {
      return engines.peek() !== undefined;
    },
    get coreLoaded() {
      return coreLoaded();
    },
    connections,
    azure,
    statusBar,
    prompts,
    notifier,
    shown,
    logLines: log.lines,
    onDidShowQuickInput: quickInputs.event,
    journalDir,
    checkUnfinished: () => checkUnfinished(ctx),
    clipboard: ctx.clipboard,
    panel: {
      show: () => CopyJobsPanel.createOrShow(panelDeps),
      get current() {
        return CopyJobsPanel.current;
      },
      trace,
    },
    globalState: context.globalState,
    activation: { ms: activationMs, moduleLoadedAt: MODULE_LOADED_AT, activateStartedAt: activateStarted },
  }));
}

/**
 * The start-up check: copies that did not finish (the journal of a window closed or a host killed mid-copy) are
 * offered for resuming. Returns the ids of the batches resumed (none when the user declines). Without a journal
 * file it loads nothing (the engine stays uncreated).
 */
export async function checkUnfinished(ctx: Ctx): Promise<string[]> {
  let unfinished: UnfinishedWork;
  try {
    unfinished = await unfinishedWork(ctx.extension.globalStorageUri.fsPath, () => ctx.engine);
  } catch (err) {
    ctx.log.warn(`Could not read the copy journal: ${errorMessage(err)}`);
    return [];
  }
  const { jobs, batches } = unfinished;
  if (jobs.length === 0 && batches.length === 0) return [];
  ctx.log.info(`${jobs.length} unfinished copy job(s) and ${batches.length} unfinished folder copy(ies) or sync(s) in the journal.`);
  const choice = await ctx.prompts.resumeUnfinished(unfinishedQuestion(unfinished), jobs);
  if (choice === 'resume') return (await vscode.commands.executeCommand<string[]>(COMMANDS.resume)) ?? [];
  if (choice === 'show') ctx.openJobs();
  else ctx.log.info('Resume declined: the unfinished jobs stay in the journal (Blob Copy: Resume Unfinished Copies).');
  return [];
}

/** VS Code's network settings that its extension host applies to its own thread only: the engine's worker gets them. */
function networkSettings(): { proxyUrl?: string; systemCertificates: boolean } {
  const http = vscode.workspace.getConfiguration('http');
  return { proxyUrl: http.get<string>('proxy') || undefined, systemCertificates: http.get<boolean>('systemCertificates', true) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
