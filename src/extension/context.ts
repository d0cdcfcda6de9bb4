/**
 * The one small context object the commands receive: the services, no business logic, no globals.
 */
import type * as vscode from 'vscode';
import type { BlobLocation, ConflictPolicy, CopyEngine, CopyPlan } from '../core';
import type { ConnectionStore } from './connections/store';
import type { CopySourceInfo, StorageNode } from './tree/nodes';
import type { StorageTreeProvider } from './tree/provider';

/** Questions the copy flow asks the user. Tests replace them (through the extension's API) to answer without UI. */
export interface Prompts {
  /** Asked once per batch when destinations exist. undefined = cancel. */
  conflict(summary: string, plan: CopyPlan): Promise<ConflictPolicy | undefined>;
}

/** Items marked with "Copy", waiting for "Paste". */
export interface CopyClipboard {
  readonly items: readonly CopySourceInfo[];
  set(items: readonly CopySourceInfo[]): void;
}

export interface Ctx {
  readonly extension: vscode.ExtensionContext;
  readonly connections: ConnectionStore;
  readonly engine: CopyEngine;
  readonly tree: StorageTreeProvider;
  readonly view: vscode.TreeView<StorageNode>;
  readonly log: vscode.LogOutputChannel;
  readonly clipboard: CopyClipboard;
  readonly prompts: Prompts;
  /** Destination of each batch started from this window (job snapshots name only container/path). */
  readonly batchDestinations: Map<string, BlobLocation>;
  /** Opens (or reveals) the Copy Jobs panel. */
  openJobs(options?: { preserveFocus?: boolean }): void;
}
