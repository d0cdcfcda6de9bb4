/**
 * Plain-Node tests of the Copy Jobs panel's host side without VS Code: the relay (engine events → throttled
 * protocol messages, src/extension/panel/relay.ts), the request handler (requests.ts) and the HTML (html.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, type JobSnapshot } from '../../../../src/core';
import { panelHtml } from '../../../../src/extension/panel/html';
import { toJobView } from '../../../../src/extension/panel/jobView';
import { JobRelay, type JobSource } from '../../../../src/extension/panel/relay';
import { FakeClock } from '../../../helpers/fakeClock';
import { performRequest, type RequestContext } from '../../../../src/extension/panel/requests';
import { type InitMessage, type JobsUpdatedMessage } from '../../../../src/shared/protocol';
import { validateHostMessage } from '../../../../src/shared/protocolValidation';

function job(i: number, over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id: `job-${i}`,
    batchId: 'batch-1',
    source: `azurite/src/blob-${i}.bin`,
    destination: `azurite/dst/blob-${i}.bin`,
    destinationLocation: { connectionId: 'azurite', container: 'dst', path: `blob-${i}.bin` },
    strategy: 'put-blob-from-url',
    state: 'queued',
    bytesDone: 0,
    bytesTotal: 100,
    throughput: 0,
    attempts: 1,
    ...over,
  };
}

function relay(jobs: JobSnapshot[] = [], throttleMs = 200): { relay: JobRelay; posted: (InitMessage | JobsUpdatedMessage)[]; clock: FakeClock } {
  const posted: (InitMessage | JobsUpdatedMessage)[] = [];
  const clock = new FakeClock(1_000);
  const r = new JobRelay(jobs, { post: (m) => void posted.push(m), toView: (j) => toJobView(j, redact), throttleMs, filter: 'all', clock });
  return { relay: r, posted, clock };
}

describe('panel relay: engine events → protocol messages', () => {
  it('posts nothing before ready; ready posts one init with every job, valid for the webview', () => {
    const { relay: r, posted } = relay([job(1)]);
    r.onJob(job(2));
    assert.equal(posted.length, 0);
    r.setReady();
    assert.equal(posted.length, 1);
    const init = posted[0];
    assert.equal(init.type, 'init');
    assert.deepEqual(init.jobs.map((j) => j.id), ['job-1', 'job-2']);
    assert.equal(init.version, 1);
    assert.equal(init.totals.count, 2);
    assert.ok(validateHostMessage(JSON.parse(JSON.stringify(init))), 'the webview accepts it');
  });

  it('coalesces a burst into one jobsUpdated per throttle window, latest snapshot per job', () => {
    const { relay: r, posted, clock } = relay([], 200);
    r.setReady();
    for (let i = 0; i < 500; i++) r.onJob(job(i % 50, { state: 'running', bytesDone: i }));
    assert.equal(posted.length, 1, 'nothing before the window ends');
    clock.advance(200);
    assert.equal(posted.length, 2);
    const update = posted[1] as JobsUpdatedMessage;
    assert.equal(update.type, 'jobsUpdated');
    assert.equal(update.jobs.length, 50);
    assert.equal(update.jobs.find((j) => j.id === 'job-49')?.bytesDone, 499);
    assert.equal(update.version, 2);
    assert.deepEqual(r.counters, { updatesPosted: 2, jobsSent: 50 });
    r.onJob(job(1, { state: 'succeeded' }));
    clock.advance(199);
    assert.equal(posted.length, 2, 'the next update waits for the throttle');
    clock.advance(1);
    assert.equal(posted.length, 3);
  });

  it("a large batch's live jobs the engine did not report one by one count as queued or copying, from its counters", () => {
    const { relay: r, posted, clock } = relay([job(1, { state: 'failed' })]);
    r.setReady();
    const summary = { batchId: 'batch-1', total: 20_000, succeeded: 15_000, skipped: 0, failed: 1, canceled: 0, aborted: 0, bytes: 1, bytesTotal: 2, done: false };
    r.onBatch({ ...summary, unreported: 700, unreportedQueued: 450 });
    clock.advance(200);
    const update = posted.at(-1) as JobsUpdatedMessage;
    assert.equal(update.totals.count, 20_000);
    assert.equal(update.totals.byState.running, 250);
    assert.equal(update.totals.byState.queued, 450);
    assert.equal(update.totals.byState.succeeded, 15_000);
    assert.equal(update.window?.matching, 1, 'only the listed (failed) job is a row');
    assert.ok(validateHostMessage(JSON.parse(JSON.stringify(update))));
    // Done: nothing unreported any more.
    r.onBatch({ ...summary, succeeded: 19_999, done: true });
    clock.advance(200);
    assert.equal((posted.at(-1) as JobsUpdatedMessage).totals.byState.running, 0);
    assert.equal((posted.at(-1) as JobsUpdatedMessage).totals.byState.queued, 0);
  });

  it('posts removals from onJobsRemoved (no polling), ignoring unknown ids', () => {
    const { relay: r, posted, clock } = relay([job(1), job(2, { state: 'succeeded' }), job(3, { state: 'failed' })]);
    r.setReady();
    r.onRemoved(['job-2', 'job-3', 'job-404']);
    clock.advance(200);
    const update = posted[1] as JobsUpdatedMessage;
    assert.deepEqual(update.removed, ['job-2', 'job-3']);
    assert.equal(update.totals.count, 1);
    assert.deepEqual(r.knownJobs().map((j) => j.id), ['job-1']);
    r.onRemoved(['job-404']);
    assert.equal(clock.pendingTimers, 0, 'nothing to post for an unknown id');
  });

  it('a job changed then removed in one window is only removed; removed then re-added is only updated', () => {
    const { relay: r, posted, clock } = relay([job(1), job(2)]);
    r.setReady();
    r.onJob(job(1, { state: 'succeeded' }));
    r.onRemoved(['job-1']);
    r.onRemoved(['job-2']);
    r.onJob(job(2, { state: 'queued', attempts: 2 }));
    clock.advance(200);
    const update = posted[1] as JobsUpdatedMessage;
    assert.deepEqual(update.removed, ['job-1']);
    assert.deepEqual(update.jobs.map((j) => j.id), ['job-2']);
  });

  it('not ready (hidden): changes are kept for the next init, nothing is posted, the timer is dropped', () => {
    const { relay: r, posted, clock } = relay([job(1)]);
    r.setReady();
    r.onJob(job(1, { state: 'running' }));
    r.setNotReady();
    assert.equal(clock.pendingTimers, 0);
    r.onJob(job(2));
    r.onRemoved(['job-1']);
    clock.advance(1_000);
    assert.equal(posted.length, 1);
    r.setReady();
    assert.deepEqual((posted[1] as InitMessage).jobs.map((j) => j.id), ['job-2']);
    assert.equal(posted[1].version, 2);
  });

  it('init carries the current filter; redacts what it sends', () => {
    const { relay: r, posted } = relay([job(1, { source: 'https://a.blob.core.windows.net/c/x?sv=1&sig=SECRET' })]);
    r.filter = 'failed';
    r.setReady();
    assert.equal((posted[0] as InitMessage).filter, 'failed');
    assert.ok(!JSON.stringify(posted).includes('SECRET'));
  });
});

describe('panel requests: webview request → engine call', () => {
  function context(jobs: JobSnapshot[]): { ctx: RequestContext; calls: string[]; revealed: string[] } {
    const calls: string[] = [];
    const revealed: string[] = [];
    const source: JobSource = {
      onJob: () => ({ dispose: () => undefined }),
      onJobsRemoved: () => ({ dispose: () => undefined }),
      jobs: () => jobs,
      cancel: (id) => calls.push(`cancel ${id}`),
      retry: (id) => calls.push(`retry ${id}`),
      abort: (id) => calls.push(`abort ${id}`),
      clearFinished: () => calls.push('clearFinished'),
    };
    const r = new JobRelay(jobs, { post: () => undefined, toView: (j) => toJobView(j, redact), throttleMs: 0, filter: 'all' });
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    return { ctx: { source, relay: r, reveal: (d) => void revealed.push(d), log }, calls, revealed };
  }

  it('does what the state allows and refuses the rest with a message', async () => {
    const { ctx, calls, revealed } = context([
      job(1, { state: 'running' }),
      job(2, { state: 'failed' }),
      job(3, { state: 'pending', copyId: 'c' }),
      job(4, { state: 'succeeded' }),
      job(5, { state: 'failed', batchId: 'other' }),
    ]);
    await performRequest({ type: 'cancel', id: 1, jobId: 'job-1' }, ctx);
    await performRequest({ type: 'retry', id: 2, jobId: 'job-2' }, ctx);
    await performRequest({ type: 'abort', id: 3, jobId: 'job-3' }, ctx);
    await performRequest({ type: 'reveal', id: 4, jobId: 'job-4' }, ctx);
    await performRequest({ type: 'clearFinished', id: 5 }, ctx);
    await performRequest({ type: 'retryFailed', id: 6, batchId: 'other' }, ctx);
    await performRequest({ type: 'setFilter', id: 7, filter: 'active' }, ctx);
    assert.deepEqual(calls, ['cancel job-1', 'retry job-2', 'abort job-3', 'clearFinished', 'retry job-5']);
    assert.deepEqual(revealed, ['azurite/dst/blob-4.bin']);
    assert.equal(ctx.relay.filter, 'active');

    await assert.rejects(performRequest({ type: 'cancel', id: 8, jobId: 'job-4' }, ctx), /nothing to cancel/);
    await assert.rejects(performRequest({ type: 'retry', id: 9, jobId: 'job-1' }, ctx), /only failed, canceled or aborted/);
    await assert.rejects(performRequest({ type: 'abort', id: 10, jobId: 'job-1' }, ctx), /Only a pending server-side copy/);
    await assert.rejects(performRequest({ type: 'cancel', id: 11, jobId: 'job-404' }, ctx), /no longer listed/);
    await assert.rejects(performRequest({ type: 'retryFailed', id: 12, batchId: 'none' }, ctx), /no failed copies/);
    assert.equal(calls.length, 5, 'a refused request calls nothing');
  });
});

describe('panel HTML', () => {
  it('strict CSP with the nonce, no inline code, assets from the bundle, the filter for the webview', () => {
    const html = panelHtml({ cspSource: 'vscode-resource:', asset: (n) => `vscode-resource:/dist/webview/${n}`, nonce: 'abc123NONCE', filter: 'failed', title: 'Copy Jobs' });
    assert.match(html, /default-src 'none'/);
    assert.match(html, /script-src 'nonce-abc123NONCE'/);
    assert.ok(!/unsafe-eval|unsafe-inline/.test(html));
    assert.ok(html.includes('<script nonce="abc123NONCE" src="vscode-resource:/dist/webview/main.js"></script>'));
    assert.ok(html.includes('data-filter="failed"'));
    assert.ok(!/<style>|<script>/.test(html));
  });
});
