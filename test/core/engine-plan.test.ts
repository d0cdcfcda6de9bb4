/** Planner: naming, globs, conflicts and policies, dry-run, validation. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { startAzurite, AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import { CopyEngine, CopyError, CopyRequest, withConflictPolicy } from '../../src/core';
import { A1, A2, makeEngine, stopFast } from '../helpers/engine';

async function listNames(azurite: AzuriteInstance, container: string, account?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of azurite.serviceClient(account).getContainerClient(container).listBlobsFlat()) out.push(b.name);
  return out.sort();
}

describe('planner and conflict policies', () => {
  let azurite: AzuriteInstance;
  let engine: CopyEngine;
  before(async () => {
    azurite = await startAzurite();
    ({ engine } = makeEngine(azurite));
    const s1 = azurite.serviceClient();
    await s1.createContainer('src');
    await s1.createContainer('dst');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('far');
    const c = s1.getContainerClient('src');
    for (const n of ['tree/a.txt', 'tree/b.log', 'tree/sub/c.txt', 'tree/sub/d.tmp', 'tree/sub/deeper/e.txt', 'other.txt']) {
      await c.getBlockBlobClient(n).upload(n, n.length);
    }
  });
  after(async () => {
    engine?.dispose();
    await stopFast(azurite);
  });

  const tree = (path = 'tree/') => ({ kind: 'location' as const, location: { connectionId: A1, container: 'src', path } });

  it('keeps relative names under the destination prefix; one blob to a name is that exact name', async () => {
    const plan = await engine.plan({ sources: [tree()], destination: { connectionId: A1, container: 'dst', path: 'copy/' } });
    assert.deepEqual(plan.items.map((i) => i.destination.path).sort(), ['copy/a.txt', 'copy/b.log', 'copy/sub/c.txt', 'copy/sub/d.tmp', 'copy/sub/deeper/e.txt']);
    assert.equal(plan.totals.count, 5);
    assert.ok(plan.items.every((i) => i.strategy === 'copy-blob' && i.sameAccount && i.conflict === 'none' && i.action === 'copy'));
    const one = await engine.plan({ sources: [tree('tree/sub/c.txt')], destination: { connectionId: A1, container: 'dst', path: 'renamed.txt' } });
    assert.equal(one.items[0].destination.path, 'renamed.txt');
    const intoFolder = await engine.plan({ sources: [tree('tree/sub/c.txt')], destination: { connectionId: A1, container: 'dst', path: 'f/' } });
    assert.equal(intoFolder.items[0].destination.path, 'f/c.txt');
    const whole = await engine.plan({ sources: [tree('')], destination: { connectionId: A2, container: 'far', path: '' } });
    assert.equal(whole.items.length, 6);
    assert.ok(whole.items.every((i) => !i.sameAccount));
  });

  it('include/exclude: no "/" matches the base name, with "/" the path below the source prefix', async () => {
    const names = async (include?: string[], exclude?: string[]) =>
      (await engine.plan({ sources: [tree()], destination: { connectionId: A1, container: 'dst', path: 'g/' }, options: { include, exclude } })).items
        .map((i) => i.sourceName)
        .sort();
    assert.deepEqual(await names(['*.txt']), ['tree/a.txt', 'tree/sub/c.txt', 'tree/sub/deeper/e.txt']);
    assert.deepEqual(await names(['sub/*.txt']), ['tree/sub/c.txt']);
    assert.deepEqual(await names(['sub/**']), ['tree/sub/c.txt', 'tree/sub/d.tmp', 'tree/sub/deeper/e.txt']);
    assert.deepEqual(await names(undefined, ['*.tmp', '*.log']), ['tree/a.txt', 'tree/sub/c.txt', 'tree/sub/deeper/e.txt']);
    assert.deepEqual(await names(['*.txt'], ['sub/deeper/**']), ['tree/a.txt', 'tree/sub/c.txt']);
  });

  it('dry-run (plan, and copy with dryRun) writes nothing', async () => {
    const before = await listNames(azurite, 'dst');
    const req: CopyRequest = { sources: [tree()], destination: { connectionId: A1, container: 'dst', path: 'dry/' }, options: { dryRun: true } };
    const plan = await engine.plan(req);
    assert.equal(plan.items.length, 5);
    const summary = await engine.copy(req);
    assert.equal(summary.succeeded, 0);
    assert.equal(summary.total, 5);
    assert.deepEqual(await listNames(azurite, 'dst'), before);
  });

  it('each conflict policy: overwrite, skip, rename, if-source-newer', async () => {
    const dst = azurite.serviceClient().getContainerClient('dst');
    // c.txt exists and is older than the source? No: created after the source, so the destination is newer.
    await dst.getBlockBlobClient('pol/sub/c.txt').upload('old', 3);
    await dst.getBlockBlobClient('pol/a.txt').upload('old', 3);
    await dst.getBlockBlobClient('pol/a (1).txt').upload('taken', 5);
    const req = (conflict: 'overwrite' | 'skip' | 'rename' | 'if-source-newer'): CopyRequest => ({
      sources: [tree()],
      destination: { connectionId: A1, container: 'dst', path: 'pol/' },
      options: { conflict, include: ['a.txt', 'sub/c.txt'] },
    });
    const plan = await engine.plan(req('skip'));
    assert.equal(plan.totals.conflicts, 2);
    assert.equal(plan.totals.skipped, 2);
    assert.ok(plan.items.every((i) => i.conflict === 'exists-newer'));
    // Pure re-decision.
    const renamed = withConflictPolicy(plan, 'rename');
    assert.deepEqual(renamed.items.map((i) => i.destination.path).sort(), ['pol/a (2).txt', 'pol/sub/c (1).txt']);
    assert.ok(renamed.items.every((i) => i.action === 'rename'));
    assert.deepEqual(plan.items.map((i) => i.action), ['skip', 'skip'], 'withConflictPolicy does not mutate');
    const over = withConflictPolicy(plan, 'overwrite');
    assert.ok(over.items.every((i) => i.action === 'copy' && !i.destination.path.includes('(')));

    // skip: nothing changes.
    let s = await engine.copy(req('skip'));
    assert.equal(s.skipped, 2);
    assert.equal((await dst.getBlobClient('pol/a.txt').downloadToBuffer()).toString(), 'old');
    // if-source-newer: destinations are newer → skipped.
    s = await engine.copy(req('if-source-newer'));
    assert.equal(s.skipped, 2);
    // rename: new names, originals untouched.
    s = await engine.copy(req('rename'));
    assert.equal(s.succeeded, 2);
    assert.equal((await dst.getBlobClient('pol/a (2).txt').downloadToBuffer()).toString(), 'tree/a.txt');
    assert.equal((await dst.getBlobClient('pol/sub/c (1).txt').downloadToBuffer()).toString(), 'tree/sub/c.txt');
    assert.equal((await dst.getBlobClient('pol/a.txt').downloadToBuffer()).toString(), 'old');
    // overwrite.
    s = await engine.copy(req('overwrite'));
    assert.equal(s.succeeded, 2);
    assert.equal((await dst.getBlobClient('pol/a.txt').downloadToBuffer()).toString(), 'tree/a.txt');
    // if-source-newer: now make the source newer than the destination.
    await new Promise((r) => setTimeout(r, 1100));
    await azurite.serviceClient().getContainerClient('src').getBlockBlobClient('tree/a.txt').upload('tree/a.txt v2', 13);
    s = await engine.copy(req('if-source-newer'));
    assert.equal(s.succeeded, 1);
    assert.equal(s.skipped, 1);
    assert.equal((await dst.getBlobClient('pol/a.txt').downloadToBuffer()).toString(), 'tree/a.txt v2');
  });

  it('skip uses If-None-Match: * at write time (a destination created after planning is not overwritten, and the blob counts as skipped)', async () => {
    const req: CopyRequest = {
      sources: [tree('tree/a.txt')],
      destination: { connectionId: A2, container: 'far', path: 'race/a.txt' },
      options: { conflict: 'skip', strategy: 'put-block-from-url' },
    };
    const plan = await engine.plan(req);
    assert.equal(plan.items[0].action, 'copy');
    await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlockBlobClient('race/a.txt').upload('someone else', 12);
    const id = engine.start(plan);
    const s = await engine.waitForBatch(id);
    assert.equal(s.failed, 0);
    assert.equal(s.skipped, 1);
    assert.equal(engine.jobs().find((j) => j.batchId === id)!.state, 'skipped');
    assert.equal((await azurite.serviceClient(SECOND_ACCOUNT).getContainerClient('far').getBlobClient('race/a.txt').downloadToBuffer()).toString(), 'someone else');
  });

  it('rejects invalid names and mappings with actionable messages', async () => {
    await assert.rejects(engine.plan({ sources: [tree()], destination: { connectionId: A1, container: 'Bad_Name', path: '' } }), (e: unknown) => {
      assert.ok(e instanceof CopyError);
      assert.match(e.message, /lowercase/);
      return true;
    });
    await assert.rejects(engine.plan({ sources: [tree('tree/a.txt')], destination: { connectionId: A1, container: 'src', path: 'tree/a.txt' } }), /onto itself/);
    // Two sources mapping to one name: the second is refused by name (a batch from this plan is partial), not copied over the first.
    const fine = await engine.plan({ sources: [tree('tree/a.txt'), tree('tree/sub/deeper/')], destination: { connectionId: A1, container: 'dst', path: 'x/' } });
    assert.equal(fine.refused, undefined);
    const twice = await engine.plan({ sources: [tree('tree/a.txt'), tree('tree/a.txt')], destination: { connectionId: A1, container: 'dst', path: 'x/' } });
    assert.equal(twice.items.length, 1);
    assert.equal(twice.refused?.count, 1);
    assert.match(twice.refused!.first[0].reason, /both map to destination "x\/a.txt"/);
    await assert.rejects(engine.plan({ sources: [tree('tree/missing.txt')], destination: { connectionId: A1, container: 'dst', path: '' } }), (e: unknown) => {
      assert.ok(e instanceof CopyError);
      assert.equal(e.info.status, 404);
      return true;
    });
  });

  it('a missing destination container fails each job with "create it"', async () => {
    const s = await engine.copy({ sources: [tree('tree/a.txt')], destination: { connectionId: A2, container: 'nope', path: '' } });
    assert.equal(s.failed, 1);
    const err = engine.jobs().at(-1)!.error!;
    assert.equal(err.status, 404);
    assert.equal(err.code, 'ContainerNotFound');
    assert.match(err.message, /destination container does not exist: create it/);
    assert.ok(err.requestId);
  });
});
