/**
 * From "copy these to there" to a started batch: destination container check (offer to create it) → plan (dry run)
 * → summary → ONE question (the conflict choice when destinations exist, else a confirmation for more than one
 * blob) → withConflictPolicy → start. The engine does the copying; this only asks and reports.
 */
import * as vscode from 'vscode';
import { askConnectionInput } from '../connections/addConnection';
import type { BlobLocation, ConflictPolicy, CopyOptions, CopyPlan, CopyRequest, CopySource, PlannedCopy, StrategyChoice } from '../../core';
import { withConflictPolicy } from '../../core/base/conflictPolicy';
import { describeCost, describeRequests, withoutPlanning } from '../../core/plan/cost';
import { validateBlobName, validateContainerName } from '../../core/base/limits';
import { describeRecoverability } from '../../core/base/recoverability';
import { loadCore } from '../loadCore';
import { readSettings, type ConflictSetting } from '../config';
import type { Ctx, Prompts } from '../context';
import { formatBytes, formatCount, plural } from '../../shared/vocabulary';
import { errorMessage } from '../logger';
import { planningProgress } from '../notificationText';
import { regionNote } from './regions';
import { confirmSync } from './syncPrompt';

/** Plans of up to this many blobs are held (and started) whole; larger ones stream from the listing. */
const PLAN_IN_MEMORY = 5000;

function ellipsize(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}… (${text.length.toLocaleString('en-US')} characters)`;
}

interface CopyInput {
  readonly sources: readonly CopySource[];
  readonly destination: BlobLocation;
  /** Explicit policy (tests, args); undefined = the `blobCopy.defaultConflictPolicy` setting. */
  readonly conflict?: ConflictSetting;
  readonly strategy?: StrategyChoice;
  /** Open the Copy Jobs panel when the batch starts (default: the `blobCopy.openJobsOnCopy` setting). */
  readonly openJobs?: boolean;
  /** Move: delete each source after its verified copy; always confirmed (prompts.confirmMove). */
  readonly move?: boolean;
  /** With move: delete sources with their snapshots (also chosen at the confirmation). */
  readonly includeSnapshots?: boolean;
}

export interface CopyOutcome {
  readonly batchId?: string;
  readonly plan?: CopyPlan;
  readonly policy?: ConflictPolicy;
  /** Why nothing started: 'canceled' by the user (a question answered with Cancel), or 'empty' plan. */
  readonly stopped?: 'canceled' | 'empty';
  readonly summary: string;
}

function describeLocation(ctx: Ctx, loc: BlobLocation): string {
  const conn = ctx.connections.get(loc.connectionId);
  return `${conn?.label ?? loc.connectionId} › ${loc.container}${loc.path ? `/${loc.path}` : ''}`;
}

function planSummary(ctx: Ctx, plan: CopyPlan, destination: BlobLocation, verb: 'Copy' | 'Move' = 'Copy'): string {
  const t = plan.totals;
  const exist = t.conflicts > 0 ? ` — ${formatCountPhrase(t.conflicts)}` : '';
  const r = plan.refused;
  const refused = r ? ` — ${formatCount(r.count)} cannot be copied (${r.first[0]?.source}: ${r.first[0]?.reason}${r.count > 1 ? ' …' : ''})` : '';
  return `${verb} ${plural(t.count, 'blob')} (${formatBytes(t.bytes)}) to ${describeLocation(ctx, destination)}${exist}${refused}`;
}

/**
 * The cost preview for a question's detail: the REST calls the copy will make, per operation, and the
 * bytes within one account / across accounts. A plan held in memory is started as planned, so its listing calls are
 * already made; a streamed plan (over PLAN_IN_MEMORY blobs) is listed again as it runs.
 */
/** Where a plan's bytes go, when every account's region is known (accounts found through the Azure sign-in). */
const regionNotes = new WeakMap<CopyPlan, string>();

function costDetail(plan: CopyPlan): string {
  if (!plan.cost) return '';
  const streamed = plan.totals.count > PLAN_IN_MEMORY;
  const lines = describeCost(streamed ? plan.cost : withoutPlanning(plan.cost));
  if (!streamed && Object.keys(plan.cost.planning).length > 0) lines.push(`Planning made ${describeRequests({ ...plan.cost, requests: plan.cost.planning, ranges: {} })}.`);
  if (plan.totals.conflicts > 0) lines.push('Counted as if existing blobs are overwritten; skipping them makes fewer calls.');
  const regions = regionNotes.get(plan);
  if (regions) lines.push(regions);
  return lines.join('\n');
}

/** The move confirmation's detail: when sources are deleted, and how long a deleted source stays recoverable. */
async function moveDetail(ctx: Ctx, sources: readonly CopySource[]): Promise<string> {
  const first = sources.find((s) => s.kind === 'location');
  let recovery = 'Whether a deleted source can be recovered is unknown.';
  if (first?.kind === 'location') {
    try {
      recovery = describeRecoverability(await loadCore().sourceRecoverability(await ctx.connections.resolve(first.location.connectionId)));
    } catch (err) {
      ctx.log.debug(`Could not read the source account's delete retention: ${errorMessage(err)}`);
    }
  }
  return (
    'Each source is deleted only after its copy is committed and verified (length, Content-MD5), and only if it has not ' +
    'changed since this plan; a skipped, failed or canceled copy keeps its source, and so does a blob with snapshots ' +
    `unless you choose to delete them too. ${recovery}`
  );
}

