/**
 * The command table: one factory per command, `(ctx) => handler`, registered in one place under the `blobCopy.`
 * prefix (see registerCommands). Every command works from the tree's context menu (node + selection) and from the
 * palette (it asks with pickers), and accepts explicit arguments so tests and other extensions can run it without UI.
 */
import * as vscode from 'vscode';
import { redact, validateBlobName, type BlobLocation, type BlobType, type CopySource, type JobSnapshot, type StrategyChoice, type StrategyId } from '../core';
import type { ConflictSetting } from './config';
import { addConnectionInteractively } from './connections/addConnection';
import { isAddConnectionInput, type ConnectionInfo } from './connections/model';
import type { Ctx } from './context';
import { runCopy, type CopyOutcome } from './copy/flow';
import { pickConnection, pickDestination, pickSource } from './copy/pickers';
import { errorMessage } from './logger';
import { copySourceOf, copyTargetOf, isLocation, type CopySourceInfo, type StorageNode } from './tree/nodes';

export const PREFIX = 'blobCopy.';

export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

/** Explicit arguments of the copy commands (tests, other extensions). */
export interface CopyCommandArgs {
  readonly sources?: readonly unknown[];
  readonly destination?: unknown;
  readonly conflict?: ConflictSetting;
  readonly strategy?: StrategyChoice;
  readonly openJobs?: boolean;
  /** Copy from URL: the source URL and the destination blob name (default: the URL's last segment). */
  readonly url?: string;
  readonly name?: string;
}

// ---- argument helpers -------------------------------------------------------------------------------------------

/** A tree node (or any object with a TreeItem), as VS Code passes from menus. */
function isNode(value: unknown): value is StorageNode {
  return !!value && typeof value === 'object' && typeof (value as { treeItem?: unknown }).treeItem === 'function';
}

/** Explicit arguments are a plain object (not a node, not a Uri). */
function isPlainArgs(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function sourceKindOf(loc: BlobLocation): CopySourceInfo['sourceKind'] {
  return loc.path === '' ? 'container' : loc.path.endsWith('/') ? 'folder' : 'blob';
}

/** Node, capability object or plain location → a copy source. */
export function toSourceInfo(value: unknown): CopySourceInfo | undefined {
  const viaCapability = copySourceOf(value);
  if (viaCapability) return viaCapability;
  if (value && typeof value === 'object' && 'sourceKind' in value && isLocation((value as { location?: unknown }).location)) return value as CopySourceInfo;
  if (isLocation(value)) return { sourceKind: sourceKindOf(value), location: value };
  return undefined;
}

function toTarget(value: unknown): BlobLocation | undefined {
  return copyTargetOf(value) ?? (isLocation(value) ? value : undefined);
}

/** Sources from a menu invocation (clicked node + multi-selection) or explicit args. */
function sourcesFromArgs(first: unknown, selection: unknown): CopySourceInfo[] | undefined {
  if (isNode(first)) {
    const nodes = Array.isArray(selection) && selection.length > 0 && selection.includes(first) ? selection : [first];
    return nodes.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s);
  }
  if (Array.isArray(first)) return first.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s);
  if (isPlainArgs(first) && Array.isArray(first.sources)) return first.sources.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s);
  const single = toSourceInfo(first);
  return single ? [single] : undefined;
}

function argsOf(first: unknown): CopyCommandArgs {
  return isPlainArgs(first) && !isLocation(first) ? (first as CopyCommandArgs) : {};
}

/** The tree's selection when the view is visible and it holds sources of one of the kinds. */
function selectedSources(ctx: Ctx, kinds: readonly CopySourceInfo['sourceKind'][]): CopySourceInfo[] {
  if (!ctx.view.visible) return [];
  return ctx.view.selection.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s && kinds.includes(s.sourceKind));
}

const toCopySource = (s: CopySourceInfo): CopySource => ({ kind: 'location', location: s.location });

// ---- copy commands ----------------------------------------------------------------------------------------------

