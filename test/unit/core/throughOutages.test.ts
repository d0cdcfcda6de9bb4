/**
 * The rules of a plan's pages through outages (src/core/plan/throughOutages.ts), on plans made of pages in memory
 * that fail where a test says: what is waited out and what is not, where the plan goes on, what the pages after an
 * outage carry on, and how it ends. The same against Azurite: test/reliability/{listing,planning}-outage.test.ts.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { pagesThroughOutages } from '../../../src/core/plan/throughOutages';
import { emptyTally, tallyAdd } from '../../../src/core/plan/sync';
import type { SyncTally } from '../../../src/core/base/types';
import type { RestCall } from '../../../src/shared/vocabulary';

interface Page {
  source: number;
  last?: string;
  sync?: SyncTally;
  calls: ReadonlyMap<RestCall, number>;
  warnings: ReadonlySet<string>;
  names: string[];
}
type Position = { source: number; after?: string; sync?: SyncTally };

const netError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });

/** Pages of `per` names out of `names`; a plan started from a position lists after it; `fail(k, from)` breaks page k. */
function pagedPlan(names: string[], per: number, fail: (k: number, from?: Position) => Error | undefined) {
  const starts: Array<Position | undefined> = [];
  const plan = async function* (from?: Position): AsyncGenerator<Page> {
    starts.push(from);
    const rest = from?.after === undefined ? names : names.filter((n) => n > from.after!);
    const calls = new Map<RestCall, number>();
    for (let k = 0; k * per < rest.length; k++) {
      const err = fail(k, from);
      if (err) throw err;
      calls.set('List Blobs', k + 1);
      const page = rest.slice(k * per, (k + 1) * per);
      const tally = from?.sync ? structuredClone(from.sync) : emptyTally();
      for (const n of rest.slice(0, (k + 1) * per)) tallyAdd(tally, 'new', n, 1);
      yield { source: 0, last: page.at(-1), sync: tally, calls: new Map(calls), warnings: new Set([`w${from?.after ?? ''}`]), names: page };
    }
  };
  return { plan, starts };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const names = Array.from({ length: 10 }, (_, i) => `n${i}`);

async function all(it: AsyncGenerator<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('plan pages through outages', () => {
  it('an outage after two pages: waited for, the plan goes on after the last name given out; calls, warnings and the tally carried on', async () => {
    let failed = 0;
    const { plan, starts } = pagedPlan(names, 3, (k, from) => (k === 2 && !from && failed++ === 0 ? netError('ECONNREFUSED') : undefined));
    const warns: string[] = [];
    const waits: string[] = [];
    const pages = await all(pagesThroughOutages(plan, { toleranceMs: 200, log: { ...quiet, warn: (m) => warns.push(m) }, copying: true, onWait: (r) => waits.push(r) }));
    assert.deepEqual(waits, ['connection refused'], 'told once, with the reason');
    assert.deepEqual(pages.flatMap((p) => p.names), names, 'every name once, in order');
    assert.equal(starts.length, 2);
    assert.equal(starts[1]?.after, 'n5');
    assert.equal(starts[1]?.sync?.new.count, 6, "the tally of the pages given out goes into the plan's next start");
    const end = pages.at(-1)!;
    assert.equal(end.sync?.new.count, 10);
    assert.equal(end.calls.get('List Blobs'), 2 + 2, 'the calls of both plans (2 pages before, 2 after)');
    assert.deepEqual([...end.warnings].sort(), ['w', 'wn5']);
    assert.equal(warns.length, 1);
    assert.match(warns[0], /storage is not answering \(connection refused\); the copies already listed go on, and the listing waits for storage, up to 0 s, then lists on after "n5"/);
  });

  it('before the first page: thrown at once (the endpoint may be wrong), except for a resume; after it: waited, and the plan goes on from its position', async () => {
    for (const from of [undefined, { source: 0, after: 'n3' }]) {
      const fresh = pagedPlan(names, 3, (k) => (k === 0 ? netError('ECONNREFUSED') : undefined));
      const t0 = Date.now();
      await assert.rejects(all(pagesThroughOutages(fresh.plan, { toleranceMs: 60_000, log: quiet }, undefined, from)), /ECONNREFUSED/);
      assert.ok(Date.now() - t0 < 1000, 'not waited for');
      assert.equal(fresh.starts.length, 1);
    }
    let failed = 0;
    const resumed = pagedPlan(names, 3, (k, from) => (k === 1 && from?.after === 'n3' && failed++ === 0 ? netError('ECONNREFUSED') : undefined));
    const pages = await all(pagesThroughOutages(resumed.plan, { toleranceMs: 200, log: quiet }, undefined, { source: 0, after: 'n3' }));
    assert.deepEqual(pages.flatMap((p) => p.names), names.slice(4), 'a resume lists on after its position, and after its first page');
    assert.deepEqual(resumed.starts.map((f) => f?.after), ['n3', 'n6']);
    // A resume's listing (the same endpoint answered the run before): storage down before its first page is waited out.
    let down = 1;
    const waits: string[] = [];
    const warns: string[] = [];
    const again = pagedPlan(names, 3, (k) => (k === 0 && down-- > 0 ? netError('ECONNREFUSED') : undefined));
    const ride = { toleranceMs: 5_000, log: { ...quiet, warn: (m: string) => warns.push(m) }, copying: true, resuming: true, onWait: (r: string) => waits.push(r) };
    const listed = await all(pagesThroughOutages(again.plan, ride, undefined, { source: 0, after: 'n3' }));
    assert.deepEqual(listed.flatMap((p) => p.names), names.slice(4), 'listed on from its position once storage answered');
    assert.deepEqual(again.starts.map((f) => f?.after), ['n3', 'n3'], 'the try after the wait, from the journaled position');
    assert.deepEqual(waits, ['connection refused'], 'told once');
    assert.match(warns[0] ?? '', /the listing waits for storage, up to 5 s, then lists on after "n3"/);
    // … but not past the tolerance.
    const gone = pagedPlan(names, 3, () => netError('ECONNREFUSED'));
    await assert.rejects(all(pagesThroughOutages(gone.plan, { ...ride, toleranceMs: 50 }, undefined, { source: 0, after: 'n3' })), /gave up after the outage tolerance/);
  });

  it('a permanent error is thrown at once; the tolerance spent ends with StorageUnavailable, said as for a plan or for a copy', async () => {
    const denied = pagedPlan(names, 3, (k) => (k === 1 ? Object.assign(new Error('denied'), { statusCode: 403 }) : undefined));
    await assert.rejects(all(pagesThroughOutages(denied.plan, { toleranceMs: 60_000, log: quiet })), /denied/);
    assert.equal(denied.starts.length, 1);
    for (const copying of [false, true]) {
      // Down for good after the first page: every later try fails.
      const down = pagedPlan(names, 3, (k, from) => (k >= 1 || from ? Object.assign(new Error('busy'), { statusCode: 503 }) : undefined));
      await assert.rejects(all(pagesThroughOutages(down.plan, { toleranceMs: 50, log: quiet, copying })), (e: Error & { info?: { code?: string; hint?: string } }) => {
        assert.equal(e.info?.code, 'StorageUnavailable');
        assert.match(e.message, /storage did not answer for \d+ s \(503\); gave up after the outage tolerance of 0 s/);
        assert.match(e.info?.hint ?? '', copying ? /listed before the outage were copied/ : /^Nothing was written\./);
        return true;
      });
    }
  });

  it('stopped while it waits: the stop is thrown, not the outage, and no plan starts again', async () => {
    const { plan, starts } = pagedPlan(names, 3, (k) => (k === 1 ? netError('ECONNRESET') : undefined));
    const controller = new AbortController();
    const stop = new Error('stopped by the user');
    setTimeout(() => controller.abort(stop), 50);
    await assert.rejects(all(pagesThroughOutages(plan, { toleranceMs: 60_000, log: quiet }, controller.signal)), (e) => e === stop);
    assert.equal(starts.length, 1);
  });
});
