/**
 * A loopback Azure Resource Manager for tests, over HTTPS with the harness certificate (helpers/entra.ts). It answers
 * the REST reference's shapes of List Tenants (GET /tenants), List Subscriptions (GET /subscriptions), Storage
 * Accounts - List (GET /subscriptions/{id}/providers/Microsoft.Storage/storageAccounts, paged with nextLink) and
 * Storage Accounts - List Keys (POST …/storageAccounts/{name}/listKeys), from a model the test gives. Tokens are the
 * harness's unsigned JWTs: the management audience is checked, and `tid` says which tenant's subscriptions a token
 * sees (as with ARM, a token is for one tenant).
 *
 * Also a "role gate": a loopback HTTPS proxy in front of an OAuth Azurite that answers 403
 * AuthorizationPermissionMismatch to bearer requests (an identity without a data role: Azurite has no RBAC) and
 * forwards everything else (shared key, SAS) untouched.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TENANT_ID, unsignedToken, type TestCertificate, type TokenClaims } from './entra';

export const MANAGEMENT_AUDIENCE = 'https://management.core.windows.net/';

export interface ArmTenant {
  readonly tenantId: string;
  readonly displayName: string;
  readonly defaultDomain?: string;
}

export interface ArmSubscription {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly displayName: string;
}

export interface ArmStorageAccount {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly kind?: string;
  readonly location?: string;
  readonly isHnsEnabled?: boolean;
  /** Blob endpoint (https://…/, with the trailing slash ARM gives). */
  readonly blobEndpoint?: string;
  /** Unset: ARM leaves the property out (shared keys allowed). */
  readonly allowSharedKeyAccess?: boolean;
  /** The account key List Keys returns. */
  readonly key?: string;
  /** List Keys answers 403 AuthorizationFailed (the identity may not list keys). */
  readonly listKeysDenied?: boolean;
}

export interface ArmModel {
  tenants: ArmTenant[];
  subscriptions: ArmSubscription[];
  accounts: ArmStorageAccount[];
  /** Storage accounts per page of Storage Accounts - List (default 2). */
  pageSize?: number;
  /** Subscriptions whose storage account list fails with this ARM error. */
  failAccounts?: Record<string, { status: number; code: string; message: string }>;
}

export interface ArmRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion?: string;
  /** The token's tenant (tid claim); undefined when the request had no bearer token. */
  readonly tenant?: string;
  readonly status: number;
}

