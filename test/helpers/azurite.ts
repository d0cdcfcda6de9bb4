/**
 * Test harness: starts a real Azurite blob service (npm `azurite`) on a free loopback port, with two accounts, waits
 * until it answers, and always stops it (on stop(), on process exit, on SIGINT/SIGTERM).
 *
 * Azurite 3.37 declares Node >= 22 but runs on the machines' Node 20 with `--skipApiVersionCheck --loose`
 * (the SDK sends newer API versions than Azurite knows; `--loose` ignores headers it does not implement).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';

/** The names of a container's blobs (under `prefix`), sorted: what a test compares a copy's destination with. */
export async function blobNames(c: ContainerClient, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix: prefix || undefined })) out.push(b.name);
  return out.sort();
}

export interface AzuriteAccount {
  readonly name: string;
  readonly key: string;
}

/** The emulator's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT: AzuriteAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};

/** The connection string of `account` at a blob endpoint ("http(s)://host:port/account"), as Azurite is reached. */
export function connectionStringAt(endpoint: string, account: AzuriteAccount = DEV_ACCOUNT): string {
  return `DefaultEndpointsProtocol=${endpoint.startsWith('https:') ? 'https' : 'http'};AccountName=${account.name};AccountKey=${account.key};BlobEndpoint=${endpoint};`;
}

/** A second account for cross-account copies. Its key is a fixed test value (base64 of 64 bytes). */
export const SECOND_ACCOUNT: AzuriteAccount = {
  name: 'acct2',
  key: Buffer.from('blob-copy-second-test-account-key-0123456789abcdefghijklmnopqrstu').toString('base64'),
};

export interface StartOptions {
  /** Folder for on-disk storage; omitted = in-memory. */
  location?: string;
  /** Port to listen on; 0 (default) = a free one chosen by the OS. */
  port?: number;
  accounts?: AzuriteAccount[];
  /**
   * Time limit for start-up (default 120 s). Azurite loads a few thousand modules first: several test files
   * starting it at once on a busy 2-core machine took over 30 s.
   */
  timeoutMs?: number;
  /**
   * Serve HTTPS with this certificate (see helpers/entra.ts) and check bearer tokens (`--oauth basic`). Azurite
   * itself trusts the certificate too (NODE_EXTRA_CA_CERTS), so it can read cross-account copy sources over HTTPS.
   */
  oauth?: { certPath: string; keyPath: string };
}

