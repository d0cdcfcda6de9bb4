/** The job journal: coalesced asynchronous writes, removal, and a synchronous flush on dispose. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileJournal, JournalRecord } from '../../../src/core/copy/journal';

function record(jobId: string, bytesDone = 0): JournalRecord {
  return {
    version: 1,
    jobId,
    batchId: 'b1',
    item: {
      source: { kind: 'location', location: { connectionId: 'a', container: 'src', path: `${jobId}.txt` } },
      sourceName: `${jobId}.txt`,
      destination: { connectionId: 'b', container: 'dst', path: `${jobId}.txt` },
      strategy: 'copy-blob',
      blobType: 'BlockBlob',
      size: 10,
      conflict: 'none',
      action: 'copy',
    },
    options: { tags: true, tier: true, conflict: 'overwrite' },
    operation: 'copy-blob-from-url',
    state: 'queued',
    attempts: 0,
    bytesDone,
    progress: { generation: 0 },
    updatedAt: '',
  };
}

async function waitForFiles(dir: string, n: number): Promise<void> {
  for (let i = 0; i < 200 && fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('FileJournal (coalesced, asynchronous writes)', () => {
  it('writes urgent records on the next turn, keeps the newest per job, and a job removed before its write costs no file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-journal-'));
    try {
      const j = new FileJournal(dir);
      j.save(record('j1'), true);
      j.save(record('j1', 5), true);
      j.save(record('j2'), true);
      j.remove('j2'); // finished before its record was written
      await waitForFiles(dir, 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(fs.readdirSync(dir).sort(), ['job-j1.json']);
      assert.equal(j.list()[0].bytesDone, 5);
      j.remove('j1');
      assert.deepEqual(fs.readdirSync(dir), []);
      j.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dispose() writes every pending record synchronously (a new engine can resume them)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-journal-'));
    try {
      const j = new FileJournal(dir);
      for (let i = 0; i < 50; i++) j.save(record(`k${i}`), i % 2 === 0);
      j.dispose();
      const names = fs.readdirSync(dir);
      assert.equal(names.filter((n) => n.endsWith('.json')).length, 50);
      assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0);
      assert.equal(new FileJournal(dir).list().length, 50);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
