/**
 * The jobs table: a header row and keyed rows, updated in place (a row whose JobView did not change is not touched),
 * plus the "N more" line and the empty message. Columns are a CSS grid; table.css collapses the lower-value ones
 * (speed, ETA, bytes, operation) as the panel gets narrower and stacks each row at the narrowest widths.
 */
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './table.css';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { JobErrorView, JobView } from '../shared/protocol';
import { renderActions } from './actions';
import { h, icon, setText, setTitle } from './dom';
import { shortName, stateInfo, waitingStateInfo } from './format';
import type { PanelState, VisibleRows } from './store';
import { emptyText, moreText, rowText, waitingText } from './text';

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
  readonly source: HTMLElement;
  readonly destination: HTMLElement;
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
  const destination = h('div', { class: 'path destination' });
  const error = h('div', { class: 'error', hidden: true });
  const waiting = h('div', { class: 'waiting', role: 'status', hidden: true });
  const bar = h('vscode-progress-bar', {}) as VscodeProgressBar;
  bar.max = 100;
  const percentText = h('span', { class: 'percent' });
  const jobCell = cell('job', source, destination, waiting, error);
  const r = {
    stateCell: cell('state'),
    operation: cell('operation'),
    progress: cell('progress', h('div', { class: 'progress-wrap' }, bar, percentText)),
    bytes: cell('bytes num'),
    speed: cell('speed num'),
    eta: cell('eta num'),
    actions: cell('actions'),
  };
  const row = h('div', { class: 'jobs-row', role: 'row', 'data-job': id }, r.stateCell, jobCell, r.operation, r.progress, r.bytes, r.speed, r.eta, r.actions);
  return { ...r, row, source, destination, error, waiting, bar, percentText, job: undefined, actionsKey: '' };
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
    r.stateCell.replaceChildren(h('span', { class: cls, title: info.description }, icon(info.icon, info.spin), h('span', { class: 'state-label' }, info.label)));
  }
  updateWaiting(r, Date.now());
  if (!prev || prev.source !== job.source || prev.destination !== job.destination) {
    setText(r.source, job.source);
    setTitle(r.source, `From: ${job.source}`);
    r.destination.replaceChildren(icon('arrow-right'), h('span', {}, job.destination));
    setTitle(r.destination, `To: ${job.destination}`);
  }
  if (!prev || prev.error !== job.error) {
    r.error.replaceChildren(...(job.error ? errorParts(job.error) : []));
    setTitle(r.error, job.error?.requestId ? `Request id: ${job.error.requestId}` : '');
    r.error.hidden = !job.error;
  }
  const text = rowText(job);
  if (!prev || prev.strategy !== job.strategy || prev.attempts !== job.attempts) {
    r.operation.replaceChildren(text.operation, ...(text.attempt ? [h('div', { class: 'muted' }, text.attempt)] : []));
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

export interface JobsTableView {
  /** The table, the "N more" line and the empty message, in that order. */
  readonly elements: readonly HTMLElement[];
  /** The element holding the rows (for the action click handler). */
  readonly body: HTMLElement;
  render(state: PanelState, visible: VisibleRows): void;
  /** Refreshes the waiting lines' counters; true when a row waits (keep ticking). */
  tick(now: number): boolean;
}

export function createJobsTable(): JobsTableView {
  const head = h('div', { class: 'jobs-row jobs-head', role: 'row' }, ...COLUMNS.map((c) => h('div', { class: `cell col-${c.key}`, role: 'columnheader' }, c.label)));
  const body = h('div', { class: 'jobs-body', role: 'rowgroup' });
  const table = h('div', { class: 'jobs', role: 'table', 'aria-label': 'Copy jobs' }, h('div', { role: 'rowgroup', class: 'jobs-header' }, head), body);
  const more = h('div', { class: 'more', hidden: true });
  const empty = h('div', { class: 'empty', hidden: true });
  const rows = new Map<string, RowHandle>();

  return {
    elements: [table, more, empty],
    body,
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
      }
      let cursor = body.firstElementChild;
      for (const job of visible.rows) {
        let r = rows.get(job.id);
        if (!r) {
          r = createRow(job.id);
          rows.set(job.id, r);
        }
        updateRow(r, job);
        if (r.row !== cursor) body.insertBefore(r.row, cursor);
        else cursor = cursor.nextElementSibling;
      }

      more.hidden = visible.hidden <= 0;
      if (visible.hidden > 0) more.replaceChildren(icon('info'), h('span', {}, moreText(visible.hidden)));
      table.hidden = visible.rows.length === 0;
      empty.hidden = visible.rows.length > 0;
      if (visible.rows.length === 0) {
        const e = emptyText(state.filter, visible.known);
        empty.replaceChildren(icon(e.icon), h('span', {}, e.text), h('span', { class: 'muted' }, e.detail));
      }
    },
  };
}
