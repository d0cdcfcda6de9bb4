/**
 * Copy Jobs panel in a real VS Code extension host (mocha bdd, run by `npm run test:ui`).
 * Uses a fake JobSource, so it needs no Azurite; the webview is the real one (dist/webview), rendering in the
 * workbench, and reports back what it rendered (`rendered` messages).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobSnapshot } from '../../src/core';
import { CopyJobsPanel, openJobsCommand, type CopyJobsPanelDeps, type JobSource } from '../../src/extension/panel';
import { MAX_PAGE_ROWS } from '../../src/shared/protocol';

/** The repository root (holds dist/webview): the first folder up from here with blob-copy's package.json. */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'blob-copy') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no blob-copy package.json above ${__dirname}`);
  }
}

class FakeJobSource implements JobSource {
  private readonly listeners = new Set<(job: JobSnapshot) => void>();
  private readonly removedListeners = new Set<(ids: readonly string[]) => void>();
  readonly list = new Map<string, JobSnapshot>();
  readonly calls: string[] = [];

  onJob(listener: (job: JobSnapshot) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
  onJobsRemoved(listener: (ids: readonly string[]) => void): { dispose(): void } {
    this.removedListeners.add(listener);
    return { dispose: () => void this.removedListeners.delete(listener) };
  }
  jobs(): JobSnapshot[] {
    return [...this.list.values()];
  }
  emit(job: JobSnapshot): void {
    this.list.set(job.id, job);
    for (const l of [...this.listeners]) l(job);
  }
  private update(id: string, patch: Partial<JobSnapshot>): void {
    const job = this.list.get(id);
    if (job) this.emit({ ...job, ...patch });
  }
  cancel(id: string): void {
    this.calls.push(`cancel ${id}`);
    this.update(id, { state: 'canceled', throughput: 0 });
  }
  retry(id: string): void {
    this.calls.push(`retry ${id}`);
    this.update(id, { state: 'queued', error: undefined, attempts: (this.list.get(id)?.attempts ?? 0) + 1 });
  }
  abort(id: string): Promise<void> {
    this.calls.push(`abort ${id}`);
    this.update(id, { state: 'aborted' });
    return Promise.resolve();
  }
  clearFinished(): void {
    this.calls.push('clearFinished');
    const removed: string[] = [];
    for (const [id, j] of this.list) if (['succeeded', 'skipped', 'failed', 'canceled', 'aborted'].includes(j.state)) removed.push(id);
    for (const id of removed) this.list.delete(id);
    for (const l of [...this.removedListeners]) l(removed);
  }
  listenerCount(): number {
    return this.listeners.size + this.removedListeners.size;
  }
}

function job(i: number, over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id: `job-${i}`,
    batchId: 'batch-1',
    source: `azurite/src/folder/blob-${i}.bin`,
    destination: `azurite/dst/folder/blob-${i}.bin`,
    destinationLocation: { connectionId: 'azurite', container: 'dst', path: `folder/blob-${i}.bin` },
    strategy: 'put-blob-from-url',
    state: 'queued',
    bytesDone: 0,
    bytesTotal: 1024 * 1024,
    throughput: 0,
    attempts: 1,
    ...over,
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Copy Jobs panel (webview)', function () {
  this.timeout(120_000);

  let source: FakeJobSource;
  let posted: unknown[];
  let revealed: string[];
  let logs: string[];
  let deps: CopyJobsPanelDeps;

  beforeEach(() => {
    CopyJobsPanel.current?.dispose();
    source = new FakeJobSource();
    posted = [];
    revealed = [];
    logs = [];
    const extensionUri = vscode.extensions.getExtension('blob-copy.blob-copy')?.extensionUri ?? vscode.Uri.file(findRoot());
    deps = {
      extensionUri,
      jobs: source,
      reveal: (destination) => void revealed.push(destination),
      log: { info: (m) => void logs.push(`info ${m}`), warn: (m) => void logs.push(`warn ${m}`), error: (m) => void logs.push(`error ${m}`) },
      trace: (direction, message) => {
        if (direction === 'toWebview') posted.push(message);
      },
    };
  });

  afterEach(() => CopyJobsPanel.current?.dispose());

  it('serves strict HTML: CSP with a nonce, no unsafe-eval/unsafe-inline, resources only from the bundle', () => {
    const panel = openJobsCommand(deps)();
    const html = panel.panel.webview.html;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'CSP meta tag');
    assert.match(csp, /default-src 'none'/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, 'script nonce');
    assert.ok(html.includes(`<script nonce="${nonce}" src=`), 'the script carries the nonce');
    assert.ok(!/unsafe-eval|unsafe-inline/.test(html), 'no unsafe-eval / unsafe-inline');
    assert.ok(!/<script>(?!<)/.test(html) && !/<style>/.test(html), 'no inline script or style without nonce');
    const roots = panel.panel.webview.options.localResourceRoots?.map((u) => u.path) ?? [];
    assert.deepEqual(roots, [vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview').path]);
    assert.equal(openJobsCommand(deps)(), panel, 'a second open reveals the same panel');
  });

  it('throttles a 2,000-update burst and the webview renders the rows', async () => {
    const panel = CopyJobsPanel.createOrShow(deps);
    await waitFor('ready + init rendered', () => panel.stats().lastRendered);
    const before = panel.stats();

    // 2,000 updates spread over ~1 s: 1,000 new jobs, then each one moves on.
    for (let i = 0; i < 2000; i++) {
      const n = i % 1000;
      source.emit(job(n, i < 1000 ? {} : { state: n % 10 === 0 ? 'failed' : 'running', bytesDone: 512 * 1024, throughput: 2e6 }));
      if (i % 100 === 99) await sleep(50);
    }
    const s = await waitFor('the last update rendered', () => {
      const st = panel.stats();
      return st.lastRendered && st.lastRendered.version === st.version && st.lastRendered.known === 1000 ? st : undefined;
    });
    const messages = s.updatesPosted - before.updatesPosted;
    console.log(`[panel] 2,000 updates → ${messages} update messages, ${s.jobsSent - before.jobsSent} job rows sent; rendered ${JSON.stringify(s.lastRendered)}`);
    assert.ok(messages >= 1 && messages <= 20, `update messages posted for 2,000 updates: ${messages}`);
    assert.ok(s.jobsSent - before.jobsSent <= 2000, `coalesced job rows sent: ${s.jobsSent - before.jobsSent}`);
    // Default filter "all": all 1,000 jobs match (the virtual list's length, from the host); the webview holds and
    // renders only the page around its scroll position (adapted: it was `rows === MAX_RENDERED_ROWS`, a fixed cap).
    assert.equal(s.lastRendered?.filter, 'all');
    assert.equal(s.lastRendered?.matching, 1000);
    assert.ok((s.lastRendered?.rows ?? 0) >= 1 && (s.lastRendered?.rows ?? 0) <= MAX_PAGE_ROWS, `rows on screen: ${s.lastRendered?.rows}`);
    assert.equal(s.pageRows, s.lastRendered?.rows, 'the host sends updates for the rows the webview shows');
  });

  it('pages: the host answers getPage with the rows at an offset (failed first, filtered, searched) and holds only listed jobs', async () => {
    for (let i = 0; i < 600; i++) source.emit(job(i, { state: i % 100 === 7 ? 'failed' : i % 2 ? 'succeeded' : 'running', ...(i % 100 === 7 ? { error: { message: 'boom' } } : {}) }));
    const panel = CopyJobsPanel.createOrShow(deps);
    await waitFor('init rendered', () => panel.stats().lastRendered?.known === 600);
    assert.ok((panel.stats().lastRendered?.rows ?? 0) <= MAX_PAGE_ROWS, 'the webview holds one page');
    assert.equal(panel.stats().heldViews, 600, 'the host holds the jobs the source lists');
    const pages = () => posted.filter((m): m is { type: 'page'; id: number; offset: number; matching: number; jobs: { id: string; state: string }[] } => (m as { type?: string }).type === 'page' && (m as { id: number }).id >= 9_000);
    await panel.receiveForTest({ type: 'getPage', id: 9_001, offset: 0, limit: 10, filter: 'all', search: '' });
    await panel.receiveForTest({ type: 'getPage', id: 9_002, offset: 590, limit: 10, filter: 'all', search: '' });
    await panel.receiveForTest({ type: 'getPage', id: 9_003, offset: 0, limit: 50, filter: 'failed', search: 'BLOB-507.' });
    await panel.receiveForTest({ type: 'getPage', id: 9_004, offset: 0, limit: 500, filter: 'all', search: '' }); // over MAX_PAGE_ROWS: invalid
    const [first, last, searched] = pages();
    assert.equal(pages().length, 3);
    assert.equal(first.matching, 600);
    assert.deepEqual(first.jobs.slice(0, 6).map((j) => j.id), ['job-7', 'job-107', 'job-207', 'job-307', 'job-407', 'job-507'], 'failed first');
    assert.equal(last.offset, 590);
    assert.equal(last.jobs.length, 10);
    assert.deepEqual(searched.jobs.map((j) => j.id), ['job-507']);
    assert.equal(searched.matching, 1);
    assert.equal(panel.stats().invalidMessages, 1);
  });

  it('never sends secrets to the webview (SAS signature, account key)', async () => {
    source.emit(job(1, { source: 'https://acct.blob.core.windows.net/c/a.bin?sv=2024-05-04&sp=r&sig=SECRET', state: 'failed', error: { message: 'Read https://acct.blob.core.windows.net/c/a.bin?sig=SECRET failed', hint: 'AccountKey=SECRETKEY; check', code: 'AuthenticationFailed', status: 403 } }));
    const panel = CopyJobsPanel.createOrShow(deps);
    await waitFor('init rendered', () => panel.stats().lastRendered?.known === 1);
    source.emit({ ...source.list.get('job-1')!, destination: 'azurite/dst/a.bin?sig=SECRET2' });
    await waitFor('update rendered', () => panel.stats().lastRendered?.version === panel.stats().version && panel.stats().version >= 2);
    const wire = JSON.stringify(posted) + panel.panel.webview.html;
    assert.ok(posted.length >= 2);
    assert.ok(!wire.includes('SECRET'), 'a secret reached the webview');
    assert.ok(wire.includes('sig=REDACTED'));
  });

  it('handles requests (validated) and replies; ignores invalid messages', async () => {
    source.emit(job(1, { state: 'running' }));
    source.emit(job(2, { state: 'failed', error: { message: 'boom' } }));
    source.emit(job(3, { state: 'pending', strategy: 'copy-blob', copyId: 'cid' }));
    source.emit(job(4, { state: 'succeeded', bytesDone: 1024 * 1024 }));
    const panel = CopyJobsPanel.createOrShow(deps);
    await waitFor('init rendered', () => panel.stats().lastRendered?.known === 4);

    await panel.receiveForTest({ type: 'cancel', id: 1, jobId: 'job-1' });
    await panel.receiveForTest({ type: 'retry', id: 2, jobId: 'job-2' });
    await panel.receiveForTest({ type: 'abort', id: 3, jobId: 'job-3' });
    await panel.receiveForTest({ type: 'reveal', id: 4, jobId: 'job-4' });
    await panel.receiveForTest({ type: 'cancel', id: 5, jobId: 'job-4' }); // succeeded: refused
    await panel.receiveForTest({ type: 'cancel', id: 6, jobId: 'job-1', shell: 'rm -rf /' }); // extra field: ignored
    await panel.receiveForTest({ type: 'explode', id: 7 }); // unknown type: ignored
    await panel.receiveForTest({ type: 'setFilter', id: 8, filter: 'all' });
    await panel.receiveForTest({ type: 'clearFinished', id: 9 });

    assert.deepEqual(source.calls, ['cancel job-1', 'retry job-2', 'abort job-3', 'clearFinished']);
    assert.deepEqual(revealed, ['azurite/dst/folder/blob-4.bin']);
    const replies = posted.filter((m): m is { type: 'reply'; id: number; ok: boolean; error?: string } => (m as { type?: string }).type === 'reply');
    assert.deepEqual(
      replies.map((r) => [r.id, r.ok]),
      [
        [1, true],
        [2, true],
        [3, true],
        [4, true],
        [5, false],
        [8, true],
        [9, true],
      ],
    );
    assert.match(replies.find((r) => r.id === 5)?.error ?? '', /nothing to cancel/);
    assert.equal(panel.stats().invalidMessages, 2);
    assert.ok(logs.some((l) => l.startsWith('warn') && l.includes('invalid message')));
    assert.equal(panel.stats().filter, 'all');
    // clearFinished removed job-1 (canceled), job-3 (aborted) and job-4 (succeeded); the webview hears of it.
    await waitFor('removal rendered', () => panel.stats().lastRendered?.known === 1);
  });

  it('a revived panel (serializer path) keeps the saved filter, and disposes cleanly', async () => {
    const raw = vscode.window.createWebviewPanel(CopyJobsPanel.viewType, 'Copy Jobs', vscode.ViewColumn.Active, {});
    const panel = CopyJobsPanel.revive(raw, deps, { filter: 'failed' });
    assert.equal(CopyJobsPanel.current, panel);
    source.emit(job(1, { state: 'failed', error: { message: 'x' } }));
    source.emit(job(2, { state: 'running' }));
    const r = await waitFor('init rendered', () => (panel.stats().lastRendered?.known === 2 ? panel.stats().lastRendered : undefined));
    assert.equal(r.filter, 'failed');
    assert.equal(r.matching, 1);
    assert.equal(r.rows, 1);
    panel.dispose();
    assert.equal(CopyJobsPanel.current, undefined);
    assert.equal(source.listenerCount(), 0, 'the job listener is disposed with the panel');
  });

  it('re-sends everything when the panel is shown again after being hidden', async () => {
    source.emit(job(1, { state: 'running' }));
    const panel = CopyJobsPanel.createOrShow(deps);
    await waitFor('init rendered', () => panel.stats().lastRendered?.known === 1);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(deps.extensionUri, 'package.json'));
    await vscode.window.showTextDocument(doc, { viewColumn: panel.panel.viewColumn, preview: false });
    await waitFor('panel hidden', () => !panel.panel.visible);
    source.emit(job(2, { state: 'running' })); // while hidden: nothing is posted
    const postedWhileHidden = panel.stats().updatesPosted;
    await sleep(400);
    assert.equal(panel.stats().updatesPosted, postedWhileHidden);
    panel.panel.reveal();
    await waitFor('re-init rendered after show', () => panel.stats().lastRendered?.known === 2);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
