/**
 * The jobs table: a header row and keyed rows, updated in place (a row whose JobView did not change is not touched),
 * plus the note on unlisted jobs and the empty message. A virtual list: only the page the host sent is in the DOM,
 * between two spacers that stand for the matching rows before and after it, so the scroll bar has the length of the
 * whole list; `viewport()` says which rows the scroll position shows (main.ts asks the host for them). Columns are a CSS grid; table.css collapses the lower-value ones
 * (speed, ETA, bytes, operation) as the panel gets narrower and stacks each row at the narrowest widths.
 */
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './table.css';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { JobErrorView, JobView } from '../shared/protocol';
import { renderActions } from './actions';
import { h, icon, iconClass, setText, setTitle } from './dom';
import { shortName, stateInfo, waitingStateInfo } from './format';
import type { PanelState, VisibleRows } from './store';
import { emptyText, rowText, unlistedText, waitingText } from './text';

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

interface RowHandle {
  readonly row: HTMLElement;
  readonly stateCell: HTMLElement;
  /** The state cell's badge: its class, icon and label change in place. */
  readonly stateBadge: HTMLElement;
  readonly stateIcon: HTMLElement;
  readonly stateLabel: HTMLElement;
  readonly source: HTMLElement;
  readonly destination: HTMLElement;
  readonly destinationText: HTMLElement;
  readonly operationText: HTMLElement;
  readonly attemptText: HTMLElement;
  readonly error: HTMLElement;
  /** "Waiting for storage — … · next try in 4 s", shown while the job waits (ticks every second). */
  readonly waiting: HTMLElement;
  readonly operation: HTMLElement;
  readonly progress: HTMLElement;
  readonly bar: VscodeProgressBar;
  readonly percentText: HTMLElement;
  readonly bytes: HTMLElement;
  readonly speed: HTMLElement;
  readonly eta: HTMLElement;
  readonly actions: HTMLElement;
  job: JobView | undefined;
  actionsKey: string;
}

function cell(key: string, ...children: (Node | string)[]): HTMLElement {
  return h('div', { class: `cell col-${key}`, role: 'cell' }, ...children);
}

function createRow(id: string): RowHandle {
  const source = h('div', { class: 'path source' });
  const destinationText = h('span', {});
  const destination = h('div', { class: 'path destination' }, icon('arrow-right'), destinationText);
  const stateIcon = icon('blank');
  const stateLabel = h('span', { class: 'state-label' });
  const stateBadge = h('span', { class: 'state' }, stateIcon, stateLabel);
  const operationText = h('span', {});
  const attemptText = h('div', { class: 'muted', hidden: true });
  const error = h('div', { class: 'error', hidden: true });
  const waiting = h('div', { class: 'waiting', role: 'status', hidden: true });
  const bar = h('vscode-progress-bar', {}) as VscodeProgressBar;
  bar.max = 100;
  const percentText = h('span', { class: 'percent' });
  const jobCell = cell('job', source, destination, waiting, error);
  const r = {
    stateCell: cell('state', stateBadge),
    operation: cell('operation', operationText, attemptText),
    progress: cell('progress', h('div', { class: 'progress-wrap' }, bar, percentText)),
    bytes: cell('bytes num'),
    speed: cell('speed num'),
    eta: cell('eta num'),
    actions: cell('actions'),
  };
  const row = h('div', { class: 'jobs-row', role: 'row', 'data-job': id }, r.stateCell, jobCell, r.operation, r.progress, r.bytes, r.speed, r.eta, r.actions);
  return { ...r, row, stateBadge, stateIcon, stateLabel, source, destination, destinationText, operationText, attemptText, error, waiting, bar, percentText, job: undefined, actionsKey: '' };
}

/** Spare rows kept (a page holds at most MAX_PAGE_ROWS; most pages are far smaller). */
const MAX_SPARE_ROWS = 200;

/** A spare row for another job: everything is drawn again by the next updateRow, as for a new row. */
function rebindRow(r: RowHandle, id: string): void {
  r.row.dataset.job = id;
  r.job = undefined;
}

