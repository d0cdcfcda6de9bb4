/**
 * The Copy Jobs webview panel (host side). It only translates: engine job events → throttled protocol messages,
 * and webview requests → engine calls. No copy logic here.
 *
 * Wiring (done by the shell, see the exports at the bottom):
 *   - command table:  'blobCopy.openJobs': openJobsCommand(deps)
 *   - activate():     registerCopyJobsSerializer(context, deps)   (restores the panel after a window reload)
 *   - package.json:   "activationEvents": ["onWebviewPanel:blobCopy.copyJobs"]
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { redact as engineRedact, type CopyEngine, type JobSnapshot, type JobState, type StrategyId } from '../../core';
import {
  assertNever,
  computeTotals,
  DEFAULT_JOB_FILTER,
  isJobFilter,
  validateWebviewMessage,
  type HostToWebview,
  type JobFilter,
  type JobStateName,
  type JobView,
  type RenderedMessage,
  type StrategyName,
  type WebviewRequest,
} from '../../shared/protocol';
import { Disposable } from './disposable';
import { toJobView } from './jobView';

// The protocol restates the engine's unions (it must not import src/core); these lines fail to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _statesAgree: Same<JobState, JobStateName> = true;
const _strategiesAgree: Same<StrategyId, StrategyName> = true;
void _statesAgree;
void _strategiesAgree;

/** What the panel needs from the copy engine. `CopyEngine` satisfies it; tests pass a fake. */
export interface JobSource {
  onJob(listener: (job: JobSnapshot) => void): { dispose(): void };
  jobs(): readonly JobSnapshot[];
  cancel(jobId: string): unknown;
  retry(jobId: string): unknown;
  abort(jobId: string): unknown;
  clearFinished(): unknown;
}

// The real engine must fit the interface (fails to compile if the engine's API drifts).
const _engineFits: CopyEngine extends JobSource ? true : false = true;
void _engineFits;

/** A `vscode.LogOutputChannel` fits. */
export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface CopyJobsPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly jobs: JobSource;
  /** Reveal the job's destination in the storage tree (the shell's tree knows how). */
  readonly reveal: (destination: string, job: JobSnapshot) => unknown;
  readonly log: PanelLog;
  /** Applied to every string that goes to the webview. Defaults to the engine's `redact`. */
  readonly redact?: (text: string) => string;
  /** Minimum time between two update messages, ms (default 200). */
  readonly throttleMs?: number;
  /** Test hook: sees every message posted to, and every valid message received from, the webview. */
  readonly trace?: (direction: 'toWebview' | 'fromWebview', message: unknown) => void;
}

export interface CopyJobsPanelStats {
  /** Every message posted to the webview (init, jobsUpdated, reply). */
  readonly messagesPosted: number;
  /** init + jobsUpdated messages posted. */
  readonly updatesPosted: number;
  /** Job rows carried by those messages. */
  readonly jobsSent: number;
  /** Messages from the webview that failed validation (ignored and logged). */
  readonly invalidMessages: number;
  /** Version of the last init/jobsUpdated posted. */
  readonly version: number;
  /** The webview has said `ready` (and is not hidden since). */
  readonly ready: boolean;
  /** The last `rendered` report from the webview: what it actually shows. */
  readonly lastRendered: RenderedMessage | undefined;
  readonly filter: JobFilter;
}

const VIEW_TYPE = 'blobCopy.copyJobs';
const TITLE = 'Copy Jobs';
/** How often to check for jobs that vanished without an event (Clear Finished run from elsewhere). */
const RECONCILE_MS = 1_000;

export class CopyJobsPanel extends Disposable {
  static readonly viewType = VIEW_TYPE;
  private static _current: CopyJobsPanel | undefined;

  /** The open panel, if any. */
  static get current(): CopyJobsPanel | undefined {
    return CopyJobsPanel._current;
  }

