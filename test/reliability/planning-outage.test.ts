/**
 * Outages while a plan is made, with DEFAULT settings (src/core/plan/throughOutages.ts): storage down in the middle
 * of a plan made to the end before anything is written (a move, a dry run, a confirmation: summarize) is waited out
 * like a copy's outage, then the plan goes on; storage down when a copy starts is said at once (the endpoint may be
 * wrong), and a resume whose listing cannot go on says so in its batch (never complete). The rules on their own (the
 * tolerance, a resume, a stop): test/unit/core/throughOutages.test.ts. Several sources through an outage, or resumed
 * after a restart, still find two sources onto one name. Then a resume's listing: the position a new engine lists on from stays the journaled
 * one until the listing passes it, and storage not answering at the resume is waited out.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerClient } from '@azure/storage-blob';
import type { AzuriteInstance } from '../helpers/azurite';
import type { FaultProxy } from '../helpers/faultProxy';
import * as fs from 'node:fs';
import { CopyEngine, type CopyRequest } from '../../src/core';
import { FileJournal } from '../../src/core/copy/journal';
import { batchOutcome } from '../../src/shared/vocabulary';
import { A1, azuriteBehindProxy, data, fromSdk, MemoryLog, resolverThrough, tempDir, uploadMany, waitFor } from '../helpers/proxiedEngine';

describe('outages while a plan is made', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const engines: CopyEngine[] = [];
  // Listing pages of 100, 300, then the rest: an outage at the second page meets a plan half made.
  const MANY = 700;

  before(async () => {
    ({ azurite, proxy, src } = await azuriteBehindProxy());
    await uploadMany(src, ['few/a.bin', 'few/b.bin'], (i) => data(100 + i, i));
    await uploadMany(src, Array.from({ length: MANY }, (_, i) => `many/m${String(i).padStart(4, '0')}.bin`), (i) => data(64 + (i % 5), i), 64);
    await uploadMany(src, ['dup/m0000.bin'], (i) => data(10, i)); // maps to the same name as many/m0000.bin
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await proxy?.stop();
    await azurite?.stop();
  });

  const request = (path: string, container: string): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path } }],
    destination: { connectionId: A1, container, path: '' },
  });

  it('storage down when a copy starts: said at once as it is (the endpoint may be wrong), nothing waited out, nothing written', { timeout: 120_000 }, async () => {
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log });
    engines.push(e);
    await proxy.setDown('refuse', { maxDownMs: 60_000 });
    const t0 = Date.now();
    try {
      await assert.rejects(e.startStreaming(request('few/', 'few-dest')), /ECONNREFUSED/);
    } finally {
      await proxy.setDown(false);
    }
    assert.ok(Date.now() - t0 < 30_000, `failed after the SDK's retries, not the outage tolerance (${Date.now() - t0} ms)`);
    assert.ok(!log.lines.some((l) => l.includes('storage is not answering')), log.lines.join('\n'));
    assert.equal(await azurite.serviceClient().getContainerClient('few-dest').exists(), false);
  });

  it('a plan made to the end (a move, a dry run) through an outage at its second listing page: every blob counted once', { timeout: 120_000 }, async () => {
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log });
    engines.push(e);
    let lists = 0;
    let listsAfter = 0;
    let downAt = 0;
    const hook = proxy.onRequest((r) => {
      if (r.comp !== 'list' || !fromSdk(r) || !r.path.endsWith('/src') || !r.query.includes('prefix=many')) return;
      if (downAt) listsAfter++;
      else if (++lists === 2) {
        downAt = Date.now();
        void proxy.setDown('refuse', { maxDownMs: 12_000 });
      }
    });
    let summary;
    try {
      summary = await e.summarize({ ...request('many/', 'many-dest'), options: { move: true } });
    } finally {
      hook.dispose();
      await proxy.setDown(false);
    }
    assert.ok(downAt > 0 && listsAfter >= 1, `the outage met the plan (${lists} pages before, ${listsAfter} after)`);
    assert.equal(summary.totals.count, MANY, 'every blob counted once');
    assert.equal(summary.totals.bytes, Array.from({ length: MANY }, (_, i) => 64 + (i % 5)).reduce((a, b) => a + b, 0));
    assert.ok((summary.cost.planning?.['List Blobs'] ?? 0) >= 3, `the listing calls of both plans: ${JSON.stringify(summary.cost.planning)}`);
    assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('List the sources: storage is not answering')));
    // The plan's result says what it waited out (the CLI's --json waitedForStorage.planning).
    assert.ok(summary.waitedForStorage && summary.waitedForStorage.longestSeconds >= 1, JSON.stringify(summary.waitedForStorage));
    assert.deepEqual(summary.waitedForStorage.reasons, ['connection refused']);
  });

  it('several sources through an outage: names planned before it are remembered, so two sources onto one name are still found', { timeout: 120_000 }, async () => {
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log: new MemoryLog() });
    engines.push(e);
    let lists = 0;
    const down = proxy.refuseAtFirst((r) => r.comp === 'list' && fromSdk(r) && r.path.endsWith('/src') && r.query.includes('prefix=many') && ++lists === 2, 12_000);
    const sources = ['many/', 'dup/'].map((path) => ({ kind: 'location' as const, location: { connectionId: A1, container: 'src', path } }));
    let summary;
    try {
      summary = await e.summarize({ sources, destination: { connectionId: A1, container: 'dup-dest', path: '' } });
    } finally {
      await down.end();
    }
    assert.ok(down.at > 0, 'the outage met the first source\'s listing after its first page');
    assert.equal(summary.totals.count, MANY, 'every blob of the first source, and not the second source\'s');
    assert.equal(summary.refused?.count, 1, JSON.stringify(summary.refused));
    assert.match(summary.refused.first[0].reason, /"many\/m0000\.bin" and "dup\/m0000\.bin" both map to destination "m0000\.bin"/);
  });

  it('several sources, resumed after a restart: the names planned before the position are listed again, so two sources onto one name are still found', { timeout: 120_000 }, async () => {
    const journalDir = tempDir('resume-sources');
    const journal = new FileJournal(journalDir);
    const sources = ['many/', 'dup/'].map((path) => ({ kind: 'location' as const, location: { connectionId: A1, container: 'src', path } }));
    await azurite.serviceClient().getContainerClient('dup-resume').createIfNotExists(); // the first run made it
    journal.saveBatch({ version: 1, batchId: 'b-sources', request: { sources, destination: { connectionId: A1, container: 'dup-resume', path: '' } }, position: { source: 0, after: 'many/m0599.bin' }, updatedAt: new Date().toISOString() });
    journal.dispose();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log: new MemoryLog(), journalDir });
    engines.push(e);
    try {
      assert.deepEqual(await e.resume(), ['b-sources']);
      await e.whenIdle();
      const s = e.batch('b-sources')!;
      assert.equal(s.succeeded, MANY - 600, 'the first source after the position');
      assert.equal(s.unplanned, 1, JSON.stringify(s));
      assert.match(s.refusedFirst?.[0]?.reason ?? '', /"many\/m0000\.bin" and "dup\/m0000\.bin" both map to destination "m0000\.bin"/);
      assert.equal(batchOutcome(s, s.error !== undefined), 'partial');
      assert.equal(await azurite.serviceClient().getContainerClient('dup-resume').getBlobClient('m0000.bin').exists(), false, 'not copied over the name the first run took');
    } finally {
      fs.rmSync(journalDir, { recursive: true, force: true });
    }
  });

  it('a resume whose listing cannot go on: the batch is listed with the listing\'s error, partial or failed, never complete', { timeout: 60_000 }, async () => {
    const journalDir = tempDir('resume-refused');
    const journal = new FileJournal(journalDir);
    journal.saveBatch({ version: 1, batchId: 'b-resume', request: request('many/', 'resume-dest'), position: { source: 0, after: 'many/m0100.bin' }, updatedAt: new Date().toISOString() });
    journal.dispose();
    proxy.setRules({ match: (r) => r.comp === 'list' && r.path.endsWith('/src'), refuse: { status: 403, code: 'AuthorizationFailure' } });
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log, journalDir });
    engines.push(e);
    try {
      assert.deepEqual(await e.resume(), ['b-resume'], 'the batch is listed, not dropped without a word');
      await e.whenIdle();
      const s = e.batch('b-resume');
      assert.ok(s?.done, JSON.stringify(s));
      assert.equal(s.error?.status, 403, JSON.stringify(s.error));
      assert.notEqual(batchOutcome(s, s.error !== undefined), 'complete');
      assert.ok(log.lines.some((l) => l.startsWith('error') && l.includes('Batch b-resume: its listing cannot resume')), log.lines.join('\n'));
    } finally {
      proxy.setRules({});
      fs.rmSync(journalDir, { recursive: true, force: true });
    }
  });
});

describe("a resume's listing", () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  let src: ContainerClient;
  const engines: CopyEngine[] = [];
  const COUNT = 400;
  const names = Array.from({ length: COUNT }, (_, i) => `r/n${String(i).padStart(4, '0')}.bin`);

  before(async () => {
    ({ azurite, proxy, src } = await azuriteBehindProxy());
    await uploadMany(src, names, (i) => data(50 + (i % 7), i), 64);
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await proxy?.stop();
    await azurite?.stop();
  });

  const request = (container: string): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'r/' } }],
    destination: { connectionId: A1, container, path: '' },
  });

  it('keeps its journaled position until it passes it: a second restart lists on from there, not from the start', { timeout: 60_000 }, async () => {
    const journalDir = tempDir('resume-position');
    const journal = new FileJournal(journalDir);
    const position = { source: 0, after: names[299] };
    await azurite.serviceClient().getContainerClient('pos-dest').createIfNotExists(); // the first run made it
    journal.saveBatch({ version: 1, batchId: 'b-pos', request: request('pos-dest'), position, updatedAt: new Date().toISOString() });
    journal.dispose();
    // The resumed copies wait at the proxy: none is final, so the listing has not passed its position yet (and with a
    // window of 20 jobs, it has not listed to the end either).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    proxy.setRules({ match: (r) => r.method === 'PUT' && fromSdk(r), holdUntil: held });
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log: new MemoryLog(), journalDir, batchWindow: 20 });
    engines.push(e);
    try {
      assert.deepEqual(await e.resume(), ['b-pos']);
      await new Promise((r) => setTimeout(r, 1500)); // past the feeder's 1 s between position saves
      e.dispose(); // a second restart, the copies still in flight
      const again = new FileJournal(journalDir);
      const saved = again.listBatches().find((b) => b.batchId === 'b-pos');
      again.dispose();
      assert.deepEqual(saved?.position, position, 'the position a new engine lists on from');
      // A third engine lists on from there: the blobs before the position (copied by the first run) are not listed again.
      release();
      proxy.setRules({});
      const third = new CopyEngine({ resolve: resolverThrough(proxy, {}), log: new MemoryLog(), journalDir });
      engines.push(third);
      await third.resume();
      await third.whenIdle();
      const s = third.batch('b-pos');
      assert.ok(s?.done && batchOutcome(s, s.error !== undefined) === 'complete', JSON.stringify([s, third.jobs().slice(0, 2)]));
      const copied: string[] = [];
      for await (const b of azurite.serviceClient().getContainerClient('pos-dest').listBlobsFlat()) copied.push(b.name);
      assert.deepEqual(copied, names.slice(300).map((n) => n.slice('r/'.length)), 'exactly the blobs after the position');
    } finally {
      release();
      proxy.setRules({});
      fs.rmSync(journalDir, { recursive: true, force: true });
    }
  });

  it('storage not answering at the resume: the batch is there at once, its listing waits for storage, then lists on from its position', { timeout: 120_000 }, async () => {
    const journalDir = tempDir('resume-down');
    const journal = new FileJournal(journalDir);
    await azurite.serviceClient().getContainerClient('down-dest').createIfNotExists(); // the first run made it
    journal.saveBatch({ version: 1, batchId: 'b-down', request: request('down-dest'), position: { source: 0, after: names[149] }, updatedAt: new Date().toISOString() });
    journal.dispose();
    const log = new MemoryLog();
    const e = new CopyEngine({ resolve: resolverThrough(proxy, {}), log, journalDir });
    engines.push(e);
    const seen: Array<{ waiting: boolean; done: boolean }> = [];
    e.onBatch((b) => seen.push({ waiting: b.listingWaiting !== undefined, done: b.done }));
    await proxy.setDown('refuse', { maxDownMs: 60_000 });
    let ids: string[];
    const t0 = Date.now();
    try {
      ids = await e.resume();
      assert.ok(Date.now() - t0 < 2_000, `Resume answered at once (${Date.now() - t0} ms)`);
      assert.deepEqual(ids, ['b-down']);
      assert.equal(e.batch('b-down')?.done, false, 'the batch is there, not done');
      await waitFor(() => e.batch('b-down')?.listingWaiting !== undefined, 60_000, 'the batch says its listing waits');
      assert.match(e.batch('b-down')!.listingWaiting!.reason, /connection refused/);
    } finally {
      await proxy.setDown(false);
    }
    await e.whenIdle();
    const s = e.batch('b-down')!;
    assert.equal(batchOutcome(s, s.error !== undefined), 'complete', JSON.stringify(s));
    assert.equal(s.total, names.length - 150);
    assert.equal(s.listingWaiting, undefined);
    assert.ok(seen.some((b) => b.waiting) && seen.at(-1)?.done && !seen.at(-1)?.waiting, JSON.stringify(seen.slice(-3)));
    const copied: string[] = [];
    for await (const b of azurite.serviceClient().getContainerClient('down-dest').listBlobsFlat()) copied.push(b.name);
    assert.deepEqual(copied, names.slice(150).map((n) => n.slice('r/'.length)), 'exactly the blobs after the position');
    assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes(`the listing waits for storage, up to 300 s, then lists on after "${names[149]}"`)), log.lines.join('\n'));
    assert.equal(new FileJournal(journalDir).listBatches().length, 0, 'listed to the end: no position left to resume');
    fs.rmSync(journalDir, { recursive: true, force: true });
  });
});
