/**
 * Sync To… in the real VS Code host: a folder node synced to a destination folder through the preview (its groups,
 * first names and cost preview), with the choice to delete the extras; a second sync asks nothing and says it is in
 * sync; canceling the preview changes nothing; "keep extras" keeps them; a folder synced into itself is refused.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerClient } from '@azure/storage-blob';
import type { SyncOutcome } from '../../src/extension/copy/sync';
import { containerNode, createContainer, findChild, getEnv, installDefaultSeams, putBlob, syncConfirmations, uniqueName, type Env } from './env';

const AZ = 'azurite';

async function listed(c: ContainerClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const b of c.listBlobsFlat()) out.set(b.name, b.properties.etag!);
  return out;
}

describe('Sync To…', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });
  afterEach(() => {
    installDefaultSeams(env.api);
  });

  async function setUp(prefix: string) {
    const srcName = uniqueName(`${prefix}src`);
    const src = await createContainer(env.dev, srcName);
    const dst = await createContainer(env.dev, uniqueName(`${prefix}dst`));
    await putBlob(dst, 'mirror/len.txt', 'abc');
    await putBlob(dst, 'mirror/same.txt', 'same!');
    await putBlob(dst, 'mirror/extra.txt', 'only here');
    await putBlob(src, 'data/len.txt', 'abcdef');
    await putBlob(src, 'data/same.txt', 'same!');
    await putBlob(src, 'data/new.txt', 'brand new');
    const data = await findChild(env.api, await containerNode(env.api, srcName), 'data');
    return { src, dst, data, destination: { connectionId: AZ, container: dst.containerName, path: 'mirror/' } };
  }

  it('a folder node through the preview, deleting the extras; a second sync asks nothing and is in sync', async () => {
    const { dst, data, destination } = await setUp('sync');
    const before = await listed(dst);
    const asked: Array<{ summary: string; detail: string; extras: number }> = [];
    env.api.prompts.confirmSync = async (summary, detail, extras) => {
      asked.push({ summary, detail, extras });
      return 'sync-delete';
    };
    const outcome = (await vscode.commands.executeCommand('blobCopy.syncTo', { sources: [data.copySource], destination })) as SyncOutcome;
    assert.equal(asked.length, 1, 'the sync was previewed');
    assert.match(asked[0].summary, /^Sync Azurite \(local emulator\) › syncsrc-[^ ]+\/data\/ to Azurite \(local emulator\) › syncdst-[^ ]+\/mirror\/: 2 blobs to copy \(15 B\), 1 the same, 1 extra$/);
    assert.equal(asked[0].extras, 1);
    const lines = asked[0].detail.split('\n');
    assert.ok(lines.includes('new: 1 blob (9 B): new.txt'), asked[0].detail);
    assert.ok(lines.includes('changed: 1 blob (6 B): len.txt'), asked[0].detail);
    assert.ok(lines.includes('same: 1 blob (5 B): same.txt'), asked[0].detail);
    assert.ok(lines.includes('extra: 1 blob (9 B): extra.txt'), asked[0].detail);
    assert.match(asked[0].detail, /List Blobs/, 'the cost preview');
    assert.ok(lines.includes('Deleting the extras, if you choose so: 1 × Delete Blob more.'), asked[0].detail);
    assert.equal(outcome.result?.outcome, 'complete', outcome.message);
    assert.equal(outcome.result?.deletion?.deleted, 1);
    assert.equal(env.api.engine.batch(outcome.batchId!)?.succeeded, 2, 'the copies ran as a batch of the engine');
    assert.match(outcome.message ?? '', /^Synced .*: 1 new and 1 changed blob\(s\) copied \(15 B\), 1 the same\. 1 extra deleted\.$/);
    const after = await listed(dst);
    assert.deepEqual([...after.keys()].sort(), ['mirror/len.txt', 'mirror/new.txt', 'mirror/same.txt']);
    assert.equal(after.get('mirror/same.txt'), before.get('mirror/same.txt'), 'the same blob was left alone');

    const again = (await vscode.commands.executeCommand('blobCopy.syncTo', { sources: [data.copySource], destination })) as SyncOutcome;
    assert.equal(asked.length, 1, 'nothing to do: no question');
    assert.equal(again.stopped, 'in-sync');
    assert.equal(again.message, 'Already in sync: 3 blobs (20 B) the same at both ends; nothing copied, nothing deleted.');
    assert.deepEqual(await listed(dst), after);
  });

  it('canceling the preview writes and deletes nothing; "keep extras" keeps them', async () => {
    const { dst, data, destination } = await setUp('synccancel');
    const before = await listed(dst);
    env.api.prompts.confirmSync = async () => undefined;
    const canceled = (await vscode.commands.executeCommand('blobCopy.syncTo', { sources: [data.copySource], destination })) as SyncOutcome;
    assert.equal(canceled.stopped, 'canceled');
    assert.deepEqual(await listed(dst), before);
    installDefaultSeams(env.api); // answers Sync, keeping the extras
    const n = syncConfirmations.length;
    const kept = (await vscode.commands.executeCommand('blobCopy.syncTo', { sources: [data.copySource], destination })) as SyncOutcome;
    assert.equal(syncConfirmations.length, n + 1);
    assert.equal(kept.result?.outcome, 'complete');
    assert.equal(kept.result?.deletion, undefined);
    assert.deepEqual([...(await listed(dst)).keys()].sort(), ['mirror/extra.txt', 'mirror/len.txt', 'mirror/new.txt', 'mirror/same.txt']);
  });

  it('a folder synced into its own subfolder is refused before anything is written', async () => {
    const c = await createContainer(env.dev, uniqueName('syncself'));
    await putBlob(c, 'data/a.txt', 'a');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.syncTo', { sources: [{ connectionId: AZ, container: c.containerName, path: 'data/' }], destination: { connectionId: AZ, container: c.containerName, path: 'data/copy/' } })),
      /overlap \(one is inside the other\)/,
    );
    assert.deepEqual([...(await listed(c)).keys()], ['data/a.txt']);
  });
});
