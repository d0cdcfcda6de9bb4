/** Copy from URL's checks of the source URL: its form, and what one HEAD answer tells (plain Node). */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { headProblem, lastSegment, notStorageProblem, urlProblem } from '../../../src/extension/copy/sourceUrl';

function recorder() {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => void lines.push(`[${level}] ${m}`);
  return { lines, log: { info: push('info'), warn: push('warn'), error: push('error'), debug: push('debug') } };
}

const answer = (status: number, headers: Record<string, string>) => new Response(null, { status, headers });

describe('urlProblem', () => {
  it('accepts http and https URLs', () => {
    assert.equal(urlProblem('https://a.blob.core.windows.net/c/b?sv=1&sig=x'), undefined);
    assert.equal(urlProblem('http://127.0.0.1:10000/devstoreaccount1/c/b'), undefined);
  });

  it('refuses text that is no URL, other schemes and URLs with credentials, and redacts what it quotes', () => {
    assert.match(urlProblem('not a url')!, /^Not a URL: "not a url"/);
    assert.match(urlProblem('ftp://host/file')!, /only http:\/\/ and https:\/\/ URLs, not ftp:\/\//);
    assert.match(urlProblem('file:///etc/passwd')!, /not file:\/\//);
    assert.match(urlProblem('https://user:pw@host/c/b')!, /user name or password/);
    assert.doesNotMatch(urlProblem('nope sig=SECRETVALUE')!, /SECRETVALUE/);
  });
});

describe('lastSegment', () => {
  it('is the decoded last path segment, or empty', () => {
    assert.equal(lastSegment('https://h/c/dir/a%20b.txt?sig=x'), 'a b.txt');
    assert.equal(lastSegment('https://h/'), '');
    assert.equal(lastSegment('not a url'), '');
  });
});

describe('headProblem', () => {
  const url = 'https://portal.example/page?sig=SECRET';

  it('a web page without storage headers is refused, naming the URL without its query', () => {
    const problem = headProblem(url, answer(200, { 'content-type': 'text/html; charset=utf-8' }));
    assert.match(problem!, /^https:\/\/portal\.example\/page answered with a web page \(200, text\/html\), not a blob/);
    assert.doesNotMatch(problem!, /SECRET/);
  });

  it('a storage answer, or anything not HTML, is left to the planner', () => {
    assert.equal(headProblem(url, answer(200, { 'content-type': 'text/html', 'x-ms-request-id': 'r' })), undefined);
    assert.equal(headProblem(url, answer(403, { 'content-type': 'text/html', 'x-ms-blob-type': 'BlockBlob' })), undefined);
    assert.equal(headProblem(url, answer(200, { 'content-type': 'application/octet-stream' })), undefined);
    assert.equal(headProblem(url, answer(404, {})), undefined);
  });
});

describe('notStorageProblem', () => {
  it('sends one HEAD (no redirects followed) and logs the answer without the SAS', async () => {
    const { lines, log } = recorder();
    const calls: [string, RequestInit | undefined][] = [];
    const fake = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push([String(input), init]);
      return answer(200, { 'content-type': 'text/html' });
    }) as typeof fetch;
    const problem = await notStorageProblem('http://127.0.0.1:9/p.html?sig=SECRET', log, fake);
    assert.match(problem!, /answered with a web page/);
    assert.equal(calls.length, 1);
    assert.equal(calls[0][1]?.method, 'HEAD');
    assert.equal(calls[0][1]?.redirect, 'manual');
    assert.deepEqual(lines, ['[info] Copy from URL: HEAD http://127.0.0.1:9/p.html → 200 text/html']);
  });

  it('a network failure is no problem here (the planner reports it) and is logged at debug level', async () => {
    const { lines, log } = recorder();
    const failing = (async () => {
      throw new Error('connect ECONNREFUSED');
    }) as typeof fetch;
    assert.equal(await notStorageProblem('http://127.0.0.1:9/x?sig=SECRET', log, failing), undefined);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^\[debug\] Copy from URL: HEAD http:\/\/127\.0\.0\.1:9\/x failed: connect ECONNREFUSED/);
  });
});
