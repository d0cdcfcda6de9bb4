/**
 * Sync in the engine against a real Azurite (src/core/plan/sync.ts, src/core/engine/sync.ts): an extra changed after
 * planning is kept (If-Match on the listed ETag); an extra with snapshots is kept unless snapshots are included (the
 * move's rule); directory markers, names that differ only by Unicode normalization and blob types are handled as the
 * copy handles them; a plan whose listing did not end writes no end line, so nothing can be deleted; a plan that goes
 * on from a page's position (after an outage) counts every name once; a sync resumed after a restart says its extras
 * were not deleted.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { AzuriteInstance, blobNames, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { A1, A2, makeEngine, resolverFor, stopFast } from '../helpers/engine';
import { runSync, type CopyEngine, type CopyRequest } from '../../src/core';
import { deleteExtras, readReportEnd } from '../../src/core/engine/sync';
import { CapabilityCache, planPages, type PlanPage } from '../../src/core/plan/planner';
import { createAccountClient } from '../../src/core/storage/connections';
import { startFaultProxy } from '../helpers/faultProxy';
import { FileJournal } from '../../src/core/copy/journal';
import { batchOutcome } from '../../src/shared/vocabulary';
import { batchMessage } from '../../src/extension/notificationText';


const put = (c: ContainerClient, name: string, text: string, metadata?: Record<string, string>) => c.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { metadata });

const syncRequest = (srcContainer: string, srcPath: string, dstContainer: string, dstPath: string, extra: Partial<NonNullable<CopyRequest['options']>> = {}): CopyRequest => ({
  sources: [{ kind: 'location', location: { connectionId: A1, container: srcContainer, path: srcPath } }],
  destination: { connectionId: A2, container: dstContainer, path: dstPath },
  options: { sync: { compare: 'auto' }, ...extra },
});

describe('sync in the engine', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let acct2: BlobServiceClient;
  let engine: CopyEngine;
  let tmp: string;

  before(async () => {
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    acct2 = azurite.serviceClient(SECOND_ACCOUNT);
    engine = makeEngine(azurite).engine;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-core-test-'));
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('an extra changed after planning is kept (If-Match on the ETag the listing saw); an unchanged one is deleted', async () => {
    const src = dev.getContainerClient('ifm');
    const dst = acct2.getContainerClient('ifmdst');
    await src.create();
    await dst.create();
    await put(src, 'a.txt', 'a');
    await put(dst, 'changed-later.txt', 'v1');
    await put(dst, 'untouched.txt', 'u');
    const reportFile = path.join(tmp, 'ifm.ndjson');
    fs.writeFileSync(reportFile, '');
    const request = syncRequest('ifm', '', 'ifmdst', '');
    const batchId = await engine.startStreaming({ ...request, options: { sync: { reportFile } } });
    const copies = await engine.waitForBatch(batchId);
    assert.equal(copies.succeeded, 1);
    const tally = readReportEnd(reportFile);
    assert.equal(tally?.extra.count, 2);
    assert.deepEqual(tally?.extra.first, ['changed-later.txt', 'untouched.txt']);
    await put(dst, 'changed-later.txt', 'v2 written after the plan');
    const d = await deleteExtras(await resolverFor(azurite)(A2), 'ifmdst', reportFile, {});
    assert.equal(d.deleted, 1);
    assert.equal(d.kept, 1);
    assert.equal(d.keptFirst[0].source, 'changed-later.txt');
    assert.match(d.keptFirst[0].reason, /changed after the sync was planned/);
    assert.deepEqual(await blobNames(dst), ['a.txt', 'changed-later.txt']);
    assert.equal((await dst.getBlobClient('changed-later.txt').downloadToBuffer()).toString(), 'v2 written after the plan');
  });

  it('an extra with snapshots is kept (partial, named) unless snapshots are included', async () => {
    const src = dev.getContainerClient('snap');
    const dst = acct2.getContainerClient('snapdst');
    await src.create();
    await dst.create();
    await put(src, 'a.txt', 'a');
    await put(dst, 'old.txt', 'old');
    await dst.getBlobClient('old.txt').createSnapshot();
    const resolve = resolverFor(azurite);
    const kept = await runSync(engine, () => resolve(A2), syncRequest('snap', '', 'snapdst', ''), { deleteDestination: true, tmpDir: tmp });
    assert.equal(kept.outcome, 'partial');
    assert.equal(kept.deletion?.kept, 1);
    assert.match(kept.deletion!.keptFirst[0].reason, /has snapshots/);
    assert.deepEqual(await blobNames(dst), ['a.txt', 'old.txt']);
    const withSnapshots = await runSync(engine, () => resolve(A2), syncRequest('snap', '', 'snapdst', ''), { deleteDestination: true, includeSnapshots: true, tmpDir: tmp });
    assert.equal(withSnapshots.outcome, 'complete');
    assert.equal(withSnapshots.deletion?.deleted, 1);
    assert.equal(withSnapshots.copies.total, 0, 'a.txt is the same now');
    assert.deepEqual(await blobNames(dst), ['a.txt']);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('blob-copy-sync-')), [], 'report files are removed');
  });

  it('directory markers, Unicode normalization and blob types are handled as the copy handles them', async () => {
    const src = dev.getContainerClient('kinds');
    const dst = acct2.getContainerClient('kindsdst');
    await src.create();
    await dst.create();
    const folder = { hdi_isfolder: 'true' };
    await put(src, 'data/', '', folder); // the source folder's own marker: the destination folder is the place itself
    await put(src, 'data/dir/', '', folder);
    await put(src, 'data/dir/f.txt', 'f');
    await put(src, 'data/\u00e9.txt', 'nfc');
    const append = src.getAppendBlobClient('data/typ.txt');
    await append.create();
    await append.appendBlock('abcd', 4);
    await put(dst, 'mirror/', '', folder);
    await put(dst, 'mirror/old/', '', folder);
    await put(dst, 'mirror/e\u0301.txt', 'nfd');
    await put(dst, 'mirror/typ.txt', 'abcd');
    const resolve = resolverFor(azurite);
    const dry = await engine.summarize(syncRequest('kinds', 'data/', 'kindsdst', 'mirror/'));
    assert.deepEqual(
      { new: dry.sync!.new.first, changed: dry.sync!.changed.first, extra: dry.sync!.extra.first },
      { new: ['mirror/dir/', 'mirror/dir/f.txt', 'mirror/\u00e9.txt'], changed: ['mirror/typ.txt'], extra: ['mirror/e\u0301.txt', 'mirror/old/'] },
    );
    const r = await runSync(engine, () => resolve(A2), syncRequest('kinds', 'data/', 'kindsdst', 'mirror/'), { deleteDestination: true, tmpDir: tmp });
    assert.equal(r.outcome, 'complete');
    assert.equal(r.copies.succeeded, 4);
    assert.equal(r.deletion?.deleted, 2);
    assert.deepEqual(await blobNames(dst), ['mirror/', 'mirror/dir/', 'mirror/dir/f.txt', 'mirror/typ.txt', 'mirror/\u00e9.txt']);
    assert.equal((await dst.getBlobClient('mirror/dir/').getProperties()).metadata?.hdi_isfolder, 'true');
    assert.equal((await dst.getBlobClient('mirror/typ.txt').getProperties()).blobType, 'AppendBlob');
    const again = await runSync(engine, () => resolve(A2), syncRequest('kinds', 'data/', 'kindsdst', 'mirror/'), { deleteDestination: true, tmpDir: tmp });
    assert.deepEqual([again.outcome, again.copies.total, again.deletion, again.tally?.same.count], ['complete', 0, undefined, 4]);
  });

  it('deletes wait out storage that does not answer (503s past the SDK retries), then delete', async () => {
    const src = dev.getContainerClient('outsrc');
    const dst = acct2.getContainerClient('outdst');
    await src.create();
    await dst.create();
    await put(src, 'a.txt', 'a');
    await put(dst, 'x1.txt', 'x');
    await put(dst, 'x2.txt', 'x');
    const reportFile = path.join(tmp, 'outage.ndjson');
    fs.writeFileSync(reportFile, '');
    const batchId = await engine.startStreaming({ ...syncRequest('outsrc', '', 'outdst', ''), options: { sync: { reportFile } } });
    await engine.waitForBatch(batchId);
    const proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    try {
      proxy.setRules({ match: (r) => r.method === 'DELETE', throttle503: { ratio: 1, retryAfterSeconds: 0 }, maxFaults: 3 });
      const account = createAccountClient({ kind: 'connectionString', connectionString: proxy.connectionString(SECOND_ACCOUNT.name, SECOND_ACCOUNT.key) }, { retryOptions: { maxTries: 1 } });
      const d = await deleteExtras(account, 'outdst', reportFile, { outageToleranceMs: 30_000 });
      assert.equal(proxy.stats().faults.throttle503, 3, 'the deletes met three 503s');
      assert.deepEqual([d.deleted, d.gone, d.kept], [2, 0, 0]);
    } finally {
      await proxy.stop();
    }
    assert.deepEqual(await blobNames(dst), ['a.txt']);
  });

  it('a sync interrupted by a restart: its copies resume, and with extras to delete it ends partial and says why (never complete)', async () => {
    const src = dev.getContainerClient('irsrc');
    const dst = acct2.getContainerClient('irdst');
    await src.create();
    await dst.create();
    for (let i = 0; i < 8; i++) await put(src, `n${i}.txt`, `v${i}`);
    await put(dst, 'x1.txt', 'x');
    // What runSync journals with its batch: that the extras are to be deleted.
    let sent: CopyRequest | undefined;
    const spy = { startStreaming: (r: CopyRequest, sig?: AbortSignal) => ((sent = r), engine.startStreaming(r, sig)), waitForBatch: (id: string, sig?: AbortSignal) => engine.waitForBatch(id, sig), syncEnded: (id: string) => engine.syncEnded(id) };
    const done = await runSync(spy as unknown as CopyEngine, async () => createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString(SECOND_ACCOUNT) }), syncRequest('irsrc', '', 'irdst', ''), { deleteDestination: true, tmpDir: tmp });
    assert.equal(done.outcome, 'complete');
    assert.equal(sent?.options?.sync?.deleteExtras, true, 'the journaled request says the extras are to be deleted');
    // The same sync, killed after its first 3 copies (its batch journaled at that position), resumed by a new engine.
    for (const n of ['n3.txt', 'n4.txt', 'n5.txt', 'n6.txt', 'n7.txt']) await dst.getBlobClient(n).delete();
    await put(dst, 'x1.txt', 'x');
    const journalDir = fs.mkdtempSync(path.join(tmp, 'journal-'));
    const journal = new FileJournal(journalDir);
    const request = { ...sent!, options: { ...sent!.options, sync: { ...sent!.options!.sync, reportFile: path.join(tmp, 'gone', 'report.ndjson') } } };
    journal.saveBatch({ version: 1, batchId: 'b-sync', request, position: { source: 0, after: 'n2.txt' }, updatedAt: new Date().toISOString() });
    journal.dispose();
    const { engine: resumed, log } = makeEngine(azurite, { journalDir });
    try {
      assert.deepEqual(await resumed.resume(), ['b-sync']);
      const b = await resumed.waitForBatch('b-sync');
      assert.equal(b.succeeded, 5, 'the copies after the position resume');
      assert.equal(batchOutcome(b, b.error !== undefined), 'partial', JSON.stringify(b));
      assert.equal(b.error?.code, 'SyncInterrupted');
      assert.match(b.error?.hint ?? '', /run the sync again with "delete extras"/);
      assert.match(batchMessage(b).text, /^Blob Copy partial: 5 blobs copied .*A sync interrupted by a restart: its copies resume, but its extras at the destination are not deleted\./);
      assert.ok(log.lines.some((l) => l.startsWith('warn') && l.includes('Batch b-sync: A sync interrupted by a restart')), log.lines.join('\n'));
      assert.deepEqual(await blobNames(dst), ['n0.txt', 'n1.txt', 'n2.txt', 'n3.txt', 'n4.txt', 'n5.txt', 'n6.txt', 'n7.txt', 'x1.txt'], 'the extra is kept');
    } finally {
      resumed.dispose();
    }
  });

  it('a listing that fails writes no end line: readReportEnd says so and nothing may be deleted', async () => {
    const reportFile = path.join(tmp, 'fail.ndjson');
    fs.writeFileSync(reportFile, '');
    const src = dev.getContainerClient('failsrc');
    await src.create();
    await put(src, 'a.txt', 'a');
    // The destination container's name is invalid: the destination listing fails before its first page.
    await assert.rejects(engine.startStreaming({ ...syncRequest('failsrc', '', 'x', ''), options: { sync: { reportFile } } }), /Destination container "x"/);
    assert.equal(readReportEnd(reportFile), undefined);
    fs.writeFileSync(reportFile, `${JSON.stringify({ x: 'a', e: '"1"', z: 1 })}\n`);
    assert.equal(readReportEnd(reportFile), undefined, 'extras without the end line');
  });

  it('a plan that goes on from any page\'s position counts every name once (an extra that ended a page too)', async () => {
    const src = dev.getContainerClient('pos');
    const dst = acct2.getContainerClient('posdst');
    await src.create();
    await dst.create();
    const rel = (i: number) => `s${String(i).padStart(3, '0')}.bin`;
    for (let i = 0; i < 200; i++) await put(src, `m/${rel(i)}`, `v${i}`);
    // The destination's first listing page (100 names) ends at an extra that sorts after the last source name the
    // merge had met there ("s097x.bin" before "s098.bin"): a plan going on after that source name counted it twice.
    const destNames = ['a0.bin', ...Array.from({ length: 98 }, (_, i) => rel(i)), 's097x.bin', 's150x.bin'];
    for (const n of destNames) await put(dst, n, n.includes('x') || n === 'a0.bin' ? 'extra' : 'older, longer content');
    const ctx = { resolve: resolverFor(azurite), capabilities: new CapabilityCache(), headConcurrency: 8 };
    const request = syncRequest('pos', 'm/', 'posdst', '');
    const run = async (from?: PlanPage) => {
      const pages: PlanPage[] = [];
      for await (const p of planPages(ctx, request, undefined, from && { source: from.source, after: from.last, sync: from.sync })) pages.push(p);
      return pages;
    };
    const counts = (p: PlanPage | undefined) => ({ new: p?.sync?.new.count, changed: p?.sync?.changed.count, same: p?.sync?.same.count, extra: p?.sync?.extra.count });
    const full = await run();
    const whole = counts(full.at(-1));
    assert.deepEqual(whole, { new: 102, changed: 98, same: 0, extra: 3 });
    assert.ok(full.some((p) => p.last === 'm/s097x.bin'), `a page ends at the extra: ${full.map((p) => p.last).join(', ')}`);
    const names = (pages: PlanPage[]) => pages.flatMap((p) => p.items.map((i) => i.destination.path));
    for (let k = 0; k < full.length - 1; k++) {
      if (full[k].last === undefined) continue;
      const rest = await run(full[k]);
      assert.deepEqual(counts(rest.at(-1)), whole, `going on after page ${k} (${full[k].last})`);
      assert.deepEqual(names(rest), names(full.slice(k + 1)), `the copies after page ${k}`);
      assert.deepEqual(rest.at(-1)?.sync?.extra.first, ['a0.bin', 's097x.bin', 's150x.bin']);
    }
  });
});
