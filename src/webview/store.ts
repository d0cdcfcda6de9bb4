/**
 * The Copy Jobs webview's state, as plain data: no DOM, no `vscode`, unit-tested in plain Node (test/webview).
 *
 *   state  = reduce(state, action)   host messages (already validated) and user actions
 *   view   = selectVisible(state)    the rows on screen: filtered, ordered, capped at MAX_RENDERED_ROWS
 *
 * Requests are plain data too: `requestMessage` numbers one, `requestSent` remembers it, and the host's `reply`
 * settles it (clears the notice and announces the outcome, or shows the error).
 */
import {
  DEFAULT_JOB_FILTER,
  MAX_RENDERED_ROWS,
  assertNever,
  emptyTotals,
  matchesFilter,
  type HostToWebview,
  type JobActionType,
  type JobFilter,
  type JobStateName,
  type JobTotals,
  type JobView,
  type WebviewRequest,
} from '../shared/protocol';
import { isJobFilter } from '../shared/protocolValidation';
import { isActive, isFinal, JOB_STATES } from '../shared/vocabulary';
import { shortName } from './format';

/** A request without its id (the store numbers it). */
export type RequestBody = WebviewRequest extends infer R ? (R extends WebviewRequest ? Omit<R, 'id'> : never) : never;

export interface PendingRequest {
  readonly type: WebviewRequest['type'];
  /** Announced to screen readers when the host replies ok. */
  readonly done?: string;
}

export interface PanelState {
  /** Every job the host told us about; insertion order = the engine's order. */
  readonly jobs: ReadonlyMap<string, JobView>;
  readonly totals: JobTotals;
  /** Of the last init/jobsUpdated; 0 before the first init. */
  readonly version: number;
  readonly filter: JobFilter;
  readonly nextRequestId: number;
  readonly pending: ReadonlyMap<number, PendingRequest>;
  /** An error to show (a failed request), until dismissed or the next success. */
  readonly notice: string | undefined;
  /** The last polite status message for screen readers. */
  readonly announcement: string;
}

export type PanelAction =
  | { readonly type: 'host'; readonly message: HostToWebview }
  | { readonly type: 'setFilter'; readonly filter: JobFilter }
  | { readonly type: 'requestSent'; readonly request: WebviewRequest; readonly done?: string }
  | { readonly type: 'dismissNotice' };

/** The filter to start with: the webview's saved state, else the one the host put in the HTML, else the default. */
export function initialFilter(saved: unknown, fromHtml: unknown): JobFilter {
  const savedFilter = typeof saved === 'object' && saved !== null ? (saved as { filter?: unknown }).filter : undefined;
  if (isJobFilter(savedFilter)) return savedFilter;
  return isJobFilter(fromHtml) ? fromHtml : DEFAULT_JOB_FILTER;
}

export function initialState(filter: JobFilter = DEFAULT_JOB_FILTER): PanelState {
  return { jobs: new Map(), totals: emptyTotals(), version: 0, filter, nextRequestId: 1, pending: new Map(), notice: undefined, announcement: '' };
}

export function reduce(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'host':
      return onHostMessage(state, action.message);
    case 'setFilter':
      return action.filter === state.filter ? state : { ...state, filter: action.filter };
    case 'requestSent': {
      const pending = new Map(state.pending);
      pending.set(action.request.id, { type: action.request.type, ...(action.done !== undefined ? { done: action.done } : {}) });
      return { ...state, pending, nextRequestId: Math.max(state.nextRequestId, action.request.id + 1) };
    }
    case 'dismissNotice':
      return state.notice === undefined ? state : { ...state, notice: undefined };
    default:
      return assertNever(action, 'action');
  }
}

