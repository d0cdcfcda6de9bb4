/** Jobs: cancel (no partial destination), changed source, retry, abort, events, journal hygiene. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, CopyError, CopyRequest, JobSnapshot } from '../../src/core';
import { A1, A2, blobMd5, data, makeEngine, md5, stopFast } from '../helpers/engine';

const KiB = 1024;
const MiB = 1024 * KiB;

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('jobs: cancel, changed source, retry, events, journal', () => {
  let azurite: AzuriteInstance;
  let engine: CopyEngine;
  let journalDir: string;
  const big = data(32 * MiB, 7);
  before(async () => {
    azurite = await startAzurite();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-journal-'));
    ({ engine } = makeEngine(azurite, { blockSizeBytes: 256 * KiB, rangeConcurrency: 1, concurrency: 2, journalDir }));
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('far');
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('big.bin').uploadData(big, { blockSize: 8 * MiB });
    for (let i = 0; i < 6; i++) await azurite.serviceClient().getContainerClient('src').getBlockBlobClient(`many/${i}.txt`).upload('x'.repeat(i), i);
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
    fs.rmSync(journalDir, { recursive: true, force: true });
  });
  const far = () => azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far');
  const bigReq = (dest: string): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big.bin' } }],
    destination: { connectionId: A2, container: 'far', path: dest },
    options: { strategy: 'put-block-from-url' },
  });

  it('cancel during a multi-block copy leaves no destination; retry then completes it', async () => {
    const plan = await engine.plan(bigReq('cancel/big.bin'));
    const batchId = engine.start(plan);
    const job = () => engine.jobs().find((j) => j.batchId === batchId)!;
    await waitFor(() => job().bytesDone > 0);
    engine.cancel(job().id);
    const s = await engine.waitForBatch(batchId);
    assert.equal(s.canceled, 1);
    assert.ok(job().bytesDone < big.length, 'canceled before the end');
    assert.equal(await far().getBlobClient('cancel/big.bin').exists(), false, 'no partial destination');
    engine.retry(job().id);
    const s2 = await engine.waitForBatch(batchId);
    assert.equal(s2.succeeded, 1, JSON.stringify(job()));
    assert.equal(job().attempts, 2);
    assert.equal(await blobMd5(far().getBlobClient('cancel/big.bin')), md5(big));
  });

  it('cancelBatch cancels queued and running jobs; an AbortSignal cancels copy()', async () => {
    const req: CopyRequest = {
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big.bin' } }, { kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
      destination: { connectionId: A2, container: 'far', path: 'cb/' },
      options: { strategy: 'put-block-from-url' },
    };
    const ac = new AbortController();
    const p = engine.copy(req, ac.signal);
    await waitFor(() => engine.jobs().some((j) => j.destination === 'far/cb/big.bin' && j.bytesDone > 0));
    ac.abort();
    const s = await p;
    assert.equal(s.done, true);
    assert.ok(s.canceled >= 1);
    assert.equal(await far().getBlobClient('cb/big.bin').exists(), false);
  });

  it('a source changed between plan and copy fails clearly; retry copies the new version', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('changing.txt');
    await src.upload('version 1', 9);
    const plan = await engine.plan({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'changing.txt' } }],
      destination: { connectionId: A2, container: 'far', path: 'changing.txt' },
    });
    await src.upload('version two', 11);
    const batchId = engine.start(plan);
    const s = await engine.waitForBatch(batchId);
    assert.equal(s.failed, 1);
    const job = engine.jobs().find((j) => j.batchId === batchId)!;
    assert.equal(job.error?.status, 412);
    assert.equal(job.error?.code, 'SourceChanged');
    assert.match(job.error!.message, /source changed/);
    assert.equal(await far().getBlobClient('changing.txt').exists(), false);
    engine.retry(job.id);
    await engine.waitForBatch(batchId);
    assert.equal((await far().getBlobClient('changing.txt').downloadToBuffer()).toString(), 'version two');
  });

  it('a source changed during a multi-block copy is detected and nothing is committed', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('mid.bin');
    await src.uploadData(big, { blockSize: 8 * MiB });
    const plan = await engine.plan({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'mid.bin' } }],
      destination: { connectionId: A2, container: 'far', path: 'mid.bin' },
      options: { strategy: 'put-block-from-url' },
    });
    const batchId = engine.start(plan);
    const job = () => engine.jobs().find((j) => j.batchId === batchId)!;
    await waitFor(() => job().bytesDone > 0);
    await src.setMetadata({ changed: 'yes' }); // any write changes the ETag
    const s = await engine.waitForBatch(batchId);
    assert.equal(s.failed, 1, JSON.stringify(job()));
    assert.equal(job().error?.code, 'SourceChanged');
    assert.match(job().error!.message, /source changed during the copy/);
    assert.equal(await far().getBlobClient('mid.bin').exists(), false);
  });

  it('abort() refuses a job that is not a pending Copy Blob', async () => {
    const any = engine.jobs()[0];
    await assert.rejects(engine.abort(any.id), (e: unknown) => e instanceof CopyError && /only a pending Copy Blob/.test(e.message));
  });

  it('emits every state change and throttles progress (≤ 4/s per job)', async () => {
    const events: JobSnapshot[] = [];
    const sub = engine.onJob((j) => events.push(j));
    const t0 = Date.now();
    const s = await engine.copy(bigReq('events/big.bin'));
    const seconds = (Date.now() - t0) / 1000;
    sub.dispose();
    assert.equal(s.succeeded, 1);
    const states = events.map((e) => e.state).filter((x, i, a) => a.indexOf(x) === i);
    assert.deepEqual(states, ['queued', 'running', 'succeeded']);
    const progress = events.filter((e) => e.state === 'running').length;
    assert.ok(progress <= Math.ceil(seconds * 4) + 3, `${progress} running events in ${seconds.toFixed(2)} s`);
    assert.ok(progress >= 2, 'some progress was reported');
    assert.equal(events.at(-1)!.bytesDone, big.length);
  });

  it('the journal holds no secrets and drops finished jobs', async () => {
    await engine.whenIdle();
    const text = fs.readdirSync(journalDir).map((f) => fs.readFileSync(path.join(journalDir, f), 'utf8')).join('\n');
    for (const secret of [DEV_ACCOUNT.key, SECOND_ACCOUNT.key, 'sig=', 'AccountKey']) assert.ok(!text.includes(secret), `journal contains ${secret}`);
    assert.ok(!fs.readdirSync(journalDir).some((f) => f.endsWith('.tmp')), 'no torn temp files');
    const unfinished = await engine.unfinished();
    assert.deepEqual(unfinished, [], 'this engine owns its jobs; none left unfinished');
  });
});