function formatCountPhrase(n: number): string {
  return n === 1 ? '1 already exists' : `${n.toLocaleString('en-US')} already exist`;
}

/** The default questions: modals (Cancel is the modal's own button) and the Add Connection quick picks. */
export const defaultPrompts: Prompts = {
  async conflict(summary, plan) {
    const choices: { title: string; policy: ConflictPolicy }[] = [
      { title: 'Overwrite', policy: 'overwrite' },
      { title: 'Skip', policy: 'skip' },
      { title: 'Rename', policy: 'rename' },
      { title: 'If Source Newer', policy: 'if-source-newer' },
    ];
    const pick = await vscode.window.showWarningMessage(
      summary,
      { modal: true, detail: `What should happen to the blobs that already exist? Rename copies to "name (1).ext".\n\n${costDetail(plan)}` },
      ...choices,
    );
    return pick?.policy;
  },
  async confirmMove(summary, detail) {
    const pick = await vscode.window.showWarningMessage(`${summary}?`, { modal: true, detail }, 'Move', 'Move, Deleting Snapshots Too');
    return pick === 'Move' ? 'move' : pick === 'Move, Deleting Snapshots Too' ? 'move-with-snapshots' : undefined;
  },
  confirmSync,
  async confirmBatch(summary, plan) {
    const pick = await vscode.window.showInformationMessage(
      `${summary}?`,
      { modal: true, detail: `The copy runs on the storage service; follow it in Copy Jobs.\n\n${costDetail(plan)}\n\n(Setting: blobCopy.confirmBatchCopies)` },
      'Copy',
    );
    return pick === 'Copy';
  },
  async rehydrate(summary, archived) {
    const pick = await vscode.window.showWarningMessage(
      `${summary}. ${archived === 1 ? 'A source is' : `${archived.toLocaleString('en-US')} sources are`} in the Archive tier: copy with rehydration?`,
      {
        modal: true,
        detail:
          'An archived blob is copied by a Copy Blob that rehydrates it to the Hot tier at the destination (the source stays archived). On Azure it takes up to 15 hours at standard priority, under an hour for most blobs at high priority (which costs more); the job shows "rehydrating" until then and can be aborted. Skip leaves them out: the copy is then partial.',
      },
      'Rehydrate (Standard)',
      'Rehydrate (High)',
      'Skip Them',
    );
    return pick === 'Rehydrate (Standard)' ? 'standard' : pick === 'Rehydrate (High)' ? 'high' : undefined;
  },
  async createContainer(container, where) {
    const pick = await vscode.window.showWarningMessage(
      `The destination container "${container}" does not exist (${where}). Create it and copy?`,
      { modal: true },
      'Create and Copy',
    );
    return pick === 'Create and Copy';
  },
  async resumeUnfinished(message) {
    const pick = await vscode.window.showInformationMessage(message, 'Resume', 'Show Jobs');
    return pick === 'Resume' ? 'resume' : pick === 'Show Jobs' ? 'show' : undefined;
  },
  connectionInput: askConnectionInput,
  async useAccessKey(accountName) {
    const pick = await vscode.window.showWarningMessage(
      `Use the access key of ${accountName}?`,
      { modal: true, detail: 'Blob Copy reads the key through Azure Resource Manager (List Keys) and keeps it in VS Code\'s secret storage only; this account is then reached with the key instead of your sign-in. Sign Out forgets it.' },
      'Use Access Key',
    );
    return pick === 'Use Access Key';
  },
  async pickSubscriptions(items) {
    const picks = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.label, description: i.description, picked: i.picked, id: i.id })),
      { canPickMany: true, title: 'Select Subscriptions', placeHolder: 'The subscriptions whose storage accounts the Azure tree shows (none picked: all)' },
    );
    return picks?.map((p) => p.id);
  },
};

