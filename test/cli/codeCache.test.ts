/**
 * The CLI's V8 code cache (src/cli/codeCache.ts): where it lives, how it is keyed, and, through the bundled
 * launcher against a real Azurite, that a first successful copy writes it, later copies use it, a failed run writes
 * nothing, and a corrupt cache is refused by V8 and rewritten, with the copies identical every time.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { codeCacheDir, codeCacheFile } from '../../src/cli/codeCache';
import { AzuriteInstance, startAzurite } from '../helpers/azurite';
import { bundleCli, repoRoot, runCli } from '../helpers/cli';

describe('CLI code cache: where and under which name', () => {
  it('BLOB_COPY_CACHE_DIR wins, "off" turns it off, else the platform cache folder', () => {
    assert.equal(codeCacheDir({ BLOB_COPY_CACHE_DIR: '/x/y' }, 'linux', '/home/u'), '/x/y');
    assert.equal(codeCacheDir({ BLOB_COPY_CODE_CACHE: 'off', BLOB_COPY_CACHE_DIR: '/x/y' }, 'linux', '/home/u'), undefined);
    assert.equal(codeCacheDir({}, 'linux', '/home/u'), path.join('/home/u', '.cache', 'blob-copy'));
    assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/u'), path.join('/xdg', 'blob-copy'));
    assert.equal(codeCacheDir({}, 'darwin', '/Users/u'), path.join('/Users/u', 'Library', 'Caches', 'blob-copy'));
    assert.equal(codeCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\U'), path.join('C:\\L', 'blob-copy', 'Cache'));
  });

  it('the name changes with the bundle (same length too), Node version, architecture and command', () => {
    const a = Buffer.from('module.exports = 1;');
    const b = Buffer.from('module.exports = 2;');
    const base = codeCacheFile('/c', a, 'copy', 'v20.0.0', 'x64');
    assert.match(path.basename(base), /^cli-[0-9a-f]{32}-copy\.v8cache$/);
    assert.notEqual(codeCacheFile('/c', b, 'copy', 'v20.0.0', 'x64'), base, 'V8 checks only the length: the name must not');
    assert.notEqual(codeCacheFile('/c', a, 'copy', 'v22.0.0', 'x64'), base);
    assert.notEqual(codeCacheFile('/c', a, 'copy', 'v20.0.0', 'arm64'), base);
    assert.notEqual(codeCacheFile('/c', a, 'move', 'v20.0.0', 'x64'), base);
    assert.equal(path.basename(codeCacheFile('/c', a, 'typo', 'v20.0.0', 'x64')), path.basename(codeCacheFile('/c', a, undefined, 'v20.0.0', 'x64')));
    assert.match(codeCacheFile('/c', a, '../../etc', 'v20.0.0', 'x64'), /-other\.v8cache$/);
  });
});

describe('CLI code cache: the launcher against Azurite', () => {
  let azurite: AzuriteInstance;
  let dev: BlobServiceClient;
  let cliPath = '';
  const cacheDir = path.join(repoRoot, '.cache', 'code-cache-test');
  const blobs = new Map<string, Buffer>();
  let cs = '';
  let n = 0;

  before(async () => {
    cliPath = await bundleCli('code-cache-cli');
    fs.rmSync(cacheDir, { recursive: true, force: true });
    azurite = await startAzurite();
    dev = azurite.serviceClient();
    const src = dev.getContainerClient('src');
    await src.create();
    for (let i = 0; i < 20; i++) {
      const b = crypto.randomBytes(1000 + i);
      blobs.set(`f${i}.bin`, b);
      await src.getBlockBlobClient(`cc/f${i}.bin`).upload(b, b.length);
    }
    cs = azurite.connectionString();
  });
  after(async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    await azurite?.stop();
  });

  /** One folder copy through the launcher into a new container; checks every blob's bytes; returns stderr. */
  async function copy(): Promise<string> {
    const dest = `cc-dest-${++n}`;
    await dev.createContainer(dest);
    const r = await runCli(cliPath, ['copy', `${azurite.endpoint()}/src/cc/`, `${azurite.endpoint()}/${dest}/`, '--recursive', '--source-connection-string', cs, '--destination-connection-string', cs], {
      BLOB_COPY_CACHE_DIR: cacheDir,
      BLOB_COPY_CODE_CACHE: 'debug',
    });
    assert.equal(r.code, 0, r.stderr);
    for (const [name, b] of blobs) assert.ok((await dev.getContainerClient(dest).getBlobClient(name).downloadToBuffer()).equals(b), name);
    return r.stderr;
  }
  const cacheFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);

  it('the CLI bundle is ASCII without comments (V8 keeps it as a one-byte string), its names kept for stack traces', () => {
    const main = fs.readFileSync(path.join(path.dirname(cliPath), 'cli-main.js'), 'latin1');
    assert.equal(/[^\t\n\r\x20-\x7e]/.exec(main)?.index, undefined, 'only printable ASCII');
    assert.ok(!main.includes('\n// node_modules/'), 'no module path comments: whitespace and comments are minified');
    assert.ok(/\bJobRunner=class\b/.test(main), 'names are kept');
  });

  it('a failed run writes no cache; the first successful copy writes one, the next copies use it', { timeout: 120_000 }, async () => {
    const failed = await runCli(cliPath, ['copy', 'not-a-url', 'neither'], { BLOB_COPY_CACHE_DIR: cacheDir });
    assert.notEqual(failed.code, 0);
    assert.deepEqual(cacheFiles(), [], 'no cache from a failed run');
    assert.match(await copy(), /code cache miss/);
    const files = cacheFiles();
    assert.equal(files.length, 1, files.join(', '));
    assert.match(files[0], /-copy\.v8cache$/);
    assert.ok(fs.statSync(path.join(cacheDir, files[0])).size > 100_000, 'V8 data for the functions that ran');
    assert.match(await copy(), /code cache hit/);
    assert.match(await copy(), /code cache hit/);
    assert.deepEqual(cacheFiles(), files, 'not rewritten, no temporary files left');
  });

  it('a corrupt cache is refused by V8, the copy is still right, and the cache is rewritten; stale caches go', { timeout: 120_000 }, async () => {
    const [file] = cacheFiles();
    // A cache of another build (or Node version) for the same command, and one of another command.
    fs.writeFileSync(path.join(cacheDir, 'cli-00000000000000000000000000000000-copy.v8cache'), 'old build');
    fs.writeFileSync(path.join(cacheDir, 'cli-00000000000000000000000000000000-move.v8cache'), 'other command');
    assert.ok(file, 'the cache of the test before');
    const full = path.join(cacheDir, file);
    const good = fs.readFileSync(full);
    const bad = Buffer.from(good);
    for (let i = 0; i < bad.length; i += 97) bad[i] ^= 0xff;
    fs.writeFileSync(full, bad);
    assert.match(await copy(), /code cache rejected/);
    assert.ok(!fs.readFileSync(full).equals(bad), 'rewritten');
    assert.deepEqual(cacheFiles().sort(), [file, 'cli-00000000000000000000000000000000-move.v8cache'].sort(), 'the stale copy cache is gone, the move cache stays');
    assert.match(await copy(), /code cache hit/);
  });

  it('BLOB_COPY_CODE_CACHE=off: no cache read or written', { timeout: 60_000 }, async () => {
    const offDir = path.join(cacheDir, 'off');
    const r = await runCli(cliPath, ['--version'], { BLOB_COPY_CACHE_DIR: offDir, BLOB_COPY_CODE_CACHE: 'off' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    assert.ok(!fs.existsSync(offDir));
  });
});