function onHostMessage(state: PanelState, message: HostToWebview): PanelState {
  switch (message.type) {
    case 'init':
      return { ...state, jobs: new Map(message.jobs.map((j) => [j.id, j])), totals: message.totals, version: message.version, filter: message.filter };
    case 'jobsUpdated': {
      const jobs = new Map(state.jobs);
      for (const id of message.removed) jobs.delete(id);
      for (const j of message.jobs) jobs.set(j.id, j);
      return { ...state, jobs, totals: message.totals, version: message.version };
    }
    case 'reply': {
      const request = state.pending.get(message.id);
      if (!request) return state; // not ours, or already settled
      const pending = new Map(state.pending);
      pending.delete(message.id);
      if (!message.ok) return { ...state, pending, notice: message.error };
      return { ...state, pending, notice: undefined, announcement: request.done ?? state.announcement };
    }
    default:
      return assertNever(message, 'host message');
  }
}

/** The next request, numbered. Dispatch `requestSent` with it, then post it. */
export function requestMessage(state: PanelState, body: RequestBody): WebviewRequest {
  return { ...body, id: state.nextRequestId } as WebviewRequest;
}

/** What a job action announces once the host has done it. */
export function actionDoneText(action: JobActionType, job: JobView | undefined, jobId: string): string {
  const name = shortName(job?.destination ?? jobId);
  switch (action) {
    case 'cancel':
      return `Canceling ${name}`;
    case 'retry':
      return `Retrying ${name}`;
    case 'abort':
      return `Aborting ${name}`;
    case 'reveal':
      return `Revealed ${name}`;
    default:
      return assertNever(action, 'action');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// selectors

/** Running and pending first, then failed (needs attention), queued, then the rest; engine order within a group. */
export function rank(state: JobStateName): number {
  switch (state) {
    case 'running':
    case 'pending':
      return 0;
    case 'failed':
    case 'aborted':
      return 1;
    case 'queued':
      return 2;
    case 'canceled':
    case 'skipped':
    case 'succeeded':
      return 3;
    default:
      return assertNever(state, 'state');
  }
}

export interface VisibleRows {
  /** The rows to show, in order (at most `max`). */
  readonly rows: readonly JobView[];
  /** Jobs matching the filter (rows + the "N more"). */
  readonly matching: number;
  /** Matching jobs not shown ("N more"). */
  readonly hidden: number;
  /** Jobs known in total. */
  readonly known: number;
}

export function selectVisible(state: Pick<PanelState, 'jobs' | 'filter'>, max = MAX_RENDERED_ROWS): VisibleRows {
  const groups: JobView[][] = [[], [], [], []];
  let matching = 0;
  for (const job of state.jobs.values()) {
    if (!matchesFilter(job.state, state.filter)) continue;
    matching++;
    groups[rank(job.state)].push(job);
  }
  const rows = groups.flat().slice(0, max);
  return { rows, matching, hidden: matching - rows.length, known: state.jobs.size };
}

/** Active jobs that wait for storage, and the first one's reason (for the overall line). */
export function waitingJobs(jobs: ReadonlyMap<string, JobView>): { readonly count: number; readonly reason: string | undefined } {
  let count = 0;
  let reason: string | undefined;
  for (const j of jobs.values()) {
    if (!j.waiting || !isActive(j.state)) continue;
    count++;
    reason ??= j.waiting.reason;
  }
  return { count, reason };
}

/** The actions a row offers, in order. */
export function actionsFor(job: Pick<JobView, 'state' | 'abortable'>): JobActionType[] {
  const list: JobActionType[] = [];
  switch (job.state) {
    case 'queued':
    case 'running':
      list.push('cancel');
      break;
    case 'pending':
      list.push('cancel');
      if (job.abortable) list.push('abort');
      break;
    case 'failed':
    case 'canceled':
    case 'aborted':
      list.push('retry');
      break;
    case 'succeeded':
    case 'skipped':
      break;
    default:
      assertNever(job.state, 'state');
  }
  list.push('reveal');
  return list;
}

/** Which toolbar buttons can be used. */
export function toolbarState(totals: JobTotals): { readonly canRetryFailed: boolean; readonly canClearFinished: boolean; readonly active: number } {
  const by = totals.byState;
  const finished = JOB_STATES.filter(isFinal).reduce((n, s) => n + by[s], 0);
  const active = JOB_STATES.filter(isActive).reduce((n, s) => n + by[s], 0);
  return { canRetryFailed: by.failed > 0, canClearFinished: finished > 0, active };
}