/**
 * The destination container must exist before a copy: when it does not, ask to create it (true = go on).
 * A check that cannot tell (no permission to read container properties) lets the copy go on and report.
 */
async function ensureDestinationContainer(ctx: Ctx, destination: BlobLocation): Promise<boolean> {
  const account = await ctx.connections.resolve(destination.connectionId);
  const container = account.service.getContainerClient(destination.container);
  let exists: boolean;
  try {
    exists = await container.exists();
  } catch (err) {
    ctx.log.debug(`Could not check that container ${destination.container} exists: ${errorMessage(err)}`);
    return true;
  }
  if (exists) return true;
  const where = describeLocation(ctx, { ...destination, path: '' });
  ctx.log.info(`The destination container ${where} does not exist: asking to create it.`);
  if (!(await ctx.prompts.createContainer(destination.container, where))) {
    ctx.log.info('Copy canceled: the destination container was not created.');
    return false;
  }
  await container.createIfNotExists();
  ctx.log.info(`Created container ${where}.`);
  ctx.tree.refreshLocation({ ...destination, path: '' });
  return true;
}

export async function runCopy(ctx: Ctx, input: CopyInput): Promise<CopyOutcome> {
  const settings = readSettings();
  const verb = input.move ? 'Move' : 'Copy';
  const options: CopyOptions = {
    strategy: input.strategy ?? 'auto',
    blockSizeBytes: settings.blockSizeBytes || undefined,
    ...(input.move ? { move: true, includeSnapshots: input.includeSnapshots === true } : {}),
  };
  let request: CopyRequest = { sources: input.sources, destination: input.destination, options };
  const where = describeLocation(ctx, input.destination);
  const nameProblem = validateContainerName(input.destination.container);
  if (nameProblem) throw new Error(`Destination container "${input.destination.container}": ${nameProblem}`);
  if (input.destination.path && !input.destination.path.endsWith('/')) {
    const problem = validateBlobName(input.destination.path);
    if (problem) throw new Error(`Destination blob name "${ellipsize(input.destination.path)}": ${problem}`);
  }
  if (!(await ensureDestinationContainer(ctx, input.destination))) return { stopped: 'canceled', summary: `${verb} to ${where}: canceled` };
  ctx.log.info(`Planning a ${verb.toLowerCase()} of ${plural(input.sources.length, 'source')} to ${where}`);
  // One streaming pass for the question: totals, and the items themselves only for a plan of up to PLAN_IN_MEMORY
  // blobs. A larger copy is planned again as it runs (startStreaming), so no list of millions is ever held.
  const planOnce = (request: CopyRequest) => vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Blob Copy: planning the ${verb.toLowerCase()} to ${where}…`, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      const items: PlannedCopy[] = [];
      let seen = 0;
      try {
        const { totals, warnings, cost, refused } = await ctx.engine.summarize(request, controller.signal, (page, count, waiting) => {
          seen += count;
          items.push(...page);
          progress.report({ message: planningProgress(seen, waiting) });
        }, PLAN_IN_MEMORY);
        return { id: '', request, items: totals.count <= PLAN_IN_MEMORY ? items : [], totals, warnings, cost, refused } satisfies CopyPlan;
      } catch (err) {
        if (err instanceof Error && (err as { info?: { code?: string } }).info?.code === 'NothingToCopy') return err;
        throw err;
      } finally {
        sub.dispose();
      }
    },
  );
  let plan = await planOnce(request);
  const archived = plan instanceof Error ? 0 : (plan.refused?.first.filter((r) => r.rehydratable).length ?? 0);
  if (archived > 0 && !(plan instanceof Error)) {
    // Archived sources in the same account: the one way to copy them is a rehydrating Copy Blob (hours on Azure).
    const priority = await ctx.prompts.rehydrate(planSummary(ctx, plan, input.destination, verb), archived);
    if (priority) {
      request = { ...request, options: { ...options, rehydrate: priority } };
      plan = await planOnce(request);
    }
  }
  if (plan instanceof Error) {
    // A mistyped folder or a filter that matches nothing: said as the error it is, nothing starts.
    ctx.log.error(errorMessage(plan));
    void ctx.notify.error(`Blob Copy: ${errorMessage(plan)}`);
    return { stopped: 'empty', summary: plan.message };
  }
  const regionOf = (id: string) => ctx.connections.get(id)?.azure?.location;
  const note = regionNote({
    sources: input.sources.map((src) => (src.kind === 'location' ? regionOf(src.location.connectionId) : undefined)),
    destination: regionOf(input.destination.connectionId),
  });
  if (note) regionNotes.set(plan, note);
  const streamed = plan.totals.count > PLAN_IN_MEMORY;
  const summary = planSummary(ctx, plan, input.destination, verb);
  ctx.log.info(summary);
  if (plan.totals.count > 0) ctx.log.info(costDetail(plan).replace(/\n/g, ' '));
  for (const w of plan.warnings ?? []) ctx.log.warn(w);
  for (const r of plan.refused?.first ?? []) ctx.log.warn(`Cannot ${verb.toLowerCase()} ${r.source}: ${r.reason}`);
  if (plan.totals.count === 0) {
    const why = plan.refused ? `${plural(plan.refused.count, 'blob')} cannot be copied: ${plan.refused.first[0]?.source}: ${plan.refused.first[0]?.reason}` : `the source is empty (${where})`;
    void ctx.notify.error(`Blob Copy: nothing to ${verb.toLowerCase()}: ${why}`);
    return { plan, stopped: 'empty', summary };
  }
  let setting = input.conflict ?? settings.defaultConflictPolicy;
  let policy: ConflictPolicy;
  if (plan.totals.conflicts > 0 && setting === 'ask') {
    const chosen = await ctx.prompts.conflict(summary, plan);
    if (!chosen) {
      ctx.log.info('Copy canceled at the conflict question.');
      return { plan, stopped: 'canceled', summary };
    }
    policy = chosen;
  } else {
    if (setting === 'ask') setting = 'overwrite'; // nothing exists: the policy decides nothing
    policy = setting;
    // No conflict question was asked: a batch of more than one blob is confirmed (setting), one blob starts; a move
    // is always confirmed below.
    if (!input.move && plan.totals.count > 1 && settings.confirmBatchCopies && !(await ctx.prompts.confirmBatch(summary, plan))) {
      ctx.log.info('Copy canceled at the confirmation.');
      return { plan, stopped: 'canceled', summary };
    }
  }
  let decided = streamed ? plan : withConflictPolicy(plan, policy);
  let includeSnapshots = false;
  if (input.move) {
    const answer = await ctx.prompts.confirmMove(summary, await moveDetail(ctx, input.sources), decided);
    if (!answer) {
      ctx.log.info('Move canceled at the confirmation.');
      return { plan, stopped: 'canceled', summary };
    }
    includeSnapshots = answer === 'move-with-snapshots';
    if (includeSnapshots) decided = { ...decided, request: { ...decided.request, options: { ...decided.request.options, includeSnapshots: true } } };
  }
  let batchId = '';
  // When the batch settles, refresh the destination's loaded node so the copies show up in the tree.
  const sub = ctx.engine.onBatch((b) => {
    if (b.batchId !== batchId || !b.done) return;
    sub.dispose();
    ctx.tree.refreshLocation(input.destination);
    // A move empties its sources' folders: show that too.
    if (input.move) for (const s of input.sources) if (s.kind === 'location') ctx.tree.refreshLocation(s.location);
  });
  try {
    batchId = streamed ? await ctx.engine.startStreaming({ ...request, options: { ...request.options, conflict: policy, includeSnapshots: includeSnapshots || options.includeSnapshots } }) : ctx.engine.start(decided);
  } catch (err) {
    sub.dispose();
    throw err;
  }
  ctx.log.info(`Started batch ${batchId}: ${summary} (conflicts: ${policy})`);
  vscode.window.setStatusBarMessage(`$(sync) ${summary}`, 5000);
  if (input.openJobs ?? settings.openJobsOnCopy) ctx.openJobs({ preserveFocus: true });
  return { batchId, plan: decided, policy, summary };
}
