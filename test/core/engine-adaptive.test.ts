/**
 * Small blobs with the adaptive account gate, against Azurite: a folder copy with the engine's defaults (no
 * concurrency set: up to DEFAULT_SMALL_BLOB_CAP small blobs queued, the gate deciding how many go) copies every blob
 * identical, and says where the requests in flight settled; a concurrency the user sets caps small blobs.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance } from '../helpers/azurite';
import { CopyEngine, DEFAULT_SMALL_BLOB_CAP } from '../../src/core/engine/engine';
import { A1, blobMd5, data, md5, MemoryLog, resolverFor, stopFast } from '../helpers/engine';

const N = 600;

describe('copy engine: small blobs through the adaptive account gate (Azurite)', () => {
  let azurite: AzuriteInstance;
  const sums = new Map<string, string>();
  const engines: CopyEngine[] = [];
  before(async () => {
    azurite = await startAzurite();
    const src = azurite.serviceClient().getContainerClient('src');
    await src.create();
    const names = Array.from({ length: N }, (_, i) => `many/d${i % 7}/f${String(i).padStart(4, '0')}.bin`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < names.length) {
          const i = next++;
          const body = data(512 + ((i * 37) % 3000), i);
          sums.set(names[i], md5(body));
          await src.getBlockBlobClient(names[i]).upload(body, body.length);
        }
      }),
    );
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await stopFast(azurite);
  });

  /** Copies the folder; returns the log and the most jobs running at once. */
  async function copyFolder(to: string, concurrency?: number): Promise<{ log: MemoryLog; mostRunning: number }> {
    const log = new MemoryLog();
    const engine = new CopyEngine({ resolve: resolverFor(azurite), log, concurrency });
    engines.push(engine);
    const running = new Set<string>();
    let mostRunning = 0;
    const sub = engine.onJob((j) => {
      if (j.state === 'running') running.add(j.id);
      else running.delete(j.id);
      mostRunning = Math.max(mostRunning, running.size);
    });
    const summary = await engine.copy({
      sources: [{ kind: 'location', location: { connectionId: A1, container: 'src', path: 'many/' } }],
      destination: { connectionId: A1, container: 'src', path: `${to}/` },
    });
    sub.dispose();
    assert.equal(summary.total, N, JSON.stringify(summary));
    assert.equal(summary.succeeded, N, JSON.stringify({ summary, errors: log.lines.filter((l) => l.startsWith('error')).slice(0, 3) }));
    const container = azurite.serviceClient().getContainerClient('src');
    let listed = 0;
    for await (const b of container.listBlobsFlat({ prefix: `${to}/` })) {
      listed++;
      assert.equal(await blobMd5(container.getBlobClient(b.name)), sums.get(`many/${b.name.slice(to.length + 1)}`), b.name);
    }
    assert.equal(listed, N);
    return { log, mostRunning };
  }

  it('with the defaults, a folder of small blobs arrives complete and identical; the log says where the requests settled', { timeout: 120_000 }, async (t) => {
    const { log, mostRunning } = await copyFolder('adaptive');
    assert.ok(mostRunning > 32, `at most ${mostRunning} small blobs at once: the old fixed 32 still holds`);
    assert.ok(mostRunning <= DEFAULT_SMALL_BLOB_CAP, `${mostRunning} at once`);
    const settled = log.lines.filter((l) => l.includes('Requests in flight settled at'));
    assert.equal(settled.length, 1, log.lines.join('\n'));
    t.diagnostic(`${settled[0]} (${mostRunning} jobs running at most)`);
    assert.match(settled[0], new RegExp(`settled at \\d+ to http://127\\.0\\.0\\.1:\\d+/devstoreaccount1 .*small blobs capped at ${DEFAULT_SMALL_BLOB_CAP} in flight`));
  });

  it('a concurrency the user sets caps small blobs at 4 × it', { timeout: 120_000 }, async () => {
    const { log, mostRunning } = await copyFolder('capped', 2);
    assert.ok(mostRunning <= 8, `${mostRunning} at once`);
    assert.match(log.lines.find((l) => l.includes('Requests in flight settled at')) ?? '', /small blobs capped at 8 in flight/);
  });
});
