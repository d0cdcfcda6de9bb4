/** The engine's Emitter: who hears a value, when listeners come and go while it is fired. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Emitter } from '../../../src/core/base/events';

describe('Emitter', () => {
  it('a listener added while a value is fired hears only later values; one removed while firing still hears it', () => {
    const e = new Emitter<number>();
    const heard: string[] = [];
    let late: { dispose(): void } | undefined;
    const second = { dispose: () => undefined } as { dispose(): void };
    e.event((v) => {
      heard.push(`a${v}`);
      if (v === 1) late = e.event((w) => heard.push(`late${w}`));
      if (v === 1) second.dispose();
    });
    Object.assign(second, e.event((v) => heard.push(`b${v}`)));
    e.fire(1);
    e.fire(2);
    late!.dispose();
    e.fire(3);
    assert.deepEqual(heard, ['a1', 'b1', 'a2', 'late2', 'a3']);
  });

  it('a failing listener does not stop the others; after dispose nobody hears and new listeners are refused', () => {
    const e = new Emitter<string>();
    const heard: string[] = [];
    e.event(() => {
      throw new Error('boom');
    });
    e.event((v) => heard.push(v));
    e.fire('x');
    e.dispose();
    e.fire('y');
    e.event((v) => heard.push(`new ${v}`));
    e.fire('z');
    assert.deepEqual(heard, ['x']);
  });
});
