/** The one reading of a command's arguments, and the error policy it decides (plain Node). */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  batchIdOf,
  connectionIdOf,
  copyArgsOf,
  explicitTargetOf,
  isProgrammatic,
  jobIdsOf,
  locationOf,
  parseInvocation,
  sourceOf,
  sourcesOf,
  targetOf,
  type Invocation,
} from '../../../src/extension/commands/invocation';

const loc = (path: string, container = 'c') => ({ connectionId: 'conn', container, path });

/** A tree node as VS Code passes it: a class instance with treeItem() and capabilities. */
class FakeNode {
  constructor(
    readonly kind: string,
    readonly path: string,
  ) {}
  treeItem(): unknown {
    return {};
  }
  get copySource() {
    return { sourceKind: this.path.endsWith('/') ? 'folder' : 'blob', location: loc(this.path) } as const;
  }
  get copyTarget() {
    return loc(this.path);
  }
}

describe('parseInvocation', () => {
  const a = new FakeNode('blob', 'a.txt');
  const b = new FakeNode('blob', 'b.txt');
  const f = new FakeNode('folder', 'in/');

  it('no arguments (palette, status bar, walkthrough link) and unknown shapes are the palette', () => {
    assert.deepEqual(parseInvocation([]), { kind: 'palette' });
    assert.deepEqual(parseInvocation([undefined]), { kind: 'palette' });
    assert.deepEqual(parseInvocation([42]), { kind: 'palette' });
    assert.deepEqual(parseInvocation([new URL('http://127.0.0.1/x')]), { kind: 'palette' });
  });

  it('a context menu on one node: the node, selection = [node]', () => {
    const inv = parseInvocation([a]);
    assert.equal(inv.kind, 'menu');
    assert.ok(inv.kind === 'menu' && inv.node === a && inv.selection.length === 1 && inv.selection[0] === a);
  });

  it('a multi-selection (node, nodes[]): the selection when it holds the node, else the node alone', () => {
    const inv = parseInvocation([a, [a, b, f]]);
    assert.ok(inv.kind === 'menu');
    assert.deepEqual(inv.selection, [a, b, f]);
    const other = parseInvocation([a, [b, f]]);
    assert.ok(other.kind === 'menu');
    assert.deepEqual(other.selection, [a]);
  });

  it('a plain object is an API call; a string an id (with an optional second string); an array a list', () => {
    assert.deepEqual(parseInvocation([{ batchId: 'b1' }]), { kind: 'api', args: { batchId: 'b1' } });
    assert.deepEqual(parseInvocation(['job-1']), { kind: 'id', id: 'job-1' });
    assert.deepEqual(parseInvocation(['conn-1', 'new label']), { kind: 'id', id: 'conn-1', text: 'new label' });
    assert.deepEqual(parseInvocation([['j1', 'j2']]), { kind: 'list', items: ['j1', 'j2'] });
  });
});

describe('the error policy', () => {
  it('rejects to callers in code, shows a message to users', () => {
    const cases: [unknown[], boolean][] = [
      [[], false],
      [[new FakeNode('blob', 'a')], false],
      [[new FakeNode('blob', 'a'), [new FakeNode('blob', 'b')]], false],
      [[{ sources: [] }], true],
      [[loc('a')], true],
      [['job-1'], true],
      [[['j1']], true],
    ];
    for (const [args, programmatic] of cases) assert.equal(isProgrammatic(parseInvocation(args)), programmatic, JSON.stringify(args));
  });
});

