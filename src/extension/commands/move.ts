/**
 * The move commands: Move To… (a blob, a multi-selection, a folder, a container's contents), Rename… (a
 * blob, or a folder = every blob under the prefix) and Cut (Paste then moves, see copy.ts). A move is a copy whose
 * sources are deleted after each copy is verified: the same pickers, plan, conflict question and Copy Jobs panel
 * (copy/flow.ts), plus a confirmation that says so.
 */
import * as vscode from 'vscode';
import type { BlobLocation } from '../../core';
import { validateBlobName } from '../../core/base/limits';
import type { Ctx } from '../context';
import { runCopy, type CopyOutcome } from '../copy/flow';
import { pickDestination, pickSource } from '../copy/pickers';
import type { CopySourceInfo, SourceKind } from '../tree/capabilities';
import { copyArgsOf, explicitTargetOf, sourceOf, sourcesOf } from './invocation';
import type { CommandFactory } from './types';
import { markSources, selectedSources } from './copy';

const selected = selectedSources;

/** Moves the sources to the destination through the copy flow (same plan, questions and panel). */
function runMove(ctx: Ctx, sources: readonly CopySourceInfo[], destination: BlobLocation, args: ReturnType<typeof copyArgsOf>): Promise<CopyOutcome> {
  return runCopy(ctx, {
    sources: sources.map((s) => ({ kind: 'location', location: s.location })),
    destination,
    conflict: args.conflict,
    strategy: args.strategy,
    openJobs: args.openJobs,
    move: true,
    includeSnapshots: args.includeSnapshots,
  });
}

/** From the palette without a selection: which kind of thing to move. */
async function pickKind(title: string, kinds: readonly SourceKind[]): Promise<SourceKind | undefined> {
  const labels: Record<SourceKind, string> = { blob: 'A blob', folder: 'A folder (every blob under it)', container: "A container's contents" };
  const pick = await vscode.window.showQuickPick(
    kinds.map((k) => ({ label: labels[k], sourceKind: k })),
    { title, placeHolder: 'What to move', ignoreFocusOut: true },
  );
  return pick?.sourceKind;
}

export const moveTo: CommandFactory = (ctx) => async (inv): Promise<CopyOutcome | undefined> => {
  const args = copyArgsOf(inv);
  let sources = sourcesOf(inv) ?? [];
  if (!sources.length) sources = selected(ctx, ['blob', 'folder', 'container']);
  if (!sources.length) {
    const kind = await pickKind('Move To…', ['blob', 'folder', 'container']);
    if (!kind) return undefined;
    const picked = await pickSource(ctx, kind, 'Move To…');
    if (!picked) return undefined;
    sources = [picked];
  }
  const destination = explicitTargetOf(inv) ?? (await pickDestination(ctx, 'Move To'));
  if (!destination) return undefined;
  return runMove(ctx, sources, destination, args);
};

/** "a/b/c.txt" → "a/b/new name"; a folder's new name is its whole new prefix. */
function renamedLocation(source: CopySourceInfo, newName: string): BlobLocation {
  const name = newName.trim().replace(/^\/+/, '');
  const path = source.sourceKind === 'folder' ? `${name.replace(/\/+$/, '')}/` : name;
  return { ...source.location, path };
}

export const rename: CommandFactory = (ctx) => async (inv): Promise<CopyOutcome | undefined> => {
  const args = copyArgsOf(inv);
  const source = sourceOf(inv) ?? selected(ctx, ['blob', 'folder'])[0] ?? (await pickSource(ctx, 'blob', 'Rename…'));
  if (!source) return undefined;
  if (source.sourceKind === 'container') throw new Error('A container cannot be renamed: use "Move To…" to move its contents to another container.');
  const current = source.sourceKind === 'folder' ? source.location.path.replace(/\/$/, '') : source.location.path;
  const validate = (v: string): string | undefined => {
    const name = v.trim().replace(/^\/+/, '').replace(/\/+$/, '');
    if (!name) return 'Type the new name.';
    return validateBlobName(source.sourceKind === 'folder' ? `${name}/x` : name);
  };
  const base = current.lastIndexOf('/') + 1;
  const typed =
    args.name ??
    (await vscode.window.showInputBox({
      title: `Rename ${source.sourceKind === 'folder' ? 'Folder' : 'Blob'}…`,
      prompt: `New ${source.sourceKind === 'folder' ? 'folder path (every blob under it moves)' : 'blob name'} in ${source.location.container}`,
      value: current,
      valueSelection: [base, current.length],
      ignoreFocusOut: true,
      validateInput: validate,
    }));
  if (typed === undefined) return undefined;
  const problem = validate(typed);
  if (problem) throw new Error(problem);
  const destination = renamedLocation(source, typed);
  if (destination.path === source.location.path) return undefined; // same name: nothing to do
  return runMove(ctx, [source], destination, args);
};

export const cut: CommandFactory = (ctx) => (inv) => markSources(ctx, inv, 'cut');
