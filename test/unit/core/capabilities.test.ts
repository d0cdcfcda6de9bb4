/**
 * Which operations a server lacks, learned once per server: the first attempt with an operation of unknown support
 * asks, the others wait for its answer (or for their own cancel).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { CapabilityCache } from '../../../src/core/operations/operationChoice';

describe('CapabilityCache.firstAsks', () => {
  it('the first caller asks, the others wait for its answer; known support answers at once', async () => {
    const c = new CapabilityCache();
    const first = await c.firstAsks('http://s', 'put-blob-from-url');
    assert.equal(typeof first, 'function');
    let waited = false;
    const second = c.firstAsks('http://s', 'put-blob-from-url').then((r) => {
      waited = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(waited, false, 'the second waits while the first has not been answered');
    c.markMissing('http://s', 'put-blob-from-url');
    first!();
    assert.equal(await second, undefined);
    assert.ok(c.lacks('http://s', 'put-blob-from-url'));
    assert.equal(await c.firstAsks('http://s', 'put-blob-from-url'), undefined, 'known: nobody waits');
    assert.equal(typeof (await c.firstAsks('http://other', 'put-blob-from-url')), 'function', 'per server');
    c.markPresent('http://s', 'append-block-from-url');
    assert.equal(await c.firstAsks('http://s', 'append-block-from-url'), undefined);
  });

  it('a waiting attempt stops waiting when its signal aborts; an answer without news lets the next one ask', async () => {
    const c = new CapabilityCache();
    const first = await c.firstAsks('http://s', 'put-page-from-url');
    const ac = new AbortController();
    const waiting = c.firstAsks('http://s', 'put-page-from-url', ac.signal);
    ac.abort();
    assert.equal(await waiting, undefined);
    first!(); // e.g. a network error: support still unknown
    assert.equal(typeof (await c.firstAsks('http://s', 'put-page-from-url')), 'function', 'the next attempt asks');
  });
});
