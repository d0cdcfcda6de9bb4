import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { BlobSASPermissions, generateBlobSASQueryParameters, type ContainerClient } from '@azure/storage-blob';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import type { StorageNode } from '../../src/extension/tree/nodes';
import {
  childrenOf,
  containerNode,
  createContainer,
  exists,
  findChild,
  getEnv,
  installDefaultSeams,
  putBlob,
  setSetting,
  readBlob,
  uniqueName,
  waitFor,
  waitForBatch,
  type Env,
} from './env';

const AZ = 'azurite';

async function secondConnection(env: Env): Promise<string> {
  const existing = env.api.connections.list().find((c) => c.accountName === 'acct2' && !c.container && c.kind === 'connectionString');
  if (existing) return existing.id;
  const info = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'connectionString', label: 'Second account', connectionString: env.azurite.connectionString('acct2') })) as { id: string };
  return info.id;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('copy commands', () => {
  let env: Env;
  let src: string;
  let srcClient: ContainerClient;
  let acct2Id: string;
  before(async () => {
    env = await getEnv();
    acct2Id = await secondConnection(env);
    src = uniqueName('src');
    srcClient = await createContainer(env.dev, src);
    await putBlob(srcClient, 'report.txt', 'quarterly numbers', { owner: 'finance', year: '2024' });
    await putBlob(srcClient, 'photos/a.jpg', 'AAAA', { camera: 'x100' });
    await putBlob(srcClient, 'photos/sub/b.jpg', 'BBBBBBBB');
    await putBlob(srcClient, 'notes/n1.txt', 'note one');
  });
  afterEach(() => {
    // Back to the default answers after each test that stubbed a question.
    installDefaultSeams(env.api);
  });

  it('copies one blob (bytes and metadata) with Copy Blob To…', async () => {
    const dst = uniqueName('dst');
    const dstClient = await createContainer(env.dev, dst);
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', {
      sources: [{ connectionId: AZ, container: src, path: 'report.txt' }],
      destination: { connectionId: AZ, container: dst, path: '' },
    })) as CopyOutcome;
    assert.ok(outcome.batchId, `a batch started: ${outcome.summary}`);
    assert.match(outcome.summary, /^Copy 1 blob \(17 B\) to Azurite \(local emulator\) › dst-/);
    await waitForBatch(env.api, outcome.batchId);
    const copied = await readBlob(dstClient, 'report.txt');
    assert.equal(copied.text, 'quarterly numbers');
    assert.deepEqual(copied.metadata, { owner: 'finance', year: '2024' });
    assert.equal(copied.contentType, 'text/plain');
  });

  it('copies a folder from a tree node (context-menu form) into a prefix', async () => {
    const dst = uniqueName('dst');
    const dstClient = await createContainer(env.dev, dst);
    const container = await containerNode(env.api, src);
    const photos = await findChild(env.api, container, 'photos');
    // Menus pass (clicked node, selection); without a destination argument the command asks with a quick pick.
    const asked = Promise.resolve(vscode.commands.executeCommand('blobCopy.copyFolderTo', photos, [photos]));
    let settled = false;
    void asked.finally(() => (settled = true));
    for (let i = 0; i < 100 && !settled; i++) {
      await sleep(100);
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    assert.equal(await asked, undefined, 'closing the destination picker cancels the copy');
    const run = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [photos.copySource],
      destination: { connectionId: AZ, container: dst, path: 'backup/' },
    })) as CopyOutcome;
    await waitForBatch(env.api, run.batchId!);
    assert.equal((await readBlob(dstClient, 'backup/a.jpg')).text, 'AAAA');
    assert.deepEqual((await readBlob(dstClient, 'backup/a.jpg')).metadata, { camera: 'x100' });
    assert.equal((await readBlob(dstClient, 'backup/sub/b.jpg')).text, 'BBBBBBBB');
    assert.equal(await exists(dstClient, 'report.txt'), false);
  });

  it('copies a whole container to another connection (account)', async () => {
    const dst = uniqueName('whole');
    const dstClient = await createContainer(env.acct2, dst);
    const outcome = (await vscode.commands.executeCommand('blobCopy.copyContainerTo', {
      sources: [{ connectionId: AZ, container: src, path: '' }],
      destination: { connectionId: acct2Id, container: dst, path: '' },
    })) as CopyOutcome;
    assert.equal(outcome.plan?.totals.count, 4);
    await waitForBatch(env.api, outcome.batchId!);
    const b = env.api.engine.batch(outcome.batchId!);
    assert.equal(b?.succeeded, 4, JSON.stringify(b));
    for (const [name, text] of [['report.txt', 'quarterly numbers'], ['photos/a.jpg', 'AAAA'], ['photos/sub/b.jpg', 'BBBBBBBB'], ['notes/n1.txt', 'note one']]) {
      assert.equal((await readBlob(dstClient, name)).text, text, name);
    }
    assert.deepEqual((await readBlob(dstClient, 'report.txt')).metadata, { owner: 'finance', year: '2024' });
  });

  it('marks items with Copy and pastes them on a folder', async () => {
    const dst = uniqueName('paste');
    const dstClient = await createContainer(env.dev, dst);
    await putBlob(dstClient, 'inbox/.keep', 'k');
    const container = await containerNode(env.api, src);
    const report = await findChild(env.api, container, 'report.txt');
    const notes = await findChild(env.api, container, 'notes');
    const marked = await vscode.commands.executeCommand('blobCopy.copy', report, [report, notes]);
    assert.equal(marked, 2);
    assert.equal(env.api.clipboard.items.length, 2);
    const target = await findChild(env.api, await containerNode(env.api, dst), 'inbox');
    const outcome = (await vscode.commands.executeCommand('blobCopy.paste', target)) as CopyOutcome;
    assert.ok(outcome?.batchId, 'paste started a batch');
    await waitForBatch(env.api, outcome.batchId);
    assert.equal((await readBlob(dstClient, 'inbox/report.txt')).text, 'quarterly numbers');
    assert.equal((await readBlob(dstClient, 'inbox/n1.txt')).text, 'note one');
  });

  it('drags blobs and folders onto a container of another connection (TreeDragAndDropController)', async () => {
    const dst = uniqueName('drop');
    const dstClient = await createContainer(env.acct2, dst);
    const container = await containerNode(env.api, src);
    const report = await findChild(env.api, container, 'report.txt');
    const photos = await findChild(env.api, container, 'photos');
    const data = new vscode.DataTransfer();
    const token = new vscode.CancellationTokenSource().token;
    await env.api.dnd.handleDrag([report, photos], data, token);
    assert.ok(data.get('application/vnd.code.tree.blobcopy.storage'), 'the drag carries the tree mime type');
    const uris = await data.get('text/uri-list')?.asString();
    assert.ok(uris && !uris.includes('sig='), 'dragged URLs carry no SAS');
    const conn = (await childrenOf(env.api)).find((n) => n.kind === 'connection' && n.info.id === acct2Id)!;
    env.api.tree.refresh(conn);
    const target = await findChild(env.api, conn, dst);
    const batchesBefore = new Set(env.api.engine.jobs().map((j) => j.batchId));
    await env.api.dnd.handleDrop(target, data, token);
    const batchId = await waitFor('the drop batch', () => env.api.engine.jobs().find((j) => !batchesBefore.has(j.batchId))?.batchId);
    await waitForBatch(env.api, batchId);
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'quarterly numbers');
    assert.equal((await readBlob(dstClient, 'a.jpg')).text, 'AAAA');
    assert.equal((await readBlob(dstClient, 'sub/b.jpg')).text, 'BBBBBBBB');
  });

  it('asks the conflict question once: skip, rename, overwrite, if source newer, cancel', async () => {
    const dst = uniqueName('conflict');
    const dstClient = await createContainer(env.dev, dst);
    await putBlob(dstClient, 'report.txt', 'old version');
    const source = { connectionId: AZ, container: src, path: 'report.txt' };
    const destination = { connectionId: AZ, container: dst, path: '' };
    const asked: string[] = [];
    const answer = (policy: 'skip' | 'rename' | 'overwrite' | 'if-source-newer' | undefined) => {
      env.api.prompts.conflict = async (summary) => {
        asked.push(summary);
        return policy;
      };
    };
    const copy = () => vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [source], destination, conflict: 'ask' }) as Thenable<CopyOutcome>;

    answer(undefined);
    const canceled = await copy();
    assert.equal(canceled.stopped, 'canceled');
    assert.equal(canceled.batchId, undefined);
    assert.match(asked[0], /Copy 1 blob \(17 B\) to .* — 1 already exists$/);

    answer('skip');
    let o = await copy();
    await waitForBatch(env.api, o.batchId!);
    assert.equal(env.api.engine.batch(o.batchId!)?.skipped, 1);
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'old version');

    answer('rename');
    o = await copy();
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'report (1).txt')).text, 'quarterly numbers');
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'old version');

    answer('if-source-newer'); // the destination is newer than the source: skipped
    o = await copy();
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'old version');

    answer('overwrite');
    o = await copy();
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'quarterly numbers');
    assert.equal(asked.length, 5, 'asked once per copy');

    // An explicit policy does not ask.
    o = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [source], destination, conflict: 'skip' })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    assert.equal(asked.length, 5);

    // If source newer, with a newer source: copied.
    await sleep(1100);
    await putBlob(srcClient, 'fresh.txt', 'fresh');
    await putBlob(dstClient, 'fresh.txt', 'stale');
    await sleep(1100);
    await putBlob(srcClient, 'fresh.txt', 'fresher');
    o = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ ...source, path: 'fresh.txt' }], destination, conflict: 'if-source-newer' })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'fresh.txt')).text, 'fresher');
  });

  it('confirms a batch of more than one blob; Cancel writes nothing; one blob, conflicts and the setting skip it', async () => {
    const dst = uniqueName('confirm');
    const dstClient = await createContainer(env.dev, dst);
    const asked: string[] = [];
    let answer = false;
    env.api.prompts.confirmBatch = async (summary) => {
      asked.push(summary);
      return answer;
    };
    const folder = () =>
      vscode.commands.executeCommand('blobCopy.copyFolderTo', {
        sources: [{ connectionId: AZ, container: src, path: 'photos/' }],
        destination: { connectionId: AZ, container: dst, path: 'target/prefix/' },
      }) as Thenable<CopyOutcome>;

    const canceled = await folder();
    assert.equal(canceled.stopped, 'canceled');
    assert.equal(canceled.batchId, undefined);
    assert.equal(asked.length, 1);
    assert.equal(asked[0], `Copy 2 blobs (12 B) to Azurite (local emulator) › ${dst}/target/prefix/`);
    const written: string[] = [];
    for await (const b of dstClient.listBlobsFlat()) written.push(b.name);
    assert.deepEqual(written, [], 'cancelling the confirmation wrote nothing');

    answer = true;
    const started = await folder();
    assert.ok(started.batchId);
    await waitForBatch(env.api, started.batchId);
    assert.equal((await readBlob(dstClient, 'target/prefix/a.jpg')).text, 'AAAA');
    assert.equal(asked.length, 2);

    // One blob: no question.
    const one = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', {
      sources: [{ connectionId: AZ, container: src, path: 'report.txt' }],
      destination: { connectionId: AZ, container: dst, path: '' },
    })) as CopyOutcome;
    await waitForBatch(env.api, one.batchId!);
    assert.equal(asked.length, 2);

    // Conflicts: the conflict modal (which carries the summary) is the only question.
    const conflictAsked: string[] = [];
    env.api.prompts.conflict = async (summary) => {
      conflictAsked.push(summary);
      return undefined;
    };
    const again = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'photos/' }],
      destination: { connectionId: AZ, container: dst, path: 'target/prefix/' },
      conflict: 'ask',
    })) as CopyOutcome;
    assert.equal(again.stopped, 'canceled');
    assert.equal(conflictAsked.length, 1);
    assert.match(conflictAsked[0], /^Copy 2 blobs \(12 B\) to .* — 2 already exist$/);
    assert.equal(asked.length, 2, 'no confirmation on top of the conflict question');

    // blobCopy.confirmBatchCopies = false: starts directly.
    await setSetting('confirmBatchCopies', false);
    try {
      const direct = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
        sources: [{ connectionId: AZ, container: src, path: 'photos/' }],
        destination: { connectionId: AZ, container: dst, path: 'direct/' },
      })) as CopyOutcome;
      await waitForBatch(env.api, direct.batchId!);
      assert.equal(asked.length, 2);
    } finally {
      await setSetting('confirmBatchCopies', undefined);
    }
  });

  it('cancels a running batch and retries it', async () => {
    const many = uniqueName('many');
    const manyClient = await createContainer(env.dev, many);
    await Promise.all(Array.from({ length: 30 }, (_, i) => putBlob(manyClient, `f/${String(i).padStart(2, '0')}.bin`, Buffer.alloc(64 * 1024, i))));
    const dst = uniqueName('dst');
    const dstClient = await createContainer(env.dev, dst);
    const o = (await vscode.commands.executeCommand('blobCopy.copyContainerTo', {
      sources: [{ connectionId: AZ, container: many, path: '' }],
      destination: { connectionId: AZ, container: dst, path: '' },
      conflict: 'overwrite',
    })) as CopyOutcome;
    const canceledCount = await vscode.commands.executeCommand('blobCopy.cancel', { batchId: o.batchId });
    assert.ok(typeof canceledCount === 'number');
    await waitForBatch(env.api, o.batchId!);
    const after = env.api.engine.batch(o.batchId!)!;
    assert.ok(after.canceled >= 1, `some jobs were canceled: ${JSON.stringify(after)}`);
    assert.equal(after.canceled + after.succeeded, 30);
    const retried = await vscode.commands.executeCommand('blobCopy.retryFailed', { batchId: o.batchId });
    assert.equal(retried, after.canceled);
    await waitFor('the retried batch to finish', () => {
      const b = env.api.engine.batch(o.batchId!);
      return b?.done && b.succeeded === 30 ? b : undefined;
    }, 45_000);
    for (let i = 0; i < 30; i += 7) assert.ok(await exists(dstClient, `f/${String(i).padStart(2, '0')}.bin`));
  });

  it('retries a failed job (the source vanished after planning) once the source is back', async () => {
    const dst = uniqueName('retry');
    const dstClient = await createContainer(env.dev, dst);
    await putBlob(dstClient, 'vanishing.txt', 'old');
    await putBlob(srcClient, 'vanishing.txt', 'v1');
    env.api.prompts.conflict = async () => {
      await srcClient.getBlobClient('vanishing.txt').delete(); // between plan and start
      return 'overwrite';
    };
    const o = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', {
      sources: [{ connectionId: AZ, container: src, path: 'vanishing.txt' }],
      destination: { connectionId: AZ, container: dst, path: '' },
      conflict: 'ask',
    })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    const failed = env.api.engine.jobs().find((j) => j.batchId === o.batchId && j.state === 'failed');
    assert.ok(failed, 'the job failed');
    assert.ok(failed.error?.message, 'with a message');
    await putBlob(srcClient, 'vanishing.txt', 'v2');
    assert.equal(await vscode.commands.executeCommand('blobCopy.retryFailed', failed.id), 1);
    await waitFor('the retry to succeed', () => (env.api.engine.jobs().find((j) => j.id === failed.id)?.state === 'succeeded' ? true : undefined), 30_000);
    assert.equal((await readBlob(dstClient, 'vanishing.txt')).text, 'v2');
  });

  it('Copy With Operation… runs the chosen operation, only where it applies', async () => {
    const dst = uniqueName('op');
    const dstClient = await createContainer(env.dev, dst);
    const o = (await vscode.commands.executeCommand('blobCopy.copyWithOperation', {
      sources: [{ connectionId: AZ, container: src, path: 'report.txt' }],
      destination: { connectionId: AZ, container: dst, path: '' },
      strategy: 'copy-blob',
    })) as CopyOutcome;
    assert.equal(o.plan?.items[0].strategy, 'copy-blob');
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'report.txt')).text, 'quarterly numbers');
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('blobCopy.copyWithOperation', {
          sources: [{ sourceKind: 'blob', blobType: 'BlockBlob', location: { connectionId: AZ, container: src, path: 'report.txt' } }],
          destination: { connectionId: AZ, container: dst, path: '' },
          strategy: 'put-page-from-url',
        }),
      ),
      /does not apply/,
    );
  });

  it('Copy from URL… copies any http(s) URL into the container', async () => {
    const dst = uniqueName('fromurl');
    const dstClient = await createContainer(env.dev, dst);
    const blob = srcClient.getBlobClient('report.txt');
    const sas = generateBlobSASQueryParameters(
      { containerName: src, blobName: 'report.txt', permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) },
      env.azurite.credential(),
    ).toString();
    const o = (await vscode.commands.executeCommand('blobCopy.copyFromUrl', {
      destination: { connectionId: AZ, container: dst, path: 'imported/' },
      url: `${blob.url}?${sas}`,
      name: 'copied.txt',
    })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    assert.equal((await readBlob(dstClient, 'imported/copied.txt')).text, 'quarterly numbers');
  });

  it('Copy URL gives the blob URL without any SAS', async () => {
    const container = env.acct2.getContainerClient('sas-urls');
    await container.createIfNotExists();
    await putBlob(container, 'dir/a b.txt', 'x');
    const { ContainerSASPermissions } = await import('@azure/storage-blob');
    const sas = generateBlobSASQueryParameters(
      { containerName: 'sas-urls', permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3600_000) },
      env.azurite.credential('acct2'),
    ).toString();
    const info = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'sas', label: 'sas urls', url: `${container.url}?${sas}` })) as { id: string };
    const conn = (await childrenOf(env.api)).find((n) => n.kind === 'connection' && n.info.id === info.id) as StorageNode;
    const c = await findChild(env.api, conn, 'sas-urls');
    const dir = await findChild(env.api, c, 'dir');
    const blob = await findChild(env.api, dir, 'a b.txt');
    const url = (await vscode.commands.executeCommand('blobCopy.copyUrl', blob)) as string;
    assert.equal(url, `${env.azurite.endpoint('acct2')}/sas-urls/dir/a%20b.txt`);
    assert.ok(!url.includes('?'));
  });

  it('Open Copy Jobs shows the panel, which receives the jobs of the batch; the status bar hides when idle', async () => {
    const dst = uniqueName('panel');
    await createContainer(env.dev, dst);
    await vscode.commands.executeCommand('blobCopy.openJobs');
    await waitFor('the panel to open', () => env.api.panel.current);
    const o = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', {
      sources: [{ connectionId: AZ, container: src, path: 'notes/' }],
      destination: { connectionId: AZ, container: dst, path: '' },
    })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    await waitFor('the webview to receive the job', () =>
      env.api.panel.trace.some((t) => t.direction === 'toWebview' && JSON.stringify(t.message).includes(`${dst}/n1.txt`)) ? true : undefined,
    );
    await waitFor('the status bar to hide', () => (env.api.statusBar.text === undefined ? true : undefined), 5000);
    env.api.panel.current?.dispose();
  });
});
