/**
 * How the engine reaches a storage account. A ConnectionSpec carries credentials and lives only in memory:
 * the extension stores secrets in SecretStorage and the journal stores only a connection's id.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import { storageContextOf } from './blobRequests';
import { throughAccountGate } from './throttle';
import { Emitter, type Event } from '../base/events';
import { accountNameFromEndpoint, parseConnectionString } from './connectionString';
import {
  AnonymousCredential,
  BlobServiceClient,
  newPipeline,
  StoragePipelineOptions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

export type ConnectionSpec =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'sharedKey'; readonly accountName: string; readonly accountKey: string; readonly blobEndpoint?: string }
  /** An account SAS URL (https://acct.blob.core.windows.net/?sv=…) or a container SAS URL (…/container?sv=…). */
  | { readonly kind: 'sas'; readonly url: string }
  | { readonly kind: 'token'; readonly accountName: string; readonly blobEndpoint?: string; readonly credential: TokenCredential }
  | { readonly kind: 'anonymous'; readonly url: string };

// SDK-free parts (the extension imports them without loading the SDK), re-exported for the engine's callers.
export { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, accountNameFromEndpoint, azuriteConnectionString, parseConnectionString, type ParsedConnectionString } from './connectionString';

export interface AccountClient {
  readonly service: BlobServiceClient;
  /** Present when the account key is known: lets the engine sign short-lived SAS tokens for copy sources. */
  readonly sharedKey?: StorageSharedKeyCredential;
  /** Present for Entra ID connections: lets the engine get user-delegation SAS or bearer tokens. */
  readonly tokenCredential?: TokenCredential;
  /** When the connection is a SAS, its query string (without "?"). */
  readonly sas?: string;
  /** Container the connection is limited to (container SAS URL). */
  readonly container?: string;
  readonly accountName: string;
  /** Blob endpoint without SAS, without trailing slash. */
  readonly endpoint: string;
}

/** A request attempt that failed transiently (throttled, server error, network error); the SDK's retry policy decides. */
export interface TransientFailure {
  readonly method: string;
  /** Request URL, query removed (it may hold a SAS). */
  readonly url: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
}

const transientFailureEmitter = new Emitter<TransientFailure>();
/** Every transient failure of every attempt, from all clients made by createAccountClient (the engine logs them). */
export const onTransientFailure: Event<TransientFailure> = transientFailureEmitter.event;

function reportTransient(request: PipelineRequest, status?: number, code?: string, requestId?: string): void {
  transientFailureEmitter.fire({ method: request.method, url: request.url.split('?')[0], status, code, requestId });
}

/**
 * Reports transient failures of every attempt and passes every try through its account's gate (per-account
 * throttling: see throttle.ts). A policy of the SDK's own (v2) pipeline, placed after its retry policy and before
 * signing, so it sees each try. It used to be the SDK's public v1 hook, a custom `IHttpClient`; each request then
 * crossed the v1 ↔ v2 adapters of @azure/core-http-compat twice, about 70 µs of CPU per request (a tenth of a small
 * copy's client time).
 */
export const attemptPolicy: PipelinePolicy = {
  name: 'blobCopyAttempt',
  async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
    try {
      const res = await throughAccountGate(request.url, request.abortSignal, () => next(request));
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        reportTransient(request, res.status, res.headers.get('x-ms-error-code') ?? undefined, res.headers.get('x-ms-request-id') ?? undefined);
      }
      return res;
    } catch (e) {
      const err = e as { code?: string; statusCode?: number; name?: string };
      if (err.name !== 'AbortError' && err.statusCode === undefined) reportTransient(request, undefined, err.code ?? err.name);
      throw e;
    }
  },
};

/** The name of @azure/core-rest-pipeline's form-data policy (formDataPolicyName), which blob requests never need. */
export const FORM_DATA_POLICY = 'formDataPolicy';
/** The name of @azure/core-rest-pipeline's tracing policy (tracingPolicyName). */
export const TRACING_POLICY = 'tracingPolicy';

