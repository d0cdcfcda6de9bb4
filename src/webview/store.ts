/**
 * The Copy Jobs webview's state, as plain data: no DOM, no `vscode`, unit-tested in plain Node (test/unit/webview).
 *
 *   state  = reduce(state, action)   host messages (already validated) and user actions
 *   view   = selectVisible(state)    the rows on screen: the page the host sent (filtered, searched and ordered by
 *                                    the host), with where it sits in the virtual list
 *
 * The webview keeps ONLY that page (at most MAX_PAGE_ROWS jobs), whatever the batch size: it asks the host for the
 * rows around its scroll position (`pageRequest` → a `getPage` request → the host's `page` reply).
 *
 * Requests are plain data too: `requestMessage` numbers one, `requestSent` remembers it, and the host's `reply`
 * settles it (clears the notice and announces the outcome, or shows the error).
 */
import {
  DEFAULT_JOB_FILTER,
  MAX_PAGE_ROWS,
  MAX_SEARCH_LENGTH,
  assertNever,
  emptyTotals,
  jobRank,
  matchesFilter,
  matchesSearch,
  type BatchView,
  type GetPageRequest,
  type HostToWebview,
  type JobActionType,
  type JobFilter,
  type JobTotals,
  type JobView,
  type WaitingSummary,
  type WebviewRequest,
} from '../shared/protocol';
import { isJobFilter } from '../shared/protocolValidation';
import { isActive, isFinal, JOB_STATES } from '../shared/vocabulary';
import { shortName } from './format';

/** A request without its id (the store numbers it). */
export type RequestBody = WebviewRequest extends infer R ? (R extends WebviewRequest ? Omit<R, 'id'> : never) : never;

interface PendingRequest {
  readonly type: WebviewRequest['type'];
  /** Announced to screen readers when the host replies ok. */
  readonly done?: string;
}

