/**
 * The move commands in the real VS Code host: Move To… from a multi-selection, Rename… of a blob and of
 * a folder, Cut + Paste, the move confirmation (it says when sources are deleted and whether they can be
 * recovered; canceling it changes nothing), and a move the plan refuses (a folder into its own subfolder).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ContainerClient } from '@azure/storage-blob';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { containerNode, createContainer, exists, findChild, getEnv, installDefaultSeams, moveConfirmations, putBlob, readBlob, uniqueName, waitForBatch, type Env } from './env';

const AZ = 'azurite';

async function names(c: ContainerClient): Promise<string[]> {
  const out: string[] = [];
  for await (const b of c.listBlobsFlat()) out.push(b.name);
  return out.sort();
}

describe('move commands', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });
  afterEach(() => {
    installDefaultSeams(env.api);
  });

  it('Move To… a multi-selection (tree nodes): confirmed with the deletion rule, sources gone, bytes and metadata arrive', async () => {
    const name = uniqueName('mvsrc');
    const c = await createContainer(env.dev, name);
    await putBlob(c, 'report.txt', 'quarterly numbers', { owner: 'finance' });
    await putBlob(c, 'photos/a.jpg', 'AAAA');
    await putBlob(c, 'photos/sub/b.jpg', 'BBBBBBBB');
    await putBlob(c, 'stay.txt', 'not selected');
    const dst = await createContainer(env.dev, uniqueName('mvdst'));
    const node = await containerNode(env.api, name);
    const report = await findChild(env.api, node, 'report.txt');
    const photos = await findChild(env.api, node, 'photos');
    const before = moveConfirmations.length;
    const outcome = (await vscode.commands.executeCommand('blobCopy.moveTo', {
      sources: [report.copySource, photos.copySource],
      destination: { connectionId: AZ, container: dst.containerName, path: 'moved/' },
    })) as CopyOutcome;
    assert.ok(outcome.batchId, outcome.summary);
    assert.match(outcome.summary, /^Move 3 blobs \(29 B\) to Azurite \(local emulator\) › mvdst-/);
    assert.equal(moveConfirmations.length, before + 1, 'a move is always confirmed');
    const asked = moveConfirmations[moveConfirmations.length - 1];
    assert.match(asked.detail, /deleted only after its copy is committed and verified/);
    assert.match(asked.detail, /(Blob soft delete is (on|off)|recovered is unknown)/);
    await waitForBatch(env.api, outcome.batchId);
    assert.equal(env.api.engine.batch(outcome.batchId)?.succeeded, 3);
    assert.deepEqual(await names(c), ['stay.txt']);
    assert.deepEqual(await names(dst), ['moved/a.jpg', 'moved/report.txt', 'moved/sub/b.jpg']);
    assert.deepEqual((await readBlob(dst, 'moved/report.txt')).metadata, { owner: 'finance' });
  });

  it('canceling the move confirmation writes and deletes nothing', async () => {
    const c = await createContainer(env.dev, uniqueName('mvcancel'));
    await putBlob(c, 'x.txt', 'x');
    env.api.prompts.confirmMove = async () => undefined;
    const outcome = (await vscode.commands.executeCommand('blobCopy.moveTo', {
      sources: [{ connectionId: AZ, container: c.containerName, path: 'x.txt' }],
      destination: { connectionId: AZ, container: c.containerName, path: 'elsewhere/' },
    })) as CopyOutcome;
    assert.equal(outcome.stopped, 'canceled');
    assert.deepEqual(await names(c), ['x.txt']);
  });

  it('Rename… a blob (tree node, name given) and a folder (every blob under the prefix)', async () => {
    const name = uniqueName('rename');
    const c = await createContainer(env.dev, name);
    await putBlob(c, 'docs/old.txt', 'old name');
    await putBlob(c, 'docs/deep/z.txt', 'zzz');
    await putBlob(c, 'docsx/keep.txt', 'k');
    const node = await containerNode(env.api, name);
    const docs = await findChild(env.api, node, 'docs');
    const old = await findChild(env.api, docs, 'old.txt');
    const one = (await vscode.commands.executeCommand('blobCopy.rename', { ...old.copySource, name: 'docs/new.txt' })) as CopyOutcome;
    await waitForBatch(env.api, one.batchId!);
    assert.deepEqual(await names(c), ['docs/deep/z.txt', 'docs/new.txt', 'docsx/keep.txt']);
    const folder = (await vscode.commands.executeCommand('blobCopy.rename', { ...docs.copySource, name: 'papers' })) as CopyOutcome;
    await waitForBatch(env.api, folder.batchId!);
    assert.deepEqual(await names(c), ['docsx/keep.txt', 'papers/deep/z.txt', 'papers/new.txt']);
    assert.equal((await readBlob(c, 'papers/new.txt')).text, 'old name');
  });

  it('Cut then Paste moves (and empties the clipboard); Copy then Paste still copies', async () => {
    const name = uniqueName('cut');
    const c = await createContainer(env.dev, name);
    await putBlob(c, 'a.txt', 'A');
    await putBlob(c, 'b.txt', 'B');
    const dst = await createContainer(env.acct2, uniqueName('cutdst'));
    const node = await containerNode(env.api, name);
    const a = await findChild(env.api, node, 'a.txt');
    const b = await findChild(env.api, node, 'b.txt');
    assert.equal(await vscode.commands.executeCommand('blobCopy.cut', a, [a]), 1);
    assert.equal(env.api.clipboard.mode, 'cut');
    const acct2 =
      env.api.connections.list().find((x) => x.accountName === 'acct2' && !x.container && x.kind === 'connectionString') ??
      ((await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', label: 'Second account', connectionString: env.azurite.connectionString('acct2') })) as { id: string });
    const moved = (await vscode.commands.executeCommand('blobCopy.paste', { connectionId: acct2.id, container: dst.containerName, path: '' })) as CopyOutcome;
    assert.match(moved.summary, /^Move 1 blob/);
    await waitForBatch(env.api, moved.batchId!);
    assert.equal(env.api.clipboard.items.length, 0, 'a pasted cut empties the clipboard');
    assert.equal(await exists(c, 'a.txt'), false);
    assert.equal((await readBlob(dst, 'a.txt')).text, 'A');
    assert.equal(await vscode.commands.executeCommand('blobCopy.copy', b, [b]), 1);
    assert.equal(env.api.clipboard.mode, 'copy');
    const copied = (await vscode.commands.executeCommand('blobCopy.paste', { connectionId: acct2.id, container: dst.containerName, path: '' })) as CopyOutcome;
    assert.match(copied.summary, /^Copy 1 blob/);
    await waitForBatch(env.api, copied.batchId!);
    assert.equal(await exists(c, 'b.txt'), true, 'a copy keeps its source');
  });

  it('refuses to move a folder into its own subfolder, with the reason, writing nothing', async () => {
    const c = await createContainer(env.dev, uniqueName('self'));
    await putBlob(c, 'f/a.txt', 'a');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.moveTo', { sources: [{ connectionId: AZ, container: c.containerName, path: 'f/' }], destination: { connectionId: AZ, container: c.containerName, path: 'f/g/' } })),
      /moved into its own subfolder "f\/g\/"/,
    );
    assert.deepEqual(await names(c), ['f/a.txt']);
  });
});
