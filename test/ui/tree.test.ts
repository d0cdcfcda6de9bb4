import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { childrenOf, containerNode, createContainer, findChild, getEnv, labelOf, putBlob, setSetting, uniqueName, type Env } from './env';

describe('storage tree', () => {
  let env: Env;
  let name: string;
  before(async () => {
    env = await getEnv();
    name = uniqueName('tree');
    const c = await createContainer(env.dev, name);
    await putBlob(c, 'readme.txt', 'hello');
    await putBlob(c, 'photos/2024/a.jpg', 'a');
    await putBlob(c, 'photos/2024/b.jpg', 'bb');
    await putBlob(c, 'photos/cover.jpg', 'ccc');
    await c.getAppendBlobClient('logs/app.log').create();
    await c.getAppendBlobClient('logs/app.log').appendBlock('line\n', 5);
    await c.getPageBlobClient('disks/disk.vhd').create(1024);
    for (let i = 0; i < 7; i++) await putBlob(c, `many/item-${i}.txt`, `item ${i}`);
  });
  after(async () => {
    await setSetting('pageSize', undefined);
  });

  it('lists a container the test created, with folders first and blobs', async () => {
    const container = await containerNode(env.api, name);
    assert.equal(env.api.tree.getTreeItem(container).contextValue, 'container');
    const kids = await childrenOf(env.api, container);
    const labels = kids.map((k) => labelOf(env.api, k));
    assert.deepEqual(labels, ['disks', 'logs', 'many', 'photos', 'readme.txt']);
    assert.deepEqual(
      kids.map((k) => env.api.tree.getTreeItem(k).contextValue),
      ['folder', 'folder', 'folder', 'folder', 'blob.block'],
    );
    const readme = env.api.tree.getTreeItem(kids[4]);
    assert.equal(readme.description, '5 B');
    const tooltip = readme.tooltip instanceof vscode.MarkdownString ? readme.tooltip.value : String(readme.tooltip);
    assert.match(tooltip, /Block blob/);
    assert.match(tooltip, /text\/plain/);
    assert.match(tooltip, /Last modified/);
    assert.ok(readme.iconPath instanceof vscode.ThemeIcon);
  });

  it('walks nested folders and tells the blob types apart', async () => {
    const container = await containerNode(env.api, name);
    const photos = await findChild(env.api, container, 'photos');
    const y2024 = await findChild(env.api, photos, '2024');
    assert.deepEqual((await childrenOf(env.api, y2024)).map((k) => labelOf(env.api, k)), ['a.jpg', 'b.jpg']);
    const logs = await findChild(env.api, container, 'logs');
    const log = await findChild(env.api, logs, 'app.log');
    assert.equal(env.api.tree.getTreeItem(log).contextValue, 'blob.append');
    const disks = await findChild(env.api, container, 'disks');
    const disk = await findChild(env.api, disks, 'disk.vhd');
    assert.equal(env.api.tree.getTreeItem(disk).contextValue, 'blob.page');
    assert.equal(env.api.tree.getParent(disk), disks);
  });

  it('pages with "Load more…" (continuation token on the parent)', async () => {
    await setSetting('pageSize', 3);
    const container = await containerNode(env.api, name);
    const many = await findChild(env.api, container, 'many');
    env.api.tree.refresh(many);
    let kids = await childrenOf(env.api, many);
    assert.equal(kids.length, 4, 'three blobs and "Load more…"');
    const more = kids[3];
    assert.equal(labelOf(env.api, more), 'Load more…');
    const item = env.api.tree.getTreeItem(more);
    assert.equal(item.contextValue, 'loadMore');
    assert.equal(item.command?.command, 'blobCopy.loadMore');
    await vscode.commands.executeCommand('blobCopy.loadMore', ...(item.command?.arguments ?? []));
    kids = await childrenOf(env.api, many);
    assert.deepEqual(kids.map((k) => labelOf(env.api, k)), ['item-0.txt', 'item-1.txt', 'item-2.txt', 'item-3.txt', 'item-4.txt', 'item-5.txt', 'Load more…']);
    await vscode.commands.executeCommand('blobCopy.loadMore', kids[6]);
    kids = await childrenOf(env.api, many);
    assert.equal(kids.length, 7);
    assert.ok(kids.every((k) => env.api.tree.getTreeItem(k).contextValue === 'blob.block'), 'no "Load more…" after the last page');
    await setSetting('pageSize', undefined);
  });

  it('refreshes a node: new blobs show up, the pages restart', async () => {
    const container = await containerNode(env.api, name);
    const before = (await childrenOf(env.api, container)).map((k) => labelOf(env.api, k));
    assert.ok(!before.includes('zz-new.txt'));
    await putBlob(env.dev.getContainerClient(name), 'zz-new.txt', 'new');
    assert.deepEqual((await childrenOf(env.api, container)).map((k) => labelOf(env.api, k)), before, 'cached until refreshed');
    await vscode.commands.executeCommand('blobCopy.refresh', container);
    const after = (await childrenOf(env.api, container)).map((k) => labelOf(env.api, k));
    assert.ok(after.includes('zz-new.txt'));
  });

  it('shows a listing error as a message node instead of failing', async () => {
    const conn = await findChild(env.api, undefined, 'Azurite (local emulator)');
    const ghost = uniqueName('ghost');
    await createContainer(env.dev, ghost);
    env.api.tree.refresh(conn);
    const node = await findChild(env.api, conn, ghost);
    await env.dev.getContainerClient(ghost).delete();
    const kids = await childrenOf(env.api, node);
    assert.equal(kids.length, 1);
    assert.equal(env.api.tree.getTreeItem(kids[0]).contextValue, 'error');
    assert.match(labelOf(env.api, kids[0]), /Could not list/);
  });
});
