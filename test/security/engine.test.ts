/**
 * Security: what the engine writes and says never carries a credential, and the SAS tokens it generates
 * for copy sources are read-only, scoped to one blob and short-lived.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobSASPermissions, ContainerSASPermissions, generateBlobSASQueryParameters, StoragePipelineOptions } from '@azure/storage-blob';
import { AzuriteInstance, DEV_ACCOUNT, SECOND_ACCOUNT, startAzurite } from '../helpers/azurite';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { AccountClient, BatchSummary, CopyEngine, CopyError, CopyRequest, createAccountClient, JobSnapshot } from '../../src/core';
import { A1, A2, data, fastRetries, MemoryLog, MiB, resolverThrough, tempDir, waitFor } from '../helpers/proxiedEngine';

const KEYS = [DEV_ACCOUNT.key, SECOND_ACCOUNT.key];
const RO = 'sec-read-only-destination';

/** Everything a user or a file could see, in one string per item. */
function leaks(texts: readonly string[], signatures: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const t of texts) {
    for (const k of KEYS) if (t.includes(k) || t.includes(encodeURIComponent(k))) found.push(`account key in: ${t.slice(0, 200)}`);
    for (const s of signatures) if (t.includes(s) || t.includes(encodeURIComponent(s))) found.push(`signature in: ${t.slice(0, 200)}`);
    const m = /(?:[?&]|%3F|%26|^|\s)sig(?:=|%3D)(?!REDACTED)[^&\s"']+/i.exec(t);
    if (m) found.push(`unredacted sig= in: ${t.slice(0, 200)}`);
    if (/AccountKey\s*=\s*(?!REDACTED)[^;\s"']+/i.test(t)) found.push(`AccountKey= in: ${t.slice(0, 200)}`);
    if (/SharedKey(?:Lite)?\s+[^:\s"']+:(?!REDACTED)[A-Za-z0-9+/=]{8,}/.test(t)) found.push(`SharedKey authorization in: ${t.slice(0, 200)}`);
  }
  return found;
}

describe('security: journal, messages and generated SAS tokens', () => {
  let azurite: AzuriteInstance;
  let proxy: FaultProxy;
  const SIZE = 8 * MiB;

  before(async () => {
    azurite = await startAzurite();
    proxy = await startFaultProxy({ host: azurite.host, port: azurite.port });
    const src = azurite.serviceClient().getContainerClient('sec-src');
    await src.create();
    await src.getBlockBlobClient('dir/secret source.bin').uploadData(data(SIZE, 91));
    await src.getBlockBlobClient('small.txt').upload('small', 5);
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('sec-dst');
    await azurite.serviceClient().createContainer('sec-dst1');
  });
  after(async () => {
    await proxy?.stop();
    await azurite?.stop();
  });

  /** An engine through the proxy that records every event, log line and error text. */
  const recordingEngine = (journalDir: string, extra: Record<string, AccountClient> = {}, pipeline: StoragePipelineOptions = fastRetries(3)) => {
    const log = new MemoryLog();
    const base = resolverThrough(proxy, pipeline);
    const engine = new CopyEngine({
      resolve: async (id) => extra[id] ?? base(id),
      journalDir,
      log,
      concurrency: 4,
      rangeConcurrency: 2,
      blockSizeBytes: MiB,
    });
    const jobs: JobSnapshot[] = [];
    const batches: BatchSummary[] = [];
    engine.onJob((j) => jobs.push(j));
    engine.onBatch((b) => batches.push(b));
    const texts = () => [...log.lines, ...jobs.map((j) => JSON.stringify(j)), ...batches.map((b) => JSON.stringify(b))];
    return { engine, log, jobs, texts };
  };

  it('a key-based cross-account copy writes a journal with no account key and no signature, and generates a read-only one-blob SAS', async (t) => {
    const journalDir = tempDir('sec-journal');
    proxy.setRules({ delayMs: 40, maxDelays: 10_000, match: (r) => r.comp === 'block' });
    proxy.resetStats();
    const { engine, texts } = recordingEngine(journalDir);
    const seen = new Map<string, string>();
    let stop = false;
    // Read every journal file as often as possible while the copy runs (the finished job's file is removed).
    const reader = (async () => {
      while (!stop) {
        for (const f of fs.readdirSync(journalDir)) {
          try {
            seen.set(`${f}#${seen.size}`, fs.readFileSync(path.join(journalDir, f), 'utf8'));
          } catch {
            /* renamed away in between */
          }
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const started = Date.now();
    try {
      const request: CopyRequest = {
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'sec-src', path: 'dir/secret source.bin' } }],
        destination: { connectionId: A2, container: 'sec-dst', path: 'copy.bin' },
        options: { strategy: 'put-block-from-url' },
      };
      const summary = await engine.copy(request);
      assert.equal(summary.succeeded, 1);
    } finally {
      stop = true;
      await reader;
      engine.dispose();
    }
    assert.ok(seen.size >= 3, `journal files were read during the copy (${seen.size} reads)`);
    const journalTexts = [...seen.values()];
    assert.ok(journalTexts.some((x) => x.includes('"staged"')), 'the journal holds progress');
    assert.deepEqual(leaks(journalTexts), []);
    assert.deepEqual(leaks(texts()), []);

    // The SAS the engine generated for the source, as the destination service received it in x-ms-copy-source.
    const sources = proxy.requestLog().filter((e) => e.copySource !== undefined);
    assert.ok(sources.length >= 8, `copy requests carried a source URL (${sources.length})`);
    const signatures = new Set<string>();
    for (const e of sources) {
      const u = new URL(e.copySource!);
      const q = u.searchParams;
      assert.equal(decodeURIComponent(u.pathname), `/${DEV_ACCOUNT.name}/sec-src/dir/secret source.bin`, 'scoped to the one source blob');
      assert.equal(q.get('sp'), 'r', 'read permission only');
      assert.equal(q.get('sr'), 'b', 'a blob SAS, not a container or account SAS');
      assert.equal(q.get('ss'), null);
      assert.equal(q.get('srt'), null);
      assert.ok(q.get('sig'), 'signed');
      signatures.add(q.get('sig')!);
      const expires = Date.parse(q.get('se')!);
      const lifetimeMin = (expires - started) / 60_000;
      assert.ok(expires > Date.now(), 'not expired');
      assert.ok(lifetimeMin <= 2 * 60, `expires within 2 h for an 8 MiB blob (${lifetimeMin.toFixed(1)} min)`);
      const st = q.get('st');
      if (st) assert.ok(Date.parse(st) <= Date.now() && Date.now() - Date.parse(st) <= 15 * 60_000, 'starts now (with a few minutes for clock skew)');
      t.diagnostic(`source SAS: sp=${q.get('sp')} sr=${q.get('sr')} lifetime ${lifetimeMin.toFixed(1)} min, start ${st ? `${((started - Date.parse(st)) / 60_000).toFixed(1)} min back` : 'none'}`);
      break;
    }
    for (const e of sources) {
      const q = new URL(e.copySource!).searchParams;
      assert.equal(q.get('sp'), 'r');
      assert.equal(q.get('sr'), 'b');
      signatures.add(q.get('sig')!);
    }
    // And the journal and every message are free of those exact signatures.
    assert.deepEqual(leaks([...journalTexts, ...texts()], [...signatures]), []);
  });

  it('an expired source SAS: a CopyError with status 403 and a hint, and no signature in any message, event or journal', async (t) => {
    const journalDir = tempDir('sec-journal-expired');
    proxy.setRules({});
    const now = Date.now();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: 'sec-src',
        blobName: 'small.txt',
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - 2 * 3600_000),
        expiresOn: new Date(now - 3600_000),
      },
      azurite.credential(DEV_ACCOUNT),
    );
    const sig = sas.signature;
    const url = `${proxy.endpoint(DEV_ACCOUNT.name)}/sec-src/small.txt?${sas.toString()}`;
    const { engine, texts } = recordingEngine(journalDir);
    let error: unknown;
    let summary: BatchSummary | undefined;
    try {
      summary = await engine.copy({ sources: [{ kind: 'url', url }], destination: { connectionId: A2, container: 'sec-dst', path: 'from-expired.txt' } });
    } catch (e) {
      error = e;
    } finally {
      engine.dispose();
    }
    const info = error instanceof CopyError ? error.info : engine.jobs()[0]?.error;
    assert.ok(error === undefined || error instanceof CopyError, `a CopyError, not ${String(error)}`);
    assert.ok(info, `the failure is reported (summary ${JSON.stringify(summary)})`);
    assert.equal(info.status, 403, JSON.stringify(info));
    assert.ok(info.hint && /SAS|expired|permission/i.test(info.hint), `an actionable hint: ${info.hint}`);
    t.diagnostic(`${error ? 'plan' : 'job'} failed: ${info.message} [${info.status} ${info.code}] — ${info.hint}`);
    const journal = fs.readdirSync(journalDir).map((f) => fs.readFileSync(path.join(journalDir, f), 'utf8'));
    const all = [...texts(), ...journal, info.message, info.hint ?? '', error instanceof Error ? `${error.message}\n${error.stack}` : ''];
    assert.deepEqual(leaks(all, [sig]), []);
    assert.equal(await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('sec-dst').getBlobClient('from-expired.txt').exists(), false);
  });

  it('a read-only SAS used as the destination: a CopyError with status 403 and a hint, no signature anywhere, nothing written', async (t) => {
    const journalDir = tempDir('sec-journal-ro');
    proxy.setRules({});
    const sas = generateBlobSASQueryParameters(
      { containerName: 'sec-dst1', permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) },
      azurite.credential(DEV_ACCOUNT),
    );
    const readOnly = createAccountClient({ kind: 'sas', url: `${proxy.endpoint(DEV_ACCOUNT.name)}/sec-dst1?${sas.toString()}` }, fastRetries(2));
    const { engine, texts } = recordingEngine(journalDir, { [RO]: readOnly });
    let error: unknown;
    try {
      await engine.copy({
        sources: [{ kind: 'location', location: { connectionId: A1, container: 'sec-src', path: 'small.txt' } }],
        destination: { connectionId: RO, container: 'sec-dst1', path: 'written.txt' },
      });
    } catch (e) {
      error = e;
    }
    await waitFor(() => engine.jobs().every((j) => ['failed', 'succeeded', 'canceled', 'skipped', 'aborted'].includes(j.state)), 30_000, 'jobs to finish');
    engine.dispose();
    const info = error instanceof CopyError ? error.info : engine.jobs()[0]?.error;
    assert.ok(error === undefined || error instanceof CopyError, `a CopyError, not ${String(error)}`);
    assert.ok(info, 'the failure is reported');
    assert.equal(info.status, 403, JSON.stringify(info));
    assert.ok(info.hint && /SAS|permission|credential/i.test(info.hint), `an actionable hint: ${info.hint}`);
    t.diagnostic(`${error ? 'plan' : 'job'} failed: ${info.message} [${info.status} ${info.code}] — ${info.hint}`);
    const journal = fs.readdirSync(journalDir).map((f) => fs.readFileSync(path.join(journalDir, f), 'utf8'));
    const all = [...texts(), ...journal, info.message, info.hint ?? '', error instanceof Error ? `${error.message}\n${error.stack}` : ''];
    assert.deepEqual(leaks(all, [sas.signature]), []);
    assert.equal(await azurite.serviceClient().getContainerClient('sec-dst1').getBlobClient('written.txt').exists(), false, 'nothing written');
  });
});
