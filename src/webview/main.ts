/**
 * Copy Jobs webview entry: wires the VS Code webview API (postMessage, getState/setState, the `ready` handshake)
 * to the store (store.ts) and the views (header.ts, rows.ts, actions.ts). Every host message is validated before
 * the store sees it. Renders at most MAX_RENDERED_ROWS rows, so a 10,000-job batch stays responsive.
 */
import './nonce';
import './main.css';
import { type WebviewState, type WebviewToHost } from '../shared/protocol';
import { validateHostMessage } from '../shared/protocolValidation';
import { onJobAction } from './actions';
import { h } from './dom';
import { createHeader } from './header';
import { createJobsTable } from './rows';
import { actionDoneText, initialFilter, initialState, reduce, requestMessage, selectVisible, type PanelAction, type PanelState, type RequestBody } from './store';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
let state: PanelState = initialState(initialFilter(vscode.getState(), app.dataset.filter));
let rendered: PanelState | undefined;

function dispatch(action: PanelAction): void {
  const next = reduce(state, action);
  if (next === state) return;
  state = next;
  render();
}

function send(body: RequestBody, done?: string): void {
  const message = requestMessage(state, body);
  dispatch({ type: 'requestSent', request: message, done });
  vscode.postMessage(message);
}

const header = createHeader({
  filter: (filter) => {
    if (filter === state.filter) return;
    dispatch({ type: 'setFilter', filter });
    send({ type: 'setFilter', filter });
  },
  retryFailed: () => send({ type: 'retryFailed' }, 'Retrying failed copies'),
  clearFinished: () => send({ type: 'clearFinished' }, 'Cleared finished copies'),
  dismissNotice: () => dispatch({ type: 'dismissNotice' }),
});
const table = createJobsTable();
const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
app.append(...header.elements, ...table.elements, live);

onJobAction(table.body, (action, jobId) => send({ type: action, jobId }, actionDoneText(action, state.jobs.get(jobId), jobId)));

function render(): void {
  const prev = rendered;
  rendered = state;
  header.render(state);
  if (live.textContent !== state.announcement) live.textContent = state.announcement;
  if (prev?.filter !== state.filter) vscode.setState({ filter: state.filter });
  if (prev && prev.jobs === state.jobs && prev.filter === state.filter && prev.version === state.version) return;
  const visible = selectVisible(state);
  table.render(state, visible);
  if (visible.rows.some((j) => j.waiting)) startTicking();
  // Tell the host what is on screen (its tests assert on it); nothing to report before the first init.
  if (state.version > 0) vscode.postMessage({ type: 'rendered', version: state.version, rows: visible.rows.length, matching: visible.matching, known: visible.known, filter: state.filter });
}

/** While a row waits for storage, its "… s · next try in … s" counts down every second (no host message needed). */
let ticker: ReturnType<typeof setInterval> | undefined;
function startTicking(): void {
  ticker ??= setInterval(() => {
    if (table.tick(Date.now())) return;
    clearInterval(ticker);
    ticker = undefined;
  }, 1000);
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const message = validateHostMessage(ev.data);
  if (!message) {
    console.warn('Copy Jobs: ignored an invalid message from the extension');
    return;
  }
  dispatch({ type: 'host', message });
});
render();
vscode.postMessage({ type: 'ready' });
