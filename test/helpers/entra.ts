/**
 * Test harness for Entra ID (OAuth) against Azurite, offline (see ../shared/README.md, "Entra ID (OAuth) against
 * Azurite"):
 *   - a self-signed certificate for 127.0.0.1, generated at run time with openssl into .cache/entra-tls (git-ignored,
 *     never committed), reused while it is valid;
 *   - unsigned tokens (`alg: none`) with the claims Azurite's `--oauth basic` checks (aud, iss, nbf/iat/exp, oid, tid);
 *   - TokenCredentials that hand out such tokens and count their calls;
 *   - a loopback HTTPS token endpoint (OpenID configuration + token) for @azure/identity's credentials;
 *   - trust: Node reads NODE_EXTRA_CA_CERTS only when a process starts (see entraSuite.ts for plain-Node tests;
 *     trustAtRuntime for an extension host on Node >= 22.19 / 24.5).
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as nodeTls from 'node:tls';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

export const TENANT_ID = '72f988bf-0000-4000-8000-0000000000aa';
export const USER_OID = '0b9a7c3e-1111-4222-8333-444455556666';
export const STORAGE_AUDIENCE = 'https://storage.azure.com';

export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

function repoRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 10; i++) {
    // out/ has a package.json too: the root is the folder with the TypeScript project.
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'tsconfig.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('entra harness: repository root not found');
}

/** Where the harness keeps its certificate (git-ignored). */
export function certificateDir(): string {
  return path.join(repoRoot(), '.cache', 'entra-tls');
}

const CERT_DAYS = 30;
const RENEW_AFTER_MS = 20 * 24 * 3600 * 1000;

/**
 * The loopback certificate (cert.pem + key.pem in .cache/entra-tls), generated with openssl when missing or older
 * than 20 days. Generated into a temporary folder and renamed, so concurrent callers never see half a pair.
 */
export function ensureTestCertificate(dir = certificateDir()): TestCertificate {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const fresh = (() => {
    try {
      return Date.now() - fs.statSync(certPath).mtimeMs < RENEW_AFTER_MS && fs.existsSync(keyPath);
    } catch {
      return false;
    }
  })();
  if (!fresh) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(dir, 'gen-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(CERT_DAYS), '-subj', '/CN=127.0.0.1',
          '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem')],
        { stdio: 'ignore', timeout: 30_000 },
      );
      fs.renameSync(path.join(tmp, 'key.pem'), keyPath);
      fs.renameSync(path.join(tmp, 'cert.pem'), certPath);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { certPath, keyPath, cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) };
}

