/**
 * How a command was invoked, read once from its raw arguments into a tagged union. Handlers and the error policy
 * look at the `kind`, never at the shape of `args[0]`. No `vscode` here (plain-Node tests load it).
 *
 *   palette  no arguments (Command Palette, status bar item, walkthrough link, keybinding outside the tree)
 *   menu     a tree node, with the multi-selection when VS Code passes one (`(node, nodes[])`)
 *   api      a plain object: explicit arguments (`{ sources, destination, … }`, a location, a connection input)
 *   id       a string: a job id or a connection id (`text`: a second string argument, e.g. the new label)
 *   list     an array: sources, or job ids
 */
import type { BlobLocation, StrategyChoice } from '../../core';
import type { ConflictSetting } from '../config';
import { isLocation, toSourceInfo, toSourceInfos, toTarget, type CopySourceInfo } from '../tree/capabilities';

/** What a menu passes: a tree node (anything with a `treeItem()`); commands ask it for capabilities. */
interface MenuNode {
  readonly kind: string;
  treeItem(): unknown;
}

export type Invocation<Node extends MenuNode = MenuNode> =
  | { readonly kind: 'palette' }
  | { readonly kind: 'menu'; readonly node: Node; readonly selection: readonly Node[] }
  | { readonly kind: 'api'; readonly args: Readonly<Record<string, unknown>> }
  | { readonly kind: 'id'; readonly id: string; readonly text?: string }
  | { readonly kind: 'list'; readonly items: readonly unknown[] };

/** Explicit arguments of the copy commands (tests, other extensions). */
interface CopyCommandArgs {
  readonly sources?: readonly unknown[];
  readonly destination?: unknown;
  readonly conflict?: ConflictSetting;
  readonly strategy?: StrategyChoice;
  readonly openJobs?: boolean;
  /** Move: delete sources with their snapshots (else a source with snapshots is kept). */
  readonly includeSnapshots?: boolean;
  /** Copy from URL: the source URL and the destination blob name (default: the URL's last segment); Rename…: the new name. */
  readonly url?: string;
  readonly name?: string;
}

function isNode(value: unknown): value is MenuNode {
  return !!value && typeof value === 'object' && typeof (value as { treeItem?: unknown }).treeItem === 'function';
}

/** Explicit arguments are a plain object (not a node, not a Uri). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** The one reading of a command's raw arguments. */
export function parseInvocation<Node extends MenuNode = MenuNode>(args: readonly unknown[]): Invocation<Node> {
  const [first, second] = args;
  if (isNode(first)) {
    const node = first as Node;
    const selection = Array.isArray(second) && second.length > 0 && second.includes(first) ? (second.filter(isNode) as Node[]) : [node];
    return { kind: 'menu', node, selection };
  }
  if (typeof first === 'string') return typeof second === 'string' ? { kind: 'id', id: first, text: second } : { kind: 'id', id: first };
  if (Array.isArray(first)) return { kind: 'list', items: first };
  if (isPlainObject(first)) return { kind: 'api', args: first };
  return { kind: 'palette' };
}

/**
 * The error policy: a caller in code (explicit arguments, ids, lists) gets the failure as a rejection; a user
 * (palette, menu) gets a message.
 */
export function isProgrammatic(inv: Invocation): boolean {
  switch (inv.kind) {
    case 'api':
    case 'id':
    case 'list':
      return true;
    case 'palette':
    case 'menu':
      return false;
    default: {
      const never: never = inv;
      return never;
    }
  }
}

/** The copy options of an API call (a bare location carries none). */
export function copyArgsOf(inv: Invocation): CopyCommandArgs {
  return inv.kind === 'api' && !isLocation(inv.args) ? (inv.args as CopyCommandArgs) : {};
}

/** Sources named by the invocation: the menu's selection, a list, `args.sources`, or one location. */
export function sourcesOf(inv: Invocation): CopySourceInfo[] | undefined {
  switch (inv.kind) {
    case 'menu':
      return toSourceInfos(inv.selection);
    case 'list':
      return toSourceInfos(inv.items);
    case 'api': {
      if (Array.isArray(inv.args.sources)) return toSourceInfos(inv.args.sources);
      const single = toSourceInfo(inv.args);
      return single ? [single] : undefined;
    }
    default:
      return undefined;
  }
}

/** The one source the invocation names (the clicked node, or a location / source object). */
export function sourceOf(inv: Invocation): CopySourceInfo | undefined {
  if (inv.kind === 'menu') return toSourceInfo(inv.node);
  if (inv.kind === 'api') return toSourceInfo(inv.args);
  return undefined;
}

/** The destination the invocation names: the clicked node, a location, or `args.destination`. */
export function targetOf(inv: Invocation): BlobLocation | undefined {
  if (inv.kind === 'menu') return toTarget(inv.node);
  if (inv.kind === 'api') return toTarget(inv.args) ?? toTarget(copyArgsOf(inv).destination);
  return undefined;
}

/** The destination only an explicit `args.destination` names (Copy To… asks for one even from a menu). */
export function explicitTargetOf(inv: Invocation): BlobLocation | undefined {
  return toTarget(copyArgsOf(inv).destination);
}

/** The location an API caller passed (Reveal in Storage Tree). */
export function locationOf(inv: Invocation): BlobLocation | undefined {
  return inv.kind === 'api' && isLocation(inv.args) ? inv.args : undefined;
}

/** Job ids: one id, a list of ids, `{ jobId }`, `{ batchId }` (its jobs among `jobs`) or `{ all: true }`. */
export function jobIdsOf(inv: Invocation, jobs: readonly { readonly id: string; readonly batchId: string }[]): string[] | undefined {
  switch (inv.kind) {
    case 'id':
      return [inv.id];
    case 'list':
      return inv.items.every((x) => typeof x === 'string') ? (inv.items as string[]) : undefined;
    case 'api': {
      const { jobId, batchId, all } = inv.args;
      if (typeof jobId === 'string') return [jobId];
      if (typeof batchId === 'string') return jobs.filter((j) => j.batchId === batchId).map((j) => j.id);
      if (all === true) return jobs.map((j) => j.id);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `{ batchId }` of an API call. */
export function batchIdOf(inv: Invocation): string | undefined {
  return inv.kind === 'api' && typeof inv.args.batchId === 'string' ? inv.args.batchId : undefined;
}

/** A connection id: `"id"` or `{ id }`. */
export function connectionIdOf(inv: Invocation): string | undefined {
  if (inv.kind === 'id') return inv.id;
  if (inv.kind === 'api' && typeof inv.args.id === 'string') return inv.args.id;
  return undefined;
}
