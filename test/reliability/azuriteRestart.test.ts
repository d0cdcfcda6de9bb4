/**
 * Azurite (on-disk storage) killed with SIGKILL in the middle of a multi-block copy and
 * restarted on the same port. The engine's journal resumes the copy and the result is byte-identical (MD5 of source
 * and destination, both downloaded by the test). Blocks Azurite lost in the crash are restaged: the service's block
 * list, not the journal, is the truth.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import type { CopyEngine, CopyRequest } from '../../src/core';
import { A1, A2, blobMd5, data, fastRetries, fromSdk, makeEngine, md5, MiB, tempDir, waitFor } from '../helpers/proxiedEngine';

const SIZE = 24 * MiB;
const BLOCKS = 24;

describe('row 3: Azurite killed mid-copy and restarted (persistent location)', () => {
  let location: string;
  let azurite: AzuriteInstance;
  let port: number;
  let proxy: FaultProxy;
  let sourceMd5: string;
  const engines: CopyEngine[] = [];

  const restart = async () => {
    azurite = await startAzurite({ location, port });
  };
  const killAzurite = () => {
    // SIGKILL: no chance to flush anything, like a crash or a power cut.
    process.kill(azurite.pid, 'SIGKILL');
  };
  const request = (destName: string): CopyRequest => ({
    sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/source.bin' } }],
    destination: { connectionId: A2, container: 'dst2', path: destName },
    options: { strategy: 'put-block-from-url' },
  });
  /** Kills Azurite when the engine sends its `n`-th Put Block From URL. */
  const killAtBlock = (n: number) => {
    let seen = 0;
    let killed = false;
    const sub = proxy.onRequest((r) => {
      if (!killed && fromSdk(r) && r.comp === 'block' && ++seen >= n) {
        killed = true;
        killAzurite();
        sub.dispose();
      }
    });
    return () => killed;
  };

  before(async () => {
    location = tempDir('row3-azurite');
    azurite = await startAzurite({ location });
    port = azurite.port;
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst2');
    const buf = data(SIZE, 33);
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('big/source.bin').uploadData(buf, { blockSize: 8 * MiB });
    // A graceful restart first, so the source is surely on disk before the crash tests.
    await azurite.stop();
    await restart();
    sourceMd5 = await blobMd5(azurite.serviceClient().getContainerClient('src').getBlobClient('big/source.bin'));
    assert.equal(sourceMd5, md5(buf));
    proxy = await startFaultProxy({ host: azurite.host, port });
    // Slow the staging down a little so the kill lands in the middle of the copy.
    proxy.setRules({ delayMs: 40, maxDelays: 10_000, match: (r) => fromSdk(r) && r.comp === 'block' });
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await proxy?.stop();
    await azurite?.stop();
    fs.rmSync(location, { recursive: true, force: true });
  });

  it('engine closed while Azurite is down; a new engine on the same journal folder resumes and completes byte-identical', { timeout: 120_000 }, async (t) => {
    const journalDir = tempDir('row3-journal');
    // Generous SDK retries: the job is still running (retrying) when the engine goes away.
    const first = makeEngine(proxy, { journalDir, pipeline: { retryOptions: { maxTries: 30, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } }, blockSizeBytes: MiB, rangeConcurrency: 2 });
    engines.push(first.engine);
    const killed = killAtBlock(10);
    const batchId = first.engine.start(await first.engine.plan(request('resumed.bin')));
    await waitFor(killed, 60_000, 'Azurite to be killed mid-copy');
    const job = first.engine.jobs().find((j) => j.batchId === batchId)!;
    assert.equal(job.state, 'running', 'still running (the SDK retries against the dead server)');
    // Let the journal catch up, then close the engine, as a window reload or app exit would.
    await new Promise((r) => setTimeout(r, 300));
    first.engine.dispose();
    const files = fs.readdirSync(journalDir).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 1, `one journal record: ${files.join(', ')}`);
    const record = JSON.parse(fs.readFileSync(path.join(journalDir, files[0]), 'utf8')) as { progress: { staged?: number[] }; state: string };
    const journaled = record.progress.staged?.length ?? 0;
    t.diagnostic(`journal at the crash: state ${record.state}, ${journaled} of ${BLOCKS} blocks staged`);
    assert.ok(journaled < BLOCKS, 'the copy was really interrupted');

    await restart();
    const dest = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlockBlobClient('resumed.bin');
    assert.equal(await dest.exists(), false, 'nothing committed before the crash');
    // Get Block List answers 404 when the service holds no block at all for the name (all lost in the crash).
    const survived = await dest
      .getBlockList('uncommitted')
      .then((l) => l.uncommittedBlocks?.length ?? 0)
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode === 404) return 0;
        throw e;
      });
    t.diagnostic(`${survived} staged blocks survived the crash in Azurite`);

    proxy.resetStats();
    const second = makeEngine(proxy, { journalDir, pipeline: fastRetries(6), blockSizeBytes: MiB, rangeConcurrency: 2 });
    engines.push(second.engine);
    const unfinished = await second.engine.unfinished();
    assert.equal(unfinished.length, 1, 'the new engine finds the unfinished job in the journal');
    assert.equal(unfinished[0].id, job.id);
    const resumed = await second.engine.resume();
    assert.deepEqual(resumed, [batchId]);
    await second.engine.whenIdle();
    const after = second.engine.jobs().find((j) => j.id === job.id)!;
    assert.equal(after.state, 'succeeded', JSON.stringify({ after, log: second.log.lines }));
    const restaged = proxy.requestLog().filter((e) => e.comp === 'block' && e.status === 201).length;
    t.diagnostic(`resume staged ${restaged} blocks (${BLOCKS - restaged} reused)`);
    assert.ok(restaged <= BLOCKS - survived, `restaged ${restaged} though ${survived} survived`);
    assert.equal(await blobMd5(dest), sourceMd5, 'byte-identical');
    assert.equal((await dest.getBlockList('committed')).committedBlocks?.length, BLOCKS);
    assert.deepEqual(fs.readdirSync(journalDir).filter((f) => f.endsWith('.json')), [], 'the finished job left the journal');
  });

  it('the job fails while Azurite is down past the outage tolerance (clear error, nothing committed); after the restart a retry completes it byte-identical', { timeout: 120_000 }, async (t) => {
    const journalDir = tempDir('row3-journal-b');
    // A 5 s outage tolerance (the default waits 300 s): this case is about failing clearly and retrying.
    const { engine, log } = makeEngine(proxy, { journalDir, pipeline: fastRetries(3), blockSizeBytes: MiB, rangeConcurrency: 2, outageToleranceSeconds: 5 });
    engines.push(engine);
    const killed = killAtBlock(8);
    const summary = await engine.copy(request('retried.bin'));
    assert.ok(killed());
    assert.equal(summary.failed, 1, JSON.stringify(summary));
    const job = engine.jobs()[0];
    assert.ok(job.error?.hint && /unreachable|emulator|network/i.test(job.error.hint), JSON.stringify(job.error));
    t.diagnostic(`while down: ${job.error?.message} — ${job.error?.hint}`);
    assert.ok(log.lines.some((l) => l.startsWith('error')));
    await restart();
    const dest = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlockBlobClient('retried.bin');
    assert.equal(await dest.exists(), false, 'nothing committed');
    engine.retry(job.id);
    await engine.whenIdle();
    assert.equal(engine.jobs()[0].state, 'succeeded', JSON.stringify({ job: engine.jobs()[0], log: log.lines }));
    assert.equal(await blobMd5(dest), sourceMd5, 'byte-identical');
    // The source is untouched too.
    assert.equal(await blobMd5(azurite.serviceClient(DEV_ACCOUNT).getContainerClient('src').getBlobClient('big/source.bin')), sourceMd5);
  });
});