const KIND_TITLE: Record<CopySourceInfo['sourceKind'], string> = { blob: 'Copy Blob To…', folder: 'Copy Folder To…', container: 'Copy Container To…' };

function copyTo(kind: CopySourceInfo['sourceKind']): CommandFactory {
  return (ctx) =>
    async (first?: unknown, selection?: unknown): Promise<CopyOutcome | undefined> => {
      const args = argsOf(first);
      let sources = sourcesFromArgs(first, selection);
      if (!sources?.length) sources = selectedSources(ctx, [kind]);
      if (!sources.length) {
        const picked = await pickSource(ctx, kind, KIND_TITLE[kind]);
        if (!picked) return undefined;
        sources = [picked];
      }
      const destination = toTarget(args.destination) ?? (await pickDestination(ctx, KIND_TITLE[kind].replace('…', '')));
      if (!destination) return undefined;
      return runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy: args.strategy, openJobs: args.openJobs });
    };
}

const copyMark: CommandFactory = (ctx) => (first?: unknown, selection?: unknown) => {
  let sources = sourcesFromArgs(first, selection) ?? [];
  if (!sources.length) sources = selectedSources(ctx, ['blob', 'folder', 'container']);
  if (!sources.length) {
    void ctx.notify.info('Select blobs, folders or containers in the Blob Copy view, then run "Copy".');
    return 0;
  }
  ctx.clipboard.set(sources);
  vscode.window.setStatusBarMessage(`Blob Copy: ${sources.length} item${sources.length === 1 ? '' : 's'} marked — "Paste" on a container or folder copies ${sources.length === 1 ? 'it' : 'them'} there`, 5000);
  return sources.length;
};

const paste: CommandFactory = (ctx) => async (first?: unknown): Promise<CopyOutcome | undefined> => {
  const args = argsOf(first);
  const sources = (args.sources?.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s) ?? []).length ? args.sources!.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s) : ctx.clipboard.items;
  if (!sources.length) {
    void ctx.notify.info('Nothing to paste: mark blobs, folders or containers with "Copy" first.');
    return undefined;
  }
  const destination = toTarget(first) ?? toTarget(args.destination) ?? (await pickDestination(ctx, 'Paste'));
  if (!destination) return undefined;
  return runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy: args.strategy, openJobs: args.openJobs });
};

function lastSegment(url: string): string {
  try {
    const segs = new URL(url).pathname.split('/').filter(Boolean);
    return decodeURIComponent(segs[segs.length - 1] ?? '');
  } catch {
    return '';
  }
}

/** Copy from URL takes http(s) URLs only: anything else is refused before any request. */
export function urlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `Not a URL: "${redact(text).slice(0, 80)}". Enter an http:// or https:// URL of a blob or file.`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    return `Copy from URL accepts only http:// and https:// URLs, not ${u.protocol}//: the storage service fetches the source over HTTP(S). Enter the blob's https:// URL (with a SAS when it is private).`;
  }
  if (u.username || u.password) return 'The URL carries a user name or password: the storage service cannot use them. Use a URL with a SAS instead.';
  return undefined;
}

/**
 * One HEAD before planning: a server that answers with a web page (text/html) and none of the storage service's
 * headers is not serving a blob (a portal or login page pasted by mistake). Network failures are left to the
 * planner, which reports them with the service's words.
 */
async function notStorageProblem(url: string, ctx: Ctx): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    ctx.log.debug(`Copy from URL: HEAD ${redact(url.split('?')[0])} failed: ${errorMessage(err)}`);
    return undefined;
  }
  const type = res.headers.get('content-type') ?? '';
  const storage = res.headers.has('x-ms-request-id') || res.headers.has('x-ms-blob-type');
  const where = redact(url.split('?')[0]);
  ctx.log.info(`Copy from URL: HEAD ${where} → ${res.status} ${type || '(no content type)'}${storage ? ', storage service' : ''}`);
  if (storage) return undefined;
  if (/^text\/html\b/i.test(type)) {
    return `${where} answered with a web page (${res.status}, ${type.split(';')[0]}), not a blob: it is not an Azure Storage blob URL. Copy the blob's URL (https://<account>.blob.core.windows.net/<container>/<blob>, with a SAS when it is private).`;
  }
  return undefined;
}

