import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, JobSnapshot, BatchSummary } from '../../src/core';
import { A1, A2, blobMd5, data, makeEngine, md5, MemoryLog, stopFast } from '../helpers/engine';

describe('copy engine: strategies on Azurite', () => {
  let azurite: AzuriteInstance;
  let engine: CopyEngine;
  let log: MemoryLog;
  before(async () => {
    azurite = await startAzurite();
    ({ engine, log } = makeEngine(azurite, { blockSizeBytes: 1024 * 1024 }));
    const s1 = azurite.serviceClient();
    const s2 = azurite.serviceClient(SECOND_ACCOUNT);
    await s1.createContainer('src');
    await s1.createContainer('dst');
    await s2.createContainer('dst2');
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
  });

  it('copies one blob within a container (copy-blob, same account)', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('one.bin');
    const buf = data(300_000);
    await src.uploadData(buf, { blobHTTPHeaders: { blobContentType: 'application/x-test' }, metadata: { k: 'v' } });
    const events: JobSnapshot[] = [];
    const batches: BatchSummary[] = [];
    const d1 = engine.onJob((j) => events.push(j));
    const d2 = engine.onBatch((b) => batches.push(b));
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'one.bin' } }],
      destination: { connectionId: A1, container: 'src', path: 'copy of one.bin' },
      options: { strategy: 'copy-blob' },
    });
    d1.dispose();
    d2.dispose();
    assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
    const dst = azurite.serviceClient().getContainerClient('src').getBlobClient('copy of one.bin');
    assert.equal(await blobMd5(dst), md5(buf));
    const props = await dst.getProperties();
    assert.equal(props.contentType, 'application/x-test');
    assert.deepEqual(props.metadata, { k: 'v' });
    assert.equal(events.at(-1)?.strategy, 'copy-blob');
    assert.deepEqual(events.map((e) => e.state).filter((s, i, a) => a.indexOf(s) === i), ['queued', 'running', 'succeeded']);
    assert.equal(batches.at(-1)?.done, true);
  });

  it('copies a large blob across accounts with put-block-from-url (forced)', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('big/large.bin');
    const buf = data(5 * 1024 * 1024 + 123);
    await src.uploadData(buf);
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'big/' } }],
      destination: { connectionId: A2, container: 'dst2', path: 'x/' },
      options: { strategy: 'put-block-from-url' },
    });
    assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
    const dst = azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst2').getBlockBlobClient('x/large.bin');
    assert.equal(await blobMd5(dst), md5(buf));
    const blocks = await dst.getBlockList('committed');
    assert.equal(blocks.committedBlocks?.length, 6);
  });

  it('auto across accounts falls back from Put Blob From URL on bare Azurite', async () => {
    const src = azurite.serviceClient().getContainerClient('src').getBlockBlobClient('small.txt');
    await src.upload('hello', 5);
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'small.txt' } }],
      destination: { connectionId: A2, container: 'dst2', path: '' },
    });
    assert.equal(summary.succeeded, 1, JSON.stringify({ summary, log: log.lines }));
    const job = engine.jobs().at(-1)!;
    assert.equal(job.operation, 'copy-blob-from-url', JSON.stringify(job));
    assert.ok(log.lines.some((l) => l.includes('does not implement Put Blob From URL')), log.lines.join('\n'));
  });
});
