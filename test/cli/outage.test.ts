/**
 * Through the `blob-copy` CLI (bundled like dist/cli.js, run as a child process): with
 * `--outage-tolerance 5` and the destination storage down, the copy waits, then exits 1 with the StorageUnavailable
 * message; `--json` reports the wait in `waitedForStorage`. Loopback only: Azurite and a fault proxy of this test.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { AzuriteInstance, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
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
});