const copyFromUrl: CommandFactory = (ctx) => async (first?: unknown): Promise<CopyOutcome | undefined> => {
  const args = argsOf(first);
  const target = toTarget(first) ?? toTarget(args.destination) ?? (await pickDestination(ctx, 'Copy from URL'));
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
  const problem = urlProblem(url.trim());
  if (problem) throw new Error(problem);
  const notStorage = await notStorageProblem(url.trim(), ctx);
  if (notStorage) throw new Error(notStorage);
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

/** The five operations and the blob types each applies to. */
export const OPERATIONS: readonly { id: StrategyId; label: string; detail: string; types: readonly BlobType[] }[] = [
  { id: 'put-blob-from-url', label: 'Put Blob From URL', detail: 'One synchronous call; block blobs up to 5000 MiB', types: ['BlockBlob'] },
  { id: 'put-block-from-url', label: 'Put Block From URL + Put Block List', detail: 'Parallel blocks; block blobs of any size', types: ['BlockBlob'] },
  { id: 'copy-blob', label: 'Copy Blob (asynchronous)', detail: 'The service copies in the background; can stay pending and be aborted', types: ['BlockBlob', 'AppendBlob', 'PageBlob'] },
  { id: 'append-block-from-url', label: 'Append Block From URL', detail: 'Append blobs, block by block', types: ['AppendBlob'] },
  { id: 'put-page-from-url', label: 'Put Page From URL', detail: 'Page blobs, 4 MiB page ranges (skips empty ranges)', types: ['PageBlob'] },
];

export function operationsFor(types: readonly BlobType[]): StrategyId[] {
  return OPERATIONS.filter((op) => types.every((t) => op.types.includes(t))).map((op) => op.id);
}

const copyWithOperation: CommandFactory = (ctx) => async (first?: unknown, selection?: unknown): Promise<CopyOutcome | undefined> => {
  const args = argsOf(first);
  let sources = (sourcesFromArgs(first, selection) ?? []).filter((s) => s.sourceKind === 'blob');
  if (!sources.length) sources = selectedSources(ctx, ['blob']);
  if (!sources.length) {
    const picked = await pickSource(ctx, 'blob', 'Copy With Operation…');
    if (!picked) return undefined;
    sources = [picked];
  }
  const types = [...new Set(sources.map((s) => s.blobType ?? 'BlockBlob'))];
  const allowed = operationsFor(types);
  let strategy = args.strategy;
  if (strategy && strategy !== 'auto' && !allowed.includes(strategy)) {
    throw new Error(`${strategy} does not apply to ${types.join(' / ')}: choose one of ${allowed.join(', ')}.`);
  }
  if (!strategy) {
    const pick = await vscode.window.showQuickPick(
      OPERATIONS.filter((op) => allowed.includes(op.id)).map((op) => ({ label: op.label, detail: op.detail, id: op.id })),
      { title: 'Copy With Operation…', placeHolder: `Operation for ${sources.length === 1 ? sources[0].location.path : `${sources.length} blobs`}`, ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    strategy = pick.id;
  }
  const destination = toTarget(args.destination) ?? (await pickDestination(ctx, 'Copy With Operation'));
  if (!destination) return undefined;
  return runCopy(ctx, { sources: sources.map(toCopySource), destination, conflict: args.conflict, strategy, openJobs: args.openJobs });
};

/** The URL of a blob/folder/container, never with a SAS (the connection's endpoint has none). */
export function locationUrl(info: ConnectionInfo, loc: BlobLocation): string {
  const path = loc.path ? `/${loc.path.split('/').map(encodeURIComponent).join('/')}` : '';
  return `${info.endpoint}/${encodeURIComponent(loc.container)}${path}`;
}

const copyUrl: CommandFactory = (ctx) => async (first?: unknown): Promise<string | undefined> => {
  const source: CopySourceInfo | undefined =
    toSourceInfo(first) ?? selectedSources(ctx, ['blob', 'folder', 'container'])[0] ?? (await pickSource(ctx, 'blob', 'Copy URL'));
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

// ---- job commands -----------------------------------------------------------------------------------------------

const ACTIVE = new Set(['queued', 'running', 'pending']);

function jobIdsFrom(first: unknown, jobs: readonly JobSnapshot[]): string[] | undefined {
  if (typeof first === 'string') return [first];
  if (Array.isArray(first) && first.every((x) => typeof x === 'string')) return first as string[];
  if (isPlainArgs(first)) {
    if (typeof first.jobId === 'string') return [first.jobId];
    if (typeof first.batchId === 'string') return jobs.filter((j) => j.batchId === first.batchId).map((j) => j.id);
    if (first.all === true) return jobs.map((j) => j.id);
  }
  return undefined;
}

async function pickJobs(jobs: readonly JobSnapshot[], title: string): Promise<string[] | undefined> {
  if (jobs.length === 0) return undefined;
  const picks = await vscode.window.showQuickPick(
    jobs.map((j) => ({ label: j.source.split('/').pop() ?? j.source, description: j.state, detail: `${j.source} → ${j.destination}`, id: j.id })),
    { title, canPickMany: true, ignoreFocusOut: true },
  );
  return picks?.map((p) => p.id);
}

const cancel: CommandFactory = (ctx) => async (first?: unknown): Promise<number> => {
  const active = ctx.engine.jobs().filter((j) => ACTIVE.has(j.state));
  if (isPlainArgs(first) && typeof first.batchId === 'string') {
    ctx.engine.cancelBatch(first.batchId);
    return active.filter((j) => j.batchId === first.batchId).length;
  }
  const ids = jobIdsFrom(first, active) ?? (await pickJobs(active, 'Cancel copy jobs'));
  if (!ids) {
    if (active.length === 0) void ctx.notify.info('No copy is running.');
    return 0;
  }
  for (const id of ids) ctx.engine.cancel(id);
  return ids.length;
};

const retryFailed: CommandFactory = (ctx) => (first?: unknown): number => {
  const failed = ctx.engine.jobs().filter((j) => j.state === 'failed' || j.state === 'canceled');
  const ids = (jobIdsFrom(first, failed) ?? failed.filter((j) => j.state === 'failed').map((j) => j.id)).filter((id) => failed.some((j) => j.id === id));
  if (!ids.length) {
    void ctx.notify.info('No failed copy jobs to retry.');
    return 0;
  }
  for (const id of ids) ctx.engine.retry(id);
  ctx.log.info(`Retrying ${ids.length} job(s)`);
  return ids.length;
};

const abortPendingCopy: CommandFactory = (ctx) => async (first?: unknown): Promise<number> => {
  const pending = ctx.engine.jobs().filter((j) => j.state === 'pending' || j.state === 'running');
  const ids = jobIdsFrom(first, pending) ?? (await pickJobs(pending, 'Abort pending Copy Blob operations'));
  if (!ids?.length) {
    if (!pending.length) void ctx.notify.info('No pending copy to abort.');
    return 0;
  }
  const results = await Promise.allSettled(ids.map((id) => ctx.engine.abort(id)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length) void ctx.notify.error(`Abort failed: ${errorMessage(failures[0].reason)}`);
  return ids.length - failures.length;
};

// ---- connection and tree commands --------------------------------------------------------------------------------

async function connectionFrom(ctx: Ctx, first: unknown, title: string): Promise<ConnectionInfo | undefined> {
  if (isNode(first) && first.kind === 'connection') return first.info;
  if (typeof first === 'string') return ctx.connections.get(first);
  if (isPlainArgs(first) && typeof first.id === 'string') return ctx.connections.get(first.id);
  return pickConnection(ctx, title);
}

export const commands: Record<string, CommandFactory> = {
  addConnection: (ctx) => async (first?: unknown) => {
    if (isAddConnectionInput(first)) {
      const timeoutMs = (first as { timeoutMs?: unknown }).timeoutMs;
      return ctx.connections.add(first, typeof timeoutMs === 'number' ? timeoutMs : undefined);
    }
    return addConnectionInteractively(ctx.connections, ctx.notify, () => ctx.prompts.connectionInput());
  },
  renameConnection: (ctx) => async (first?: unknown, second?: unknown) => {
    const conn = await connectionFrom(ctx, first, 'Rename Connection');
    if (!conn) return undefined;
    if (conn.builtin) {
      void ctx.notify.info('The Azurite entry comes from the settings (blobCopy.azurite.host / port) and cannot be renamed.');
      return undefined;
    }
    const label =
      (typeof second === 'string' ? second : isPlainArgs(first) && typeof first.label === 'string' ? first.label : undefined) ??
      (await vscode.window.showInputBox({ title: 'Rename Connection', value: conn.label, validateInput: (v) => (v.trim() ? undefined : 'Enter a name') }));
    if (!label) return undefined;
    await ctx.connections.rename(conn.id, label);
    return label.trim();
  },
  removeConnection: (ctx) => async (first?: unknown) => {
    const conn = await connectionFrom(ctx, first, 'Remove Connection');
    if (!conn) return false;
    if (conn.builtin) {
      void ctx.notify.info('The Azurite entry is built in; point it elsewhere with the blobCopy.azurite.* settings.');
      return false;
    }
    const explicit = isPlainArgs(first) || typeof first === 'string';
    if (!explicit) {
      const ok = await vscode.window.showWarningMessage(`Remove the connection "${conn.label}"? Its stored secret is deleted too.`, { modal: true }, 'Remove');
      if (ok !== 'Remove') return false;
    }
    await ctx.connections.remove(conn.id);
    return true;
  },
  refresh: (ctx) => (first?: unknown) => ctx.tree.refresh(isNode(first) ? first : undefined),
  loadMore: (ctx) => async (first?: unknown) => {
    if (isNode(first) && (first.kind === 'loadMore' || first.kind === 'connection' || first.kind === 'container' || first.kind === 'folder')) return ctx.tree.loadMore(first);
    return [];
  },
  revealInTree: (ctx) => async (first?: unknown) => {
    const loc = isLocation(first) ? first : undefined;
    if (!loc) return undefined;
    const node = await ctx.tree.find(loc);
    if (node) await ctx.view.reveal(node, { select: true, focus: true, expand: node.kind !== 'blob' });
    return node;
  },
  copyBlobTo: copyTo('blob'),
  copyFolderTo: copyTo('folder'),
  copyContainerTo: copyTo('container'),
  copy: copyMark,
  paste,
  copyFromUrl,
  copyWithOperation,
  copyUrl,
  openJobs: (ctx) => () => ctx.openJobs(),
  cancel,
  retryFailed,
  abortPendingCopy,
  clearFinished: (ctx) => () => ctx.engine.clearFinished(),
  resume: (ctx) => async () => {
    const batches = await ctx.engine.resume();
    if (batches.length === 0) void ctx.notify.info('No unfinished copies to resume.');
    else ctx.openJobs({ preserveFocus: true });
    return batches;
  },
};

/**
 * The one place commands are registered: prefixed, wrapped so a failure from the UI shows a message (and a failure
 * of a programmatic call rejects), every registration pushed to the extension's subscriptions.
 */
export function registerCommands(ctx: Ctx, table: Record<string, CommandFactory> = commands): void {
  for (const [name, factory] of Object.entries(table)) {
    const handler = factory(ctx);
    const id = PREFIX + name;
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          const message = errorMessage(err);
          ctx.log.error(`${id} failed: ${message}`);
          // A programmatic caller gets the same message the UI shows (a CopyError's hint included).
          if (isPlainArgs(args[0]) || typeof args[0] === 'string') throw err instanceof Error && !('info' in err) ? err : new Error(message);
          void ctx.notify.error(`Blob Copy: ${message}`);
          return undefined;
        }
      }),
    );
  }
}
