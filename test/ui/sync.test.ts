/**
 * Sync To… in the real VS Code host: a folder node synced to a destination folder through the preview (its groups,
 * first names and cost preview), with the choice to delete the extras; a second sync asks nothing and says it is in
 * sync; a sync interrupted by a restart resumes its copies, says its extras are left, and "Sync Again" finishes it;
 * canceling the preview changes nothing; "keep extras" keeps them; a folder synced into itself is refused.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerClient } from '@azure/storage-blob';
import * as path from 'node:path';
import type { SyncOutcome } from '../../src/extension/copy/sync';
import type { CopyRequest } from '../../src/core';
import { FileJournal } from '../../src/core/copy/journal';
import { containerNode, createContainer, findChild, getEnv, installDefaultSeams, putBlob, syncConfirmations, uniqueName, waitFor, type Env } from './env';

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

  it('a sync to delete extras interrupted by a restart: Resume copies the rest and says the extras are left; "Sync Again" deletes them', async function () {
    this.timeout(60_000);
    const { src, dst, destination } = await setUp('syncresume');
    await putBlob(dst, 'mirror/len.txt', 'abcdef'); // the run before copied len.txt, then VS Code closed
    // The batch as the engine journals a sync that was to delete the extras, its listing past data/len.txt.
    const journal = new FileJournal(env.api.journalDir);
    const request: CopyRequest = {
      sources: [{ kind: 'location', location: { connectionId: AZ, container: src.containerName, path: 'data/' } }],
      destination,
      options: { sync: { compare: 'auto', reportFile: path.join(env.api.journalDir, 'gone', 'report.ndjson'), deleteExtras: true } },
    };
    journal.saveBatch({ version: 1, batchId: `sync-resume-${Date.now()}`, request, position: { source: 0, after: 'data/len.txt' }, updatedAt: new Date().toISOString() });
    journal.dispose();
    const warned: Array<{ message: string; actions: string[] }> = [];
    env.api.notifier.warn = async (message, ...actions) => {
      warned.push({ message, actions });
      return actions.includes('Sync Again') ? 'Sync Again' : undefined;
    };
    const asked: number[] = [];
    env.api.prompts.confirmSync = async (_summary, _detail, extras) => {
      asked.push(extras);
      return 'sync-delete';
    };
    await vscode.commands.executeCommand('blobCopy.resume');
    const note = await waitFor('the resumed batch to say its extras are left', () => warned.find((w) => w.message.includes('A sync interrupted by a restart')));
    assert.match(note.message, /^Blob Copy partial: 1 blob copied .*its extras at the destination are not deleted\. When this batch is done, run the sync again/);
    assert.deepEqual(note.actions, ['Show Jobs', 'Sync Again']);
    await waitFor('the extras deleted by the sync run again', async () => ((await listed(dst)).has('mirror/extra.txt') ? undefined : true), 30_000);
    assert.deepEqual(asked, [1], 'the sync run again previewed its one extra');
    assert.deepEqual([...(await listed(dst)).keys()].sort(), ['mirror/len.txt', 'mirror/new.txt', 'mirror/same.txt']);
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
