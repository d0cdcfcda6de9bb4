/**
 * The copy engine on first use (start-up time), in plain Node: the holder creates nothing until asked,
 * attaches its hooks when it creates, disposes them with the engine; the start-up check reads the journal folder's
 * file names and creates the engine only when a journal file is there.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobSnapshot } from '../../../src/core';
import { hasJournal } from '../../../src/core/copy/journal';
import { OnFirstUse, unfinishedQuestion, unfinishedWork } from '../../../src/extension/lazyEngine';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-lazy-'));
}

describe('the engine on first use', () => {
  it('creates nothing until get(); hooks attach at creation (or at once after it) and are disposed with the value', () => {
    const events: string[] = [];
    let created = 0;
    const holder = new OnFirstUse(() => {
      created++;
      return { dispose: () => events.push('engine disposed') };
    });
    holder.onCreate(() => ({ dispose: () => events.push('first hook disposed') }));
    assert.equal(holder.peek(), undefined);
    assert.equal(created, 0, 'registering a hook creates nothing');
    const value = holder.get();
    assert.equal(created, 1);
    assert.equal(holder.get(), value, 'one value');
    assert.equal(holder.peek(), value);
    let late: unknown;
    holder.onCreate((v) => {
      late = v;
      return { dispose: () => events.push('late hook disposed') };
    });
    assert.equal(late, value, 'a hook registered after creation runs at once');
    holder.dispose();
    assert.deepEqual(events, ['late hook disposed', 'first hook disposed', 'engine disposed']);
  });

  it('a disposed holder never creates', () => {
    let created = 0;
    const holder = new OnFirstUse(() => {
      created++;
      return { dispose() {} };
    });
    holder.dispose();
    assert.throws(() => holder.get(), /shutting down/);
    assert.equal(created, 0);
  });

  it('the start-up check creates the engine only when the journal folder holds a job or batch record', async () => {
    const dir = tempDir();
    try {
      let asked = 0;
      const snapshot = { id: 'j' } as JobSnapshot;
      const batch = { batchId: 'b1', sources: ['photos/2024/'], destination: 'archive/' };
      const engine = () => {
        asked++;
        return { unfinished: async () => [snapshot], unfinishedBatches: async () => [batch] };
      };
      const none = { jobs: [], batches: [] };
      assert.deepEqual(await unfinishedWork(path.join(dir, 'missing'), engine), none, 'no folder');
      assert.deepEqual(await unfinishedWork(dir, engine), none, 'empty folder');
      // Not journal records: a temp file of an interrupted write, a done log alone, foreign files.
      for (const name of ['job-abc.json.123.4.tmp', 'batch-b1.done', 'notes.json', 'job-.json']) fs.writeFileSync(path.join(dir, name), '{}');
      assert.equal(hasJournal(dir), false);
      assert.deepEqual(await unfinishedWork(dir, engine), none);
      assert.equal(asked, 0, 'the engine was not created');

      fs.writeFileSync(path.join(dir, 'job-0b6f2c1e-9d7a-4c1b-a2f3-123456789abc.json'), '{}');
      assert.equal(hasJournal(dir), true);
      assert.deepEqual(await unfinishedWork(dir, engine), { jobs: [snapshot], batches: [batch] });
      assert.equal(asked, 1);

      fs.rmSync(path.join(dir, 'job-0b6f2c1e-9d7a-4c1b-a2f3-123456789abc.json'));
      fs.writeFileSync(path.join(dir, 'batch-b1.json'), '{}');
      assert.equal(hasJournal(dir), true, 'a batch record counts too');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the start-up question counts the jobs and the folder copies stopped while listing, and names the first folder', () => {
    const job = { id: 'j' } as JobSnapshot;
    const b = (n: number) => ({ batchId: `b${n}`, sources: [`photos/${n}/`], destination: 'archive/' });
    assert.equal(unfinishedQuestion({ jobs: [job], batches: [] }), 'Blob Copy: 1 copy job did not finish when VS Code last closed. Resume it?');
    assert.equal(unfinishedQuestion({ jobs: [], batches: [b(1)] }), 'Blob Copy: a folder copy (photos/1/ → archive/) did not finish when VS Code last closed. Resume it?');
    assert.equal(
      unfinishedQuestion({ jobs: [job, job], batches: [b(1), b(2)] }),
      'Blob Copy: 2 copy jobs and 2 folder copies (photos/1/ → archive/ and 1 more) did not finish when VS Code last closed. Resume them?',
    );
    // A sync that was to delete extras (stopped before its run ended) is named a sync.
    const s = (n: number) => ({ ...b(n), sync: true });
    assert.equal(unfinishedQuestion({ jobs: [], batches: [s(1)] }), 'Blob Copy: a sync (photos/1/ → archive/) did not finish when VS Code last closed. Resume it?');
    assert.equal(unfinishedQuestion({ jobs: [], batches: [s(1), s(2)] }), 'Blob Copy: 2 syncs (photos/1/ → archive/ and 1 more) did not finish when VS Code last closed. Resume them?');
    assert.equal(unfinishedQuestion({ jobs: [job], batches: [b(1), s(2)] }), 'Blob Copy: 1 copy job and 2 folder copies and syncs (photos/1/ → archive/ and 1 more) did not finish when VS Code last closed. Resume them?');
  });
});
