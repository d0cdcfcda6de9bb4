/**
 * The engine's one redaction function removes every credential form from arbitrary text, keeps the rest readable,
 * and CopyError runs every message and hint through it.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { CopyError, redact } from '../../../src/core';
import { redactingLogger, type Logger } from '../../../src/core/base/log';
import { DEV_ACCOUNT, SECOND_ACCOUNT } from '../../helpers/azurite';

const KEY = DEV_ACCOUNT.key;
const KEY2 = SECOND_ACCOUNT.key;
/** A signature as it appears in a URL (percent-encoded base64). */
const SIG = 'SIGq7a%2Bb%2Fc9Xz%3D';
const SIG_RAW = 'SIGq7a+b/c9Xz=';
const BEARER = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXBhcnQ';

/** Secret fragments that must never survive redaction. */
const SECRETS = [KEY, KEY.slice(0, 24), KEY2, KEY2.slice(0, 24), SIG, 'SIGq7a', BEARER, 'eyJzdWIi', '2031-02-03T04'];

const assertClean = (input: string) => {
  const out = redact(input);
  for (const s of SECRETS) assert.ok(!out.includes(s), `"${s}" survived in ${JSON.stringify(out)} (input ${JSON.stringify(input)})`);
  assert.equal(redact(out), out, 'redaction is idempotent');
  return out;
};

describe('redact()', () => {
  it('removes sig= and every other SAS parameter from blob, container and account SAS URLs', () => {
    const urls = [
      `https://acct.blob.core.windows.net/c/dir/b.txt?sv=2024-08-04&se=2031-02-03T04%3A05%3A06Z&sr=b&sp=r&sig=${SIG}`,
      `https://acct.blob.core.windows.net/c?sp=racwdl&st=2031-02-03T04:00:00Z&se=2031-02-03T04:05:06Z&spr=https&sv=2024-08-04&sr=c&sig=${SIG}`,
      `https://acct.blob.core.windows.net/?sv=2024-08-04&ss=b&srt=sco&sp=rwdlacupiytfx&se=2031-02-03T04:05:06Z&st=2031-01-01T00:00:00Z&spr=https,http&sig=${SIG}`,
      `http://127.0.0.1:10000/devstoreaccount1/c/a%20b.txt?sig=${SIG}&sv=2024-08-04&se=2031-02-03T04%3A05%3A06Z`,
      `https://acct.blob.core.windows.net/c/b?skoid=o&sktid=t&skt=2031-02-03T04:05:06Z&ske=2031-02-03T04:05:06Z&sks=b&skv=2024-08-04&sv=2024-08-04&sr=b&sp=r&sig=${SIG}`,
      `https://acct.blob.core.windows.net/c/b?SV=2024-08-04&SIG=${SIG}`,
    ];
    for (const u of urls) {
      const out = assertClean(u);
      assert.match(out, /sig=REDACTED/i, 'the parameter name stays for diagnosis');
      assert.ok(out.startsWith(u.slice(0, u.indexOf('?') + 1)), 'the URL up to the query stays');
    }
  });

  it('removes SAS tokens embedded in text, JSON, XML, log lines and HTML-escaped URLs', () => {
    const texts = [
      `sv=2024-08-04&sr=b&sp=r&sig=${SIG}`,
      `?sv=2024-08-04&sig=${SIG}`,
      `Copy failed for https://a.blob.core.windows.net/c/b?sv=2024-08-04&sig=${SIG}: 403`,
      `{"url":"https://a.blob.core.windows.net/c/b?sv=2024-08-04&sig=${SIG}","n":1}`,
      `<CopySource>https://a.blob.core.windows.net/c/b?sv=2024-08-04&amp;sig=${SIG}</CopySource>`,
      `line one\nsig=${SIG}\n\tsource https://a/c/b?se=2031-02-03T04:05:06Z&sig=${SIG}`,
      `BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2024-08-04&sig=${SIG}`,
    ];
    for (const t of texts) assertClean(t);
  });

  it('removes a percent-encoded signature inside an encoded copy-source URL', () => {
    const encoded = encodeURIComponent(`https://a.blob.core.windows.net/c/b?sv=2024-08-04&sig=${SIG_RAW}`);
    assert.ok(encoded.includes('%26sig%3D'));
    const out = redact(`x-ms-copy-source: ${encoded}`);
    assert.ok(!out.includes(encodeURIComponent(SIG_RAW)) && !out.includes('SIGq7a'), out);
    assertClean(`https%3A%2F%2Fa%2Fc%2Fb%3Fsig%3D${encodeURIComponent(SIG_RAW)}`);
  });

  it('removes AccountKey= values from connection strings (any case, any position)', () => {
    for (const cs of [
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      `AccountKey=${KEY2};AccountName=acct2`,
      `accountkey = ${KEY}`,
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${KEY};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
    ]) {
      const out = assertClean(cs);
      assert.match(out, /AccountKey\s*=\s*REDACTED/i);
    }
    assert.match(redact(`AccountName=acct;AccountKey=${KEY};EndpointSuffix=x`), /AccountName=acct;.*;EndpointSuffix=x$/);
  });

  it('removes Authorization: SharedKey / SharedKeyLite / Bearer values and copy-source authorization', () => {
    for (const t of [
      `Authorization: SharedKey devstoreaccount1:${KEY}`,
      `authorization: SharedKeyLite acct2:${KEY2}`,
      `{"authorization":"SharedKey acct:${KEY}","x-ms-date":"now"}`,
      `headers: { Authorization: 'Bearer ${BEARER}' }`,
      `x-ms-copy-source-authorization: Bearer ${BEARER}`,
      `request failed: SharedKey devstoreaccount1:${KEY} rejected`,
      `Bearer ${BEARER}`,
    ]) {
      const out = assertClean(t);
      assert.match(out, /REDACTED/);
    }
  });

  it('removes account keys outside connection strings: JSON, object literals, bare keys', () => {
    for (const t of [
      `{"kind":"sharedKey","accountName":"a","accountKey":"${KEY}"}`,
      `{ accountName: 'a', accountKey: '${KEY2}' }`,
      `"account_key": "${KEY}"`,
      `the key ${KEY} was pasted into a message`,
      `${KEY}`,
      `key=${KEY2}\n`,
    ]) {
      const out = assertClean(t);
      assert.match(out, /REDACTED/);
    }
  });

  it('removes several secrets of different kinds from one text', () => {
    const text = [
      `connect: DefaultEndpointsProtocol=https;AccountName=a;AccountKey=${KEY}`,
      `GET https://a.blob.core.windows.net/c/b?sv=2024-08-04&se=2031-02-03T04:05:06Z&sp=r&sig=${SIG}`,
      `Authorization: SharedKey a:${KEY2}`,
      `x-ms-copy-source-authorization: Bearer ${BEARER}`,
    ].join('\r\n');
    const out = assertClean(text);
    assert.equal(out.split('\r\n').length, 4, 'line structure kept');
  });

  it('leaves text without secrets unchanged', () => {
    for (const t of [
      'Copy a.txt → backup/a.txt: 409 BlobAlreadyExists (request id 1f2e)',
      'https://acct.blob.core.windows.net/container/dir/design=final.txt',
      'https://acct.blob.core.windows.net/c/assign.txt?comp=blocklist',
      'signature verification is done by the service; the key is in SecretStorage',
      '',
    ]) {
      assert.equal(redact(t), t);
    }
  });

  it('CopyError redacts its message and hint', () => {
    const e = new CopyError({
      message: `Copy https://a/c/b?sv=1&sig=${SIG} failed with AccountKey=${KEY}`,
      hint: `Try again with Authorization: SharedKey a:${KEY2}`,
      status: 403,
      code: 'AuthorizationFailure',
    });
    for (const s of SECRETS) {
      assert.ok(!e.message.includes(s));
      assert.ok(!e.info.message.includes(s));
      assert.ok(!(e.info.hint ?? '').includes(s));
    }
    assert.equal(e.info.status, 403);
    assert.equal(e.name, 'CopyError');
  });
});

