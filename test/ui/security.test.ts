/**
 * Security: after a session that adds a key-based and a SAS connection and copies with them (and after
 * the other suites ran in this host: bad input, resume, load), no account key and no SAS signature is in the
 * settings, globalState, the Blob Copy log (every line, recorded by the logger in test mode), the messages shown,
 * the Copy Jobs webview's HTML and messages, or the journal folder.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BlobSASPermissions, ContainerSASPermissions, generateBlobSASQueryParameters } from '@azure/storage-blob';
import type { CopyOutcome } from '../../src/extension/copy/flow';
import { createContainer, getEnv, installDefaultSeams, putBlob, readBlob, uniqueName, waitFor, waitForBatch, type Env } from './env';

const HOUR = 3600_000;

function filesUnder(dir: string, skip?: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (path.join(dir, e.name) === skip ? [] : e.isDirectory() ? filesUnder(path.join(dir, e.name), skip) : [path.join(dir, e.name)]));
}

describe('security: no key or SAS signature outside SecretStorage', () => {
  let env: Env;
  before(async () => {
    env = await getEnv();
  });
  afterEach(() => installDefaultSeams(env.api));

  it('settings, globalState, log, messages shown, webview HTML and messages, journal: none holds a secret', async function () {
    this.timeout(90_000);
    const signatures: string[] = [];
    const sasFor = (params: Parameters<typeof generateBlobSASQueryParameters>[0], account: string): string => {
      const sas = generateBlobSASQueryParameters(params, env.azurite.credential(account)).toString();
      signatures.push(new URLSearchParams(sas).get('sig')!);
      return sas;
    };
    const panel = env.api.panel.show();
    await waitFor('the webview to be ready', () => (panel.stats().ready ? true : undefined), 20_000);

    // Session: a key-based connection and a SAS connection, copies to and from each, a Copy from URL with a SAS.
    const acct2 = env.azurite.accounts.find((a) => a.name === 'acct2')!;
    const keyConn = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'accountKey', label: 'sec by key', accountName: acct2.name, accountKey: acct2.key, blobEndpoint: env.azurite.endpoint('acct2') })) as { id: string };
    const sasName = uniqueName('sec-sas');
    const sasContainer = await createContainer(env.acct2, sasName);
    await putBlob(sasContainer, 'in/one.txt', 'one');
    await putBlob(sasContainer, 'in/two.txt', 'two');
    const containerSas = sasFor({ containerName: sasName, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + HOUR) }, 'acct2');
    const sasConn = (await vscode.commands.executeCommand('blobCopy.addConnection', { kind: 'sas', label: 'sec by sas', url: `${sasContainer.url}?${containerSas}` })) as { id: string };
    const src = uniqueName('sec-src');
    const srcClient = await createContainer(env.dev, src);
    await putBlob(srcClient, 'a.txt', 'alpha');
    await putBlob(srcClient, 'b.txt', 'beta');
    const keyDst = uniqueName('sec-keydst');
    await createContainer(env.acct2, keyDst);
    const devDst = uniqueName('sec-devdst');
    const devDstClient = await createContainer(env.dev, devDst);

    const runs: CopyOutcome[] = [];
    runs.push((await vscode.commands.executeCommand('blobCopy.copyContainerTo', { sources: [{ connectionId: 'azurite', container: src, path: '' }], destination: { connectionId: keyConn.id, container: keyDst, path: '' } })) as CopyOutcome);
    runs.push((await vscode.commands.executeCommand('blobCopy.copyFolderTo', { sources: [{ connectionId: sasConn.id, container: sasName, path: 'in/' }], destination: { connectionId: 'azurite', container: devDst, path: 'from-sas/' } })) as CopyOutcome);
    runs.push((await vscode.commands.executeCommand('blobCopy.copyBlobTo', { sources: [{ connectionId: 'azurite', container: src, path: 'a.txt' }], destination: { connectionId: sasConn.id, container: sasName, path: 'out/' } })) as CopyOutcome);
    const blobSas = sasFor({ containerName: src, blobName: 'b.txt', permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + HOUR) }, 'devstoreaccount1');
    runs.push((await vscode.commands.executeCommand('blobCopy.copyFromUrl', { destination: { connectionId: 'azurite', container: devDst, path: '' }, url: `${srcClient.getBlobClient('b.txt').url}?${blobSas}`, name: 'from-url.txt' })) as CopyOutcome);
    // A failed job keeps its journal file: a SAS URL source deleted between the plan and the start.
    await putBlob(srcClient, 'c.txt', 'gamma');
    await putBlob(devDstClient, 'failing.txt', 'exists');
    const failingSas = sasFor({ containerName: src, blobName: 'c.txt', permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + HOUR) }, 'devstoreaccount1');
    env.api.prompts.conflict = async () => {
      await srcClient.getBlobClient('c.txt').delete();
      return 'overwrite';
    };
    runs.push((await vscode.commands.executeCommand('blobCopy.copyFromUrl', { destination: { connectionId: 'azurite', container: devDst, path: '' }, url: `${srcClient.getBlobClient('c.txt').url}?${failingSas}`, name: 'failing.txt', conflict: 'ask' })) as CopyOutcome);
    for (const r of runs) await waitForBatch(env.api, r.batchId!);
    assert.equal(env.api.engine.batch(runs[runs.length - 1].batchId!)?.failed, 1, 'the SAS-URL copy failed and stays in the journal');
    assert.ok(filesUnder(env.api.journalDir).length > 0, 'the journal holds the failed job');
    assert.equal((await readBlob(devDstClient, 'from-sas/two.txt')).text, 'two');
    assert.equal((await readBlob(devDstClient, 'from-url.txt')).text, 'beta');
    await waitFor('the webview to get the last batch', () => (env.api.panel.trace.some((t) => t.direction === 'toWebview' && JSON.stringify(t.message).includes('from-url.txt')) ? true : undefined)).catch((e: Error) => {
      // Failed once on a loaded machine, not reproduced: say whether the panel was visible and ready, and what it was sent.
      const sent = env.api.panel.trace.filter((t) => t.direction === 'toWebview').slice(-3).map((t) => JSON.stringify(t.message).slice(0, 300));
      throw new Error(`${e.message}; panel visible ${panel.panel.visible}, active ${panel.panel.active}, stats ${JSON.stringify(panel.stats())}; last messages: ${sent.join(' | ')}`);
    });

    const codeCacheDir = path.join(env.api.journalDir, 'code-cache');
    // Everything the extension keeps or shows, as text.
    const manifest = vscode.extensions.getExtension('blob-copy.blob-copy')!.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } };
    const config = vscode.workspace.getConfiguration();
    const places: Record<string, string> = {
      settings: JSON.stringify(Object.keys(manifest.contributes.configuration.properties).map((k) => [k, config.inspect(k)])),
      globalState: JSON.stringify(env.api.globalState.keys().map((k) => [k, env.api.globalState.get(k)])),
      log: env.api.logLines.join('\n'),
      shown: JSON.stringify(env.api.shown),
      webviewHtml: panel.panel.webview.html,
      webviewMessages: JSON.stringify(env.api.panel.trace),
      journal: filesUnder(env.api.journalDir, codeCacheDir).map((f) => `${f}\n${fs.readFileSync(f, 'utf8')}`).join('\n'),
    };
    const secrets: Record<string, string> = { 'devstoreaccount1 key': env.azurite.accounts[0].key, 'acct2 key': acct2.key };
    for (const [i, sig] of signatures.entries()) {
      secrets[`SAS signature ${i + 1}`] = sig;
      secrets[`SAS signature ${i + 1} (URL-encoded)`] = encodeURIComponent(sig);
    }
    const found: string[] = [];
    /** Secrets and secret-shaped strings in a text: [what, the string found]. */
    const scan = (text: string): Array<[string, string]> => {
      const hits: Array<[string, string]> = [];
      for (const [what, secret] of Object.entries(secrets)) if (text.includes(secret)) hits.push([what, secret]);
      // Any signature at all, not only this session's: "sig=" must be followed by the redaction marker.
      for (const m of text.matchAll(/sig(?:=|%3D)([^&\s"'<>;\\]*)/gi)) if (m[1] && m[1] !== 'REDACTED') hits.push([`sig=${m[1].slice(0, 6)}…`, m[0]]);
      for (const m of text.matchAll(/AccountKey=([^;\s"'\\]*)/gi)) if (m[1] && m[1] !== 'REDACTED') hits.push([`AccountKey=${m[1].slice(0, 6)}…`, m[0]]);
      return hits;
    };
    for (const [where, text] of Object.entries(places)) for (const [what] of scan(text)) found.push(`${what} in ${where}`);
    // The engine worker's V8 code cache is the bytecode of dist/core.js: its strings are the bundle's own
    // constants (the Azurite emulator's published key, the redaction patterns). It may hold nothing that the shipped
    // bundle does not: no user's key or signature.
    const bundle = fs.readFileSync(path.join(vscode.extensions.getExtension('blob-copy.blob-copy')!.extensionPath, 'dist', 'core.js'), 'latin1');
    const cacheFiles = filesUnder(codeCacheDir);
    for (const f of cacheFiles) for (const [what, str] of scan(fs.readFileSync(f, 'latin1'))) if (!bundle.includes(str)) found.push(`${what} in the code cache ${path.basename(f)}`);
    assert.ok(cacheFiles.length > 0, 'the engine worker wrote its code cache (scanned above)');
    const sizes = Object.entries(places).map(([k, v]) => `${k} ${v.length.toLocaleString('en-US')} chars`).join(', ');
    console.log(`[security] scanned ${env.api.logLines.length} log lines, ${env.api.shown.length} messages shown, ${env.api.panel.trace.length} webview messages, ${filesUnder(env.api.journalDir).length} journal files (${sizes}) for ${Object.keys(secrets).length} secrets: ${found.length ? found.join('; ') : 'none found'}`);
    assert.deepEqual(found, []);
    assert.ok(env.api.logLines.length > 0 && env.api.panel.trace.length > 0, 'the scan saw the log and the webview traffic');
    panel.dispose();
  });
});
