/**
 * package.json and the command table agree, both ways: every contributed command is in COMMANDS and every entry of
 * COMMANDS is contributed; menus and keybindings name only known commands; every command is reachable. And
 * package.json has no key twice in any object (JSON.parse keeps the last silently; VS Code and esbuild warn).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CAN_PASTE_CONTEXT, COMMANDS, PREFIX, VIEW_ID } from '../../../src/extension/commands/ids';
import { repoRoot } from '../../helpers/cli';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTAGE_TOLERANCE_SECONDS, DEFAULT_RANGE_CONCURRENCY } from '../../../src/core/base/defaults';

interface MenuItem {
  readonly command?: string;
  readonly submenu?: string;
  readonly when?: string;
}
interface Manifest {
  readonly contributes: {
    readonly commands: readonly { readonly command: string; readonly title: string }[];
    readonly menus: Readonly<Record<string, readonly MenuItem[]>>;
    readonly keybindings: readonly { readonly command: string; readonly when?: string }[];
    readonly views: Readonly<Record<string, readonly { readonly id: string }[]>>;
  };
}

const manifestText = readFileSync(join(repoRoot, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Manifest;

/**
 * Every key that occurs more than once in the same JSON object, as "path.to.object → key". A small recursive-descent
 * walk over the text: JSON.parse (and a reviver) only ever see the last of two equal keys.
 */
function duplicateKeys(text: string): string[] {
  let i = 0;
  const found: string[] = [];
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`JSON: ${what} at offset ${i}`);
  };
  const string = (): string => {
    if (text[i] !== '"') fail('expected a string');
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (text[i++] !== '"') fail('unterminated string');
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const key = string();
        if (keys.has(key)) found.push(`${path || '(root)'} → ${key}`);
        keys.add(key);
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        value(path ? `${path}.${key}` : key);
        ws();
        if (text[i] === ',') i++;
        else if (text[i++] === '}') return;
        else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') i++;
        else if (text[i++] === ']') return;
        else fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 40));
    if (!m) fail('unexpected character');
    i += m![0].length;
  };
  value('');
  ws();
  if (i !== text.length) fail('trailing text');
  return found;
}
const ids: readonly string[] = Object.values(COMMANDS);

/** Commands run only from code (tree items, the Copy Jobs panel): hidden from the palette, in no menu. */
const INTERNAL = [COMMANDS.loadMore, COMMANDS.revealInTree];

describe('package.json: no duplicate keys', () => {
  it('the scanner finds a key given twice, at any depth, and only then', () => {
    assert.deepEqual(duplicateKeys('{"a": 1, "b": {"c": [1, {"d": "x\\"}", "d": 2}], "e": true}, "f": null}'), ['b.c[1] → d']);
    assert.deepEqual(duplicateKeys('{"a": {"k": 1}, "b": {"k": 2}}'), [], 'the same key in two objects is fine');
    assert.deepEqual(duplicateKeys('{"x": 1, "x": 2}'), ['(root) → x']);
  });

  it('package.json has no key twice in any object (e.g. a setting declared twice)', () => {
    assert.deepEqual(duplicateKeys(manifestText), []);
  });
});

describe('command ids: the table and package.json', () => {
  it('each table entry is the prefix plus its name', () => {
    for (const [name, id] of Object.entries(COMMANDS)) assert.equal(id, PREFIX + name);
  });

  it('contributes.commands are exactly the table, both ways, each once', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.equal(new Set(contributed).size, contributed.length, 'a command is contributed twice');
    assert.deepEqual(contributed.filter((c) => !ids.includes(c)), [], 'contributed but not in COMMANDS');
    assert.deepEqual(ids.filter((c) => !contributed.includes(c)), [], 'in COMMANDS but not contributed');
    for (const c of manifest.contributes.commands) assert.ok(c.title.trim(), `${c.command} has no title`);
  });

  it('menus and keybindings name only commands of the table', () => {
    const used = [...Object.values(manifest.contributes.menus).flat().map((m) => m.command), ...manifest.contributes.keybindings.map((k) => k.command)];
    assert.ok(used.length > 0);
    assert.deepEqual(used.filter((c) => c === undefined || !ids.includes(c)), []);
  });

  it('every command is reachable: in the palette or a view menu; only the internal ones are hidden and in no menu', () => {
    const palette = manifest.contributes.menus.commandPalette ?? [];
    const hidden = palette.filter((m) => m.when === 'false').map((m) => m.command);
    assert.deepEqual([...hidden].sort(), [...INTERNAL].sort());
    const inViewMenus = new Set(
      Object.entries(manifest.contributes.menus)
        .filter(([where]) => where !== 'commandPalette')
        .flatMap(([, items]) => items.map((m) => m.command)),
    );
    for (const id of INTERNAL) assert.ok(!inViewMenus.has(id), `${id} is internal but in a menu`);
  });

  it('the view id and the paste context key are the ones the manifest uses', () => {
    assert.ok(Object.values(manifest.contributes.views).flat().some((v) => v.id === VIEW_ID));
    const whens = [...Object.values(manifest.contributes.menus).flat().map((m) => m.when ?? ''), ...manifest.contributes.keybindings.map((k) => k.when ?? '')];
    assert.ok(whens.some((w) => w.includes(CAN_PASTE_CONTEXT)));
    assert.ok(whens.every((w) => !/blobCopy\.(?!storage\b|canPaste\b)/.test(w)), 'a when clause names an unknown blobCopy key');
  });
});

describe('settings defaults are the engine defaults', () => {
  it('blobCopy.concurrency, rangeConcurrency and outageToleranceSeconds default to the engine table (engineOptions.ts)', () => {
    const props = (JSON.parse(manifestText) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } } }).contributes.configuration.properties;
    assert.equal(props['blobCopy.concurrency'].default, DEFAULT_CONCURRENCY);
    assert.equal(props['blobCopy.rangeConcurrency'].default, DEFAULT_RANGE_CONCURRENCY);
    assert.equal(props['blobCopy.outageToleranceSeconds'].default, DEFAULT_OUTAGE_TOLERANCE_SECONDS);
  });
});
