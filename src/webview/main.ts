/**
 * Copy Jobs webview. Talks to the host only through src/shared/protocol.ts; validates every message it receives.
 * Renders at most MAX_RENDERED_ROWS rows (keyed, updated in place) so a 10,000-job batch stays responsive.
 */
import './nonce';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTable } from '@vscode-elements/elements/dist/vscode-table/vscode-table.js';
import './main.css';
import {
  JOB_STATES,
  MAX_RENDERED_ROWS,
  assertNever,
  emptyTotals,
  isJobFilter,
  DEFAULT_JOB_FILTER,
  matchesFilter,
  validateHostMessage,
  type HostToWebview,
  type JobActionType,
  type JobFilter,
  type JobStateName,
  type JobTotals,
  type JobView,
  type WebviewRequest,
  type WebviewState,
  type WebviewToHost,
} from '../shared/protocol';
import { etaSeconds, formatBytes, formatDuration, formatRate, percent, shortName, stateInfo, strategyLabel } from './format';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

// --- tiny DOM helper ------------------------------------------------------------------------------------------

type Attrs = Record<string, string | boolean | undefined>;
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) el.append(c);
  return el;
}
function icon(name: string, spin = false): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`, 'aria-hidden': 'true' });
}
function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
function setTitle(el: HTMLElement, title: string): void {
  if (el.title !== title) el.title = title;
}

// --- state ----------------------------------------------------------------------------------------------------

const jobs = new Map<string, JobView>(); // insertion order = the engine's order
let totals: JobTotals = emptyTotals();
let version = 0;
let filter: JobFilter = initialFilter();
let nextRequestId = 1;
const inflight = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

function initialFilter(): JobFilter {
  const saved = vscode.getState();
  if (typeof saved === 'object' && saved !== null && isJobFilter((saved as { filter?: unknown }).filter)) return (saved as WebviewState).filter;
  const fromHtml = document.getElementById('app')?.dataset.filter;
  return isJobFilter(fromHtml) ? fromHtml : DEFAULT_JOB_FILTER;
}

type RequestBody = WebviewRequest extends infer R ? (R extends WebviewRequest ? Omit<R, 'id'> : never) : never;

/** Sends a request and resolves with the host's reply (rejects with its error message). */
function request(body: RequestBody): Promise<void> {
  const id = nextRequestId++;
  return new Promise<void>((resolve, reject) => {
    inflight.set(id, { resolve, reject });
    vscode.postMessage({ ...body, id } as WebviewRequest);
  });
}

// --- layout ---------------------------------------------------------------------------------------------------

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));

const filterSelect = h('vscode-single-select', { id: 'filter', 'aria-label': 'Show jobs' }) as VscodeSingleSelect;
const FILTER_LABELS: Record<JobFilter, string> = { active: 'Active', failed: 'Failed', all: 'All' };
for (const f of ['active', 'failed', 'all'] as const) {
  const option = h('vscode-option', { value: f }, FILTER_LABELS[f]);
  filterSelect.append(option);
}
const retryFailedButton = h('vscode-button', { secondary: true, icon: 'debug-restart', id: 'retry-failed', title: 'Retry every failed copy' }, 'Retry Failed');
const clearButton = h('vscode-button', { secondary: true, icon: 'clear-all', id: 'clear-finished', title: 'Remove finished copies from the list' }, 'Clear Finished');

const summary = h('div', { class: 'summary', id: 'summary' });
const overall = h('vscode-progress-bar', { class: 'overall', 'aria-label': 'Overall progress' }) as VscodeProgressBar;
const overallText = h('span', { class: 'overall-text', id: 'overall-text' });

const toolbar = h(
  'div',
  { class: 'toolbar', role: 'toolbar', 'aria-label': 'Copy Jobs' },
  h('label', { class: 'filter-label', for: 'filter' }, 'Show'),
  filterSelect,
  summary,
  h('span', { class: 'spacer' }),
  retryFailedButton,
  clearButton,
);
const progressLine = h('div', { class: 'progress-line' }, overallText, overall);
const notice = h('div', { class: 'notice', role: 'alert', hidden: true });
const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });

// Column widths live in main.css (classes col-*), on header AND body cells: vscode-table only sizes the first body
// row it saw, and our rows are keyed and reordered, so the table's own `columns`/`resizable` sizing is not used.
const COLUMNS = [
  { key: 'state', label: 'State' },
  { key: 'job', label: 'Source → Destination' },
  { key: 'operation', label: 'Operation' },
  { key: 'progress', label: 'Progress' },
  { key: 'bytes', label: 'Bytes' },
  { key: 'speed', label: 'Speed' },
  { key: 'eta', label: 'ETA' },
  { key: 'actions', label: 'Actions' },
] as const;
const table = h('vscode-table', { class: 'jobs', 'zebra-odd': true, 'bordered-rows': true, 'aria-label': 'Copy jobs' }) as VscodeTable;
const header = h('vscode-table-header', { slot: 'header' });
for (const c of COLUMNS) header.append(h('vscode-table-header-cell', { class: `col-${c.key}` }, c.label));
const body = h('vscode-table-body', { slot: 'body' });
table.append(header, body);

const more = h('div', { class: 'more', hidden: true });
const empty = h('div', { class: 'empty', hidden: true });

app.append(toolbar, progressLine, notice, table, more, empty, live);

// --- rows (keyed, updated in place) -----------------------------------------------------------------------------

interface RowHandle {
  readonly row: HTMLElement;
  readonly stateCell: HTMLElement;
  readonly source: HTMLElement;
  readonly destination: HTMLElement;
  readonly error: HTMLElement;
  readonly operation: HTMLElement;
  readonly bar: VscodeProgressBar;
  readonly percentText: HTMLElement;
  readonly bytes: HTMLElement;
  readonly speed: HTMLElement;
  readonly eta: HTMLElement;
  readonly actions: HTMLElement;
  job: JobView | undefined;
  actionsKey: string;
}

const rows = new Map<string, RowHandle>();

function createRow(id: string): RowHandle {
  const source = h('div', { class: 'path source' });
  const destination = h('div', { class: 'path destination' });
  const error = h('div', { class: 'error', hidden: true });
  const bar = h('vscode-progress-bar', {}) as VscodeProgressBar;
  bar.max = 100;
  const percentText = h('span', { class: 'percent' });
  const cells = {
    stateCell: h('vscode-table-cell', { class: 'col-state' }),
    job: h('vscode-table-cell', { class: 'col-job' }, source, destination, error),
    operation: h('vscode-table-cell', { class: 'col-operation' }),
    progress: h('vscode-table-cell', { class: 'col-progress' }, h('div', { class: 'progress-wrap' }, bar, percentText)),
    bytes: h('vscode-table-cell', { class: 'col-bytes num' }),
    speed: h('vscode-table-cell', { class: 'col-speed num' }),
    eta: h('vscode-table-cell', { class: 'col-eta num' }),
    actions: h('vscode-table-cell', { class: 'col-actions' }),
  };
  const row = h('vscode-table-row', { 'data-job': id }, ...Object.values(cells));
  return {
    row,
    stateCell: cells.stateCell,
    source,
    destination,
    error,
    operation: cells.operation,
    bar,
    percentText,
    bytes: cells.bytes,
    speed: cells.speed,
    eta: cells.eta,
    actions: cells.actions,
    job: undefined,
    actionsKey: '',
  };
}

function actionsFor(job: JobView): JobActionType[] {
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

const ACTION_UI: Record<JobActionType, { icon: string; label: string }> = {
  cancel: { icon: 'debug-stop', label: 'Cancel' },
  retry: { icon: 'debug-restart', label: 'Retry' },
  abort: { icon: 'circle-slash', label: 'Abort pending copy' },
  reveal: { icon: 'go-to-file', label: 'Reveal destination in tree' },
};

function updateRow(r: RowHandle, job: JobView): void {
  const prev = r.job;
  if (prev === job) return;
  r.job = job;
  const info = stateInfo(job.state);
  if (!prev || prev.state !== job.state) {
    r.row.dataset.state = job.state;
    r.stateCell.replaceChildren(h('span', { class: `state state-${job.state}`, title: info.description }, icon(info.icon, info.spin), h('span', { class: 'state-label' }, info.label)));
  }
  if (!prev || prev.source !== job.source || prev.destination !== job.destination) {
    setText(r.source, job.source);
    setTitle(r.source, `From: ${job.source}`);
    r.destination.replaceChildren(icon('arrow-right'), h('span', {}, job.destination));
    setTitle(r.destination, `To: ${job.destination}`);
  }
  if (!prev || prev.error !== job.error) {
    if (job.error) {
      const e = job.error;
      const parts: (Node | string)[] = [icon('warning')];
      if (e.code || e.status !== undefined) parts.push(h('code', { class: 'error-code' }, [e.code, e.status !== undefined ? `HTTP ${e.status}` : undefined].filter(Boolean).join(' · ')));
      parts.push(h('span', { class: 'error-message' }, e.message));
      if (e.hint) parts.push(h('div', { class: 'hint' }, icon('lightbulb'), h('span', {}, e.hint)));
      r.error.replaceChildren(...parts);
      setTitle(r.error, e.requestId ? `Request id: ${e.requestId}` : '');
      r.error.hidden = false;
    } else {
      r.error.replaceChildren();
      r.error.hidden = true;
    }
  }
  if (!prev || prev.strategy !== job.strategy || prev.attempts !== job.attempts) {
    r.operation.replaceChildren(strategyLabel(job.strategy), ...(job.attempts > 1 ? [h('div', { class: 'muted' }, `attempt ${job.attempts}`)] : []));
  }

  const pct = percent(job.bytesDone, job.bytesTotal);
  const indeterminate = (job.state === 'running' || job.state === 'pending') && job.bytesTotal <= 0;
  if (indeterminate) {
    if (r.bar.value !== undefined) r.bar.value = undefined;
    r.bar.indeterminate = true;
  } else {
    r.bar.indeterminate = false;
    const value = job.state === 'succeeded' ? 100 : pct;
    if (r.bar.value !== value) r.bar.value = value;
  }
  r.bar.ariaLabel = `${shortName(job.destination)}: ${Math.round(pct)} percent`;
  setText(r.percentText, indeterminate ? '' : `${Math.floor(job.state === 'succeeded' ? 100 : pct)}%`);
  setText(r.bytes, job.bytesTotal > 0 ? `${formatBytes(job.bytesDone)} / ${formatBytes(job.bytesTotal)}` : formatBytes(job.bytesDone));
  const moving = job.state === 'running' || job.state === 'pending';
  setText(r.speed, moving ? formatRate(job.throughput) : '—');
  const eta = moving ? etaSeconds(job.bytesDone, job.bytesTotal, job.throughput) : undefined;
  setText(r.eta, eta === undefined ? '—' : formatDuration(eta));

  const actions = actionsFor(job);
  const key = actions.join(',');
  if (key !== r.actionsKey) {
    const hadFocus = r.actions.contains(document.activeElement);
    r.actionsKey = key;
    const name = shortName(job.destination) || job.id;
    r.actions.replaceChildren(
      ...actions.map((a) =>
        h('vscode-toolbar-button', { icon: ACTION_UI[a].icon, label: `${ACTION_UI[a].label}: ${name}`, title: ACTION_UI[a].label, 'data-action': a, 'data-job': job.id }),
      ),
    );
    if (hadFocus) (r.actions.firstElementChild as HTMLElement | null)?.focus();
  }
}

/** Running and pending first, then failed (needs attention), queued, then the rest; engine order within a group. */
function rank(state: JobStateName): number {
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

function render(): void {
  const groups: JobView[][] = [[], [], [], []];
  let matching = 0;
  for (const job of jobs.values()) {
    if (!matchesFilter(job.state, filter)) continue;
    matching++;
    groups[rank(job.state)].push(job);
  }
  const visible = groups.flat().slice(0, MAX_RENDERED_ROWS);
  const wanted = new Set(visible.map((j) => j.id));

  for (const [id, r] of rows) {
    if (!wanted.has(id)) {
      r.row.remove();
      rows.delete(id);
    }
  }
  let cursor = body.firstElementChild;
  for (const job of visible) {
    let r = rows.get(job.id);
    if (!r) {
      r = createRow(job.id);
      rows.set(job.id, r);
    }
    updateRow(r, job);
    if (r.row !== cursor) body.insertBefore(r.row, cursor);
    else cursor = cursor.nextElementSibling;
  }

  const hiddenCount = matching - visible.length;
  more.hidden = hiddenCount <= 0;
  if (hiddenCount > 0) more.replaceChildren(icon('info'), h('span', {}, `${hiddenCount.toLocaleString()} more job${hiddenCount === 1 ? '' : 's'} not shown (the first ${MAX_RENDERED_ROWS} are listed).`));
  table.hidden = visible.length === 0;
  empty.hidden = visible.length > 0;
  if (visible.length === 0) {
    const what = filter === 'active' ? 'No copies in progress.' : filter === 'failed' ? 'No failed copies.' : 'No copy jobs yet.';
    empty.replaceChildren(icon(filter === 'failed' ? 'pass' : 'inbox'), h('span', {}, what), h('span', { class: 'muted' }, jobs.size > 0 && filter !== 'all' ? ` ${jobs.size.toLocaleString()} job${jobs.size === 1 ? '' : 's'} under "All".` : ' Start one from the storage tree: Copy Blob To…, Paste, or drag and drop.'));
  }
  renderTotals();
  // Tell the host what is on screen (its tests assert on it); nothing to report before the first init.
  if (version > 0) vscode.postMessage({ type: 'rendered', version, rows: visible.length, matching, known: jobs.size, filter });
}

function renderTotals(): void {
  const t = totals;
  const by = t.byState;
  const active = by.queued + by.running + by.pending;
  const chips: (Node | string)[] = [];
  const chip = (n: number, label: string, cls: string): void => {
    if (n <= 0) return;
    chips.push(h('span', { class: `chip ${cls}` }, h('vscode-badge', { variant: 'counter' }, n.toLocaleString()), ` ${label}`));
  };
  chip(by.running + by.pending, 'copying', 'state-running');
  chip(by.queued, 'queued', 'state-queued');
  chip(by.succeeded, 'done', 'state-succeeded');
  chip(by.skipped, 'skipped', 'state-skipped');
  chip(by.failed + by.aborted, 'failed', 'state-failed');
  chip(by.canceled, 'canceled', 'state-canceled');
  if (chips.length === 0) chips.push(h('span', { class: 'muted' }, 'No jobs'));
  summary.replaceChildren(...chips);

  const pct = percent(t.bytesDone, t.bytesTotal);
  overall.value = t.count > 0 && t.bytesTotal > 0 ? pct : t.count > 0 && active === 0 ? 100 : 0;
  const parts = [`${t.count.toLocaleString()} job${t.count === 1 ? '' : 's'}`, `${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)} (${Math.floor(pct)}%)`];
  if (active > 0) {
    parts.push(formatRate(t.throughput));
    const eta = etaSeconds(t.bytesDone, t.bytesTotal, t.throughput);
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  }
  setText(overallText, parts.join(' · '));
  progressLine.classList.toggle('idle', active === 0);

  const failed = by.failed;
  retryFailedButton.toggleAttribute('disabled', failed === 0);
  const finished = JOB_STATES.filter((s) => s !== 'queued' && s !== 'running' && s !== 'pending').reduce((n, s) => n + by[s], 0);
  clearButton.toggleAttribute('disabled', finished === 0);
}

function setFilterUi(f: JobFilter): void {
  filter = f;
  if (filterSelect.value !== f) filterSelect.value = f;
  vscode.setState({ filter: f });
}

// --- messages from the host -------------------------------------------------------------------------------------

function onHostMessage(raw: unknown): void {
  const message = validateHostMessage(raw);
  if (!message) {
    console.warn('Copy Jobs: ignored an invalid message from the extension');
    return;
  }
  handle(message);
}

function handle(message: HostToWebview): void {
  switch (message.type) {
    case 'init':
      jobs.clear();
      for (const j of message.jobs) jobs.set(j.id, j);
      totals = message.totals;
      version = message.version;
      setFilterUi(message.filter);
      render();
      return;
    case 'jobsUpdated':
      for (const id of message.removed) jobs.delete(id);
      for (const j of message.jobs) jobs.set(j.id, j);
      totals = message.totals;
      version = message.version;
      render();
      return;
    case 'reply': {
      const waiter = inflight.get(message.id);
      if (!waiter) return;
      inflight.delete(message.id);
      if (message.ok) waiter.resolve();
      else waiter.reject(new Error(message.error));
      return;
    }
    default:
      assertNever(message, 'host message');
  }
}

// --- user actions -----------------------------------------------------------------------------------------------

function showNotice(text: string | undefined): void {
  notice.hidden = !text;
  notice.replaceChildren(...(text ? [icon('error'), h('span', {}, text), h('vscode-toolbar-button', { icon: 'close', label: 'Dismiss', 'data-dismiss': '' })] : []));
}

async function run(body: RequestBody, done?: string): Promise<void> {
  try {
    await request(body);
    showNotice(undefined);
    if (done) live.textContent = done;
  } catch (e) {
    showNotice(e instanceof Error ? e.message : String(e));
  }
}

body.addEventListener('click', (ev) => {
  const target = (ev.target as Element | null)?.closest<HTMLElement>('[data-action]');
  if (!target) return;
  const action = target.dataset.action;
  const jobId = target.dataset.job;
  if (!jobId || (action !== 'cancel' && action !== 'retry' && action !== 'abort' && action !== 'reveal')) return;
  const name = shortName(jobs.get(jobId)?.destination ?? jobId);
  const done: Record<JobActionType, string> = { cancel: `Canceling ${name}`, retry: `Retrying ${name}`, abort: `Aborting ${name}`, reveal: `Revealed ${name}` };
  void run({ type: action, jobId }, done[action]);
});

notice.addEventListener('click', (ev) => {
  if ((ev.target as Element | null)?.closest('[data-dismiss]')) showNotice(undefined);
});

retryFailedButton.addEventListener('click', () => {
  if (!retryFailedButton.hasAttribute('disabled')) void run({ type: 'retryFailed' }, 'Retrying failed copies');
});
clearButton.addEventListener('click', () => {
  if (!clearButton.hasAttribute('disabled')) void run({ type: 'clearFinished' }, 'Cleared finished copies');
});
filterSelect.addEventListener('change', () => {
  const value = filterSelect.value;
  if (!isJobFilter(value) || value === filter) return;
  setFilterUi(value);
  render();
  void run({ type: 'setFilter', filter: value });
});

window.addEventListener('message', (ev: MessageEvent<unknown>) => onHostMessage(ev.data));
setFilterUi(filter);
render();
vscode.postMessage({ type: 'ready' });
