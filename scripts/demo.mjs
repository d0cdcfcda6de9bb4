// Demo storage: a real Azurite (on disk under .azurite-demo/) with two accounts and demo data.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { root } from './vscode-runtime.mjs';

const require = createRequire(import.meta.url);
const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');

export const DEV_ACCOUNT = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};
export const SECOND_ACCOUNT = {
  name: 'acct2',
  key: Buffer.from('blob-copy-second-test-account-key-0123456789abcdefghijklmnopqrstu').toString('base64'),
};

/**
 * The environment that tells the extension about the second account (src/extension/connections/demo.ts): it adds it
 * as an account-key connection, the key in SecretStorage. The built-in Azurite entry is the first account.
 */
export function demoAccountsEnv(port) {
  const accounts = [{ name: SECOND_ACCOUNT.name, key: SECOND_ACCOUNT.key, endpoint: `http://127.0.0.1:${port}/${SECOND_ACCOUNT.name}`, label: 'acct2 (Azurite, second account)' }];
  return { BLOB_COPY_DEMO_ACCOUNTS: JSON.stringify(accounts) };
}

async function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Starts Azurite on 127.0.0.1 (port 10000 when free, as the extension expects by default; else a free one). */
export async function startDemoAzurite({ location = join(root, '.azurite-demo') } = {}) {
  mkdirSync(location, { recursive: true });
  const port = (await portIsFree(10000)) ? 10000 : 0;
  const child = spawn(
    process.execPath,
    [require.resolve('azurite/dist/src/blob/main.js'), '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent'],
    { env: { ...process.env, AZURITE_ACCOUNTS: [DEV_ACCOUNT, SECOND_ACCOUNT].map((a) => `${a.name}:${a.key}`).join(';') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const actualPort = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s:\n${output}`)), 30_000);
    const onData = (c) => {
      output += c;
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Azurite exited (${code}):\n${output}`)));
  });
  const client = (a = DEV_ACCOUNT) => new BlobServiceClient(`http://127.0.0.1:${actualPort}/${a.name}`, new StorageSharedKeyCredential(a.name, a.key));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid, 'SIGTERM');
    });
  return { port: actualPort, pid: child.pid, client, stop };
}

const MiB = 1024 * 1024;

function pattern(size, seed) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

/** Demo data: containers, a virtual-folder tree, block, append and page blobs of several sizes. Idempotent. */
export async function seedDemoData(service, second) {
  const make = async (name) => {
    const c = service.getContainerClient(name);
    await c.createIfNotExists();
    return c;
  };
  const photos = await make('photos');
  const backups = await make('backups');
  await make('archive');
  await make('empty-target');
  const exists = await photos.getBlobClient('2024/summer/beach.jpg').exists();
  if (exists) return false;
  const upload = (c, name, size, seed, contentType, metadata) =>
    c.getBlockBlobClient(name).uploadData(pattern(size, seed), { blobHTTPHeaders: { blobContentType: contentType }, metadata });
  for (const [i, name] of ['2024/summer/beach.jpg', '2024/summer/sunset.jpg', '2024/winter/snow.jpg', '2025/spring/flowers.jpg', 'profile.png'].entries()) {
    await upload(photos, name, 200 * 1024 + i * 4096, i, name.endsWith('png') ? 'image/png' : 'image/jpeg', { camera: 'demo', index: String(i) });
  }
  for (let d = 1; d <= 3; d++) {
    for (let f = 1; f <= 4; f++) await upload(photos, `bulk/day-${d}/img-${f}.jpg`, 4096, d * 10 + f, 'image/jpeg');
  }
  await upload(backups, 'db/full-2025-01-01.bak', 64 * MiB, 7, 'application/octet-stream', { kind: 'full' });
  await upload(backups, 'db/diff-2025-01-02.bak', 8 * MiB, 8, 'application/octet-stream', { kind: 'diff' });
  await upload(backups, 'empty.txt', 0, 0, 'text/plain');
  await upload(backups, 'notes/read me (1).txt', 1234, 9, 'text/plain');
  await upload(backups, 'notes/ünïcödé #1 ?%.txt', 777, 10, 'text/plain');
  const log = backups.getAppendBlobClient('logs/app.log');
  await log.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain' } });
  for (let i = 0; i < 50; i++) {
    const line = Buffer.from(`${new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString()} INFO request ${i} handled\n`);
    await log.appendBlock(line, line.length);
  }
  const disk = backups.getPageBlobClient('vm/disk.vhd');
  await disk.create(1024 * MiB);
  await disk.uploadPages(pattern(MiB, 3), 0, MiB);
  await disk.uploadPages(pattern(512 * 1024, 4), 512 * MiB, 512 * 1024);
  if (second) {
    const c = second.getContainerClient('other-account');
    await c.createIfNotExists();
  }
  return true;
}