describe('what commands read from an invocation', () => {
  const a = new FakeNode('blob', 'a.txt');
  const f = new FakeNode('folder', 'in/');

  it('sources: the menu selection, a list, args.sources, or one location', () => {
    assert.deepEqual(
      sourcesOf(parseInvocation([a, [a, f]]))?.map((s) => [s.sourceKind, s.location.path]),
      [
        ['blob', 'a.txt'],
        ['folder', 'in/'],
      ],
    );
    assert.deepEqual(sourcesOf(parseInvocation([[loc('x/'), 'not a source']]))?.map((s) => s.sourceKind), ['folder']);
    assert.deepEqual(sourcesOf(parseInvocation([{ sources: [loc(''), loc('b')] }]))?.map((s) => s.sourceKind), ['container', 'blob']);
    assert.deepEqual(sourcesOf(parseInvocation([loc('one.txt')]))?.map((s) => s.location.path), ['one.txt']);
    assert.equal(sourcesOf(parseInvocation([])), undefined);
    assert.equal(sourcesOf(parseInvocation(['id'])), undefined);
    assert.equal(sourcesOf(parseInvocation([{ destination: loc('') }])), undefined);
  });

  it('one source: the clicked node or a location', () => {
    assert.equal(sourceOf(parseInvocation([f]))?.sourceKind, 'folder');
    assert.equal(sourceOf(parseInvocation([loc('z.txt')]))?.location.path, 'z.txt');
    assert.equal(sourceOf(parseInvocation([])), undefined);
  });

  it('copy options only from an explicit args object (a bare location has none)', () => {
    assert.deepEqual(copyArgsOf(parseInvocation([{ conflict: 'skip', strategy: 'copy-blob' }])), { conflict: 'skip', strategy: 'copy-blob' });
    assert.deepEqual(copyArgsOf(parseInvocation([loc('a')])), {});
    assert.deepEqual(copyArgsOf(parseInvocation([a])), {});
  });

  it('targets: the clicked node, a location or args.destination; Copy To… only takes args.destination', () => {
    assert.deepEqual(targetOf(parseInvocation([f])), loc('in/'));
    assert.deepEqual(targetOf(parseInvocation([loc('t/')])), loc('t/'));
    assert.deepEqual(targetOf(parseInvocation([{ destination: loc('d/') }])), loc('d/'));
    assert.equal(targetOf(parseInvocation(['x'])), undefined);
    assert.equal(explicitTargetOf(parseInvocation([f])), undefined);
    assert.deepEqual(explicitTargetOf(parseInvocation([{ sources: [], destination: loc('d/') }])), loc('d/'));
  });

  it('job ids: an id, a list of ids, { jobId }, { batchId }, { all }', () => {
    const jobs = [
      { id: 'j1', batchId: 'b1' },
      { id: 'j2', batchId: 'b1' },
      { id: 'j3', batchId: 'b2' },
    ];
    const ids = (...args: unknown[]) => jobIdsOf(parseInvocation(args), jobs);
    assert.deepEqual(ids('j9'), ['j9']);
    assert.deepEqual(ids(['j1', 'j3']), ['j1', 'j3']);
    assert.equal(ids(['j1', 3]), undefined);
    assert.deepEqual(ids({ jobId: 'j2' }), ['j2']);
    assert.deepEqual(ids({ batchId: 'b1' }), ['j1', 'j2']);
    assert.deepEqual(ids({ all: true }), ['j1', 'j2', 'j3']);
    assert.equal(ids({}), undefined);
    assert.equal(ids(), undefined);
    assert.equal(ids(a), undefined);
    assert.equal(batchIdOf(parseInvocation([{ batchId: 'b2' }])), 'b2');
    assert.equal(batchIdOf(parseInvocation(['b2'])), undefined);
  });

  it('connection ids and locations of API calls', () => {
    assert.equal(connectionIdOf(parseInvocation(['c1'])), 'c1');
    assert.equal(connectionIdOf(parseInvocation([{ id: 'c2', label: 'x' }])), 'c2');
    assert.equal(connectionIdOf(parseInvocation([new FakeNode('connection', '')])), undefined);
    assert.deepEqual(locationOf(parseInvocation([loc('r.txt')])), loc('r.txt'));
    assert.equal(locationOf(parseInvocation([{ container: 'c' }])), undefined);
    const menu: Invocation = parseInvocation([a]);
    assert.equal(locationOf(menu), undefined);
  });
});
