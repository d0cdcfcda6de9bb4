/**
 * The one small context object the commands receive: the services, no business logic, no globals.
 */
import type * as vscode from 'vscode';
import type { ConflictPolicy, CopyPlan, EngineApi, JobSnapshot, Logger, RehydratePriority } from '../core';
import type { AddConnectionInput } from './connections/model';
import type { ConnectionStore } from './connections/store';
import type { CopySourceInfo } from './tree/capabilities';
import type { StorageNode } from './tree/nodes';
import type { AzureSource, StorageTreeProvider } from './tree/provider';

/** Questions the extension asks the user. Tests replace them (through the extension's API) to answer without UI. */
export interface Prompts {
  /** Asked once per batch when destinations exist. undefined = cancel. */
  conflict(summary: string, plan: CopyPlan): Promise<ConflictPolicy | undefined>;
  /** Asked before a batch of more than one blob starts when no conflict question was asked. true = copy. */
  confirmBatch(summary: string, plan: CopyPlan): Promise<boolean>;
  /**
   * Asked before every move (after the conflict question, if any): `detail` says that sources are deleted after
   * each verified copy and how long a deleted source stays recoverable. undefined = cancel.
   */
  confirmMove(summary: string, detail: string, plan: CopyPlan): Promise<'move' | 'move-with-snapshots' | undefined>;
  /**
   * Asked before every sync: `detail` lists the groups (counts, bytes, first names) and the cost preview. 'sync'
   * leaves the extras, 'sync-delete' deletes them after every copy is verified. undefined = cancel.
   */
  confirmSync(summary: string, detail: string, extras: number): Promise<'sync' | 'sync-delete' | undefined>;
  /**
   * Some sources are in the Archive tier (same account): copy them with a rehydrating Copy Blob at this priority, or
   * undefined = leave them out (the batch is then partial, naming them).
   */
  rehydrate(summary: string, archived: number): Promise<RehydratePriority | undefined>;
  /** The destination container does not exist: create it? (`where` names connection › container.) */
  createContainer(container: string, where: string): Promise<boolean>;
  /** Copies that did not finish last time (the journal): resume them, show them, or neither. */
  resumeUnfinished(message: string, jobs: readonly JobSnapshot[]): Promise<'resume' | 'show' | undefined>;
  /** "Add Connection…": the kind and details of a connection (quick picks and input boxes). undefined = cancel. */
  connectionInput(): Promise<AddConnectionInput | undefined>;
  /** "Use access key for this account": asked every time, before the key is fetched. true = use it. */
  useAccessKey(accountName: string): Promise<boolean>;
  /** "Select Subscriptions…": the subscriptions to show (ids), from all of them. undefined = cancel. */
  pickSubscriptions(items: readonly SubscriptionChoice[]): Promise<string[] | undefined>;
}

/** One subscription offered by "Select Subscriptions…". */
export interface SubscriptionChoice {
  /** "tenant/subscription", as the Azure Resources extension keeps it. */
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly picked: boolean;
}

/** The Azure sign-in as the commands see it. */
export interface AzureControl extends AzureSource {
  /** Blob Copy's own "Sign Out" (VS Code keeps the account signed in: its Accounts menu signs it out). */
  setSignedOut(value: boolean): Promise<void>;
}

/** Non-modal messages (`vscode.window.show*Message`). Tests replace the members to capture and answer them. */
export interface Notifier {
  info(message: string, ...actions: string[]): Thenable<string | undefined>;
  warn(message: string, ...actions: string[]): Thenable<string | undefined>;
  error(message: string, ...actions: string[]): Thenable<string | undefined>;
}

/** A message the extension showed (kept in test mode only). */
export interface ShownMessage {
  readonly level: keyof Notifier;
  readonly message: string;
  readonly actions: readonly string[];
}

/** Items marked with "Copy" or "Cut", waiting for "Paste" (a cut pastes as a move). */
export interface CopyClipboard {
  readonly items: readonly CopySourceInfo[];
  /** 'cut': Paste moves the items (and empties the clipboard), as in VS Code's explorer. */
  readonly mode: 'copy' | 'cut';
  set(items: readonly CopySourceInfo[], mode?: 'copy' | 'cut'): void;
}

/** A quick pick or input box the pickers created (tests drive them through this). */
export type QuickInput = vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox;

export interface Ctx {
  readonly extension: vscode.ExtensionContext;
  readonly connections: ConnectionStore;
  readonly azure: AzureControl;
  readonly engine: EngineApi;
  readonly tree: StorageTreeProvider;
  readonly view: vscode.TreeView<StorageNode>;
  readonly log: Required<Logger>;
  readonly clipboard: CopyClipboard;
  readonly prompts: Prompts;
  readonly notify: Notifier;
  /** Fired when a picker shows a quick pick or input box it created. */
  readonly quickInputShown: (input: QuickInput) => void;
  /** Opens (or reveals) the Copy Jobs panel. */
  openJobs(options?: { preserveFocus?: boolean }): void;
}
