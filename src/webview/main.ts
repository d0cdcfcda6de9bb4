/**
 * Copy Jobs webview entry: wires the VS Code webview API (postMessage, getState/setState, the `ready` handshake)
 * to the store (store.ts) and the views (header.ts, rows.ts, actions.ts). Every host message is validated before
 * the store sees it. A virtual list: the webview holds and renders only the page around its scroll position, and
 * asks the host for another (`getPage`) when the user scrolls, filters or searches, so a batch of millions stays
 * responsive.
 */
import './nonce';
import './main.css';
import { type WebviewState, type WebviewToHost } from '../shared/protocol';
import { validateHostMessage } from '../shared/protocolValidation';
import { onJobAction } from './actions';
import { h } from './dom';
import { createHeader } from './header';
import { createJobsTable } from './rows';
import { actionDoneText, initialFilter, initialSearch, initialState, pageRequest, reduce, requestMessage, selectVisible, type PanelAction, type PanelState, type RequestBody } from './store';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const saved = vscode.getState();
let state: PanelState = initialState(initialFilter(saved, app.dataset.filter), initialSearch(saved));
let rendered: PanelState | undefined;

function dispatch(action: PanelAction): void {
  const next = reduce(state, action);
  if (next === state) return;
  state = next;
  scheduleRender();
}

/**
 * One render per frame, of the newest state: messages that arrive while the webview is busy (a copy of many small
 * blobs sends a few per second, each replacing most rows) are reduced at once and drawn once, so it never falls behind.
 */
let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function send(body: RequestBody, done?: string): void {
  const message = requestMessage(state, body);
  dispatch({ type: 'requestSent', request: message, done });
  vscode.postMessage(message);
}

/** The last page asked for and not answered yet (not asked again while it is on its way). */
let pageInFlight = '';

/** Asks the host for the rows the scroll position shows, unless the page on hand has them. */
function checkPage(force = false): void {
  if (state.version === 0) return; // before init
  const { first, visible } = table.viewport();
  const body = pageRequest(state, first, visible, force);
  if (!body) return;
  const key = JSON.stringify(body);
  const waiting = [...state.pending.values()].some((p) => p.type === 'getPage');
  if (!force && waiting && key === pageInFlight) return;
  pageInFlight = key;
  send(body);
}

let scrollTimer: ReturnType<typeof setTimeout> | undefined;
/** Whether the check waiting on the timer was forced: a later, unforced check replaces the timer, not the force. */
let forcedCheck = false;
function schedulePageCheck(ms: number, force = false): void {
  if (scrollTimer !== undefined) clearTimeout(scrollTimer);
  forcedCheck ||= force;
  scrollTimer = setTimeout(() => {
    scrollTimer = undefined;
    const forced = forcedCheck;
    forcedCheck = false;
    checkPage(forced);
  }, ms);
}

const header = createHeader({
  filter: (filter) => {
    if (filter === state.filter) return;
    dispatch({ type: 'setFilter', filter });
    send({ type: 'setFilter', filter });
    table.scroller.scrollTop = 0;
    checkPage(true);
  },
  search: (text) => {
    dispatch({ type: 'setSearch', search: text });
    table.scroller.scrollTop = 0;
    schedulePageCheck(200, true);
  },
  retryFailed: () => send({ type: 'retryFailed' }, 'Retrying failed copies'),
  clearFinished: () => send({ type: 'clearFinished' }, 'Cleared finished copies'),
  dismissNotice: () => dispatch({ type: 'dismissNotice' }),
});
const table = createJobsTable();
const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
app.append(...header.elements, ...table.elements, live);
table.scroller.addEventListener('scroll', () => schedulePageCheck(50), { passive: true });
window.addEventListener('resize', () => schedulePageCheck(100));

onJobAction(table.body, (action, jobId) => send({ type: action, jobId }, actionDoneText(action, state.jobs.get(jobId), jobId)));

function render(): void {
  const prev = rendered;
  rendered = state;
  header.render(state);
  if (live.textContent !== state.announcement) live.textContent = state.announcement;
  if (prev?.filter !== state.filter || prev?.search !== state.search) vscode.setState({ filter: state.filter, search: state.search });
  if (prev && prev.jobs === state.jobs && prev.filter === state.filter && prev.search === state.search && prev.version === state.version) return;
  const initDone = prev !== undefined && prev.version === 0 && state.version > 0;
  const visible = selectVisible(state);
  table.render(state, visible);
  if (visible.rows.some((j) => j.waiting)) startTicking();
  // Tell the host what is on screen (its tests assert on it); nothing to report before the first init.
  if (state.version > 0) vscode.postMessage({ type: 'rendered', version: state.version, rows: visible.rows.length, matching: visible.matching, known: visible.known, filter: state.filter });
  // After the first init the page is the host's default (offset 0, no search): ask for ours; later, whenever the
  // page on hand no longer covers the scroll position (rows removed, the list shrank).
  if (initDone && state.search !== '') checkPage(true);
  else schedulePageCheck(initDone ? 0 : 50);
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
