/** The job journal: coalesced asynchronous writes, removal, and a synchronous flush on dispose. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileJournal, JournalRecord } from '../../../src/core/copy/journal';
import { CopyEngine } from '../../../src/core/engine/engine';

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

/** The folder's files but the open journals' heartbeats (`owner-….alive`). */
const files = (dir: string) => fs.readdirSync(dir).filter((n) => !n.startsWith('owner-'));

/** Runs fn with a fresh temporary folder, removed afterwards (pass or fail). */
async function inDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-journal-'));
  try {
    await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('FileJournal (coalesced, asynchronous writes)', () => {
  it('writes urgent records on the next turn, keeps the newest per job, and a job removed before its write costs no file', () =>
    inDir(async (dir) => {
      const j = new FileJournal(dir);
      j.save(record('j1'), true);
      j.save(record('j1', 5), true);
      j.save(record('j2'), true);
      j.remove('j2'); // finished before its record was written
      await j.settled();
      assert.deepEqual(files(dir).sort(), ['job-j1.json']);
      assert.equal(j.list()[0].bytesDone, 5);
      j.remove('j1');
      assert.deepEqual(files(dir), []);
      j.dispose();
    }));

  it('dispose() writes every pending record synchronously (a new engine can resume them)', () =>
    inDir((dir) => {
      const j = new FileJournal(dir);
      for (let i = 0; i < 50; i++) j.save(record(`k${i}`), i % 2 === 0);
      j.dispose();
      const names = fs.readdirSync(dir);
      assert.equal(names.filter((n) => n.endsWith('.json')).length, 50);
      assert.equal(names.filter((n) => n.endsWith('.tmp')).length, 0);
      assert.equal(new FileJournal(dir).list().length, 50);
    }));

  it('settled() waits for writes in flight: a job removed while its record was being written leaves no file, no temp file', () =>
    inDir(async (dir) => {
      const j = new FileJournal(dir);
      for (let i = 0; i < 20; i++) j.save(record(`w${i}`), true);
      await new Promise((r) => setImmediate(r)); // the drain has started its writes
      for (let i = 0; i < 20; i++) j.remove(`w${i}`);
      j.save(record('late', 3)); // saved while the drain runs: settled() waits for its write too
      await j.settled();
      assert.deepEqual(files(dir), ['job-late.json']);
      assert.equal(j.list()[0].bytesDone, 3);
      j.dispose();
    }));

  it('settled() writes a throttled record now instead of waiting out the throttle', () =>
    inDir(async (dir) => {
      const j = new FileJournal(dir, 60_000);
      j.save(record('t', 1), true);
      await j.settled();
      j.save(record('t', 2)); // within a minute of its last write: held for the throttle
      const t0 = Date.now();
      await j.settled();
      assert.ok(Date.now() - t0 < 30_000, 'not held for the throttle');
      assert.equal(j.list()[0].bytesDone, 2);
      j.dispose();
    }));

  it('a new journal removes the temp files of processes that are gone, and keeps a live process\'s', () =>
    inDir((dir) => {
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      const torn = [`job-a.json.${gone}.7.tmp`, `batch-b.json.${gone}.2.tmp`, `batch-b.done.${gone}.tmp`];
      const live = [`job-c.json.${process.pid}.1.tmp`, 'job-d.json', 'notes.tmp'];
      for (const n of [...torn, ...live]) fs.writeFileSync(path.join(dir, n), '{');
      new FileJournal(dir).dispose();
      assert.deepEqual(fs.readdirSync(dir).sort(), [...live].sort());
    }));
  it("another live window's records (its process runs, its heartbeat is fresh) are not listed; gone, stale or closed, they are", () =>
    inDir(async (dir) => {
      // Another process we start: a VS Code window's extension host whose journal shares this folder.
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        const owner = `${other.pid}-abc123`;
        const heartbeat = path.join(dir, `owner-${owner}.alive`);
        fs.writeFileSync(heartbeat, '');
        fs.writeFileSync(path.join(dir, 'job-theirs.json'), JSON.stringify({ ...record('theirs'), owner }));
        fs.writeFileSync(path.join(dir, 'batch-bt.json'), JSON.stringify({ version: 1, batchId: 'bt', request: { sources: [], destination: { connectionId: 'b', container: 'dst', path: '' } }, position: { source: 0 }, owner, updatedAt: '' }));
        const j = new FileJournal(dir);
        j.save(record('mine'), true);
        await j.settled();
        assert.deepEqual(j.list().map((r) => r.jobId), ['mine'], 'the other window copies its own');
        assert.deepEqual(j.listBatches(), []);
        // A second journal of this process (a worker started again after a crash): the first one's records are listed.
        const again = new FileJournal(dir);
        assert.deepEqual(again.list().map((r) => r.jobId), ['mine']);
        again.dispose();
        // Its heartbeat went stale (a pid now another program's, after a reboot): listed.
        const old = new Date(Date.now() - 5 * 60_000);
        fs.utimesSync(heartbeat, old, old);
        assert.deepEqual(j.list().map((r) => r.jobId).sort(), ['mine', 'theirs']);
        assert.deepEqual(j.listBatches().map((b) => b.batchId), ['bt']);
        // Fresh again, then closed (its journal removes its heartbeat): listed.
        fs.writeFileSync(heartbeat, '');
        assert.deepEqual(j.list().map((r) => r.jobId), ['mine']);
        fs.rmSync(heartbeat);
        assert.deepEqual(j.list().map((r) => r.jobId).sort(), ['mine', 'theirs']);
        // Fresh, and its process ended (a window that crashed): listed.
        fs.writeFileSync(heartbeat, '');
        assert.deepEqual(j.list().map((r) => r.jobId), ['mine']);
        const exited = new Promise((r) => other.once('exit', r));
        other.kill();
        await exited;
        assert.deepEqual(j.list().map((r) => r.jobId).sort(), ['mine', 'theirs']);
        // An owner not of the journal's form (a foreign or hand-edited file) owns nothing: listed, no path built from it.
        fs.writeFileSync(path.join(dir, 'job-odd.json'), JSON.stringify({ ...record('odd'), owner: '../../x' }));
        assert.ok(j.list().some((r) => r.jobId === 'odd'));
        j.dispose();
        assert.ok(!fs.readdirSync(dir).includes(`owner-${j.owner}.alive`), 'a closed journal leaves no heartbeat');
      } finally {
        other.kill();
      }
    }));

  it('a resume makes every record it takes its own at once: a window starting next offers none, not even jobs still queued', () =>
    inDir(async (dir) => {
      // A window that crashed left 20 large copies (8 run at once; the rest wait in the queue, unwritten until they start).
      const crashed = `${spawnSync(process.execPath, ['-e', '0']).pid!}-dead00`;
      const ids = Array.from({ length: 20 }, (_, i) => `q${String(i).padStart(2, '0')}`);
      for (const id of ids) fs.writeFileSync(path.join(dir, `job-${id}.json`), JSON.stringify({ ...record(id), item: { ...record(id).item, size: 100 * 1024 * 1024 }, owner: crashed }));
      // This window resumes them; their copies wait for a connection that never comes (they stay running or queued).
      const engine = new CopyEngine({ resolve: () => new Promise(() => undefined), journalDir: dir, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
      try {
        assert.deepEqual(await engine.resume(), ['b1'], 'one batch of 20 jobs resumed');
        const owners = () => ids.map((id) => (JSON.parse(fs.readFileSync(path.join(dir, `job-${id}.json`), 'utf8')) as { owner?: string }).owner);
        for (let i = 0; i < 100 && owners().some((o) => o === crashed); i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(owners().every((o) => o !== crashed), 'every resumed record carries the resuming journal\'s owner');
        // Another window (a process of its own) starting now: its journal lists none of them.
        const journalJs = path.join(__dirname, '..', '..', '..', 'src', 'core', 'copy', 'journal.js');
        const script = `const { FileJournal } = require(${JSON.stringify(journalJs)}); const j = new FileJournal(${JSON.stringify(dir)}); process.stdout.write(JSON.stringify(j.list().map((r) => r.jobId))); j.dispose();`;
        const seen = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
        assert.equal(seen.status, 0, seen.stderr);
        assert.deepEqual(JSON.parse(seen.stdout), []);
      } finally {
        engine.dispose();
      }
    }));
});
