/**
 * Settings without a reload: a change of blobCopy.blockSizeMiB (and the other engine settings) reaches
 * the running engine, and the next copy uses it: the number of blocks a cross-account Put Block From URL copy
 * commits follows the setting. The copy also shows its cost preview to the batch question.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { createContainer, getEnv, installDefaultSeams, setSetting, uniqueName, waitFor, waitForBatch, type Env } from './env';

const AZ = 'azurite';
const MiB = 1024 * 1024;

async function secondConnection(env: Env): Promise<string> {
  const existing = env.api.connections.list().find((c) => c.accountName === 'acct2' && !c.container && c.kind === 'connectionString');
  if (existing) return existing.id;
  const info = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', label: 'Second account', connectionString: env.azurite.connectionString('acct2') })) as { id: string };
  return info.id;
}

describe('settings take effect without a reload', () => {
  let env: Env;
  before(async function () {
    this.timeout(60_000);
    env = await getEnv();
  });
  afterEach(async () => {
    installDefaultSeams(env.api);
    await setSetting('blockSizeMiB', undefined);
    await setSetting('outageToleranceSeconds', undefined);
  });

  it('the next Put Block From URL copy commits blocks of the new blobCopy.blockSizeMiB', async function () {
    this.timeout(120_000);
    const acct2 = await secondConnection(env);
    const src = uniqueName('blk-src');
    const srcClient = await createContainer(env.dev, src);
    const dst = uniqueName('blk-dst');
    const dstClient = await createContainer(env.acct2, dst);
    const body = Buffer.alloc(6 * MiB + 100, 7);
    await srcClient.getBlockBlobClient('big/one.bin').uploadData(body);

    const copyWith = async (blockMiB: number | undefined, to: string): Promise<number> => {
      const lines = env.api.logLines.length;
      await setSetting('blockSizeMiB', blockMiB);
      // The change event reached the extension: it says what the engine now uses.
      await waitFor('the settings change to reach the engine', () => env.api.logLines.slice(lines).some((l) => l.includes('Settings changed:')));
      const outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
        sources: [{ connectionId: AZ, container: src, path: 'big/' }],
        destination: { connectionId: acct2, container: dst, path: `${to}/` },
        strategy: 'put-block-from-url',
        conflict: 'overwrite',
      })) as CopyOutcome;
      await waitForBatch(env.api, outcome.batchId!);
      const job = env.api.engine.jobs().find((j) => j.batchId === outcome.batchId)!;
      assert.equal(job.state, 'succeeded', JSON.stringify(job.error));
      assert.equal(job.operation, 'put-block-from-url');
      const list = await dstClient.getBlockBlobClient(`${to}/one.bin`).getBlockList('committed');
      return list.committedBlocks?.length ?? 0;
    };
    assert.equal(await copyWith(1, 'one-mib'), 7, '6 MiB + 100 bytes in 1 MiB blocks');
    assert.equal(await copyWith(2, 'two-mib'), 4, 'the same blob in 2 MiB blocks, no reload in between');
    // Back to auto: the engine's default (32 MiB), one block.
    assert.equal(await copyWith(undefined, 'auto'), 1);
  });

  it('declares blobCopy.outageToleranceSeconds and hands a change to the engine', async () => {
    const inspect = vscode.workspace.getConfiguration('blobCopy').inspect<number>('outageToleranceSeconds');
    assert.equal(inspect?.defaultValue, 300);
    const lines = env.api.logLines.length;
    await setSetting('outageToleranceSeconds', 42);
    const line = await waitFor('the settings change to reach the engine', () => env.api.logLines.slice(lines).find((l) => l.includes('Settings changed:')));
    assert.match(line, /outage tolerance 42 s/);
  });

  it('the batch question shows the cost preview: calls per operation and bytes across accounts', async function () {
    this.timeout(60_000);
    const acct2 = await secondConnection(env);
    const src = uniqueName('cost-src');
    const srcClient = await createContainer(env.dev, src);
    const dst = uniqueName('cost-dst');
    await createContainer(env.acct2, dst);
    for (const n of ['a', 'b', 'c']) await srcClient.getBlockBlobClient(`f/${n}.txt`).upload(n.repeat(10), 10);
    let detail = '';
    const linesBefore = env.api.logLines.length;
    env.api.prompts.confirmBatch = async (_summary, plan) => {
      detail = plan.cost ? JSON.stringify(plan.cost) : '';
      return false;
    };
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'f/' }],
      destination: { connectionId: acct2, container: dst, path: 'f/' },
      conflict: 'overwrite',
    })) as CopyOutcome;
    assert.equal(outcome.stopped, 'canceled');
    const cost = JSON.parse(detail) as { requests: Record<string, number>; bytes: { sameAccount: number; crossAccount: number } };
    // Put Blob From URL, or Copy Blob From URL once the engine learned that Azurite lacks the former (earlier tests).
    assert.equal(cost.requests['Put Blob From URL'] ?? cost.requests['Copy Blob From URL'], 3, detail);
    assert.deepEqual(cost.bytes, { sameAccount: 0, crossAccount: 30 });
    const logged = env.api.logLines.slice(linesBefore).find((l) => /REST calls: 3 × (Put|Copy) Blob From URL/.test(l));
    assert.ok(logged, 'the preview is in the log');
    assert.match(logged, /30 B cross accounts/);
  });
});
