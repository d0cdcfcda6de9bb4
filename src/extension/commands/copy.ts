/**
 * The copy commands: Copy Blob/Folder/Container To…, Copy and Paste (the tree's clipboard), Copy from URL, Copy With
 * Operation…, Copy URL. Each works from a menu (node + selection), from the palette (it asks with pickers) and
 * from code (explicit arguments).
 */
import * as vscode from 'vscode';
import type { CopySource } from '../../core';
import { validateBlobName } from '../../core/base/limits';
import { OPERATION_INFO, plural, strategiesFor } from '../../shared/vocabulary';
import { locationUrl } from '../connections/model';
import type { Ctx } from '../context';
import { runCopy, type CopyOutcome } from '../copy/flow';
import { pickDestination, pickSource } from '../copy/pickers';
import { lastSegment, notStorageProblem, urlProblem } from '../copy/sourceUrl';
import { errorMessage } from '../logger';
import { toSourceInfos, toTarget, type CopySourceInfo, type SourceKind } from '../tree/capabilities';
import { copyArgsOf, explicitTargetOf, sourceOf, sourcesOf, targetOf } from './invocation';
import type { CommandFactory } from './types';

/** The tree's selection when the view is visible and it holds sources of one of the kinds. */
export function selectedSources(ctx: Ctx, kinds: readonly SourceKind[]): CopySourceInfo[] {
  if (!ctx.view.visible) return [];
  return toSourceInfos(ctx.view.selection).filter((s) => kinds.includes(s.sourceKind));
}

const toCopySource = (s: CopySourceInfo): CopySource => ({ kind: 'location', location: s.location });

const KIND_TITLE: Record<SourceKind, string> = { blob: 'Copy Blob To…', folder: 'Copy Folder To…', container: 'Copy Container To…' };

export function copyTo(kind: SourceKind): CommandFactory {
  return (ctx) =>
    async (inv): Promise<CopyOutcome | undefined> => {
      const args = copyArgsOf(inv);
      let sources = sourcesOf(inv);
      if (!sources?.length) sources = selectedSources(ctx, [kind]);
      if (!sources.length) {
        const picked = await pickSource(ctx, kind, KIND_TITLE[kind]);
        if (!picked) return undefined;
        sources = [picked];
      }
      const destination = explicitTargetOf(inv) ?? (await pickDestination(ctx, KIND_TITLE[kind].replace('…', '')));
      if (!destination) return undefined;
      return runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy: args.strategy, openJobs: args.openJobs });
    };
}

/** Copy (mode 'copy') or Cut ('cut'): the invocation's sources, else the tree's selection, go to the clipboard. */
export function markSources(ctx: Ctx, inv: Parameters<ReturnType<CommandFactory>>[0], mode: 'copy' | 'cut'): number {
  let sources = sourcesOf(inv) ?? [];
  if (!sources.length) sources = selectedSources(ctx, ['blob', 'folder', 'container']);
  const command = mode === 'cut' ? 'Cut' : 'Copy';
  if (!sources.length) {
    void ctx.notify.info(`Select blobs, folders or containers in the Blob Copy view, then run "${command}".`);
    return 0;
  }
  if (mode === 'cut') ctx.clipboard.set(sources, 'cut');
  else ctx.clipboard.set(sources);
  const what = sources.length === 1 ? 'it' : 'them';
  vscode.window.setStatusBarMessage(
    `Blob Copy: ${plural(sources.length, 'item')} ${mode === 'cut' ? 'cut' : 'marked'} — "Paste" on a container or folder ${mode === 'cut' ? 'moves' : 'copies'} ${what} there`,
    5000,
  );
  return sources.length;
}

export const copyMark: CommandFactory = (ctx) => (inv) => markSources(ctx, inv, 'copy');

export const paste: CommandFactory = (ctx) => async (inv): Promise<CopyOutcome | undefined> => {
  const args = copyArgsOf(inv);
  const explicit = toSourceInfos(args.sources ?? []);
  const sources = explicit.length ? explicit : ctx.clipboard.items;
  if (!sources.length) {
    void ctx.notify.info('Nothing to paste: mark blobs, folders or containers with "Copy" or "Cut" first.');
    return undefined;
  }
  // Items marked with "Cut" are moved, as in VS Code's explorer; the clipboard is emptied once the move starts.
  const move = !explicit.length && ctx.clipboard.mode === 'cut';
  // A keybinding (Ctrl+V) passes no node: paste on the one container or folder selected in the tree, as the explorer does.
  const selection = inv.kind === 'palette' && ctx.view.visible ? ctx.view.selection.map(toTarget).filter((t) => t !== undefined) : [];
  const destination = targetOf(inv) ?? (selection.length === 1 ? selection[0] : undefined) ?? (await pickDestination(ctx, move ? 'Paste (move)' : 'Paste'));
  if (!destination) return undefined;
  const outcome = await runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy: args.strategy, openJobs: args.openJobs, move, includeSnapshots: args.includeSnapshots });
  if (move && outcome.batchId) ctx.clipboard.set([]);
  return outcome;
};