function errorParts(e: JobErrorView): (Node | string)[] {
  const parts: (Node | string)[] = [icon('warning')];
  if (e.code || e.status !== undefined) parts.push(h('code', { class: 'error-code' }, [e.code, e.status !== undefined ? `HTTP ${e.status}` : undefined].filter(Boolean).join(' · ')));
  parts.push(h('span', { class: 'error-message' }, e.message));
  if (e.hint) parts.push(h('div', { class: 'hint' }, icon('lightbulb'), h('span', {}, e.hint)));
  return parts;
}

function updateRow(r: RowHandle, job: JobView): void {
  const prev = r.job;
  if (prev === job) return;
  r.job = job;
  if (!prev || prev.state !== job.state || prev.waiting?.reason !== job.waiting?.reason) {
    const info = job.waiting ? waitingStateInfo(job.waiting.reason) : stateInfo(job.state);
    const cls = job.waiting ? 'state state-waiting' : `state state-${job.state}`;
    r.row.dataset.state = job.state;
    r.row.classList.toggle('is-waiting', !!job.waiting);
    r.stateBadge.className = cls;
    setTitle(r.stateBadge, info.description);
    r.stateIcon.className = iconClass(info.icon, info.spin);
    setText(r.stateLabel, info.label);
  }
  updateWaiting(r, Date.now());
  if (!prev || prev.source !== job.source || prev.destination !== job.destination) {
    setText(r.source, job.source);
    setTitle(r.source, `From: ${job.source}`);
    setText(r.destinationText, job.destination);
    setTitle(r.destination, `To: ${job.destination}`);
  }
  if (!prev || prev.error !== job.error) {
    r.error.replaceChildren(...(job.error ? errorParts(job.error) : []));
    setTitle(r.error, job.error?.requestId ? `Request id: ${job.error.requestId}` : '');
    r.error.hidden = !job.error;
  }
  const text = rowText(job);
  if (!prev || prev.strategy !== job.strategy || prev.attempts !== job.attempts) {
    setText(r.operationText, text.operation);
    setText(r.attemptText, text.attempt ?? '');
    r.attemptText.hidden = !text.attempt;
  }
  if (text.value === undefined) {
    if (r.bar.value !== undefined) r.bar.value = undefined;
    r.bar.indeterminate = true;
  } else {
    r.bar.indeterminate = false;
    if (r.bar.value !== text.value) r.bar.value = text.value;
  }
  r.bar.ariaLabel = `${shortName(job.destination)}: ${Math.round(text.value ?? 0)} percent`;
  setText(r.percentText, text.percent);
  setText(r.bytes, text.bytes);
  setText(r.speed, text.speed);
  setText(r.eta, text.eta);
  // The collapsed columns stay one hover away on narrow panels.
  setTitle(r.progress, [text.operation, text.bytes, text.speed !== '—' ? text.speed : '', text.eta !== '—' ? `ETA ${text.eta}` : ''].filter(Boolean).join(' · '));
  r.actionsKey = renderActions(r.actions, job, r.actionsKey);
}

/** The waiting line of a row, for the time now (its "12 s · next try in 4 s" counts down between host updates). */
function updateWaiting(r: RowHandle, now: number): void {
  const w = r.job?.waiting;
  r.waiting.hidden = !w;
  if (!w) {
    if (r.waiting.firstChild) r.waiting.replaceChildren();
    return;
  }
  const text = waitingText(w, now);
  if (r.waiting.lastChild?.textContent !== text) r.waiting.replaceChildren(icon('watch'), h('span', {}, text));
}

interface JobsTableView {
  /** The table, the note on unlisted jobs and the empty message, in that order. */
  readonly elements: readonly HTMLElement[];
  /** The element holding the rows (for the action click handler). */
  readonly body: HTMLElement;
  /** The scrolling element (listen to its `scroll`). */
  readonly scroller: HTMLElement;
  render(state: PanelState, visible: VisibleRows): void;
  /** The index (among the matching jobs) of the first row the scroll position shows, and how many rows fit. */
  viewport(): { readonly first: number; readonly visible: number };
  /** Refreshes the waiting lines' counters; true when a row waits (keep ticking). */
  tick(now: number): boolean;
}

