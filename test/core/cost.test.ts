/**
 * Cost preview: the pure accumulator, and the preview against the REST calls a real run makes (Azurite
 * behind the from-URL shim, every SDK request counted by the fault proxy in pass-through).
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT } from '../helpers/azurite';
import { startFaultProxy, type FaultProxy, type ProxyLogEntry } from '../helpers/faultProxy';
import { FromUrlShim, startFromUrlShim } from '../shim/fromUrlShim';
import { CopyEngine, createAccountClient, type AccountClient, type CopyRequest, type CostValue, type PlannedCopy } from '../../src/core';
import { CostEstimate, describeCost, withoutPlanning } from '../../src/core/plan/cost';
import { OPERATIONS, REST_CALLS, operationLabel, type RestCall } from '../../src/shared/vocabulary';
import { data, MemoryLog, stopFast } from '../helpers/engine';

const MiB = 1024 * 1024;

function item(over: Partial<PlannedCopy>): PlannedCopy {
  return {
    source: { kind: 'location', location: { connectionId: 'a', container: 'c', path: 'x' } },
    sourceName: 'x',
    destination: { connectionId: 'b', container: 'd', path: 'x' },
    strategy: 'copy-blob',
    blobType: 'BlockBlob',
    size: 1,
    conflict: 'none',
    action: 'copy',
    sourceEtag: '"e"',
    sourceProperties: { tagsKnown: true },
    ...over,
  };
}

describe('cost preview: the accumulator', () => {
  it('names its calls as the operations are labelled', () => {
    for (const op of OPERATIONS) {
      if (op === 'put-block-from-url') assert.equal(operationLabel(op), 'Put Block From URL + Put Block List');
      else assert.ok((REST_CALLS as readonly string[]).includes(operationLabel(op)), operationLabel(op));
    }
  });

  it('counts per operation: blocks by the block size, append chunks, page ranges as a bound, verification HEADs, tags', () => {
    const c = new CostEstimate({ blockSizeBytes: 8 * MiB });
    c.add([
      item({ operation: 'copy-blob-from-url', size: 100, sameAccount: true }),
      item({ operation: 'copy-blob-from-url', size: 200, sameAccount: true }),
      item({ operation: 'copy-blob', size: 10 * MiB, sameAccount: true, sourceProperties: { tagsKnown: true, tags: { t: '1' } } }),
      item({ operation: 'put-block-from-url', size: 20 * MiB, strategy: 'put-block-from-url' }),
      item({ operation: 'append-block-from-url', size: 9 * MiB, blobType: 'AppendBlob', strategy: 'append-block-from-url' }),
      item({ operation: 'put-page-from-url', size: 16 * MiB, blobType: 'PageBlob', strategy: 'put-page-from-url' }),
      item({ operation: 'put-blob-from-url', size: 5, action: 'skip' }),
    ]);
    c.planned(new Map<RestCall, number>([['List Blobs', 2]]));
    const v = c.value();
    assert.deepEqual(v.requests, {
      'Copy Blob From URL': 2,
      'Copy Blob': 1,
      'Put Block From URL': 3, // 20 MiB in 8 MiB blocks
      'Put Block List': 1,
      'Put Blob': 2, // creates of the append and the page blob
      'Append Block From URL': 3, // 9 MiB in 4 MiB chunks
      'Get Page Ranges': 1,
      'Put Page From URL': 4, // up to: 16 MiB in 4 MiB chunks
      'Get Blob Properties': 9, // 1 verify (copy) + 2 (block: source check, verify) + 3 (append: + creation time) + 3 (page)
      'Set Blob Tags': 1,
      'List Blobs': 2,
    });
    assert.deepEqual(v.ranges, { 'Put Page From URL': { min: 0, max: 4 } });
    assert.deepEqual(v.planning, { 'List Blobs': 2 });
    assert.deepEqual(v.bytes, { sameAccount: 300 + 10 * MiB, crossAccount: 45 * MiB });
    assert.equal(v.mayPoll, 1);
    const text = describeCost(v).join('\n');
    assert.match(text, /2 × Copy Blob From URL, 1 × Copy Blob, .*3 × Put Block From URL, 1 × Put Block List/);
    assert.match(text, /up to 4 × Put Page From URL/);
    assert.match(text, /2 × List Blobs/);
    assert.match(text, /10 MiB stay inside one account; 45 MiB cross accounts/);
    assert.match(text, /No bytes pass through this machine/);
    assert.match(text, /status polls/);
    const copyOnly = withoutPlanning(v);
    assert.equal(copyOnly.requests['List Blobs'], undefined);
    assert.equal(copyOnly.requests['Copy Blob'], 1);
  });

  it('is fed page by page: two pages count as one of both', () => {
    const a = [item({ operation: 'put-block-from-url', size: 100 * MiB }), item({ operation: 'copy-blob', size: 3 })];
    const b = [item({ operation: 'append-block-from-url', size: 1 }), item({ operation: 'put-blob-from-url', size: 7, sourceProperties: undefined })];
    const one = new CostEstimate({ blockSizeBytes: 32 * MiB });
    one.add([...a, ...b]);
    const two = new CostEstimate({ blockSizeBytes: 32 * MiB });
    two.add(a);
    two.add(b);
    assert.deepEqual(two.value(), one.value());
    // A blob not listed with its properties is read with a HEAD first, and its tags maybe.
    assert.deepEqual(one.value().ranges['Get Blob Tags'], { min: 0, max: 1 });
    assert.equal(one.value().requests['Put Block From URL'], 4);
  });

  it('a move adds a verifying HEAD and a Delete Blob per copied blob; a huge blob raises its block size to fit 50,000 blocks', () => {
    const c = new CostEstimate({ blockSizeBytes: 1 * MiB, move: true });
    c.add([item({ operation: 'put-block-from-url', size: 100_000 * MiB })]);
    const v = c.value();
    assert.equal(v.requests['Delete Blob'], 1);
    assert.equal(v.requests['Put Block From URL'], 50_000); // 2 MiB blocks, not 100,000 of 1 MiB
    assert.equal(v.requests['Get Blob Properties'], 3);
  });
});

/** The REST operation of a logged request (the engine's own requests only). */
function classify(r: ProxyLogEntry): string {
  const m = r.method;
  if (m === 'GET' && r.comp === 'list') return 'List Blobs';
  if (m === 'HEAD' && !r.comp) return 'Get Blob Properties';
  if (m === 'GET' && r.comp === 'tags') return 'Get Blob Tags';
  if (m === 'PUT' && r.comp === 'tags') return 'Set Blob Tags';
  if (m === 'PUT' && r.comp === 'block' && r.copySource) return 'Put Block From URL';
  if (m === 'PUT' && r.comp === 'blocklist') return 'Put Block List';
  if (m === 'PUT' && r.comp === 'appendblock' && r.copySource) return 'Append Block From URL';
  if (m === 'PUT' && r.comp === 'page' && r.copySource) return 'Put Page From URL';
  if (m === 'GET' && r.comp === 'pagelist') return 'Get Page Ranges';
  if (m === 'PUT' && !r.comp && r.copySource) return r.requiresSync ? 'Copy Blob From URL' : r.blobType ? 'Put Blob From URL' : 'Copy Blob';
  if (m === 'PUT' && !r.comp) return 'Put Blob';
  if (m === 'DELETE' && !r.comp) return 'Delete Blob';
  return `${m} ${r.comp ?? ''} (unexpected)`;
}

