/** A row's action buttons (cancel, retry, abort, reveal) and the one click handler for all of them. */
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { JobActionType, JobView } from '../shared/protocol';
import { h } from './dom';
import { shortName } from './format';
import { actionsFor } from './store';

const ACTION_UI: Record<JobActionType, { icon: string; label: string }> = {
  cancel: { icon: 'debug-stop', label: 'Cancel' },
  retry: { icon: 'debug-restart', label: 'Retry' },
  abort: { icon: 'circle-slash', label: 'Abort pending copy' },
  reveal: { icon: 'go-to-file', label: 'Reveal destination in tree' },
};

function isJobAction(x: string | undefined): x is JobActionType {
  return x === 'cancel' || x === 'retry' || x === 'abort' || x === 'reveal';
}

/**
 * Puts the job's action buttons into `cell` unless `previousKey` says they are there already; returns the new key.
 * Keeps keyboard focus inside the cell when the buttons change under it.
 */
export function renderActions(cell: HTMLElement, job: JobView, previousKey: string): string {
  const actions = actionsFor(job);
  const key = actions.join(',');
  const name = shortName(job.destination) || job.id;
  if (key === previousKey) {
    // The same buttons, perhaps for another job (a row reused): they name this one.
    for (const b of cell.children) {
      const button = b as HTMLElement;
      const a = button.dataset.action as JobActionType;
      if (button.dataset.job === job.id) break;
      button.dataset.job = job.id;
      button.setAttribute('label', `${ACTION_UI[a].label}: ${name}`);
    }
    return key;
  }
  const hadFocus = cell.contains(document.activeElement);
  cell.replaceChildren(
    ...actions.map((a) => h('vscode-toolbar-button', { icon: ACTION_UI[a].icon, label: `${ACTION_UI[a].label}: ${name}`, title: ACTION_UI[a].label, 'data-action': a, 'data-job': job.id })),
  );
  if (hadFocus) (cell.firstElementChild as HTMLElement | null)?.focus();
  return key;
}

/** Calls `handler` for a click on any action button under `container`. */
export function onJobAction(container: HTMLElement, handler: (action: JobActionType, jobId: string) => void): void {
  container.addEventListener('click', (ev) => {
    const target = (ev.target as Element | null)?.closest<HTMLElement>('[data-action]');
    if (!target) return;
    const action = target.dataset.action;
    const jobId = target.dataset.job;
    if (jobId && isJobAction(action)) handler(action, jobId);
  });
}
