/** The journal's done log of a streamed batch: appended per blob, cut back to what lies beyond the saved position. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FileJournal } from '../../src/core/copy/journal';
import { beyondPosition } from '../../src/core/engine/resume';

describe('journal: the done log keeps only what lies beyond the position', () => {
  it('rewriteDone replaces the log, later appends go to the new one, and without appends nothing is rewritten', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-done-'));
    try {
      const j = new FileJournal(dir);
      for (const n of ['a', 'b', 'c', 'd']) j.appendDone('b1', `0\t${n}`);
      const kept = ['0\tc', '0\td'].filter((l) => beyondPosition(l, { source: 0, after: 'b' }));
      assert.deepEqual(kept, ['0\tc', '0\td']);
      j.rewriteDone('b1', kept);
      assert.deepEqual(j.readDone('b1'), ['0\tc', '0\td']);
      j.appendDone('b1', '1\ta');
      assert.deepEqual(j.readDone('b1'), ['0\tc', '0\td', '1\ta'], 'an append after the rewrite lands in the new log');
      j.rewriteDone('b1', []);
      assert.deepEqual(j.readDone('b1'), []);
      j.rewriteDone('b1', ['0\tz']); // nothing appended since: the log stays as it is
      assert.deepEqual(j.readDone('b1'), []);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
      j.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('beyondPosition: later sources, and later names of the same source', () => {
    assert.equal(beyondPosition('1\ta', { source: 0, after: 'z' }), true);
    assert.equal(beyondPosition('0\tb', { source: 0, after: 'a' }), true);
    assert.equal(beyondPosition('0\ta', { source: 0, after: 'a' }), false);
    assert.equal(beyondPosition('0\ta', { source: 1 }), false);
    assert.equal(beyondPosition('1\ta', { source: 1 }), true);
  });
});
