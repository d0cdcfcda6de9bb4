/**
 * Through the `blob-copy` CLI (bundled like dist/cli.js, run as a child process): with
 * `--outage-tolerance 5` and the destination storage down, the copy waits, then exits 1 with the StorageUnavailable
 * message; `--json` reports the wait in `waitedForStorage`. An outage while a folder is listed is waited out with the
 * defaults: every blob arrives, exit 0, and `waitedForStorage.listing` says so; one while a move is planned (to the
 * end, before anything is written), in `waitedForStorage.planning`. Loopback only: Azurite and a fault
 * proxy of this test.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { bundleCli, runCli } from '../helpers/cli';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';

let cliPath = '';

const run = (args: string[], timeoutMs = 60_000) => runCli(cliPath, args, {}, timeoutMs);

describe('blob-copy CLI: storage outage', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  const payload = crypto.randomBytes(2 * 1024 * 1024);

  before(async () => {
    cliPath = await bundleCli('cli-outage-test');
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    await azurite.serviceClient().createContainer('src');
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('one.bin').upload(payload, payload.length);
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('dst');
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  it('--outage-tolerance 5 with the destination down: exit 1, StorageUnavailable, waitedForStorage in --json', { timeout: 90_000 }, async (t) => {
    // Down from the first copy request on (planning reads the destination first: see the report on plan-time outages).
    let downAt = 0;
    const hook = proxy.onRequest((r) => {
      if (downAt || r.copySource === undefined) return;
      downAt = Date.now();
      void proxy.setDown('refuse', { maxDownMs: 80_000 });
    });
    try {
      const r = await run([
        'copy',
        `${azurite.endpoint()}/src/one.bin`,
        `${proxy.endpoint(SECOND_ACCOUNT.name)}/dst/one.bin`,
        '--source-connection-string',
        azurite.connectionString(),
        '--destination-connection-string',
        proxy.connectionString(SECOND_ACCOUNT.name, SECOND_ACCOUNT.key),
        '--outage-tolerance',
        '5',
        '--json',
      ]);
      assert.ok(downAt > 0, 'the destination went down during the copy');
      t.diagnostic(`exit ${r.code} after ${r.ms} ms; stderr: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /storage did not answer for \d+ s \(connection (refused|reset)\); gave up after the outage tolerance of 5 s/);
      assert.match(r.stderr, /warning: .*storage is not answering/);
      const summary = JSON.parse(r.stdout) as { ok: boolean; failed: number; waitedForStorage?: { jobs: number; longestSeconds: number; reasons: string[] }; jobs: Array<{ error?: { code?: string } }> };
      assert.equal(summary.ok, false);
      assert.equal(summary.failed, 1);
      assert.equal(summary.jobs[0].error?.code, 'StorageUnavailable');
      assert.ok(summary.waitedForStorage && summary.waitedForStorage.jobs >= 1, JSON.stringify(summary.waitedForStorage));
      assert.ok(summary.waitedForStorage.reasons.some((x) => /connection/.test(x)));
      assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
    } finally {
      hook.dispose();
      await proxy.setDown(false);
    }
    assert.equal(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('dst').getBlobClient('one.bin').exists(), false);
  });

  it('an outage while the folder is listed: waited out with the defaults, exit 0, every blob copied, waitedForStorage.listing', { timeout: 90_000 }, async () => {
    const src = azurite.serviceClient().getContainerClient('src');
    await azurite.serviceClient().createContainer('dstmany');
    const N = 250;
    for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => src.getBlockBlobClient(`many/b${String(i + k).padStart(3, '0')}.txt`).upload('x', 1)));
    // The source's second listing page (the one with a marker) meets an outage of 10 s.
    const down = proxy.refuseAtFirst((r) => r.comp === 'list' && r.path.endsWith('/src') && /(^|&)marker=/.test(r.query), 10_000);
    let r;
    try {
      const cs = proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
      r = await run(['copy', `${proxy.endpoint(DEV_ACCOUNT.name)}/src/many/`, `${proxy.endpoint(DEV_ACCOUNT.name)}/dstmany/many/`, '--recursive', '--json', '--source-connection-string', cs, '--destination-connection-string', cs], 80_000);
    } finally {
      await down.end();
    }
    assert.ok(down.at > 0, 'the outage met the listing');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /warning: List the sources: storage is not answering \(connection (refused|reset)\); the copies already listed go on/);
    const summary = JSON.parse(r.stdout) as { ok: boolean; succeeded: number; waitedForStorage?: { listing?: { longestSeconds: number; reasons: string[] } } };
    assert.equal(summary.ok, true);
    assert.equal(summary.succeeded, N);
    const listing = summary.waitedForStorage?.listing;
    assert.ok(listing && listing.longestSeconds >= 1 && listing.reasons.some((x) => /connection/.test(x)), JSON.stringify(summary.waitedForStorage));
    let copied = 0;
    for await (const b of azurite.serviceClient().getContainerClient('dstmany').listBlobsFlat({ prefix: 'many/' })) copied += b.properties.contentLength === 1 ? 1 : 0;
    assert.equal(copied, N);
  });

  it('an outage while a move is planned (to the end, before anything is written): waited out, exit 0, waitedForStorage.planning', { timeout: 90_000 }, async () => {
    const src = azurite.serviceClient().getContainerClient('src');
    await azurite.serviceClient().createContainer('dstmove');
    const N = 250;
    for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => src.getBlockBlobClient(`mv/b${String(i + k).padStart(3, '0')}.txt`).upload('x', 1)));
    // The plan's second listing page (the first one with a marker) meets an outage of 10 s.
    let listsBefore = 0;
    const down = proxy.refuseAtFirst((r) => {
      if (r.comp !== 'list' || !r.path.endsWith('/src')) return false;
      if (/(^|&)marker=/.test(r.query)) return true;
      listsBefore++;
      return false;
    }, 10_000);
    let r;
    try {
      const cs = proxy.connectionString(DEV_ACCOUNT.name, DEV_ACCOUNT.key);
      r = await run(['move', `${proxy.endpoint(DEV_ACCOUNT.name)}/src/mv/`, `${proxy.endpoint(DEV_ACCOUNT.name)}/dstmove/mv/`, '--recursive', '--json', '--source-connection-string', cs, '--destination-connection-string', cs], 80_000);
    } finally {
      await down.end();
    }
    assert.ok(down.at > 0 && listsBefore === 1, 'the outage met the plan, at its second page');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const summary = JSON.parse(r.stdout) as { ok: boolean; succeeded: number; waitedForStorage?: { planning?: { longestSeconds: number; reasons: string[] }; listing?: unknown } };
    assert.equal(summary.succeeded, N);
    const planning = summary.waitedForStorage?.planning;
    assert.ok(planning && planning.longestSeconds >= 1 && planning.reasons.some((x) => /connection/.test(x)), JSON.stringify(summary.waitedForStorage));
    assert.equal(summary.waitedForStorage?.listing, undefined, "the copy's own listing met no outage");
    let moved = 0;
    for await (const b of azurite.serviceClient().getContainerClient('dstmove').listBlobsFlat({ prefix: 'mv/' })) moved += b.properties.contentLength === 1 ? 1 : 0;
    assert.equal(moved, N);
    for await (const b of src.listBlobsFlat({ prefix: 'mv/' })) assert.fail(`source ${b.name} was not deleted`);
  });
});