export interface PanelState {
  /** The page on screen (NOT every job): insertion order = the host's order (failed first). */
  readonly jobs: ReadonlyMap<string, JobView>;
  /** Where the page starts among the matching jobs. */
  readonly offset: number;
  /** Jobs matching the filter and search, on the host (the virtual list's length). */
  readonly matching: number;
  readonly totals: JobTotals;
  /** Per-batch counters from the engine. */
  readonly batches: readonly BatchView[];
  /** Active jobs waiting for storage, over every listed job (from the host); undefined: count the page. */
  readonly waiting: WaitingSummary | undefined;
  /** Of the last init/jobsUpdated/page; 0 before the first init. */
  readonly version: number;
  readonly filter: JobFilter;
  /** Search by name ('' = none). */
  readonly search: string;
  /** The filter and search the page on hand was made for (by the host). */
  readonly pageFilter: JobFilter;
  readonly pageSearch: string;
  /** The id of the newest `getPage` sent; older page replies are stale. */
  readonly pageRequestId: number;
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
  | { readonly type: 'setSearch'; readonly search: string }
  | { readonly type: 'requestSent'; readonly request: WebviewRequest; readonly done?: string }
  | { readonly type: 'dismissNotice' };

/** The search to start with: the webview's saved state, else none. */
export function initialSearch(saved: unknown): string {
  const search = typeof saved === 'object' && saved !== null ? (saved as { search?: unknown }).search : undefined;
  return typeof search === 'string' ? search.slice(0, MAX_SEARCH_LENGTH) : '';
}

/** The filter to start with: the webview's saved state, else the one the host put in the HTML, else the default. */
export function initialFilter(saved: unknown, fromHtml: unknown): JobFilter {
  const savedFilter = typeof saved === 'object' && saved !== null ? (saved as { filter?: unknown }).filter : undefined;
  if (isJobFilter(savedFilter)) return savedFilter;
  return isJobFilter(fromHtml) ? fromHtml : DEFAULT_JOB_FILTER;
}

export function initialState(filter: JobFilter = DEFAULT_JOB_FILTER, search = ''): PanelState {
  return {
    jobs: new Map(),
    offset: 0,
    matching: 0,
    totals: emptyTotals(),
    batches: [],
    waiting: undefined,
    version: 0,
    filter,
    search,
    pageFilter: filter,
    pageSearch: '',
    pageRequestId: 0,
    nextRequestId: 1,
    pending: new Map(),
    notice: undefined,
    announcement: '',
  };
}

export function reduce(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'host':
      return onHostMessage(state, action.message);
    case 'setFilter':
      return action.filter === state.filter ? state : { ...state, filter: action.filter };
    case 'setSearch': {
      const search = action.search.slice(0, MAX_SEARCH_LENGTH);
      return search === state.search ? state : { ...state, search };
    }
    case 'requestSent': {
      const pending = new Map(state.pending);
      pending.set(action.request.id, { type: action.request.type, ...(action.done !== undefined ? { done: action.done } : {}) });
      const pageRequestId = action.request.type === 'getPage' ? action.request.id : state.pageRequestId;
      return { ...state, pending, pageRequestId, nextRequestId: Math.max(state.nextRequestId, action.request.id + 1) };
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
      return {
        ...state,
        jobs: new Map(message.jobs.map((j) => [j.id, j])),
        offset: message.window?.offset ?? 0,
        matching: message.window?.matching ?? message.jobs.length,
        totals: message.totals,
        batches: message.batches ?? [],
        waiting: message.waiting,
        version: message.version,
        filter: message.filter,
        pageFilter: message.filter,
        pageSearch: '',
      };
    case 'jobsUpdated': {
      let jobs = new Map(state.jobs);
      for (const id of message.removed) jobs.delete(id);
      for (const j of message.jobs) jobs.set(j.id, j);
      const w = message.window;
      if (w) {
        // The host's order for the page; a row it did not (re)send is the one we have.
        const ordered = new Map<string, JobView>();
        for (const id of w.ids) {
          const j = jobs.get(id);
          if (j) ordered.set(id, j);
        }
        jobs = ordered;
      }
      return {
        ...state,
        jobs,
        offset: w?.offset ?? state.offset,
        matching: w?.matching ?? Math.max(state.matching, jobs.size),
        totals: message.totals,
        batches: message.batches ?? state.batches,
        waiting: message.waiting ?? state.waiting,
        version: message.version,
      };
    }
    case 'page': {
      const pending = new Map(state.pending);
      pending.delete(message.id);
      // A reply to an older request (the user scrolled or typed on): the newer one's reply follows.
      if (message.id !== state.pageRequestId) return { ...state, pending };
      return {
        ...state,
        pending,
        jobs: new Map(message.jobs.map((j) => [j.id, j])),
        offset: message.offset,
        matching: message.matching,
        version: message.version,
        pageFilter: message.filter,
        pageSearch: message.search,
      };
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

/**
 * The page to ask for so that rows [first, first + visible) are on hand, with `visible` rows of margin either side;
 * undefined when the page already covers them (or there is nothing more to show). A page made for another filter or
 * search never covers anything: whoever checks, and when, the list ends up as the host's answer to the current one.
 */
export function pageRequest(state: Pick<PanelState, 'offset' | 'jobs' | 'matching' | 'filter' | 'search' | 'pageFilter' | 'pageSearch'>, first: number, visible: number, force = false): Omit<GetPageRequest, 'id'> | undefined {
  if (state.filter !== state.pageFilter || state.search !== state.pageSearch) force = true;
  const margin = Math.max(10, visible);
  const limit = Math.min(MAX_PAGE_ROWS, Math.max(1, visible + 2 * margin));
  const start = Math.max(0, Math.min(first, Math.max(0, state.matching - visible)));
  const end = Math.min(state.matching, start + visible);
  const have = state.jobs.size;
  const covered = start >= state.offset && end <= state.offset + have;
  if (covered && !force) return undefined;
  const lead = Math.max(0, Math.min(margin, Math.floor((limit - visible) / 2)));
  return { type: 'getPage', offset: Math.max(0, start - lead), limit, filter: state.filter, search: state.search };
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

/** Failed/aborted first (they need attention), then running/pending, queued, then the rest (the host's order). */
export const rank = jobRank;

export interface VisibleRows {
  /** The rows to show, in order (the page: at most MAX_PAGE_ROWS). */
  readonly rows: readonly JobView[];
  /** Jobs matching the filter and search (the virtual list's length). */
  readonly matching: number;
  /** Matching jobs before the page (the space above it in the virtual list). */
  readonly before: number;
  /** Matching jobs after the page (the space below it). */
  readonly after: number;
  /** Jobs in total (the summary's count). */
  readonly known: number;
}

/**
 * The page's rows, in the host's order (failed first, stable). The host filters and searches; doing it here too
 * makes a filter or search change show at once, before the host's page arrives.
 */
export function selectVisible(state: Pick<PanelState, 'jobs' | 'filter' | 'search' | 'offset' | 'matching' | 'totals' | 'pageFilter' | 'pageSearch'>): VisibleRows {
  const groups: JobView[][] = [[], [], [], []];
  for (const job of state.jobs.values()) {
    if (!matchesFilter(job.state, state.filter) || !matchesSearch(job, state.search)) continue;
    groups[rank(job.state)].push(job);
  }
  const rows = groups.flat();
  // Until the host's page for a new filter/search arrives, the list is what the page on hand has of it.
  if (state.filter !== state.pageFilter || state.search !== state.pageSearch) {
    return { rows, matching: rows.length, before: 0, after: 0, known: Math.max(state.totals.count, rows.length) };
  }
  const matching = Math.max(state.matching, state.offset + rows.length);
  return { rows, matching, before: state.offset, after: Math.max(0, matching - state.offset - rows.length), known: Math.max(state.totals.count, matching) };
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