/** Whether this process trusts the certificate (measured: a TLS handshake with a loopback server that uses it). */
export async function certificateTrusted(certificate: TestCertificate): Promise<boolean> {
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise<boolean>((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface TokenClaims {
  aud?: string;
  iss?: string;
  oid?: string;
  tid?: string;
  /** Seconds since the epoch. */
  nbf?: number;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

/** An unsigned JWT (`alg: none`) with the claims Azurite checks. `lifetimeMs` sets exp (default 1 h). */
export function unsignedToken(claims: TokenClaims = {}, lifetimeMs = 3600_000): string {
  const now = Math.floor(Date.now() / 1000);
  const body: TokenClaims = {
    aud: STORAGE_AUDIENCE,
    iss: `https://sts.windows.net/${TENANT_ID}/`,
    nbf: now - 300,
    iat: now - 300,
    exp: now + Math.floor(lifetimeMs / 1000),
    oid: USER_OID,
    tid: TENANT_ID,
    ...claims,
  };
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(body)}.`;
}

/** A TokenCredential handing out unsigned tokens; counts calls and records the scopes asked for. */
export interface CountingCredential extends TokenCredential {
  readonly calls: number;
  readonly scopes: readonly string[];
  /** Tokens handed out (most recent last). */
  readonly issued: readonly AccessToken[];
}

export function testCredential(options: { lifetimeMs?: number; claims?: TokenClaims; fail?: () => Error | undefined } = {}): CountingCredential {
  let calls = 0;
  const scopes: string[] = [];
  const issued: AccessToken[] = [];
  return {
    get calls() {
      return calls;
    },
    scopes,
    issued,
    async getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken | null> {
      calls++;
      for (const s of Array.isArray(scope) ? scope : [scope]) scopes.push(s);
      const failure = options.fail?.();
      if (failure) throw failure;
      const lifetimeMs = options.lifetimeMs ?? 3600_000;
      // exp is in whole seconds: tell the SDK exactly that instant (not a rounded-up one).
      const exp = Math.floor((Date.now() + lifetimeMs) / 1000);
      const token: AccessToken = { token: unsignedToken({ ...options.claims, exp }), expiresOnTimestamp: exp * 1000 };
      issued.push(token);
      return token;
    },
  };
}

export interface TokenEndpoint {
  /** e.g. https://127.0.0.1:PORT (use as authorityHost / AZURE_AUTHORITY_HOST). */
  readonly authorityHost: string;
  readonly tenantId: string;
  /** Token requests answered, per client id. */
  readonly tokenRequests: ReadonlyMap<string, number>;
  /** Every request path seen (no bodies: they hold the client secret). */
  readonly paths: readonly string[];
  stop(): Promise<void>;
}

/**
 * A loopback HTTPS authority for @azure/identity: `GET /<tenant>/v2.0/.well-known/openid-configuration` and
 * `POST /<tenant>/oauth2/v2.0/token` (client credentials). It accepts a client id/secret pair it was given and
 * answers an unsigned storage token for it; anything else gets the error body Entra ID sends.
 * Must not run in a process that blocks on a child (spawnSync), or token requests starve.
 */
export async function startTokenEndpoint(
  certificate: TestCertificate,
  clients: ReadonlyMap<string, string>,
  options: { tenantId?: string; lifetimeMs?: number } = {},
): Promise<TokenEndpoint> {
  const tenantId = options.tenantId ?? TENANT_ID;
  const tokenRequests = new Map<string, number>();
  const paths: string[] = [];
  let base = '';
  const json = (res: import('node:http').ServerResponse, status: number, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
    res.end(text);
  };
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const url = new URL(req.url ?? '/', base);
    paths.push(url.pathname);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
        json(res, 200, {
          token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/devicecode`,
          issuer: `${base}/${tenantId}/v2.0`,
          jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          tenant_region_scope: null,
          cloud_instance_name: 'blob-copy.test',
        });
        return;
      }
      if (req.method === 'POST' && url.pathname === `/${tenantId}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const clientId = form.get('client_id') ?? '';
        const secret = clients.get(clientId);
        if (form.get('grant_type') !== 'client_credentials' || secret === undefined || form.get('client_secret') !== secret) {
          json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
          return;
        }
        if (!(form.get('scope') ?? '').split(' ').includes(`${STORAGE_AUDIENCE}/.default`)) {
          json(res, 400, { error: 'invalid_scope', error_description: 'AADSTS70011: The provided value for scope is not valid.' });
          return;
        }
        tokenRequests.set(clientId, (tokenRequests.get(clientId) ?? 0) + 1);
        const lifetimeMs = options.lifetimeMs ?? 3600_000;
        // oid: a stable id per client (a service principal's object id).
        const oid = crypto.createHash('sha256').update(clientId).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
        json(res, 200, {
          token_type: 'Bearer',
          expires_in: Math.floor(lifetimeMs / 1000),
          ext_expires_in: Math.floor(lifetimeMs / 1000),
          access_token: unsignedToken({ oid, tid: tenantId, iss: `https://sts.windows.net/${tenantId}/`, appid: clientId }, lifetimeMs),
        });
        return;
      }
      json(res, 404, { error: 'not_found', error_description: `No such endpoint: ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorityHost: base,
    tenantId,
    tokenRequests,
    paths,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Trusts the certificate in this process from now on, where Node allows it at run time (tls.setDefaultCACertificates,
 * Node >= 22.19 / 24.5: the VS Code server's extension host). Returns a function that restores the previous trust,
 * or undefined when this Node cannot (then NODE_EXTRA_CA_CERTS at process start is the only way).
 */
export function trustAtRuntime(certificate: TestCertificate): (() => void) | undefined {
  const tls = nodeTls as unknown as { getCACertificates?(type?: string): string[]; setDefaultCACertificates?(certs: string[]): void };
  if (typeof tls.setDefaultCACertificates !== 'function' || typeof tls.getCACertificates !== 'function') return undefined;
  const previous = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...previous, certificate.cert.toString('utf8')]);
  return () => tls.setDefaultCACertificates!(previous);
}