describe('redact(): the forms the engine meets most', () => {
  it('removes sig and SAS parameters, AccountKey, Authorization, SharedKey and Bearer values', () => {
    const sasUrl = 'http://127.0.0.1:10000/devstoreaccount1/c/a%20b.txt?sv=2025-01-05&se=2031-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=abc%2Bdef%3D';
    const out = redact(`copy failed for ${sasUrl}`);
    assert.ok(!out.includes('abc%2Bdef'));
    assert.ok(!out.includes('2031-01-01'));
    assert.match(out, /a%20b\.txt\?sv=REDACTED/);
    assert.match(out, /sig=REDACTED/);
    const cs = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT.key};BlobEndpoint=http://x`;
    assert.ok(!redact(cs).includes(DEV_ACCOUNT.key));
    assert.ok(!redact(`Authorization: SharedKey devstoreaccount1:${'Q'.repeat(44)}`).includes('Q'.repeat(44)));
    assert.ok(!redact('authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.sig').includes('eyJ0eXAi'));
    assert.ok(!redact('x-ms-copy-source-authorization: Bearer abc.def').includes('abc.def'));
    assert.equal(redact('plain text with no secrets'), 'plain text with no secrets');
    assert.equal(redact(redact(sasUrl)), redact(sasUrl), 'idempotent');
  });

  it("the engine's logger redacts every line, and has no debug while the raw logger's debug is off (callers build no line)", () => {
    const lines: string[] = [];
    let on = false;
    const raw: Logger = {
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
      get debug() {
        return on ? (m: string) => lines.push(`debug ${m}`) : undefined;
      },
    };
    const log = redactingLogger(raw);
    let built = 0;
    const line = () => `${++built} AccountKey=${KEY}`;
    log.debug?.(line());
    assert.equal(built, 0, 'no debug line built while off');
    on = true;
    log.debug?.(line());
    log.info(`AccountKey=${KEY}`);
    on = false;
    log.debug?.(line());
    assert.equal(built, 1);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.ok(!l.includes(KEY), l);
    assert.match(lines[0], /^debug 1 AccountKey=/);
  });
});