export function createJobsTable(): JobsTableView {
  const head = h('div', { class: 'jobs-row jobs-head', role: 'row' }, ...COLUMNS.map((c) => h('div', { class: `cell col-${c.key}`, role: 'columnheader' }, c.label)));
  const body = h('div', { class: 'jobs-body', role: 'rowgroup' });
  const header = h('div', { role: 'rowgroup', class: 'jobs-header' }, head);
  const above = h('div', { class: 'jobs-spacer', 'aria-hidden': 'true' });
  const below = h('div', { class: 'jobs-spacer', 'aria-hidden': 'true' });
  const table = h('div', { class: 'jobs', role: 'table', 'aria-label': 'Copy jobs' }, header, above, body, below);
  const more = h('div', { class: 'more', hidden: true });
  const empty = h('div', { class: 'empty', hidden: true });
  const rows = new Map<string, RowHandle>();
  /**
   * Rows that left the page, kept to show the next new jobs: while a copy runs, most of a page's rows change jobs at
   * every update, and a row made anew each time (its cells, progress bar and buttons) filled the webview's memory
   * with elements to collect faster than it could render.
   */
  const spare: RowHandle[] = [];
  /** Height of a row, measured on the rows on screen (they vary: errors, waiting lines, narrow layouts). */
  let rowHeight = 44;
  /** Height a spacer gives each row it stands for: the row height, less when the list would be taller than a browser allows. */
  let unit = rowHeight;
  let before = 0;
  let shown = 0;
  const MAX_SPACE_PX = 15_000_000;

  return {
    elements: [table, more, empty],
    body,
    scroller: table,
    viewport() {
      const top = Math.max(0, table.scrollTop);
      const space = before * unit;
      const bodyHeight = body.offsetHeight;
      let first: number;
      if (top < space) first = Math.floor(top / unit);
      else if (top < space + bodyHeight || shown === 0) first = before + Math.floor((top - space) / rowHeight);
      else first = before + shown + Math.floor((top - space - bodyHeight) / unit);
      const visible = Math.max(1, Math.ceil(Math.max(0, table.clientHeight - header.offsetHeight) / rowHeight) + 1);
      return { first: Math.max(0, first), visible };
    },
    tick(now) {
      let any = false;
      for (const r of rows.values()) {
        if (!r.job?.waiting) continue;
        any = true;
        updateWaiting(r, now);
      }
      return any;
    },
    render(state, visible) {
      const wanted = new Set(visible.rows.map((j) => j.id));
      for (const [id, r] of rows) {
        if (wanted.has(id)) continue;
        r.row.remove();
        rows.delete(id);
        if (spare.length < MAX_SPARE_ROWS) spare.push(r);
      }
      let cursor = body.firstElementChild;
      for (const job of visible.rows) {
        let r = rows.get(job.id);
        if (!r) {
          r = spare.pop();
          if (r) rebindRow(r, job.id);
          else r = createRow(job.id);
          rows.set(job.id, r);
        }
        updateRow(r, job);
        if (r.row !== cursor) body.insertBefore(r.row, cursor);
        else cursor = cursor.nextElementSibling;
      }

      if (visible.rows.length > 0 && body.offsetHeight > 0) rowHeight = Math.max(16, body.offsetHeight / visible.rows.length);
      unit = Math.min(rowHeight, MAX_SPACE_PX / Math.max(1, visible.matching));
      before = visible.before;
      shown = visible.rows.length;
      above.style.height = `${Math.round(visible.before * unit)}px`;
      below.style.height = `${Math.round(visible.after * unit)}px`;
      table.setAttribute('aria-rowcount', String(visible.matching + 1));

      // Under "All" with no search, the list is what the engine lists; the summary counts every job.
      const note = state.filter === 'all' && state.search === '' ? unlistedText(visible.known, visible.matching) : undefined;
      more.hidden = note === undefined;
      if (note !== undefined) more.replaceChildren(icon('info'), h('span', {}, note));
      const none = visible.rows.length === 0 && visible.matching === 0;
      table.hidden = none;
      empty.hidden = !none;
      if (none) {
        const e = emptyText(state.filter, visible.known);
        empty.replaceChildren(icon(e.icon), h('span', {}, e.text), h('span', { class: 'muted' }, e.detail));
      }
    },
  };
}