export interface ArmEndpoint {
  /** https://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly model: ArmModel;
  readonly requests: readonly ArmRequest[];
  stop(): Promise<void>;
}

/** A management-plane token for a tenant (what VS Code's Microsoft sign-in would hand out for ARM). */
export function managementToken(tenantId = TENANT_ID, claims: TokenClaims = {}, lifetimeMs = 3600_000): string {
  return unsignedToken({ aud: MANAGEMENT_AUDIENCE, tid: tenantId, iss: `https://sts.windows.net/${tenantId}/`, ...claims }, lifetimeMs);
}

function claimsOf(authorization: string | undefined): TokenClaims | undefined {
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!m) return undefined;
  try {
    return JSON.parse(Buffer.from(m[1].split('.')[1] ?? '', 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return undefined;
  }
}

function accountJson(a: ArmStorageAccount) {
  const blob = a.blobEndpoint ?? `https://${a.name}.blob.core.windows.net/`;
  return {
    id: `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${a.name}`,
    name: a.name,
    type: 'Microsoft.Storage/storageAccounts',
    location: a.location ?? 'westeurope',
    kind: a.kind ?? 'StorageV2',
    sku: { name: 'Standard_LRS', tier: 'Standard' },
    tags: {},
    properties: {
      provisioningState: 'Succeeded',
      creationTime: '2026-01-02T03:04:05.0000000Z',
      primaryLocation: a.location ?? 'westeurope',
      statusOfPrimary: 'available',
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      accessTier: 'Hot',
      isHnsEnabled: a.isHnsEnabled ?? false,
      ...(a.allowSharedKeyAccess === undefined ? {} : { allowSharedKeyAccess: a.allowSharedKeyAccess }),
      primaryEndpoints: {
        blob: blob,
        dfs: blob.replace('.blob.', '.dfs.'),
        queue: blob.replace('.blob.', '.queue.'),
        table: blob.replace('.blob.', '.table.'),
        file: blob.replace('.blob.', '.file.'),
        web: blob.replace('.blob.', '.web.'),
      },
    },
  };
}

/** Starts the loopback ARM; `model` may be changed by the test while it runs. */
export async function startArm(certificate: TestCertificate, model: ArmModel): Promise<ArmEndpoint> {
  const requests: ArmRequest[] = [];
  let base = '';
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const claims = claimsOf(req.headers.authorization);
    const send = (status: number, body: object) => {
      requests.push({ method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version') ?? undefined, tenant: claims?.tid, status });
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'x-ms-request-id': `arm-${requests.length}` });
      res.end(text);
    };
    const error = (status: number, code: string, message: string) => send(status, { error: { code, message } });
    req.resume();
    req.on('end', () => {
      if (!claims) return error(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
      if (claims.aud !== MANAGEMENT_AUDIENCE && claims.aud !== MANAGEMENT_AUDIENCE.replace(/\/$/, '')) {
        return error(401, 'InvalidAuthenticationToken', `The access token has an invalid audience: ${String(claims.aud)}.`);
      }
      if (!url.searchParams.get('api-version')) return error(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
      const tenant = String(claims.tid ?? '');
      const parts = url.pathname.split('/').filter(Boolean);
      if (req.method === 'GET' && url.pathname === '/tenants') {
        return send(200, {
          value: model.tenants.map((t) => ({ id: `/tenants/${t.tenantId}`, tenantId: t.tenantId, tenantCategory: 'Home', countryCode: 'NL', displayName: t.displayName, domains: [t.defaultDomain ?? `${t.tenantId.slice(0, 8)}.onmicrosoft.com`], defaultDomain: t.defaultDomain ?? `${t.tenantId.slice(0, 8)}.onmicrosoft.com`, tenantType: 'AAD' })),
        });
      }
      if (req.method === 'GET' && url.pathname === '/subscriptions') {
        return send(200, {
          value: model.subscriptions
            .filter((s) => s.tenantId === tenant)
            .map((s) => ({ id: `/subscriptions/${s.subscriptionId}`, authorizationSource: 'RoleBased', managedByTenants: [], subscriptionId: s.subscriptionId, tenantId: s.tenantId, displayName: s.displayName, state: 'Enabled', subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' } })),
          count: { type: 'Total', value: model.subscriptions.filter((s) => s.tenantId === tenant).length },
        });
      }
      // /subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts
      if (req.method === 'GET' && parts.length === 5 && parts[0] === 'subscriptions' && parts[2] === 'providers' && parts[3].toLowerCase() === 'microsoft.storage' && parts[4] === 'storageAccounts') {
        const sub = model.subscriptions.find((s) => s.subscriptionId === parts[1]);
        if (!sub || sub.tenantId !== tenant) return error(404, 'SubscriptionNotFound', `The subscription '${parts[1]}' could not be found.`);
        const failure = model.failAccounts?.[sub.subscriptionId];
        if (failure) return error(failure.status, failure.code, failure.message);
        const all = model.accounts.filter((a) => a.subscriptionId === sub.subscriptionId);
        const size = model.pageSize ?? 2;
        const skip = Number(url.searchParams.get('$skipToken') ?? '0') || 0;
        const page = all.slice(skip, skip + size);
        const next = skip + size < all.length ? `${base}${url.pathname}?api-version=${encodeURIComponent(url.searchParams.get('api-version')!)}&$skipToken=${skip + size}` : undefined;
        return send(200, { value: page.map(accountJson), ...(next ? { nextLink: next } : {}) });
      }
      // /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}/listKeys
      if (req.method === 'POST' && parts.length === 9 && parts[0] === 'subscriptions' && parts[2] === 'resourceGroups' && parts[8] === 'listKeys') {
        const a = model.accounts.find((x) => x.subscriptionId === parts[1] && x.resourceGroup === parts[3] && x.name === parts[7]);
        if (!a) return error(404, 'ResourceNotFound', `The Resource 'Microsoft.Storage/storageAccounts/${parts[7]}' under resource group '${parts[3]}' was not found.`);
        if (a.listKeysDenied) {
          return error(403, 'AuthorizationFailed', `The client '${String(claims.oid)}' with object id '${String(claims.oid)}' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope '${url.pathname.replace(/\/listKeys$/, '')}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
        }
        return send(200, { keys: [{ creationTime: '2026-01-02T03:04:05.0000000Z', keyName: 'key1', value: a.key ?? '', permissions: 'FULL' }, { creationTime: '2026-01-02T03:04:05.0000000Z', keyName: 'key2', value: Buffer.alloc(64, 9).toString('base64'), permissions: 'FULL' }] });
      }
      return error(404, 'NotFound', `No route for ${req.method} ${url.pathname}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: base,
    model,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RoleGate {
  /** https://127.0.0.1:PORT (path-style accounts below it, as Azurite's). */
  readonly origin: string;
  /** Bearer requests refused so far. */
  readonly refused: number;
  stop(): Promise<void>;
}

/**
 * An HTTPS proxy in front of an OAuth Azurite that refuses bearer requests as Azure does for an identity without a
 * data role (403 AuthorizationPermissionMismatch) and forwards every other request to Azurite.
 */
export async function startRoleGate(certificate: TestCertificate, upstream: { host: string; port: number }): Promise<RoleGate> {
  let refused = 0;
  const server = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    if (/^Bearer /i.test(req.headers.authorization ?? '')) {
      refused++;
      req.resume();
      const body = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.\nRequestId:gate-${refused}\nTime:${new Date().toISOString()}</Message></Error>`;
      res.writeHead(403, { 'Content-Type': 'application/xml', 'x-ms-error-code': 'AuthorizationPermissionMismatch', 'x-ms-request-id': `gate-${refused}`, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const forward = https.request(
      { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: `${upstream.host}:${upstream.port}` }, ca: certificate.cert, agent: false },
      (up: http.IncomingMessage) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get refused() {
      return refused;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