function blobService(url: string, credential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential, options: StoragePipelineOptions): BlobServiceClient {
  const service = new BlobServiceClient(url, newPipeline(credential, options));
  const { pipeline } = storageContextOf(service);
  if (!pipeline.getOrderedPolicies().some((p) => p.name === attemptPolicy.name)) pipeline.addPolicy(attemptPolicy, { afterPhase: 'Retry' });
  // Blob requests never carry form data, and the form-data policy's check of every request body reads the global
  // FormData, whose first read loads Node's fetch implementation (undici): ~20 ms of every process's first request.
  pipeline.removePolicy({ name: FORM_DATA_POLICY });
  // Nothing in Blob Copy registers an OpenTelemetry instrumenter, so every span the tracing policy starts is a no-op
  // one: ~5 µs of CPU per request, a measurable share of a small blob's copy (bench: `npm run bench -- --cost`).
  pipeline.removePolicy({ name: TRACING_POLICY });
  return service;
}

/** Builds SDK clients for a connection. Uses the SDK's own retry pipeline (exponential back-off). */
export function createAccountClient(spec: ConnectionSpec, pipeline: StoragePipelineOptions = {}): AccountClient {
  const options: StoragePipelineOptions = {
    retryOptions: { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
    ...pipeline,
  };
  switch (spec.kind) {
    case 'connectionString': {
      const parsed = parseConnectionString(spec.connectionString);
      if (parsed.accountKey) {
        const accountName = parsed.accountName ?? accountNameFromEndpoint(parsed.blobEndpoint);
        const sharedKey = new StorageSharedKeyCredential(accountName, parsed.accountKey);
        return { service: blobService(parsed.blobEndpoint, sharedKey, options), sharedKey, accountName, endpoint: parsed.blobEndpoint };
      }
      const sas = parsed.sas!.replace(/^\?/, '');
      return {
        service: blobService(`${parsed.blobEndpoint}?${sas}`, new AnonymousCredential(), options),
        sas,
        accountName: parsed.accountName ?? accountNameFromEndpoint(parsed.blobEndpoint),
        endpoint: parsed.blobEndpoint,
      };
    }
    case 'sharedKey': {
      const endpoint = (spec.blobEndpoint ?? `https://${spec.accountName}.blob.core.windows.net`).replace(/\/+$/, '');
      const sharedKey = new StorageSharedKeyCredential(spec.accountName, spec.accountKey);
      return { service: blobService(endpoint, sharedKey, options), sharedKey, accountName: spec.accountName, endpoint };
    }
    case 'sas':
    case 'anonymous': {
      let u: URL;
      try {
        u = new URL(spec.url);
      } catch {
        throw new Error('Not a URL: expected https://<account>.blob.core.windows.net/[container]?<sas>.');
      }
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('The URL must start with https:// (or http:// for the emulator).');
      const sas = u.search.replace(/^\?/, '') || undefined;
      if (spec.kind === 'sas' && !sas) throw new Error('The SAS URL has no query string: append the SAS token (?sv=…&sig=…).');
      const pathStyle = /^(\d+\.){3}\d+$/.test(u.hostname) || u.hostname === 'localhost';
      const segments = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const accountSegments = pathStyle ? 1 : 0;
      const container = segments[accountSegments];
      const endpoint = `${u.protocol}//${u.host}${pathStyle ? `/${segments[0] ?? ''}` : ''}`;
      const accountName = pathStyle ? segments[0] ?? '' : u.hostname.split('.')[0];
      return {
        service: blobService(sas ? `${endpoint}?${sas}` : endpoint, new AnonymousCredential(), options),
        sas,
        container,
        accountName,
        endpoint,
      };
    }
    case 'token': {
      const endpoint = (spec.blobEndpoint ?? `https://${spec.accountName}.blob.core.windows.net`).replace(/\/+$/, '');
      return {
        service: blobService(endpoint, spec.credential, options),
        tokenCredential: spec.credential,
        accountName: spec.accountName,
        endpoint,
      };
    }
  }
}
