/** Sync To…: a folder or container (tree, or picked from the palette) synced to a destination folder (copy/sync.ts). */
import * as vscode from 'vscode';
import type { SyncCompare } from '../../core';
import { runSyncFlow, type SyncOutcome } from '../copy/sync';
import { pickDestination, pickSource } from '../copy/pickers';
import type { CopySourceInfo, SourceKind } from '../tree/capabilities';
import { explicitTargetOf, sourceOf, sourcesOf } from './invocation';
import type { CommandFactory } from './types';
import { selectedSources } from './copy';

export const syncTo: CommandFactory = (ctx) => async (inv): Promise<SyncOutcome | undefined> => {
  const args = inv.kind === 'api' ? (inv.args as { compare?: SyncCompare; openJobs?: boolean }) : {};
  let source: CopySourceInfo | undefined = sourceOf(inv) ?? sourcesOf(inv)?.[0] ?? selectedSources(ctx, ['folder', 'container'])[0];
  if (source?.sourceKind === 'blob') throw new Error('Sync To… compares folders: choose a folder or a container (to copy one blob, use Copy To…).');
  if (!source) {
    const labels: Partial<Record<SourceKind, string>> = { folder: 'A folder', container: 'A container' };
    const pick = await vscode.window.showQuickPick(
      (['folder', 'container'] as const).map((k) => ({ label: labels[k]!, sourceKind: k })),
      { title: 'Sync To…', placeHolder: 'What to sync from', ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    source = await pickSource(ctx, pick.sourceKind, 'Sync To…');
    if (!source) return undefined;
  }
  const destination = explicitTargetOf(inv) ?? (await pickDestination(ctx, 'Sync To'));
  if (!destination) return undefined;
  return runSyncFlow(ctx, { source: source.location, destination, compare: args.compare, openJobs: args.openJobs });
};