/**
 * The calls per operation: the engine's requests, each counted once however often the SDK's retry policy sent it
 * (its retries keep the client request id). The preview promises calls; a retry under load is another attempt of one.
 */
function countCalls(log: readonly ProxyLogEntry[], retried: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  const first = new Map<string, ProxyLogEntry>();
  for (const r of log) {
    if (!r.clientRequestId) continue; // a service's own read of a copy source
    const k = classify(r);
    const earlier = first.get(r.clientRequestId);
    if (earlier) {
      retried.push(`${k} (status ${earlier.status ?? 'none'}, then ${r.status ?? 'none'})`);
      continue;
    }
    first.set(r.clientRequestId, r);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('cost preview: the counts a real run makes', () => {
  let azurite: AzuriteInstance;
  let shim: FromUrlShim;
  let proxy: FaultProxy;
  let engine: CopyEngine;
  const log = new MemoryLog();
  /** Both accounts through the proxy (→ shim → Azurite): one origin, two accounts. */
  const P1 = 'p1';
  const P2 = 'p2';
  before(async () => {
    azurite = await startAzurite();
    shim = await startFromUrlShim(azurite);
    proxy = await startFaultProxy({ host: '127.0.0.1', port: shim.port });
    const clients = new Map<string, AccountClient>();
    engine = new CopyEngine({
      resolve: async (id) => {
        const account = id === P1 ? DEV_ACCOUNT : id === P2 ? SECOND_ACCOUNT : undefined;
        if (!account) throw new Error(`unknown connection ${id}`);
        let c = clients.get(id);
        if (!c) clients.set(id, (c = createAccountClient({ kind: 'connectionString', connectionString: proxy.connectionString(account.name, account.key) })));
        return c;
      },
      log,
    }); // default settings: 32 MiB blocks, 8 blobs and 4 ranges in flight
    const a1 = azurite.serviceClient(DEV_ACCOUNT);
    const a2 = azurite.serviceClient(SECOND_ACCOUNT);
    await a1.createContainer('src');
    await a2.createContainer('near');
    await a2.createContainer('dst');
    // 25 small blobs in the destination's account (Copy Blob From URL), one of them tagged, and a 5 MiB one with tags
    // (Copy Blob, then Set Blob Tags).
    for (let i = 0; i < 25; i++) {
      await a2.getContainerClient('near').getBlockBlobClient(`small/f${String(i).padStart(2, '0')}.txt`).upload(`blob ${i}`, `blob ${i}`.length, i === 3 ? { tags: { k: 'v' } } : {});
    }
    const five = data(5 * MiB, 5);
    await a2.getContainerClient('near').getBlockBlobClient('small/five.bin').uploadData(five, { tags: { size: 'five' } });
    // Across accounts: a block blob over 256 MiB (Put Block From URL, 9 blocks of 32 MiB), an append blob of 10 MiB
    // (3 appends), a sparse 16 MiB page blob with two written ranges.
    const tile = data(MiB, 9);
    await a1.getContainerClient('src').getBlockBlobClient('big/large.bin').uploadData(Buffer.concat([...Array.from({ length: 257 }, () => tile), Buffer.from('x')]));
    const app = a1.getContainerClient('src').getAppendBlobClient('ap/journal.log');
    await app.create();
    for (let i = 0; i < 10; i++) await app.appendBlock(data(MiB, i), MiB);
    const page = a1.getContainerClient('src').getPageBlobClient('pp/disk.vhd');
    await page.create(16 * MiB);
    await page.uploadPages(data(8192, 1), 0, 8192);
    await page.uploadPages(data(MiB, 2), 9 * MiB, MiB);
  });
  after(async () => {
    engine?.dispose();
    await proxy?.stop();
    await shim?.stop();
    await stopFast(azurite);
  });

  it('the preview matches the per-operation calls of the run (exact, page ranges within their bound)', { timeout: 300_000 }, async (t) => {
    const request: CopyRequest = {
      sources: [
        { kind: 'location', location: { connectionId: P2, container: 'near', path: 'small/' } },
        { kind: 'location', location: { connectionId: P1, container: 'src', path: 'big/large.bin' } },
        { kind: 'location', location: { connectionId: P1, container: 'src', path: 'ap/' } },
        { kind: 'location', location: { connectionId: P1, container: 'src', path: 'pp/disk.vhd' } },
      ],
      destination: { connectionId: P2, container: 'dst', path: 'out/' },
    };
    proxy.resetStats();
    const preview = await engine.summarize(request);
    const planningLog = countCalls(proxy.requestLog());
    const cost: CostValue = preview.cost;
    assert.equal(preview.totals.count, 29);
    // The preview's planning calls are the ones its own pass made.
    assert.deepEqual(cost.planning, planningLog);

    proxy.resetStats();
    const s = await engine.copy(request);
    assert.equal(s.succeeded, 29, JSON.stringify({ s, log: log.lines.slice(-20) }));
    const retried: string[] = [];
    const real = countCalls(proxy.requestLog(), retried);
    if (retried.length) t.diagnostic(`retried by the SDK (not counted again): ${retried.join(', ')}`);
    const ops = new Map(engine.jobs().map((j) => [j.destination, j.operation]));
    assert.equal(ops.get('dst/out/large.bin'), 'put-block-from-url');
    assert.equal(ops.get('dst/out/journal.log'), 'append-block-from-url');
    assert.equal(ops.get('dst/out/disk.vhd'), 'put-page-from-url');
    assert.equal(ops.get('dst/out/five.bin'), 'copy-blob');
    assert.equal(ops.get('dst/out/f00.txt'), 'copy-blob-from-url');

    const report = JSON.stringify({ preview: cost.requests, ranges: cost.ranges, real });
    for (const name of new Set([...Object.keys(real), ...Object.keys(cost.requests)])) {
      const got = real[name] ?? 0;
      const range = cost.ranges[name as RestCall];
      if (range) assert.ok(got >= range.min && got <= range.max, `${name}: ${got} outside ${range.min}–${range.max} ${report}`);
      else assert.equal(got, cost.requests[name as RestCall] ?? 0, `${name} ${report}`);
    }
    // The mix exercised every kind of call the preview names, with the figures the brief expects.
    assert.equal(real['Put Block From URL'], 9, report);
    assert.equal(real['Append Block From URL'], 3, report);
    assert.equal(real['Copy Blob From URL'], 25, report);
    assert.ok(real['Put Page From URL'] >= 2, report);
    assert.equal(cost.bytes.crossAccount, 257 * MiB + 1 + 10 * MiB + 16 * MiB);
    assert.equal(cost.bytes.sameAccount, 5 * MiB + 25 * 'blob 0'.length + 15 * 1);
    console.log(`cost preview vs run: ${report}`);
  });
});
