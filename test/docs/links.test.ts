/**
 * Every relative link and anchor in the project's Markdown (README.md, which is also the Marketplace page,
 * CONTRIBUTING.md, CHANGELOG.md, docs/ and the walkthrough) points at a file that exists and, with a #fragment, at a
 * heading of that file, so moving a section cannot leave a dead link behind.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

// out/test/docs/ → the repository root
const root = join(__dirname, '..', '..', '..');

function markdownFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].map((f) => join(root, f));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.md')) files.push(join(dir, e.name));
    }
  };
  for (const dir of ['docs', 'media']) walk(join(root, dir));
  return files;
}

/** Markdown without fenced code blocks and code spans, where brackets are not links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading ids: lower case, punctuation and symbols dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const [, heading] of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n ? `${base}-${n}` : base);
  }
  return ids;
}

function links(text: string): string[] {
  return [...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

describe('documentation links', () => {
  const files = markdownFiles();

  it('finds the Markdown files and their links', () => {
    assert.ok(files.some((f) => f.endsWith(join('docs', 'benchmarks.md'))), 'docs/benchmarks.md is read');
    assert.ok(links(readFileSync(join(root, 'README.md'), 'utf8')).length >= 10, 'README.md has its links');
    assert.ok(anchors('## Start-up (`npm run bench -- --startup`)\n## A\n## A').has('start-up-npm-run-bench------startup'));
    assert.ok(anchors('## A\n## A').has('a-1'));
  });

  it('every relative link resolves to a file, and every #fragment to a heading', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const target of links(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, command: …
        const [path, fragment] = target.split('#', 2);
        const resolved = path ? join(dirname(file), decodeURIComponent(path)) : file;
        const where = `${relative(root, file)} → ${target}`;
        if (!existsSync(resolved)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (fragment === undefined) continue;
        if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) broken.push(`${where}: a fragment into a non-Markdown target`);
        else if (!anchors(readFileSync(resolved, 'utf8')).has(fragment)) broken.push(`${where}: no such heading`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
