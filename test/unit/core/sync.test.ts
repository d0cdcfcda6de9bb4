/**
 * The sync's merge of two name-ordered listings (src/core/plan/sync.ts): groups, the service's byte order of names,
 * a listing out of order, the comparison modes, and a merge of 1,000,000 names whose heap stays flat (no state per
 * name).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { emptyTally, isChanged, mergeListings, tallyAdd, SYNC_FIRST_NAMES, type SyncEntry } from '../../../src/core/plan/sync';
import { compareNames } from '../../../src/core/plan/expand';

/** A listing of these entries, in pages of two (the merge must carry its position across pages). */
async function* of<T>(items: readonly T[]): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += 2) yield items.slice(i, i + 2);
}

const e = (relative: string, size = 1, extra: Partial<SyncEntry> = {}): SyncEntry => ({ relative, size, ...extra });

async function groups(src: readonly SyncEntry[], dst: readonly SyncEntry[]) {
  const out: string[] = [];
  for await (const batch of mergeListings(of(src), of(dst))) {
    for (const step of batch) {
      const s = step.source;
      const d = step.destination;
      out.push(!d ? `new:${s!.relative}` : !s ? `extra:${d.relative}` : `${isChanged(s, d) ? "changed" : "same"}:${s.relative}`);
    }
  }
  return out;
}

describe('sync merge', () => {
  it('sorts every name into new, changed, same or extra, in name order', async () => {
    const t0 = new Date('2024-01-01T00:00:00Z');
    const t1 = new Date('2024-06-01T00:00:00Z');
    const src = [e('a.txt', 3), e('b.txt', 4, { contentMD5: 'AAA=' }), e('c.txt', 4, { contentMD5: 'BBB=' }), e('d.txt', 5, { lastModified: t1 }), e('f.txt', 1)];
    const dst = [e('b.txt', 4, { contentMD5: 'AAA=' }), e('c.txt', 4, { contentMD5: 'CCC=' }), e('d.txt', 5, { lastModified: t0 }), e('e.txt', 9), e('f.txt', 2)];
    assert.deepEqual(await groups(src, dst), ['new:a.txt', 'same:b.txt', 'changed:c.txt', 'changed:d.txt', 'extra:e.txt', 'changed:f.txt']);
  });

  it("compares names as the service lists them (UTF-8 bytes), not JavaScript's UTF-16 order", async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 (and code points), after it in UTF-16 code units.
    const names = ['a', 'a-b', 'a/b', 'a0', '\u00e9', 'e\u0301', '\uFF5E', '\u{1F600}'];
    const sorted = [...names].sort(compareNames);
    assert.deepEqual(sorted, [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    assert.notDeepEqual(sorted, [...names].sort());
    // NFC "é" and NFD "é" are two names, as the copy treats them: one new, one extra.
    const nfc = '\u00e9.txt';
    const nfd = 'e\u0301.txt';
    assert.deepEqual(await groups([e(nfc)], [e(nfd)]), [`extra:${nfd}`, `new:${nfc}`]);
    // Interleaved in byte order on both sides: every name meets its twin.
    const src = sorted.map((n) => e(n));
    assert.deepEqual(await groups(src, src), sorted.map((n) => `same:${n}`));
  });

  it('refuses a listing out of order instead of calling names extra', async () => {
    await assert.rejects(groups([e('a')], [e('c'), e('b')]), /destination listing is not in name order/);
  });

  it('comparison modes: size, md5, time, auto; a different blob type is a change', () => {
    const old = new Date(1000);
    const later = new Date(2000);
    const s = e('x', 10, { contentMD5: 'M1', lastModified: later, blobType: 'BlockBlob' });
    const sameMd5Older = e('x', 10, { contentMD5: 'M1', lastModified: old, blobType: 'BlockBlob' });
    assert.equal(isChanged(s, sameMd5Older, 'auto'), false, 'auto: equal MD5 wins over time');
    assert.equal(isChanged(s, sameMd5Older, 'time'), true);
    assert.equal(isChanged(s, sameMd5Older, 'size'), false);
    assert.equal(isChanged(s, { ...sameMd5Older, contentMD5: undefined }, 'auto'), true, 'auto without MD5: a later source');
    assert.equal(isChanged(s, { ...sameMd5Older, contentMD5: undefined }, 'md5'), true, 'md5: a side without one is a change');
    assert.equal(isChanged({ ...s, lastModified: old }, { ...sameMd5Older, contentMD5: undefined, lastModified: later }, 'auto'), false);
    assert.equal(isChanged(s, { ...sameMd5Older, contentMD5: 'M2' }, 'size'), false);
    assert.equal(isChanged(s, { ...sameMd5Older, size: 11 }, 'size'), true);
    assert.equal(isChanged(s, { ...sameMd5Older, blobType: 'AppendBlob' }, 'size'), true);
  });

  it('a tally keeps the first names of each group only', () => {
    const t = emptyTally();
    for (let i = 0; i < 50; i++) tallyAdd(t, 'extra', `n${i}`, 2);
    assert.equal(t.extra.count, 50);
    assert.equal(t.extra.bytes, 100);
    assert.equal(t.extra.first.length, SYNC_FIRST_NAMES);
  });

  it('merges 1,000,000 names per side with a flat heap (no state per name)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const N = 1_000_000;
    const name = (i: number) => `folder/${String(i).padStart(8, '0')}.bin`;
    // Source lacks every 7th name (extras), the destination every 5th (new); every 3rd common name differs in size.
    // Pages of up to 1,000 names, as the listing gives them (of different lengths on the two sides).
    async function* pages(keep: (i: number) => boolean, size: (i: number) => number) {
      let page: SyncEntry[] = [];
      for (let i = 0; i < N; i++) {
        if (keep(i)) page.push(e(name(i), size(i)));
        if (page.length === 1000) {
          yield page;
          page = [];
        }
      }
      if (page.length) yield page;
    }
    const source = () => pages((i) => i % 7 !== 0, () => 100);
    const destination = () => pages((i) => i % 5 !== 0, (i) => (i % 3 === 0 ? 101 : 100));
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    const counts = { new: 0, changed: 0, same: 0, extra: 0 };
    let steps = 0;
    for await (const batch of mergeListings(source(), destination())) {
      for (const step of batch) {
        if (!step.destination) counts.new++;
        else if (!step.source) counts.extra++;
        else if (isChanged(step.source, step.destination)) counts.changed++;
        else counts.same++;
        if (++steps % 100_000 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
      }
    }
    const expected = { new: 0, changed: 0, same: 0, extra: 0 };
    for (let i = 0; i < N; i++) {
      const s = i % 7 !== 0;
      const d = i % 5 !== 0;
      if (s && !d) expected.new++;
      else if (!s && d) expected.extra++;
      else if (s && d) expected[i % 3 === 0 ? 'changed' : 'same']++;
    }
    assert.deepEqual(counts, expected);
    // 1,000,000 names of ~20 characters held in a Set or Map would take well over 40 MiB.
    assert.ok(peak < 4 * 1024 * 1024, `heap grew by ${(peak / 1048576).toFixed(1)} MiB over ${steps} steps`);
  });
});
