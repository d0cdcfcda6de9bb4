/**
 * Bad input in the real host ("Bad input"): each case shows a clear message naming the problem and the
 * fix, and writes or saves nothing. Messages are captured through the extension's notifier (api.shown), questions
 * answered through api.prompts; programmatic calls reject with the same message the UI shows.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  ContainerSASPermissions,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
  type ContainerClient,
} from '@azure/storage-blob';
import type { AddConnectionInput } from '../../src/extension/connections/model';
import type { QuickInput, ShownMessage } from '../../src/extension/context';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { createContainer, getEnv, installDefaultSeams, putBlob, readBlob, uniqueName, waitFor, waitForBatch, type Env } from './env';

const AZ = 'azurite';
const HOUR = 3600_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function blobNames(container: ContainerClient): Promise<string[]> {
  const out: string[] = [];
  if (!(await container.exists())) return out;
  for await (const b of container.listBlobsFlat()) out.push(b.name);
  return out;
}

describe('bad input: a clear message, nothing written', () => {
  let env: Env;
  let src: string;
  let srcClient: ContainerClient;
  let mark = 0;
  /** Messages shown since the test started. */
  const shownNow = (): ShownMessage[] => env.api.shown.slice(mark);
  const logNow = (() => {
    let from = 0;
    return { reset: () => (from = env.api.logLines.length), lines: () => env.api.logLines.slice(from) };
  })();
  /** Counts the engine's plan() calls (a request that was refused before planning makes none). */
  let plans = 0;
  let realPlan: Env['api']['engine']['plan'];

  before(async () => {
    env = await getEnv();
    src = uniqueName('badsrc');
    srcClient = await createContainer(env.dev, src);
    await putBlob(srcClient, 'report.txt', 'quarterly numbers');
    await putBlob(srcClient, 'two/a.txt', 'a');
    await putBlob(srcClient, 'two/b.txt', 'bb');
    realPlan = env.api.engine.plan.bind(env.api.engine);
    env.api.engine.plan = (...args) => {
      plans++;
      return realPlan(...args);
    };
  });
  after(() => {
    env.api.engine.plan = realPlan;
  });
  beforeEach(() => {
    mark = env.api.shown.length;
    logNow.reset();
    plans = 0;
  });
  afterEach(() => installDefaultSeams(env.api));

  /** Runs "Add Connection…" the way the user does (the input comes from the prompt seam), once. */
  async function addInteractively(input: AddConnectionInput): Promise<{ result: unknown; error: ShownMessage }> {
    let given = false;
    env.api.prompts.connectionInput = async () => {
      if (given) return undefined;
      given = true;
      return input;
    };
    const result = await vscode.commands.executeCommand('blobCopy.addConnection');
    const error = shownNow().find((m) => m.level === 'error');
    assert.ok(error, `an error message was shown: ${JSON.stringify(shownNow())}`);
    return { result, error };
  }

  it('malformed connection string: says what is wrong and the expected shape; nothing saved', async () => {
    const before = env.api.connections.list().length;
    const { result, error } = await addInteractively({ kind: 'connectionString', connectionString: 'this is not a connection string' });
    assert.equal(result, undefined);
    assert.match(error.message, /^Connection not saved: Malformed connection string: expected "Key=Value" pairs separated by ";" \(e\.g\. "DefaultEndpointsProtocol=https;AccountName=…;AccountKey=/);
    assert.deepEqual(error.actions, ['Try Again']);
    assert.equal(env.api.connections.list().length, before);
  });

  it('wrong account key: 403 at validation, "check the key"; nothing saved', async () => {
    const before = env.api.connections.list().length;
    const wrongKey = Buffer.from('definitely-not-the-key-of-this-account-0123456789abcdef0123456789').toString('base64');
    const { error } = await addInteractively({ kind: 'accountKey', accountName: 'devstoreaccount1', accountKey: wrongKey, blobEndpoint: env.azurite.endpoint() });
    assert.match(error.message, /^Connection not saved: http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 rejected the credentials \(403 AuthorizationFailure\): check the key or SAS/);
    assert.ok(!error.message.includes(wrongKey), 'the key is not echoed');
    assert.equal(env.api.connections.list().length, before);
  });

  it('expired SAS (container SAS URL, account SAS connection string): "expired on …, generate a new one"; nothing saved', async () => {
    const before = env.api.connections.list().length;
    const container = env.acct2.getContainerClient('expired-sas');
    await container.createIfNotExists();
    const past = { startsOn: new Date(Date.now() - 3 * HOUR), expiresOn: new Date(Date.now() - HOUR) };
    const blobSas = generateBlobSASQueryParameters({ containerName: 'expired-sas', permissions: ContainerSASPermissions.parse('rl'), ...past }, env.azurite.credential('acct2')).toString();
    let { error } = await addInteractively({ kind: 'sas', url: `${container.url}?${blobSas}` });
    assert.match(error.message, /^Connection not saved: The SAS token expired on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: generate a new one/);
    assert.ok(!error.message.includes(new URLSearchParams(blobSas).get('sig')!), 'no signature in the message');

    mark = env.api.shown.length;
    const accountSas = generateAccountSASQueryParameters(
      { services: AccountSASServices.parse('b').toString(), resourceTypes: AccountSASResourceTypes.parse('sco').toString(), permissions: AccountSASPermissions.parse('rl'), ...past },
      env.azurite.credential('acct2'),
    ).toString();
    ({ error } = await addInteractively({ kind: 'connectionString', connectionString: `BlobEndpoint=${env.azurite.endpoint('acct2')};SharedAccessSignature=${accountSas}` }));
    assert.match(error.message, /^Connection not saved: The SAS token expired on .* generate a new one/);
    assert.equal(env.api.connections.list().length, before);
  });

  it('read-only SAS as destination: 403 on the copy, the job fails with a hint, the notification says why; nothing written', async () => {
    const name = uniqueName('ro-dest');
    const container = await createContainer(env.acct2, name);
    const sas = generateBlobSASQueryParameters(
      { containerName: name, permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + HOUR) },
      env.azurite.credential('acct2'),
    ).toString();
    const info = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'sas', label: 'read-only dest', url: `${container.url}?${sas}` })) as { id: string };
    // Put Block From URL: Azurite 3.37 answers Put Blob From URL on a read-only SAS with a bare 500 (Azure: 403).
    const o = (await vscode.commands.executeCommand('blobCopy.copyBlobTo', {
      sources: [{ connectionId: AZ, container: src, path: 'report.txt' }],
      destination: { connectionId: info.id, container: name, path: '' },
      strategy: 'put-block-from-url',
    })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    const job = env.api.engine.jobs().find((j) => j.batchId === o.batchId);
    assert.equal(job?.state, 'failed', JSON.stringify(job));
    assert.equal(job.error?.status, 403, JSON.stringify(job.error));
    assert.ok(job.error?.hint, `the failure carries a hint: ${JSON.stringify(job.error)}`);
    const warning = await waitFor('the failure notification', () => shownNow().find((m) => m.level === 'warn' && m.message.includes('1 failed')));
    assert.ok(warning.message.includes(job.error.hint), `the notification carries the hint: ${warning.message}`);
    assert.match(warning.message, /is a SAS connection whose token cannot write: add it again with a SAS that has create and write permission/);
    assert.deepEqual(warning.actions, ['Show Jobs', 'Retry']);
    assert.deepEqual(await blobNames(container), []);
  });

  it('invalid container name typed in the destination picker: the picker says why and cannot accept it; nothing created', async () => {
    const inputs: QuickInput[] = [];
    const sub = env.api.onDidShowQuickInput((q) => inputs.push(q));
    const bad = 'Bad_Name';
    try {
      const running = Promise.resolve(vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ connectionId: AZ, container: src, path: 'report.txt' }] }));
      // Connection picker: accept Azurite (the first item).
      const connPick = await waitFor('the connection picker', () => inputs.find((q) => q.title?.includes('destination connection')), 10_000);
      await waitFor('its items', () => ('items' in connPick && connPick.items.length > 0 ? true : undefined));
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const containerPick = await waitFor('the container picker', () => inputs.find((q) => q.title?.includes('destination container')), 10_000);
      assert.ok('items' in containerPick);
      containerPick.value = bad;
      const item = await waitFor('the validation item', () => containerPick.items.find((i) => i.label.includes(bad)), 5000);
      assert.equal(item.label, `$(error) ${bad}`);
      assert.equal(item.description, `Container names are lowercase: use "${bad.toLowerCase()}".`);
      // Accepting the invalid name does nothing: the picker stays open and logs why.
      containerPick.activeItems = [item];
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await waitFor('the refusal in the log', () => logNow.lines().find((l) => l.includes(`Container name "${bad}" refused`)), 5000);
      await sleep(200);
      let settled = false;
      void running.finally(() => (settled = true));
      await sleep(100);
      assert.equal(settled, false, 'the command still waits for a valid name');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      assert.equal(await running, undefined);
    } finally {
      sub.dispose();
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    for await (const c of env.dev.listContainers({ prefix: 'bad' })) assert.notEqual(c.name.toLowerCase(), bad.toLowerCase());
    assert.equal(plans, 0);
  });

  it('destination blob name longer than 1024 characters: refused before planning, with the limit', async () => {
    const dst = uniqueName('longname');
    const dstClient = await createContainer(env.dev, dst);
    const long = `${'x'.repeat(1100)}.txt`;
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ connectionId: AZ, container: src, path: 'report.txt' }], destination: { connectionId: AZ, container: dst, path: long } })),
      /^Error: Destination blob name "x{59}… \(1,104 characters\)": Blob names have at most 1024 characters \(this one has 1104\)\.$/,
    );
    assert.ok(logNow.lines().some((l) => l.startsWith('[error] blobCopy.copyBlobTo failed: Destination blob name')));
    assert.equal(plans, 0);
    assert.deepEqual(await blobNames(dstClient), []);
  });

  it('source missing (404): at planning a clear error; deleted after planning a failed job with a hint', async () => {
    const dst = uniqueName('missing');
    const dstClient = await createContainer(env.dev, dst);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ connectionId: AZ, container: src, path: 'no-such-blob.txt' }], destination: { connectionId: AZ, container: dst, path: '' } })),
      (err: Error) => {
        assert.match(err.message, /no-such-blob\.txt/);
        assert.match(err.message, /not found|does not exist|404/i);
        return true;
      },
    );
    // Deleted between the plan and the start (inside the confirmation).
    await putBlob(srcClient, 'gone/keep.txt', 'keep');
    await putBlob(srcClient, 'gone/vanish.txt', 'vanish');
    env.api.prompts.confirmBatch = async () => {
      await srcClient.getBlobClient('gone/vanish.txt').delete();
      return true;
    };
    const o = (await vscode.commands.executeCommand('blobCopy.copyFolderTo', { sources: [{ connectionId: AZ, container: src, path: 'gone/' }], destination: { connectionId: AZ, container: dst, path: '' } })) as CopyOutcome;
    await waitForBatch(env.api, o.batchId!);
    const failed = env.api.engine.jobs().find((j) => j.batchId === o.batchId && j.state === 'failed');
    assert.ok(failed?.error, 'the vanished blob failed');
    assert.equal(failed.error.status, 404);
    assert.match(`${failed.error.message} ${failed.error.hint}`, /not found|does not exist/i);
    assert.ok(failed.error.hint, `with a hint: ${JSON.stringify(failed.error)}`);
    const warning = await waitFor('the failure notification', () => shownNow().find((m) => m.level === 'warn' && m.message.includes('1 failed')));
    assert.ok(warning.message.includes(failed.error.hint!));
    assert.deepEqual(await blobNames(dstClient), ['keep.txt']);
  });

  it('destination container missing: offers to create it (decline: nothing written; accept: created and copied)', async () => {
    const dst = uniqueName('absent');
    const asked: string[] = [];
    let answer = false;
    env.api.prompts.createContainer = async (container, where) => {
      asked.push(`${container} | ${where}`);
      return answer;
    };
    const copy = () =>
      vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ connectionId: AZ, container: src, path: 'report.txt' }], destination: { connectionId: AZ, container: dst, path: 'in/' } }) as Thenable<CopyOutcome>;
    const declined = await copy();
    assert.equal(declined.stopped, 'canceled');
    assert.deepEqual(asked, [`${dst} | Azurite (local emulator) › ${dst}`]);
    assert.equal(await env.dev.getContainerClient(dst).exists(), false, 'declining creates nothing');
    assert.equal(plans, 0);
    answer = true;
    const accepted = await copy();
    assert.ok(accepted.batchId);
    await waitForBatch(env.api, accepted.batchId);
    assert.equal(asked.length, 2);
    assert.equal((await readBlob(env.dev.getContainerClient(dst), 'in/report.txt')).text, 'quarterly numbers');
  });

  it('Copy from URL with a non-http(s) URL (ftp://, file://) is refused before any request', async () => {
    const dst = uniqueName('fromurl-bad');
    const dstClient = await createContainer(env.dev, dst);
    for (const url of ['ftp://example.com/data/file.bin', 'file:///etc/passwd']) {
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('blobCopy.copyFromUrl', { destination: { connectionId: AZ, container: dst, path: '' }, url, name: 'x.bin' })),
        /^Error: Copy from URL accepts only http:\/\/ and https:\/\/ URLs, not (ftp|file):\/\/: .*Enter the blob's https:\/\/ URL/,
      );
    }
    assert.equal(plans, 0, 'nothing was planned');
    assert.ok(!logNow.lines().some((l) => l.includes('HEAD')), 'no request was made');
    assert.deepEqual(await blobNames(dstClient), []);
  });

  it('Copy from URL pointing to a server that is not storage (200 HTML): a clear message, nothing written', async () => {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : '<!doctype html><title>Sign in</title><h1>Welcome</h1>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dst = uniqueName('fromurl-html');
    const dstClient = await createContainer(env.dev, dst);
    try {
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('blobCopy.copyFromUrl', { destination: { connectionId: AZ, container: dst, path: '' }, url: `http://127.0.0.1:${port}/portal/page.html`, name: 'page.html' })),
        new RegExp(`^Error: http://127\\.0\\.0\\.1:${port}/portal/page\\.html answered with a web page \\(200, text/html\\), not a blob: it is not an Azure Storage blob URL\\. Copy the blob's URL`),
      );
    } finally {
      server.close();
    }
    assert.deepEqual(requests, ['HEAD /portal/page.html'], 'one HEAD, no download');
    assert.equal(plans, 0);
    assert.deepEqual(await blobNames(dstClient), []);
  });

  it('a webview message of an unknown type or with wrong fields is ignored and logged; no action runs', async () => {
    const panel = env.api.panel.show();
    const engine = env.api.engine;
    const calls: string[] = [];
    const saved = { cancel: engine.cancel, retry: engine.retry, abort: engine.abort, clearFinished: engine.clearFinished };
    engine.cancel = (id) => void calls.push(`cancel ${id}`);
    engine.retry = (id) => void calls.push(`retry ${id}`);
    engine.abort = async (id) => void calls.push(`abort ${id}`);
    engine.clearFinished = () => void calls.push('clearFinished');
    const invalidBefore = panel.stats().invalidMessages;
    const tracedBefore = env.api.panel.trace.filter((t) => t.direction === 'fromWebview').length;
    try {
      const job = engine.jobs()[0];
      await panel.receiveForTest({ type: 'launchMissiles', id: 1 });
      await panel.receiveForTest({ type: 'cancel', id: 2 }); // no jobId
      await panel.receiveForTest({ type: 'cancel', id: '3', jobId: job?.id ?? 'x' }); // id not a number
      await panel.receiveForTest({ type: 'clearFinished', id: 4, command: 'rm -rf /' }); // extra field
      await panel.receiveForTest({ type: 'setFilter', id: 5, filter: 'everything' }); // not a filter
      await panel.receiveForTest('ready');
    } finally {
      Object.assign(engine, saved);
    }
    assert.deepEqual(calls, [], 'no engine action ran');
    assert.equal(panel.stats().invalidMessages - invalidBefore, 6);
    assert.equal(env.api.panel.trace.filter((t) => t.direction === 'fromWebview').length, tracedBefore, 'none was accepted');
    const warnings = logNow.lines().filter((l) => l.startsWith('[warn] Copy Jobs: ignored an invalid message from the webview'));
    assert.deepEqual(
      warnings.map((l) => /\(type: (.*)\)$/.exec(l)?.[1]),
      ['launchMissiles', 'cancel', 'cancel', 'clearFinished', 'setFilter', 'string'],
    );
    panel.dispose();
  });
});