export interface AzuriteInstance {
  readonly port: number;
  readonly host: string;
  readonly pid: number;
  readonly accounts: readonly AzuriteAccount[];
  /** "https" when started with `oauth`, else "http". */
  readonly protocol: 'http' | 'https';
  /** Blob endpoint of an account, e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  endpoint(account?: AzuriteAccount | string): string;
  connectionString(account?: AzuriteAccount | string): string;
  credential(account?: AzuriteAccount | string): StorageSharedKeyCredential;
  serviceClient(account?: AzuriteAccount | string): BlobServiceClient;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const killAll = () => {
    for (const child of running) {
      try {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export function azuriteMainPath(): string {
  return require.resolve('azurite/dist/src/blob/main.js');
}

/**
 * Modules the bundle leaves out: database drivers of Azurite's SQL metadata store (esbuild cannot bundle them), the
 * SQL store's ORM and Application Insights. The tests never use the SQL store or telemetry, and the patches below load
 * both only when used; if used, they load from node_modules as installed.
 */
const NOT_BUNDLED = ['pg', 'pg-hstore', 'pg-native', 'mysql2', 'mariadb', 'tedious', 'sqlite3', 'oracledb', 'ibm_db', 'snowflake-sdk', 'sequelize', 'applicationinsights'];

/**
 * The arguments that start Azurite's blob service. Azurite loads a few thousand modules at start (about 3 s of CPU,
 * some 50 starts in a test run on 2 cores), so the tests run the same code as one minified bundle, built once per
 * Azurite, esbuild and patch set into .cache/azurite/, through a launcher with a V8 code cache (about 0.35 s of CPU).
 * BLOB_COPY_AZURITE=modules runs the package as installed.
 */
async function azuriteCommand(): Promise<string[]> {
  if (process.env.BLOB_COPY_AZURITE === 'modules') return [azuriteMainPath()];
  return [path.join(__dirname, 'azuriteLauncher.js'), await azuriteBundle()];
}

/**
 * Changes to Azurite's code in the test bundle: each keeps what Azurite answers and costs less CPU (Azurite's CPU is
 * most of a test run's). `file` is the end of the path under azurite/dist/src; a later Azurite whose text differs is
 * bundled without that change (test/core/harness.test.ts says when one no longer applies).
 */
export const AZURITE_PATCHES: readonly { readonly file: string; readonly find: string; readonly replace: string }[] = [
  {
    // Azurite finds each request's operation by parsing every operation's URI template again: keep each parse (it
    // depends on the template's text alone).
    file: 'blob/generated/utils/utils.js',
    find: 'const uriTemplate = (0, uri_templates_1.default)(template);',
    replace: 'const uriTemplate = (globalThis.__blobCopyUriTemplates ??= new Map()).get(template) ?? globalThis.__blobCopyUriTemplates.set(template, (0, uri_templates_1.default)(template)).get(template);',
  },
  {
    // … and matches each request's path against the same two templates for every operation of its method: keep the
    // answers for the request's path (dispatch checks one request's operations in one go).
    file: 'blob/generated/utils/utils.js',
    find: 'function isURITemplateMatch(url, template) {',
    replace: `let lastUrl;
let lastMatches = new Map();
function isURITemplateMatch(url, template) {
    if (url !== lastUrl) {
        lastUrl = url;
        lastMatches = new Map();
    }
    let matched = lastMatches.get(template);
    if (matched === undefined) lastMatches.set(template, (matched = isURITemplateMatchOnce(url, template)));
    return matched;
}
function isURITemplateMatchOnce(url, template) {`,
  },
  {
    // Application Insights (and OpenTelemetry under it) loaded at start although the tests turn telemetry off.
    file: 'common/Telemetry.js',
    find: 'AzuriteTelemetryClient.appInsights = require("applicationinsights");',
    replace: 'Object.defineProperty(AzuriteTelemetryClient, "appInsights", { configurable: true, get() { const m = require("applicationinsights"); Object.defineProperty(AzuriteTelemetryClient, "appInsights", { value: m, writable: true }); return m; }, set(m) { Object.defineProperty(AzuriteTelemetryClient, "appInsights", { value: m, writable: true }); } });',
  },
  {
    // The SQL server (and its ORM) loaded at start although the tests use the in-memory and file stores.
    file: 'blob/BlobServerFactory.js',
    find: 'const SqlBlobServer_1 = tslib_1.__importDefault(require("./SqlBlobServer"));',
    replace: 'const SqlBlobServer_1 = { get default() { return tslib_1.__importDefault(require("./SqlBlobServer")).default; } };',
  },
  {
    // CRC-64 of every uploaded block, page and append block, one byte at a time: eight at a time (slice-by-8 tables
    // derived from Azurite's own table), the same checksum.
    file: 'common/utils/utils.js',
    find: 'class CRC64Hash {',
    replace: `let crc64Slices;
function crc64SliceTables() {
    if (crc64Slices) return crc64Slices;
    const t = new Uint32Array(8 * 512);
    for (let i = 0; i < 512; i++) t[i] = CRC64_TABLE[i];
    for (let k = 1; k < 8; k++) {
        for (let i = 0; i < 256; i++) {
            const hi = t[((k - 1) << 9) + 2 * i], lo = t[((k - 1) << 9) + 2 * i + 1], x = (lo & 0xff) << 1;
            t[(k << 9) + 2 * i] = ((hi >>> 8) ^ t[x]) >>> 0;
            t[(k << 9) + 2 * i + 1] = ((((hi & 0xff) << 24) | (lo >>> 8)) ^ t[x + 1]) >>> 0;
        }
    }
    return (crc64Slices = t);
}
class CRC64Hash {`,
  },
  {
    file: 'common/utils/utils.js',
    find: `    update(chunk) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        for (let i = 0; i < bytes.length; i++) {`,
    replace: `    update(chunk) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        const t = crc64SliceTables(), n = bytes.length;
        let hi = this.hi, lo = this.lo, i = 0;
        for (; i + 8 <= n; i += 8) {
            lo = (lo ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
            hi = (hi ^ (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24))) >>> 0;
            const a = 3584 + ((lo & 0xff) << 1), b = 3072 + (((lo >>> 8) & 0xff) << 1), c = 2560 + (((lo >>> 16) & 0xff) << 1), d = 2048 + ((lo >>> 24) << 1);
            const e = 1536 + ((hi & 0xff) << 1), f = 1024 + (((hi >>> 8) & 0xff) << 1), g = 512 + (((hi >>> 16) & 0xff) << 1), h = (hi >>> 24) << 1;
            hi = (t[a] ^ t[b] ^ t[c] ^ t[d] ^ t[e] ^ t[f] ^ t[g] ^ t[h]) >>> 0;
            lo = (t[a + 1] ^ t[b + 1] ^ t[c + 1] ^ t[d + 1] ^ t[e + 1] ^ t[f + 1] ^ t[g + 1] ^ t[h + 1]) >>> 0;
        }
        this.hi = hi;
        this.lo = lo;
        for (; i < bytes.length; i++) {`,
  },
];

/** Azurite's source text of `file` (see AZURITE_PATCHES) with the patches that apply to it. */
export function patchAzuriteSource(file: string, text: string): string {
  for (const p of AZURITE_PATCHES) if (file.replace(/\\/g, '/').endsWith(`azurite/dist/src/${p.file}`) && text.includes(p.find)) text = text.replace(p.find, p.replace);
  return text;
}

/** The bundle's path, built first if missing (scripts/test.mjs builds it before the test files start). */
export async function azuriteBundle(): Promise<string> {
  const pkg = require.resolve('azurite/package.json');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a devDependency, loaded only here
  const esbuild = require('esbuild') as typeof import('esbuild');
  const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  const dir = path.join(path.dirname(pkg), '..', '..', '.cache', 'azurite');
  const patches = createHash('sha256').update(JSON.stringify([AZURITE_PATCHES, NOT_BUNDLED])).digest('hex').slice(0, 8);
  const name = `azurite-blob-${version}-esbuild-${esbuild.version}-${patches}`;
  const bundle = path.join(dir, `${name}.js`);
  if (!fs.existsSync(bundle)) {
    // Test files run in parallel: each builds to a file of its own and renames it; all builds are the same.
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${bundle}.${process.pid}.tmp`;
    const built = await esbuild.build({
      entryPoints: [azuriteMainPath()],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      write: false,
      external: NOT_BUNDLED,
      logLevel: 'error',
      plugins: [{ name: 'azurite-patches', setup: (b) => b.onLoad({ filter: /azurite[\\/]dist[\\/]src[\\/].*\.js$/ }, (a) => ({ contents: patchAzuriteSource(a.path, fs.readFileSync(a.path, 'utf8')), loader: 'js' })) }],
    });
    fs.writeFileSync(tmp, built.outputFiles[0].text);
    fs.renameSync(tmp, bundle);
    // Bundles (and their code caches) of other versions or patch sets.
    for (const f of fs.readdirSync(dir)) if (f.startsWith('azurite-blob-') && !f.startsWith(name) && !f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true });
  }
  return bundle;
}

export async function startAzurite(options: StartOptions = {}): Promise<AzuriteInstance> {
  const accounts = options.accounts ?? [DEV_ACCOUNT, SECOND_ACCOUNT];
  const cwd = options.location ?? fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-azurite-'));
  const args = [
    ...(await azuriteCommand()),
    '--blobHost', '127.0.0.1',
    '--blobPort', String(options.port ?? 0),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  if (options.location) args.push('--location', options.location);
  else args.push('--inMemoryPersistence');
  if (options.oauth) args.push('--oauth', 'basic', '--cert', options.oauth.certPath, '--key', options.oauth.keyPath);
  const protocol = options.oauth ? 'https' : 'http';
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      ...process.env,
      AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(';'),
      ...(options.oauth ? { NODE_EXTRA_CA_CERTS: options.oauth.certPath } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hookExit();
  running.add(child);
  const host = '127.0.0.1';
  let output = '';
  // A start that fails must not leave Azurite running: its pipes would keep the test process alive forever.
  const abandon = (err: unknown): never => {
    running.delete(child);
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    throw err;
  };
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`Azurite did not start within ${options.timeoutMs ?? 120_000} ms. Output:\n${output}`));
    }, options.timeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /successfully listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code} before it was ready. Output:\n${output}`));
    });
  }).catch(abandon);
  const resolveAccount = (a?: AzuriteAccount | string): AzuriteAccount => {
    if (a === undefined) return accounts[0];
    if (typeof a !== 'string') return a;
    const found = accounts.find((x) => x.name === a);
    if (!found) throw new Error(`Azurite was not started with account ${a}`);
    return found;
  };
  const endpoint = (a?: AzuriteAccount | string) => `${protocol}://${host}:${port}/${resolveAccount(a).name}`;
  const instance: AzuriteInstance = {
    port,
    protocol,
    host,
    pid: child.pid!,
    accounts,
    endpoint,
    connectionString: (a) => {
      const acc = resolveAccount(a);
      return connectionStringAt(endpoint(acc), acc);
    },
    credential: (a) => {
      const acc = resolveAccount(a);
      return new StorageSharedKeyCredential(acc.name, acc.key);
    },
    serviceClient: (a) => {
      const acc = resolveAccount(a);
      return new BlobServiceClient(endpoint(acc), new StorageSharedKeyCredential(acc.name, acc.key));
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        running.delete(child);
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          try {
            process.kill(child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        process.kill(child.pid!, 'SIGTERM');
      });
      running.delete(child);
    },
  };
  // Ready means: the service answers a real request.
  await instance.serviceClient().getProperties().catch(abandon);
  return instance;
}
