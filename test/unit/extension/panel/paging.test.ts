/**
 * Plain-Node tests of the Copy Jobs panel's host side at a million jobs: a fake engine source streams
 * 1,000,000 synthetic jobs of one batch through a window of 1,000 live jobs, keeps per-batch counters and lists
 * only live + failed + the most recent 10,000 finished jobs (like src/core/engine/engine.ts). The relay must hold only
 * those views, take its totals from the counters, answer page requests (failed first, filter, search) in bounded
 * time, and post a bounded number of messages carrying only the rows of the page on screen.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, type BatchSummary, type JobSnapshot } from '../../../../src/core';
import { toJobView } from '../../../../src/extension/panel/jobView';
import { JobRelay, type JobSource } from '../../../../src/extension/panel/relay';
import { FakeClock } from '../../../helpers/fakeClock';
import { MAX_PAGE_ROWS, type InitMessage, type JobsUpdatedMessage } from '../../../../src/shared/protocol';
import { validateHostMessage } from '../../../../src/shared/protocolValidation';

const BATCH = 'batch-1m';
const name = (i: number): string => `blob-${String(i).padStart(7, '0')}.bin`;

/** An engine stand-in: a window of live jobs, counters per batch, and the engine's listing rule. */
class MillionSource implements JobSource {
  readonly live = new Map<string, JobSnapshot>();
  readonly failed = new Map<string, JobSnapshot>();
  /** The most recent succeeded jobs, oldest first. */
  readonly retained = new Map<string, JobSnapshot>();
  /** Ids in `retained`, oldest first from `head` (a queue: Map.keys().next() after many deletes is slow). */
  private readonly order: string[] = [];
  private head = 0;
  readonly summary: BatchSummary = { batchId: BATCH, total: 0, succeeded: 0, skipped: 0, failed: 0, canceled: 0, aborted: 0, bytes: 0, bytesTotal: 0, done: false, listing: true };
  jobsCalls = 0;
  constructor(
    private readonly relay: () => JobRelay,
    private readonly retain: number,
  ) {}
  onJob(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  onJobsRemoved(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  onBatch(): { dispose(): void } {
    return { dispose: () => undefined };
  }
  batch(id: string): BatchSummary | undefined {
    return id === BATCH ? { ...this.summary } : undefined;
  }
  jobs(): JobSnapshot[] {
    this.jobsCalls++;
    return [...this.live.values(), ...this.failed.values(), ...this.retained.values()];
  }
  cancel(): void {}
  retry(): void {}
  abort(): void {}
  clearFinished(): void {}

  private snap(i: number, over: Partial<JobSnapshot>): JobSnapshot {
    return { id: `job-${i}`, batchId: BATCH, source: `azurite/src/many/${name(i)}`, destination: `azurite/dst/many/${name(i)}`, destinationLocation: { connectionId: 'azurite', container: 'dst', path: `many/${name(i)}` }, strategy: 'put-blob-from-url', state: 'queued', bytesDone: 0, bytesTotal: 1024, throughput: 0, attempts: 1, ...over };
  }

  events = 0;

  /** Job i is listed (queued); every 10th one is seen running too (the engine throttles per job: often it is not). */
  start(i: number): void {
    this.summary.total++;
    this.summary.bytesTotal = (this.summary.bytesTotal ?? 0) + 1024;
    const queued = this.snap(i, {});
    this.live.set(queued.id, queued);
    this.relay().onJob(queued);
    this.events++;
    if (i % 10 !== 0) return;
    const running = this.snap(i, { state: 'running', bytesDone: 512, throughput: 1e6 });
    this.live.set(running.id, running);
    this.relay().onJob(running);
    this.events++;
  }

  /** Job i finishes: every 1,000th fails. */
  finish(i: number): void {
    const id = `job-${i}`;
    this.live.delete(id);
    if (i % 1000 === 999) {
      const job = this.snap(i, { state: 'failed', error: { message: 'Server busy', code: 'ServerBusy', status: 503 } });
      this.failed.set(id, job);
      this.summary.failed++;
      this.events++;
      this.relay().onJob(job);
      return;
    }
    const job = this.snap(i, { state: 'succeeded', bytesDone: 1024 });
    this.retained.set(id, job);
    this.order.push(id);
    if (this.retained.size > this.retain) {
      // The engine tells the jobs it stops listing.
      const evicted = this.order[this.head++];
      this.retained.delete(evicted);
      this.relay().onRemoved([evicted]);
    }
    this.summary.succeeded++;
    this.summary.bytes += 1024;
    this.events++;
    this.relay().onJob(job);
  }

  emitBatch(): void {
    this.relay().onBatch({ ...this.summary });
  }
}

interface Run {
  readonly relay: JobRelay;
  readonly source: MillionSource;
  readonly posted: (InitMessage | JobsUpdatedMessage)[];
  readonly simulatedSeconds: number;
  readonly maxHeld: number;
  readonly wallSeconds: number;
}

/** Streams `count` jobs through a window of 1,000 live jobs; 100 ms of simulated time per 1,000 jobs. */
function runBatch(count: number, options: { sourceRetains?: number } = {}): Run {
  const posted: (InitMessage | JobsUpdatedMessage)[] = [];
  const clock = new FakeClock();
  // The source calls the relay lazily (after it exists below).
  const source: MillionSource = new MillionSource(() => relay, options.sourceRetains ?? 10_000);
  const relay: JobRelay = new JobRelay(source.jobs(), { post: (m) => void posted.push(m), toView: (j) => toJobView(j, redact), throttleMs: 200, filter: 'all', clock, source });
  relay.setReady();
  const started = process.hrtime.bigint();
  const WINDOW = 1000;
  let maxHeld = 0;
  for (let i = 0; i < count; i++) {
    source.start(i);
    if (i >= WINDOW) source.finish(i - WINDOW);
    if (i % 1000 === 999) {
      source.emitBatch();
      clock.advance(100);
      maxHeld = Math.max(maxHeld, relay.heldViews);
    }
  }
  for (let i = Math.max(0, count - WINDOW); i < count; i++) source.finish(i);
  source.summary.listing = false;
  source.summary.done = true;
  source.emitBatch();
  clock.advance(1_000);
  maxHeld = Math.max(maxHeld, relay.heldViews);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { relay, source, posted, simulatedSeconds: clock.time / 1000, maxHeld, wallSeconds };
}

describe('panel relay at 1,000,000 jobs in one batch', () => {
  const run = runBatch(1_000_000);
  const { relay, source, posted } = run;
  const listed = source.jobs().length;

  it('holds only the views of the jobs the engine lists (live + failed + the most recent 10,000 finished)', () => {
    console.log(`[paging] 1,000,000 jobs: relay held at most ${run.maxHeld.toLocaleString('en-US')} views (at the end ${relay.heldViews.toLocaleString('en-US')}; the source lists ${listed.toLocaleString('en-US')}); ${relay.paging.droppedViews.toLocaleString('en-US')} dropped; ${run.wallSeconds.toFixed(1)} s wall for ${source.events.toLocaleString('en-US')} job events`);
    assert.equal(listed, 1_000 + 10_000, 'the fake lists 1,000 failed + 10,000 recent succeeded at the end');
    assert.equal(relay.heldViews, listed, 'exactly the listed jobs');
    assert.ok(run.maxHeld <= 1_000 + 1_000 + 10_000 + 1_000, `at most live + failed + retained (+ one step of slack): ${run.maxHeld}`);
    assert.equal(relay.knownJobs().filter((j) => j.state === 'succeeded').length, 10_000);
  });

  it('the totals come from the batch counters, not from counting views', () => {
    const last = posted[posted.length - 1];
    assert.equal(last.totals.count, 1_000_000);
    assert.equal(last.totals.byState.succeeded, 999_000);
    assert.equal(last.totals.byState.failed, 1_000);
    assert.equal(last.totals.bytesDone, 999_000 * 1024);
    assert.deepEqual(last.batches?.map((b) => [b.batchId, b.total, b.done, b.listing]), [[BATCH, 1_000_000, true, false]]);
    assert.ok(validateHostMessage(JSON.parse(JSON.stringify(last))), 'the webview accepts it');
  });

  it('posts a bounded number of messages, each carrying at most the page on screen', () => {
    const perSecond = posted.length / run.simulatedSeconds;
    const maxRows = Math.max(...posted.map((m) => m.jobs.length));
    console.log(`[paging] ${posted.length} messages over ${run.simulatedSeconds.toFixed(0)} simulated s = ${perSecond.toFixed(1)}/s for ${source.events.toLocaleString('en-US')} job events; at most ${maxRows} rows in one; ${relay.counters.jobsSent.toLocaleString('en-US')} rows sent in all`);
    assert.ok(perSecond <= 5.1, `≤ 5 messages/s with a 200 ms throttle: ${perSecond.toFixed(2)}`);
    assert.ok(maxRows <= 100, `no message carries more than the default page (100 rows): ${maxRows}`);
    assert.ok(relay.counters.jobsSent < source.events / 100, `rows sent ≪ job events: ${relay.counters.jobsSent}`);
  });

  it('answers a page request in bounded time: failed first, at any offset, with filter and search', () => {
    const listingsBefore = source.jobsCalls;
    let t = process.hrtime.bigint();
    const first = relay.page({ type: 'getPage', id: 1, offset: 0, limit: MAX_PAGE_ROWS, filter: 'all', search: '' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    assert.equal(first.jobs.length, MAX_PAGE_ROWS);
    assert.equal(first.matching, listed);
    assert.ok(first.jobs.every((j) => j.state === 'failed'), 'failed first');
    assert.equal(first.jobs[0].id, 'job-999', 'engine order within the failed group');

    t = process.hrtime.bigint();
    const deep = relay.page({ type: 'getPage', id: 2, offset: 5_000, limit: 50, filter: 'all', search: '' });
    const deepMs = Number(process.hrtime.bigint() - t) / 1e6;
    assert.equal(deep.offset, 5_000);
    assert.equal(deep.jobs.length, 50);
    assert.ok(deep.jobs.every((j) => j.state === 'succeeded'), 'after the 1,000 failed ones, the succeeded ones');

    const failed = relay.page({ type: 'getPage', id: 3, offset: 0, limit: 10, filter: 'failed', search: '' });
    assert.equal(failed.matching, 1_000);
    const active = relay.page({ type: 'getPage', id: 4, offset: 0, limit: 10, filter: 'active', search: '' });
    assert.equal(active.matching, 0);

    t = process.hrtime.bigint();
    const found = relay.page({ type: 'getPage', id: 5, offset: 0, limit: 10, filter: 'all', search: 'BLOB-0999998' });
    const searchMs = Number(process.hrtime.bigint() - t) / 1e6;
    assert.deepEqual(found.jobs.map((j) => j.id), ['job-999998']);
    const old = relay.page({ type: 'getPage', id: 6, offset: 0, limit: 10, filter: 'all', search: 'blob-0000123' });
    assert.equal(old.matching, 0, 'a long-finished job is counted, not listed');
    const failedByName = relay.page({ type: 'getPage', id: 7, offset: 0, limit: 10, filter: 'failed', search: 'blob-0000999' });
    assert.deepEqual(failedByName.jobs.map((j) => j.id), ['job-999'], 'a failed job stays listed and searchable');

    const beyond = relay.page({ type: 'getPage', id: 8, offset: 5_000_000, limit: 20, filter: 'all', search: '' });
    assert.equal(beyond.offset, listed - 20, 'an offset past the end gives the last rows');
    assert.equal(beyond.jobs.length, 20);
    console.log(`[paging] page at offset 0: ${ms.toFixed(1)} ms, at offset 5,000: ${deepMs.toFixed(1)} ms, search: ${searchMs.toFixed(1)} ms (${listed.toLocaleString('en-US')} listed of 1,000,000)`);
    // Bounded work, not wall time (which a busy machine stretches): a page is one pass over the views the relay
    // holds (at most the listed jobs, asserted above), and never reads the engine's listing again.
    assert.equal(source.jobsCalls, listingsBefore, 'no page request re-reads the engine listing');
    assert.equal(relay.heldViews, listed, 'the pages were cut from the listed jobs alone');
    for (const p of [first, deep, found]) assert.ok(validateHostMessage(JSON.parse(JSON.stringify(p))), 'the webview accepts the page');
  });

  it('after a page request, updates carry only changes of that page', () => {
    const clock = new FakeClock();
    const sent: (InitMessage | JobsUpdatedMessage)[] = [];
    const jobs = Array.from({ length: 5_000 }, (_, i): JobSnapshot => ({ id: `j${i}`, batchId: 'b', source: `s/${i}`, destination: `d/${i}`, destinationLocation: { connectionId: 'a', container: 'd', path: `${i}` }, strategy: 'copy-blob', state: 'running', bytesDone: 0, bytesTotal: 10, throughput: 1, attempts: 1 }));
    const r = new JobRelay(jobs, { post: (m) => void sent.push(m), toView: (j) => toJobView(j, redact), throttleMs: 200, filter: 'all', clock });
    r.setReady();
    r.page({ type: 'getPage', id: 1, offset: 2_000, limit: 40, filter: 'all', search: '' });
    for (const j of jobs) r.onJob({ ...j, bytesDone: 5 }); // every job moves
    clock.advance(200);
    const update = sent[sent.length - 1] as JobsUpdatedMessage;
    assert.equal(update.type, 'jobsUpdated');
    assert.equal(update.jobs.length, 40, 'only the 40 rows on screen, not 5,000');
    assert.deepEqual(update.window?.ids, jobs.slice(2_000, 2_040).map((j) => j.id));
    assert.equal(update.window?.matching, 5_000);
    const before = sent.length;
    r.onJob({ ...jobs[10], bytesDone: 9 }); // off screen: only the totals move
    clock.advance(200);
    const offScreen = sent[sent.length - 1] as JobsUpdatedMessage;
    assert.equal(sent.length, before + 1);
    assert.equal(offScreen.jobs.length, 0, 'a change off screen sends no row');
    r.onJob({ ...jobs[10], bytesDone: 9 }); // nothing new at all
    clock.advance(200);
    assert.equal(sent.length, before + 1, 'nothing changed: nothing posted');
  });

  it('a re-init (webview shown again) starts at offset 0 with no search, keeping the filter', () => {
    const sent: (InitMessage | JobsUpdatedMessage)[] = [];
    const jobs = Array.from({ length: 300 }, (_, i): JobSnapshot => ({ id: `j${i}`, batchId: 'b', source: `s/${i}`, destination: `d/${i}`, destinationLocation: { connectionId: 'a', container: 'd', path: `${i}` }, strategy: 'copy-blob', state: i % 3 ? 'running' : 'failed', bytesDone: 0, bytesTotal: 10, throughput: 1, attempts: 1 }));
    const r = new JobRelay(jobs, { post: (m) => void sent.push(m), toView: (j) => toJobView(j, redact), throttleMs: 200, filter: 'all', clock: new FakeClock() });
    r.setReady();
    r.page({ type: 'getPage', id: 1, offset: 50, limit: 20, filter: 'failed', search: 'd/3' });
    r.setNotReady();
    r.setReady();
    const init = sent[sent.length - 1] as InitMessage;
    assert.equal(init.type, 'init');
    assert.equal(init.filter, 'failed');
    assert.deepEqual([init.window?.offset, init.window?.matching], [0, 100], 'every failed job, no search');
    assert.equal(init.jobs.length, 100);
  });

  it('drops views the engine no longer lists whatever its retention, from its removal events alone', () => {
    const short = runBatch(60_000, { sourceRetains: 2_000 });
    const listedNow = short.source.jobs().length;
    console.log(`[paging] engine keeps 2,000 finished: held at most ${short.maxHeld.toLocaleString('en-US')} (listed at the end ${listedNow.toLocaleString('en-US')}); jobs() read ${short.source.jobsCalls} times for ${short.source.events.toLocaleString('en-US')} events`);
    assert.ok(short.maxHeld <= 1_000 + 60 + 2_000 + 1_000, `bounded by the listed jobs: ${short.maxHeld}`);
    assert.equal(short.relay.heldViews, listedNow, 'exactly the listed jobs');
    assert.equal(short.source.jobsCalls, 2, 'the listing is read only to start the relay and by this test, never while it runs');
  });
});
