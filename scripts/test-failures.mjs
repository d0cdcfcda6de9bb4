// The failed tests of a node:test TAP report (the file scripts/test.mjs keeps in .cache/node-tests.tap): for each,
// the file, the full title (enclosing suites joined by " > ") and the first line of its error. Suites that failed
// only because a test inside them failed are left out: the test itself is listed.
import { relative } from 'node:path';

/** @typedef {{ file: string, title: string, error: string }} Failure */

/** One YAML scalar of the reporter's block: 'quoted' (with '' for '), "quoted", plain, or the first line of |- . */
function scalar(lines, i, indent) {
  const m = /^\s*\w+:\s?(.*)$/.exec(lines[i]);
  const raw = (m?.[1] ?? '').trim();
  if (raw === '|-' || raw === '|' || raw === '>-' || raw === '>') {
    for (let j = i + 1; j < lines.length && lines[j].startsWith(indent + '  '); j++) {
      const text = lines[j].trim();
      if (text) return text;
    }
    return '';
  }
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) return raw.slice(1, -1).replaceAll("''", "'");
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw.slice(1, -1);
    }
  }
  return raw === '~' ? '' : raw;
}

/** A title as TAP writes it escapes "#" and "\\". */
const unescape = (title) => title.replace(/\\([\\#])/g, '$1');

/**
 * @param {string} tap the TAP text
 * @param {string} root paths in the report are shown relative to it
 * @returns {Failure[]}
 */
export function tapFailures(tap, root) {
  const lines = tap.split('\n');
  /** @type {{ depth: number, name: string }[]} */
  const open = [];
  /** @type {Failure[]} */
  const failures = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const sub = /^( *)# Subtest: (.*)$/.exec(line);
    if (sub) {
      const depth = sub[1].length / 4;
      while (open.length && open[open.length - 1].depth >= depth) open.pop();
      open.push({ depth, name: unescape(sub[2]) });
      continue;
    }
    const notOk = /^( *)not ok \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$/.exec(line);
    if (!notOk) continue;
    const indent = notOk[1];
    const depth = indent.length / 4;
    while (open.length && open[open.length - 1].depth > depth) open.pop();
    const names = open.filter((o) => o.depth < depth).map((o) => o.name);
    const fields = {};
    let j = i + 1;
    if (lines[j]?.trim() === '---') {
      for (j++; j < lines.length && lines[j].trim() !== '...'; j++) {
        const key = new RegExp(`^${indent}  (\\w+):`).exec(lines[j])?.[1];
        if (key && ['location', 'failureType', 'error', 'exitCode', 'signal'].includes(key)) fields[key] = scalar(lines, j, indent + '  ');
      }
    }
    if (open.length && open[open.length - 1].depth === depth) open.pop();
    if (fields.failureType === 'subtestsFailed') continue;
    const rel = (x) => (x.startsWith('/') ? relative(root, x) : x);
    const title = [...names, unescape(notOk[2])].map(rel).join(' > ');
    const where = fields.location ? fields.location.replace(/:\d+:\d+$/, '') : notOk[2];
    let error = fields.error || fields.failureType || 'failed';
    // A file whose process failed outside any test: say how it ended.
    if (error === 'test failed' && (fields.exitCode || fields.signal)) error += ` (exit code ${fields.exitCode || '-'}, signal ${fields.signal || '-'})`;
    failures.push({ file: rel(where), title, error });
  }
  return failures;
}

/** The lines the summary prints for failures, one block per test. */
export function formatFailures(label, failures) {
  if (!failures.length) return [];
  return [`${label}: ${failures.length} failed`, ...failures.map((f) => `  ✘ ${f.file} › ${f.title}\n      ${f.error}`)];
}
