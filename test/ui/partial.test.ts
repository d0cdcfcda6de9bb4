/**
 * A batch that is not complete says so in VS Code: the confirmation names the blobs that cannot be copied, the
 * notification says "partial" with the first of them, and the panel's batch line is partial; "nothing to copy" is an
 * error notification. Against the test Azurite, in the real extension host.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { batchView } from '../../src/extension/panel/relay';
import { createContainer, getEnv, installDefaultSeams, putBlob, readBlob, uniqueName, waitForBatch, type Env } from './env';

const AZ = 'azurite';

describe('partial batches', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });
  afterEach(() => installDefaultSeams(env.api));

  it('a folder with an archived blob: asked with it named, copied but for it, notified and shown as partial', async () => {
    const src = uniqueName('part');
    const srcClient = await createContainer(env.dev, src);
    await putBlob(srcClient, 'f/a.txt', 'online a');
    await putBlob(srcClient, 'f/b.txt', 'online b');
    await putBlob(srcClient, 'f/cold.txt', 'archived');
    await srcClient.getBlobClient('f/cold.txt').setAccessTier('Archive');
    const dst = uniqueName('partdst');
    const dstClient = await createContainer(env.dev, dst);
    const asked: string[] = [];
    env.api.prompts.confirmBatch = async (summary) => {
      asked.push(summary);
      return true;
    };
    const warnings: string[] = [];
    env.api.notifier.warn = async (message: string) => {
      warnings.push(message);
      return undefined;
    };
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'f/' }],
      destination: { connectionId: AZ, container: dst, path: 'out/' },
    })) as CopyOutcome;
    assert.ok(outcome.batchId, outcome.summary);
    assert.match(asked[0] ?? '', /Copy 2 blobs .* — 1 cannot be copied \(f\/cold\.txt: the source is in the Archive tier/);
    await waitForBatch(env.api, outcome.batchId);
    const summary = env.api.engine.batch(outcome.batchId)!;
    assert.equal(summary.succeeded, 2);
    assert.equal(summary.unplanned, 1);
    assert.equal((await readBlob(dstClient, 'out/a.txt')).text, 'online a');
    const view = batchView(summary);
    assert.equal(view.outcome, 'partial');
    assert.match(view.problem ?? '', /^f\/cold\.txt: the source is in the Archive tier/);
    for (let i = 0; i < 50 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(warnings[0] ?? '', /^Blob Copy partial: 2 blobs copied .*1 not copied\. Not copied: f\/cold\.txt: the source is in the Archive tier/);
  });

  it('asked to rehydrate archived sources: with High, the archived blob is copied online too', async () => {
    const src = uniqueName('rehy');
    const srcClient = await createContainer(env.dev, src);
    await putBlob(srcClient, 'f/a.txt', 'online a');
    await putBlob(srcClient, 'f/cold.txt', 'archived');
    await srcClient.getBlobClient('f/cold.txt').setAccessTier('Archive');
    const asked: Array<[string, number]> = [];
    env.api.prompts.rehydrate = async (summary, archived) => {
      asked.push([summary, archived]);
      return 'high';
    };
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'f/' }],
      destination: { connectionId: AZ, container: src, path: 'warm/' },
    })) as CopyOutcome;
    assert.equal(asked.length, 1);
    assert.equal(asked[0][1], 1);
    assert.ok(outcome.batchId, outcome.summary);
    assert.match(outcome.summary, /^Copy 2 blobs/);
    await waitForBatch(env.api, outcome.batchId);
    const summary = env.api.engine.batch(outcome.batchId)!;
    assert.equal(summary.succeeded, 2);
    assert.equal(summary.unplanned, undefined);
    assert.equal((await readBlob(srcClient, 'warm/cold.txt')).text, 'archived');
    assert.equal((await srcClient.getBlobClient('warm/cold.txt').getProperties()).accessTier, 'Hot');
  });

  it('nothing to copy (an empty folder) is an error notification and starts nothing', async () => {
    const src = uniqueName('none');
    await createContainer(env.dev, src);
    const errors: string[] = [];
    env.api.notifier.error = async (message: string) => {
      errors.push(message);
      return undefined;
    };
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'missing/' }],
      destination: { connectionId: AZ, container: src, path: 'out/' },
    })) as CopyOutcome;
    assert.equal(outcome.batchId, undefined);
    assert.equal(outcome.stopped, 'empty');
    assert.match(errors[0] ?? '', /^Blob Copy: Nothing to copy: there is no blob under none-.*\/missing\/\./);
  });
});
