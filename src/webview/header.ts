/**
 * The header: filter, search, summary chips, Retry Failed / Clear Finished, the overall progress line, one line per
 * batch (the engine's counters), the error notice.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import { JOB_FILTERS, MAX_SEARCH_LENGTH, type BatchView, type JobFilter } from '../shared/protocol';
import { isJobFilter } from '../shared/protocolValidation';
import { h, icon, setText } from './dom';
import { toolbarState, waitingJobs, type PanelState } from './store';
import { batchText, overallText, overallValue, summaryChips, waitingSummaryText } from './text';

const FILTER_LABELS: Record<JobFilter, string> = { active: 'Active', failed: 'Failed', all: 'All' };

interface HeaderEvents {
  filter(filter: JobFilter): void;
  /** The search text changed (the caller debounces). */
  search(text: string): void;
  retryFailed(): void;
  clearFinished(): void;
  dismissNotice(): void;
}

interface HeaderView {
  /** The toolbar, the progress line, the batch lines and the notice, in that order. */
  readonly elements: readonly HTMLElement[];
  render(state: PanelState): void;
}

export function createHeader(on: HeaderEvents): HeaderView {
  const filterSelect = h('vscode-single-select', { id: 'filter', 'aria-label': 'Show jobs' }) as VscodeSingleSelect;
  for (const f of JOB_FILTERS) filterSelect.append(h('vscode-option', { value: f }, FILTER_LABELS[f]));
  const retryFailed = h('vscode-button', { secondary: true, icon: 'debug-restart', id: 'retry-failed', title: 'Retry every failed copy' }, 'Retry Failed');
  const clearFinished = h('vscode-button', { secondary: true, icon: 'clear-all', id: 'clear-finished', title: 'Remove finished copies from the list' }, 'Clear Finished');
  const search = h('input', { type: 'search', id: 'search', class: 'search', placeholder: 'Search by name', 'aria-label': 'Search jobs by name', maxlength: String(MAX_SEARCH_LENGTH), spellcheck: 'false' }) as HTMLInputElement;
  const summary = h('div', { class: 'summary', id: 'summary' });
  const batchList = h('div', { class: 'batches', id: 'batches', role: 'list', 'aria-label': 'Batches' });
  const overall = h('vscode-progress-bar', { class: 'overall', 'aria-label': 'Overall progress' }) as VscodeProgressBar;
  const overallLine = h('span', { class: 'overall-text', id: 'overall-text' });

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Copy Jobs' },
    h('label', { class: 'filter-label', for: 'filter' }, 'Show'),
    filterSelect,
    search,
    summary,
    h('span', { class: 'spacer' }),
    h('span', { class: 'toolbar-buttons' }, retryFailed, clearFinished),
  );
  const progressLine = h('div', { class: 'progress-line' }, overallLine, overall);
  const notice = h('div', { class: 'notice', role: 'alert', hidden: true });

  retryFailed.addEventListener('click', () => {
    if (!retryFailed.hasAttribute('disabled')) on.retryFailed();
  });
  clearFinished.addEventListener('click', () => {
    if (!clearFinished.hasAttribute('disabled')) on.clearFinished();
  });
  search.addEventListener('input', () => on.search(search.value));
  filterSelect.addEventListener('change', () => {
    if (isJobFilter(filterSelect.value)) on.filter(filterSelect.value);
  });
  notice.addEventListener('click', (ev) => {
    if ((ev.target as Element | null)?.closest('[data-dismiss]')) on.dismissNotice();
  });

  let last: PanelState | undefined;
  return {
    elements: [toolbar, progressLine, batchList, notice],
    render(state) {
      if (filterSelect.value !== state.filter) filterSelect.value = state.filter;
      if (document.activeElement !== search && search.value !== state.search) search.value = state.search;
      if (last?.notice !== state.notice || !last) {
        notice.hidden = !state.notice;
        notice.replaceChildren(...(state.notice ? [icon('error'), h('span', {}, state.notice), h('vscode-toolbar-button', { icon: 'close', label: 'Dismiss', 'data-dismiss': '' })] : []));
      }
      if (last?.batches !== state.batches) {
        // One line per batch only when there are several, or when one is larger than the list shows.
        const lines = state.batches.length > 1 || state.batches.some((b) => b.total > state.jobs.size) ? state.batches : [];
        batchList.hidden = lines.length === 0;
        batchList.replaceChildren(...lines.map((b) => h('div', { class: 'batch', role: 'listitem', 'data-batch': b.batchId, 'data-outcome': b.outcome ?? '' }, icon(batchIcon(b)), h('span', {}, batchText(b)))));
      }
      if (last?.totals === state.totals && last?.waiting === state.waiting) {
        last = state;
        return;
      }
      last = state;
      const t = state.totals;
      const chips = summaryChips(t).map((c) => h('span', { class: `chip ${c.cls}` }, h('vscode-badge', { variant: 'counter' }, c.count), ` ${c.label}`));
      summary.replaceChildren(...(chips.length > 0 ? chips : [h('span', { class: 'muted' }, 'No jobs')]));
      overall.value = overallValue(t);
      const w = state.waiting ?? waitingJobs(state.jobs);
      const waiting = waitingSummaryText(w.count, w.reason);
      setText(overallLine, waiting ? `${overallText(t)} · ${waiting}` : overallText(t));
      progressLine.classList.toggle('waiting', !!waiting);
      const tb = toolbarState(t);
      progressLine.classList.toggle('idle', tb.active === 0);
      retryFailed.toggleAttribute('disabled', !tb.canRetryFailed);
      clearFinished.toggleAttribute('disabled', !tb.canClearFinished);
    },
  };
}

/** A batch's icon: spinning while it runs, then whether it is complete, partial or failed. */
function batchIcon(b: BatchView): string {
  if (!b.done) return 'sync';
  return b.outcome === 'partial' ? 'warning' : b.outcome === 'failed' ? 'error' : 'pass';
}
