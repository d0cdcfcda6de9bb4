import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as vm from 'node:vm';
import { AZURITE_PATCHES, patchAzuriteSource, startAzurite, AzuriteInstance, SECOND_ACCOUNT } from '../helpers/azurite';
import { createAccountClient } from '../../src/core/storage/connections';
import { listBlobsPage, listContainersPage } from '../../src/core/storage/listing';

describe('Azurite harness and paged listing', () => {
  let azurite: AzuriteInstance;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });

  it('serves two accounts on a loopback port', async () => {
    assert.ok(azurite.port > 0);
    await azurite.serviceClient().createContainer('harness-a');
    await azurite.serviceClient(SECOND_ACCOUNT).createContainer('harness-b');
    const names: string[] = [];
    for await (const c of azurite.serviceClient(SECOND_ACCOUNT).listContainers()) names.push(c.name);
    assert.deepEqual(names, ['harness-b']);
  });

  it('lists containers, folders and blobs one page at a time', async () => {
    const account = createAccountClient({ kind: 'connectionString', connectionString: azurite.connectionString() });
    const container = account.service.getContainerClient('paged');
    await container.create();
    for (let i = 0; i < 5; i++) await container.getBlockBlobClient(`dir/sub${i}/x.txt`).upload('x', 1);
    for (let i = 0; i < 7; i++) await container.getBlockBlobClient(`dir/file${i}.txt`).upload('hello', 5);
    const first = await listBlobsPage(account, 'paged', 'dir/', undefined, 4);
    assert.equal(first.items.length, 4);
    assert.ok(first.continuationToken, 'a first page of 4 out of 12 entries has a continuation token');
    const seen = [...first.items];
    let token: string | undefined = first.continuationToken;
    for (let guard = 0; token && guard < 10; guard++) {
      const next = await listBlobsPage(account, 'paged', 'dir/', token, 4);
      seen.push(...next.items);
      token = next.continuationToken;
    }
    assert.equal(seen.filter((e) => e.kind === 'folder').length, 5);
    const blobs = seen.filter((e) => e.kind === 'blob');
    assert.equal(blobs.length, 7);
    assert.ok(blobs.every((b) => b.kind === 'blob' && b.size === 5 && b.blobType === 'BlockBlob'));
    const containers = await listContainersPage(account);
    assert.ok(containers.items.some((c) => c.name === 'paged'));
  });
});

describe('Azurite harness: a start that fails', () => {
  it('stops the Azurite it spawned, so the test process can end', { timeout: 60_000 }, async () => {
    // A child process whose only work is a start that times out at once: it must exit by itself.
    const script = `require(${JSON.stringify(path.join(__dirname, '..', 'helpers', 'azurite.js'))}).startAzurite({ timeoutMs: 1 }).then(() => process.exit(3), (e) => console.log(e.message.split('\\n')[0]))`;
    // Its own process group: if it hangs, the Azurite it started is stopped with it.
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const limit = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref());
    const result = await Promise.race([exited, limit]);
    if (result === 'still running') process.kill(-child.pid!, 'SIGKILL');
    assert.equal(result, 0, `the process ended by itself (output: ${out})`);
    assert.match(out, /Azurite did not start within 1 ms/);
  });

  it('an Azurite whose starter is killed outright (SIGKILL: no exit handler runs) ends itself', { timeout: 60_000 }, async () => {
    const script = `require(${JSON.stringify(path.join(__dirname, '..', 'helpers', 'azurite.js'))}).startAzurite().then((a) => console.log('ready ' + a.pid))`;
    const starter = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      starter.stdout.on('data', (c: Buffer) => {
        const m = /ready (\d+)/.exec((out += c.toString()));
        if (m) resolve(Number(m[1]));
      });
      starter.once('exit', (code) => reject(new Error(`the starter ended first (${code}): ${out}`)));
    });
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(alive(), 'its Azurite runs');
    starter.kill('SIGKILL');
    try {
      for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(), false, 'Azurite ended within 5 s of its starter');
    } finally {
      if (alive()) process.kill(pid, 'SIGKILL'); // ours: never left behind
    }
  });
});

describe("Azurite harness: the test bundle's patches", () => {
  const src = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src');

  it('each still applies to the installed Azurite (its text found once)', () => {
    for (const p of AZURITE_PATCHES) {
      const text = fs.readFileSync(path.join(src, p.file), 'utf8');
      assert.equal(text.split(p.find).length - 1, 1, `${p.file}: ${p.find.split('\n')[0]}`);
      assert.notEqual(patchAzuriteSource(path.join(src, p.file), text), text);
    }
  });

  it('the CRC-64 computed eight bytes at a time equals Azurite\'s own, whole and in chunks', async () => {
    type Crc = { getCRC64FromString(b: Buffer | string): Uint8Array; getCRC64FromStream(s: Readable): Promise<Uint8Array> };
    const file = path.join(src, 'common', 'utils', 'utils.js');
    const original = createRequire(file)(file) as Crc;
    const patchedText = patchAzuriteSource(file, fs.readFileSync(file, 'utf8'));
    assert.match(patchedText, /crc64SliceTables/);
    const patched = { exports: {} as Crc };
    (new vm.Script(`(function (exports, require, module) {${patchedText}\n})`, { filename: file }).runInThisContext() as (e: object, r: NodeJS.Require, m: object) => void)(patched.exports, createRequire(file), patched);
    // CRC-64/NVME's check value (the CRC of "123456789"), little-endian as Azurite sends it.
    assert.equal(Buffer.from(patched.exports.getCRC64FromString('123456789')).toString('hex'), Buffer.from('ae8b14860a799888', 'hex').reverse().toString('hex'));
    for (const size of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096 + 3, 100_003]) {
      const data = randomBytes(size);
      assert.deepEqual(patched.exports.getCRC64FromString(data), original.getCRC64FromString(data), `${size} bytes`);
      const chunks = [data.subarray(0, size >> 2), data.subarray(size >> 2, (size >> 1) + 3), data.subarray((size >> 1) + 3)];
      assert.deepEqual(await patched.exports.getCRC64FromStream(Readable.from(chunks)), original.getCRC64FromString(data), `${size} bytes in 3 chunks`);
    }
  });
});
