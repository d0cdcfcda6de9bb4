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
import type { JobSnapshot, JobState, StrategyId } from '../../core';
import { redact as engineRedact } from '../../core/base/redact';
import {
  assertNever,
  DEFAULT_JOB_FILTER,
  type HostToWebview,
  type JobFilter,
  type JobStateName,
  type RenderedMessage,
  type StrategyName,
  type WebviewRequest,
} from '../../shared/protocol';
import { isJobFilter, validateWebviewMessage } from '../../shared/protocolValidation';
import { Disposable } from './disposable';
import { panelHtml } from './html';
import { toJobView } from './jobView';
import { JobRelay, type JobSource } from './relay';
import { performRequest, type PanelLog } from './requests';

export type { JobSource } from './relay';

// The protocol restates the engine's unions (it must not import src/core); these lines fail to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _statesAgree: Same<JobState, JobStateName> = true;
const _strategiesAgree: Same<StrategyId, StrategyName> = true;
void _statesAgree;
void _strategiesAgree;

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

interface CopyJobsPanelStats {
  /** Every message posted to the webview (init, jobsUpdated, reply). */
  readonly messagesPosted: number;
  /** init + jobsUpdated messages posted. */
  readonly updatesPosted: number;
  /** Job rows carried by those messages. */
  readonly jobsSent: number;
  /** Messages from the webview that failed validation (ignored and logged). */
  readonly invalidMessages: number;
  /** Version of the last init/jobsUpdated/page posted. */
  readonly version: number;
  /** `page` replies posted (to the webview's `getPage`), and the rows they carried. */
  readonly pagesPosted: number;
  readonly pageRowsSent: number;
  /** Job views the host holds (the jobs the engine still lists): bounded, whatever the batch size. */
  readonly heldViews: number;
  /** Views dropped because the engine no longer lists their jobs. */
  readonly droppedViews: number;
  /** Rows of the page the webview has (the rows updates are sent for). */
  readonly pageRows: number;
  /** The webview has said `ready` (and is not hidden since). */
  readonly ready: boolean;
  /** The last `rendered` report from the webview: what it actually shows. */
  readonly lastRendered: RenderedMessage | undefined;
  readonly filter: JobFilter;
}

const VIEW_TYPE = 'blobCopy.copyJobs';
const TITLE = 'Copy Jobs';

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
  private readonly relay: JobRelay;
  private counters = { messagesPosted: 0, invalidMessages: 0 };
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
    this.relay = new JobRelay(deps.jobs.jobs(), {
      post: (message) => this.post(message),
      toView: (job) => toJobView(job, this.redact),
      throttleMs: deps.throttleMs ?? 200,
      filter: initialFilter,
      source: deps.jobs,
    });

    panel.webview.options = CopyJobsPanel.webviewOptions(deps.extensionUri);
    panel.webview.html = this.html(panel.webview);

    this._register(deps.jobs.onJob((job) => this.relay.onJob(job)));
    this._register(deps.jobs.onJobsRemoved((ids) => this.relay.onRemoved(ids)));
    if (deps.jobs.onBatch) this._register(deps.jobs.onBatch((b) => this.relay.onBatch(b)));
    if (deps.jobs.onBatchesRemoved) this._register(deps.jobs.onBatchesRemoved((ids) => this.relay.onBatchesRemoved(ids)));
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)));
    this._register(
      panel.onDidChangeViewState(() => {
        // Without retainContextWhenHidden the webview is destroyed when hidden and sends `ready` again when shown.
        if (!panel.visible) this.relay.setNotReady();
      }),
    );
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register({ dispose: () => this.relay.dispose() });
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
    const r = this.relay;
    return {
      ...this.counters,
      ...r.counters,
      ...r.paging,
      heldViews: r.heldViews,
      pageRows: r.pageRows,
      version: r.version,
      ready: r.ready,
      lastRendered: this.lastRendered,
      filter: r.filter,
    };
  }

  /**
   * Test seam: handles `raw` exactly as if the webview had posted it (validation included) and resolves once a
   * request has been answered. Lets host-side tests drive cancel/retry/… without clicking inside the webview.
   */
  receiveForTest(raw: unknown): Promise<void> {
    return this.onMessage(raw);
  }

  private post(message: HostToWebview): void {
    this.counters.messagesPosted++;
    this.deps.trace?.('toWebview', message);
    this.panel.webview.postMessage(message).then(
      (delivered) => {
        if (!delivered && message.type !== 'reply') this.relay.setNotReady();
      },
      (e: unknown) => this.deps.log.warn(`Copy Jobs: postMessage failed: ${this.redact(String(e))}`),
    );
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
        this.relay.setReady();
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
      case 'getPage':
        // Answered at once, from what the host holds (no engine call): the rows around the webview's scroll position.
        if (this.relay.ready) this.post(this.relay.page(message));
        else this.post({ type: 'reply', id: message.id, ok: false, error: 'The panel is not ready.' });
        return;
      default:
        assertNever(message, 'webview message');
    }
  }

  private async handleRequest(request: WebviewRequest): Promise<void> {
    try {
      await performRequest(request, { source: this.deps.jobs, relay: this.relay, reveal: this.deps.reveal, log: this.deps.log });
      this.post({ type: 'reply', id: request.id, ok: true });
    } catch (e) {
      const error = this.redact(e instanceof Error ? e.message : String(e));
      this.deps.log.warn(`Copy Jobs: ${request.type} failed: ${error}`);
      this.post({ type: 'reply', id: request.id, ok: false, error });
    }
  }

  // --- HTML -------------------------------------------------------------------------------------------------

  private html(webview: vscode.Webview): string {
    return panelHtml({
      cspSource: webview.cspSource,
      asset: (name) => webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview', name)).toString(),
      nonce: randomBytes(16).toString('base64'),
      filter: this.relay.filter,
      title: TITLE,
    });
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