export const copyFromUrl: CommandFactory = (ctx) => async (inv): Promise<CopyOutcome | undefined> => {
  const args = copyArgsOf(inv);
  const target = targetOf(inv) ?? (await pickDestination(ctx, 'Copy from URL'));
  if (!target) return undefined;
  const url =
    args.url ??
    (await vscode.window.showInputBox({
      title: 'Copy from URL',
      prompt: `Any http(s) URL (public, or carrying a SAS) to copy into ${target.container}/${target.path}`,
      placeHolder: 'https://account.blob.core.windows.net/container/blob?sv=…',
      ignoreFocusOut: true,
      validateInput: (v) => urlProblem(v.trim()),
    }));
  if (!url) return undefined;
  const problem = urlProblem(url.trim()) ?? (await notStorageProblem(url.trim(), ctx.log));
  if (problem) throw new Error(problem);
  const prefix = target.path && !target.path.endsWith('/') ? `${target.path}/` : target.path;
  const name =
    args.name ??
    (await vscode.window.showInputBox({
      title: 'Copy from URL',
      prompt: `Destination blob name (in ${target.container}/${prefix})`,
      value: lastSegment(url.trim()),
      ignoreFocusOut: true,
      validateInput: (v) => validateBlobName(prefix + v.trim()),
    }));
  if (!name) return undefined;
  const nameProblem = validateBlobName(prefix + name.trim());
  if (nameProblem) throw new Error(nameProblem);
  return runCopy(ctx, {
    sources: [{ kind: 'url', url: url.trim() }],
    destination: { ...target, path: prefix + name.trim() },
    conflict: args.conflict,
    strategy: args.strategy,
    openJobs: args.openJobs,
  });
};

export const copyWithOperation: CommandFactory = (ctx) => async (inv): Promise<CopyOutcome | undefined> => {
  const args = copyArgsOf(inv);
  let sources = (sourcesOf(inv) ?? []).filter((s) => s.sourceKind === 'blob');
  if (!sources.length) sources = selectedSources(ctx, ['blob']);
  if (!sources.length) {
    const picked = await pickSource(ctx, 'blob', 'Copy With Operation…');
    if (!picked) return undefined;
    sources = [picked];
  }
  const types = [...new Set(sources.map((s) => s.blobType ?? 'BlockBlob'))];
  const allowed = strategiesFor(types);
  let strategy = args.strategy;
  if (strategy && strategy !== 'auto' && !allowed.includes(strategy)) {
    throw new Error(`${strategy} does not apply to ${types.join(' / ')}: choose one of ${allowed.join(', ')}.`);
  }
  if (!strategy) {
    const pick = await vscode.window.showQuickPick(
      allowed.map((id) => ({ label: OPERATION_INFO[id].label, detail: OPERATION_INFO[id].detail, id })),
      { title: 'Copy With Operation…', placeHolder: `Operation for ${sources.length === 1 ? sources[0].location.path : `${sources.length} blobs`}`, ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    strategy = pick.id;
  }
  const destination = explicitTargetOf(inv) ?? (await pickDestination(ctx, 'Copy With Operation'));
  if (!destination) return undefined;
  return runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy, openJobs: args.openJobs });
};

export const copyUrl: CommandFactory = (ctx) => async (inv): Promise<string | undefined> => {
  const source = sourceOf(inv) ?? selectedSources(ctx, ['blob', 'folder', 'container'])[0] ?? (await pickSource(ctx, 'blob', 'Copy URL'));
  if (!source) return undefined;
  const info = ctx.connections.get(source.location.connectionId);
  if (!info) throw new Error('The connection of that item was removed.');
  const url = locationUrl(info, source.location);
  try {
    await vscode.env.clipboard.writeText(url);
    vscode.window.setStatusBarMessage(`Copied ${url}`, 4000);
  } catch (err) {
    ctx.log.warn(`Could not write the clipboard: ${errorMessage(err)}`);
  }
  return url;
};