  /** Shows the panel, creating it if needed. */
  static createOrShow(deps: CopyJobsPanelDeps, options: { preserveFocus?: boolean; viewColumn?: vscode.ViewColumn } = {}): CopyJobsPanel {
    const existing = CopyJobsPanel._current;
    if (existing) {
      existing.panel.reveal(options.viewColumn, options.preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      TITLE,
      { viewColumn: options.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: options.preserveFocus ?? false },
      CopyJobsPanel.webviewOptions(deps.extensionUri),
    );
    return new CopyJobsPanel(panel, deps, DEFAULT_JOB_FILTER);
  }

  /** Alias of createOrShow. */
  static show(deps: CopyJobsPanelDeps, options?: { preserveFocus?: boolean; viewColumn?: vscode.ViewColumn }): CopyJobsPanel {
    return CopyJobsPanel.createOrShow(deps, options);
  }

  /** Takes over a panel VS Code restored after a reload (from the serializer). */
  static revive(panel: vscode.WebviewPanel, deps: CopyJobsPanelDeps, state: unknown): CopyJobsPanel {
    CopyJobsPanel._current?.dispose();
    const filter = typeof state === 'object' && state !== null && isJobFilter((state as { filter?: unknown }).filter) ? (state as { filter: JobFilter }).filter : DEFAULT_JOB_FILTER;
    return new CopyJobsPanel(panel, deps, filter);
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
  }

  private readonly redact: (text: string) => string;
  private readonly throttleMs: number;
  /** The latest snapshot of every job the webview has been told about (or will be at the next flush). */
  private readonly known = new Map<string, JobSnapshot>();
  private readonly pending = new Map<string, JobSnapshot>();
  private readonly removed = new Set<string>();
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;
  private version = 0;
  private filter: JobFilter;
  private counters = { messagesPosted: 0, updatesPosted: 0, jobsSent: 0, invalidMessages: 0 };
  private lastRendered: RenderedMessage | undefined;
  private readonly _onDidRender = this._register(new vscode.EventEmitter<RenderedMessage>());
  /** Fires with each `rendered` report of the webview. */
  readonly onDidRender = this._onDidRender.event;
  private readonly _onDidDispose = this._register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this._onDidDispose.event;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: CopyJobsPanelDeps,
    initialFilter: JobFilter,
  ) {
    super();
    CopyJobsPanel._current = this;
    this.redact = (text) => engineRedact(deps.redact ? deps.redact(text) : text);
    this.throttleMs = deps.throttleMs ?? 200;
    this.filter = initialFilter;

    panel.webview.options = CopyJobsPanel.webviewOptions(deps.extensionUri);
    panel.webview.html = this.html(panel.webview);

    for (const job of deps.jobs.jobs()) this.known.set(job.id, job);
    this._register(deps.jobs.onJob((job) => this.onJob(job)));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)));
    this._register(
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden the webview is destroyed when hidden and sends `ready` again when shown.
        if (!panel.visible) this.setNotReady();
      }),
    );
    this._register(panel.onDidDispose(() => this.dispose()));
    const reconcile = setInterval(() => this.reconcile(), RECONCILE_MS);
    this._register({ dispose: () => clearInterval(reconcile) });
    this._register({ dispose: () => this.setNotReady() });
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (CopyJobsPanel._current === this) CopyJobsPanel._current = undefined;
    this._onDidDispose.fire();
    super.dispose();
    this.panel.dispose();
  }

  /** Counters for tests and diagnostics. */
  stats(): CopyJobsPanelStats {
    return { ...this.counters, version: this.version, ready: this.ready, lastRendered: this.lastRendered, filter: this.filter };
  }

  /**
   * Test seam: handles `raw` exactly as if the webview had posted it (validation included) and resolves once a
   * request has been answered. Lets host-side tests drive cancel/retry/… without clicking inside the webview.
   */
  receiveForTest(raw: unknown): Promise<void> {
    return this.onMessage(raw);
  }

  /** Re-reads the engine's job list now (e.g. after the shell's own Clear Finished). */
  refresh(): void {
    this.reconcile(true);
  }

  // --- engine → webview -------------------------------------------------------------------------------------

  private onJob(job: JobSnapshot): void {
    this.known.set(job.id, job);
    this.removed.delete(job.id);
    if (!this.ready) return; // `init` on the next `ready` carries everything
    this.pending.set(job.id, job);
    this.schedule();
  }

  private reconcile(force = false): void {
    if (this.isDisposed) return;
    let current: readonly JobSnapshot[];
    try {
      current = this.deps.jobs.jobs();
    } catch (e) {
      this.deps.log.warn(`Copy Jobs: could not list jobs: ${this.redact(String(e))}`);
      return;
    }
    // Jobs only leave the engine by Clear Finished (no event); new ones always come with an event.
    if (!force && current.length === this.known.size) return;
    const ids = new Set<string>();
    for (const job of current) {
      ids.add(job.id);
      const before = this.known.get(job.id);
      if (before !== job) this.onJob(job);
    }
    for (const id of [...this.known.keys()]) {
      if (ids.has(id)) continue;
      this.known.delete(id);
      this.pending.delete(id);
      if (this.ready) this.removed.add(id);
    }
    if (this.removed.size > 0) this.schedule();
  }

  /** Coalesces changes: at most one update message per `throttleMs`. */
  private schedule(): void {
    if (this.timer !== undefined || !this.ready) return;
    const wait = Math.max(0, this.lastFlush + this.throttleMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.ready || this.isDisposed || (this.pending.size === 0 && this.removed.size === 0)) return;
    const jobs = [...this.pending.values()].map((j) => this.toView(j));
    const removed = [...this.removed];
    this.pending.clear();
    this.removed.clear();
    this.lastFlush = Date.now();
    this.postUpdate({ type: 'jobsUpdated', version: ++this.version, jobs, removed, totals: computeTotals(this.known.values()) });
  }

  private sendInit(): void {
    this.pending.clear();
    this.removed.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlush = Date.now();
    const jobs = [...this.known.values()].map((j) => this.toView(j));
    this.postUpdate({ type: 'init', version: ++this.version, jobs, filter: this.filter, totals: computeTotals(this.known.values()) });
  }

  private postUpdate(message: HostToWebview & { type: 'init' | 'jobsUpdated' }): void {
    this.counters.updatesPosted++;
    this.counters.jobsSent += message.jobs.length;
    this.post(message);
  }

  private post(message: HostToWebview): void {
    this.counters.messagesPosted++;
    this.deps.trace?.('toWebview', message);
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered && message.type !== 'reply') this.setNotReady();
      },
      (e: unknown) => this.deps.log.warn(`Copy Jobs: postMessage failed: ${this.redact(String(e))}`),
    );
  }

  private setNotReady(): void {
    this.ready = false;
    this.pending.clear();
    this.removed.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Snapshot → what the webview may see: every string redacted, only the protocol's fields. */
  private toView(job: JobSnapshot): JobView {
    return toJobView(job, this.redact);
  }

  // --- webview → engine -------------------------------------------------------------------------------------

  private async onMessage(raw: unknown): Promise<void> {
    const message = validateWebviewMessage(raw);
    if (!message) {
      this.counters.invalidMessages++;
      const type = typeof raw === 'object' && raw !== null ? String((raw as { type?: unknown }).type).slice(0, 40) : typeof raw;
      this.deps.log.warn(`Copy Jobs: ignored an invalid message from the webview (type: ${type})`);
      return;
    }
    this.deps.trace?.('fromWebview', message);
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        return;
      case 'rendered':
        this.lastRendered = message;
        this._onDidRender.fire(message);
        return;
      case 'cancel':
      case 'retry':
      case 'abort':
      case 'reveal':
      case 'clearFinished':
      case 'setFilter':
      case 'retryFailed':
        await this.handleRequest(message);
        return;
      default:
        assertNever(message, 'webview message');
    }
  }

  private async handleRequest(request: WebviewRequest): Promise<void> {
    try {
      await this.perform(request);
      this.post({ type: 'reply', id: request.id, ok: true });
    } catch (e) {
      const error = this.redact(e instanceof Error ? e.message : String(e));
      this.deps.log.warn(`Copy Jobs: ${request.type} failed: ${error}`);
      this.post({ type: 'reply', id: request.id, ok: false, error });
    }
  }

  private job(jobId: string): JobSnapshot {
    const job = this.known.get(jobId);
    if (!job) throw new Error('That job is no longer listed.');
    return job;
  }

  private async perform(request: WebviewRequest): Promise<void> {
    const source = this.deps.jobs;
    switch (request.type) {
      case 'cancel': {
        const job = this.job(request.jobId);
        if (job.state !== 'queued' && job.state !== 'running' && job.state !== 'pending') throw new Error(`The copy is ${job.state}; there is nothing to cancel.`);
        this.deps.log.info(`Copy Jobs: cancel ${job.id}`);
        await source.cancel(job.id);
        return;
      }
      case 'retry': {
        const job = this.job(request.jobId);
        if (job.state !== 'failed' && job.state !== 'canceled' && job.state !== 'aborted') throw new Error(`The copy is ${job.state}; only failed, canceled or aborted copies can be retried.`);
        this.deps.log.info(`Copy Jobs: retry ${job.id}`);
        await source.retry(job.id);
        return;
      }
      case 'abort': {
        const job = this.job(request.jobId);
        if (job.state !== 'pending' || !job.copyId) throw new Error('Only a pending server-side copy (Copy Blob) can be aborted.');
        this.deps.log.info(`Copy Jobs: abort ${job.id}`);
        await source.abort(job.id);
        return;
      }
      case 'reveal': {
        const job = this.job(request.jobId);
        await this.deps.reveal(job.destination, job);
        return;
      }
      case 'clearFinished':
        this.deps.log.info('Copy Jobs: clear finished');
        await source.clearFinished();
        this.reconcile(true);
        return;
      case 'setFilter':
        this.filter = request.filter;
        return;
      case 'retryFailed': {
        const failed = [...this.known.values()].filter((j) => j.state === 'failed' && (request.batchId === undefined || j.batchId === request.batchId));
        if (failed.length === 0) throw new Error('There are no failed copies to retry.');
        this.deps.log.info(`Copy Jobs: retry ${failed.length} failed cop${failed.length === 1 ? 'y' : 'ies'}`);
        for (const job of failed) await source.retry(job.id);
        return;
      }
      default:
        assertNever(request, 'request');
    }
  }

  // --- HTML -------------------------------------------------------------------------------------------------

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview', name)).toString();
    // No 'unsafe-inline' / 'unsafe-eval': lit (under @vscode-elements) styles its shadow roots with constructable
    // stylesheets (adoptedStyleSheets), which CSP does not govern; our own CSS is a file; scripts carry the nonce.
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link id="vscode-codicon-stylesheet" rel="stylesheet" nonce="${nonce}" href="${asset('codicon.css')}">
  <link rel="stylesheet" nonce="${nonce}" href="${asset('main.css')}">
  <title>${TITLE}</title>
</head>
<body>
  <div id="app" data-filter="${this.filter}"></div>
  <script nonce="${nonce}" src="${asset('main.js')}"></script>
</body>
</html>`;
  }
}

/** Command factory for the shell's command table: `'blobCopy.openJobs': openJobsCommand(deps)`. */
export function openJobsCommand(deps: CopyJobsPanelDeps): () => CopyJobsPanel {
  return () => CopyJobsPanel.createOrShow(deps);
}

/**
 * Restores the panel after a window reload. Call once in activate(); the disposable is also pushed to
 * context.subscriptions. Needs `"onWebviewPanel:blobCopy.copyJobs"` in package.json's activationEvents.
 */
export function registerCopyJobsSerializer(context: Pick<vscode.ExtensionContext, 'subscriptions'>, deps: CopyJobsPanelDeps): vscode.Disposable {
  const registration = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel: (panel: vscode.WebviewPanel, state: unknown): Thenable<void> => {
      CopyJobsPanel.revive(panel, deps, state);
      return Promise.resolve();
    },
  });
  context.subscriptions.push(registration);
  return registration;
}
