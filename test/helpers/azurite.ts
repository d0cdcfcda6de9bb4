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
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

export interface AzuriteAccount {
  readonly name: string;
  readonly key: string;
}

/** The emulator's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT: AzuriteAccount = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};

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

/** Modules esbuild cannot bundle: database drivers of Azurite's SQL metadata store, which the tests never use. */
const SQL_DRIVERS = ['pg', 'pg-hstore', 'pg-native', 'mysql2', 'mariadb', 'tedious', 'sqlite3', 'oracledb', 'ibm_db', 'snowflake-sdk'];

/**
 * The arguments that start Azurite's blob service. Azurite loads a few thousand modules at start (about 3 s of CPU,
 * some 50 starts in a test run on 2 cores), so the tests run the same code as one minified bundle, built once per
 * Azurite and esbuild version into .cache/azurite/, through a launcher with a V8 code cache (about 1 s of CPU).
 * BLOB_COPY_AZURITE=modules runs the package as installed.
 */
function azuriteCommand(): string[] {
  if (process.env.BLOB_COPY_AZURITE === 'modules') return [azuriteMainPath()];
  return [path.join(__dirname, 'azuriteLauncher.js'), azuriteBundle()];
}

/** The bundle's path, built first if missing (scripts/test.mjs builds it before the test files start). */
export function azuriteBundle(): string {
  const pkg = require.resolve('azurite/package.json');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a devDependency, loaded only here
  const esbuild = require('esbuild') as typeof import('esbuild');
  const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
  const dir = path.join(path.dirname(pkg), '..', '..', '.cache', 'azurite');
  const bundle = path.join(dir, `azurite-blob-${version}-esbuild-${esbuild.version}-${URI_TEMPLATE_MEMO.tag}.js`);
  if (!fs.existsSync(bundle)) {
    // Test files run in parallel: each builds to a file of its own and renames it; all builds are the same.
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${bundle}.${process.pid}.tmp`;
    const built = esbuild.buildSync({ entryPoints: [azuriteMainPath()], bundle: true, platform: 'node', target: 'node20', write: false, external: SQL_DRIVERS, logLevel: 'error' });
    const code = built.outputFiles[0].text.replace(URI_TEMPLATE_MEMO.find, URI_TEMPLATE_MEMO.replace);
    fs.writeFileSync(tmp, esbuild.transformSync(code, { minify: true, platform: 'node', target: 'node20', format: 'cjs' }).code);
    fs.renameSync(tmp, bundle);
  }
  return bundle;
}

/**
 * Azurite finds each request's operation by parsing every operation's URI template again, per request: about a tenth
 * of its CPU in the tests. The bundle keeps each parsed template (a template's parse depends on its text alone); a
 * later Azurite whose code differs is bundled as it is (the text is not found, nothing is replaced).
 */
const URI_TEMPLATE_MEMO = {
  tag: 'memo1',
  find: 'const uriTemplate = (0, uri_templates_1.default)(template);',
  replace: 'const uriTemplate = (globalThis.__blobCopyUriTemplates ??= new Map()).get(template) ?? globalThis.__blobCopyUriTemplates.set(template, (0, uri_templates_1.default)(template)).get(template);',
};

export async function startAzurite(options: StartOptions = {}): Promise<AzuriteInstance> {
  const accounts = options.accounts ?? [DEV_ACCOUNT, SECOND_ACCOUNT];
  const cwd = options.location ?? fs.mkdtempSync(path.join(os.tmpdir(), 'blob-copy-azurite-'));
  const args = [
    ...azuriteCommand(),
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
      return `DefaultEndpointsProtocol=${protocol};AccountName=${acc.name};AccountKey=${acc.key};BlobEndpoint=${endpoint(acc)};`;
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
