/**
 * Typed errors: every failure the engine reports is a CopyError carrying ErrorInfo
 * (what failed, a hint, HTTP status, storage error code, request id). All text is redacted.
 */
import { isRetryable, type ErrorInfo, type JobState } from './types';
import { redact } from './redact';

export class CopyError extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo, options?: { cause?: unknown }) {
    const safe: ErrorInfo = { ...info, message: redact(info.message), hint: info.hint === undefined ? undefined : redact(info.hint) };
    super(safe.message, options);
    this.name = 'CopyError';
    this.info = safe;
  }
}

/** Why a job cannot be retried (unknown, or not failed/canceled/aborted), or undefined when it can. */
export function retryRefusal(jobId: string, state: JobState | undefined): CopyError | undefined {
  if (state === undefined) return new CopyError({ message: `No job ${jobId}.` });
  if (!isRetryable(state)) return new CopyError({ message: `Job ${jobId} is ${state}: only failed, canceled or aborted jobs can be retried.` });
  return undefined;
}

/** Where in a copy the failing call went: decides the wording of the message and hint. */
type ErrorSide = 'source' | 'destination' | 'copy';

interface RestLike {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
  details?: { errorCode?: string; requestId?: string; [k: string]: unknown };
  response?: { headers?: { get(name: string): string | undefined }; status?: number };
}

export function isAbortError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string };
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}

/** Status, storage error code and request id from an SDK RestError (or anything shaped like it). */
export function restDetails(err: unknown): { status?: number; code?: string; requestId?: string; copySourceCode?: string; copySourceStatus?: number } {
  if (!err || typeof err !== 'object') return {};
  const e = err as RestLike;
  const headers = e.response?.headers;
  const code = e.details?.errorCode ?? headers?.get('x-ms-error-code') ?? (typeof e.code === 'string' && !/^[A-Z_]+$/.test(e.code) ? e.code : undefined);
  const requestId = e.details?.requestId ?? headers?.get('x-ms-request-id');
  const copySourceCode = (e.details?.copySourceErrorCode as string | undefined) ?? headers?.get('x-ms-copy-source-error-code');
  const cs = (e.details?.copySourceStatusCode as string | number | undefined) ?? headers?.get('x-ms-copy-source-status-code');
  return { status: e.statusCode ?? e.response?.status, code, requestId, copySourceCode, copySourceStatus: cs === undefined ? undefined : Number(cs) };
}

/** Hints for Entra ID failures that depend on where the 403 came from. */
const ENTRA_HINTS = {
  delegationKey:
    'Getting a user delegation key needs the "Storage Blob Delegator" role (or a data role) on the source account; without it the source is read with your token, which needs "Storage Blob Data Reader" there.',
  sourceRole: 'With Entra ID the identity lacks "Storage Blob Data Reader" (or Contributor) on the source account: assign it in Access control (IAM), then retry. With a SAS: it lacks read/list permission.',
  destinationRole: 'With Entra ID the identity lacks "Storage Blob Data Contributor" on the destination account: assign it in Access control (IAM), then retry. With a SAS: it lacks write/create permission.',
  signIn: 'Sign in to Azure again: in VS Code, the Accounts menu (Microsoft); for the CLI, `az login` or the AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET variables.',
} as const;

/** @azure/identity's errors for "no token": the user has to sign in (again). */
function isSignInError(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'CredentialUnavailableError' || name === 'AuthenticationRequiredError' || name === 'AuthenticationError' || name === 'AggregateAuthenticationError';
}

function requestUrl(err: unknown): string {
  const url = (err as { request?: { url?: unknown } } | undefined)?.request?.url;
  return typeof url === 'string' ? url : '';
}

const HINTS: Record<string, string> = {
  AuthorizationFailure: 'Check the credentials: the SAS may have expired or lack the needed permission, or the account key is wrong.',
  AuthorizationPermissionMismatch:
    'The credentials lack a permission for this operation: a SAS needs read on the source and write/create on the destination; with Entra ID the identity needs "Storage Blob Data Reader" on the source and "Storage Blob Data Contributor" on the destination (storage account → Access control (IAM); assignments take a few minutes to apply).',
  AuthenticationFailed: 'The request was not authenticated: with an account key or SAS check the key or refresh the SAS; with Entra ID sign in again (the token expired or is for another tenant).',
  InvalidAuthenticationInfo: 'The Entra ID token was rejected (expired, or for another tenant): sign in again.',
  NoAuthenticationInformation: 'The request carried no credentials: the container is private. Connect with Entra ID, an account key or a SAS.',
  KeyBasedAuthenticationNotPermitted: 'This account disables shared key access: connect with Entra ID (sign in) instead of the account key or a key-signed SAS.',
  CannotVerifyCopySource: 'The service could not read the source: it is private, or its SAS expired or lacks read permission.',
  ContainerNotFound: 'The container does not exist: create it first.',
  BlobNotFound: 'Check the name; the blob may have been deleted since the plan was made.',
  BlobAlreadyExists: 'The destination exists and the conflict policy is "skip": choose "overwrite" or "rename" to copy anyway.',
  ConditionNotMet: 'The source changed during the copy: run the copy again to copy its new content.',
  SourceConditionNotMet: 'The source changed during the copy: run the copy again to copy its new content.',
  TargetConditionNotMet: 'The destination changed during the copy: check who else writes it and run the copy again.',
  PendingCopyOperation: 'A Copy Blob to this destination is still pending: wait for it or abort it.',
  NoPendingCopyOperation: 'There is no pending copy to abort: it already finished.',
  APINotImplemented: 'This server does not implement the operation: choose strategy "auto" or another strategy.',
  ServerBusy: 'The service is throttling: lower the concurrency and retry.',
  OperationTimedOut: 'The operation timed out: retry, or use smaller blocks.',
  InvalidBlobOrBlock: 'The block list is inconsistent: retry the job (it restages missing blocks).',
  InvalidBlockList: 'The staged blocks expired or were replaced: retry the job from the start.',
  LeaseIdMissing: 'The destination has an active lease: break the lease or choose another destination.',
  BlobArchived: 'The source is in the Archive tier: rehydrate it first.',
  AccountIsDisabled: 'The storage account is disabled.',
};

function copySourceMessage(err: unknown): string {
  const m = (err as RestLike | undefined)?.details?.copySourceErrorMessage;
  return typeof m === 'string' ? m : '';
}

/**
 * A failure to read the copy source, worded by what the service said of it (its copy-source status and code when it
 * sends them): each cause with its own hint, and "expired" only when the service says the SAS's time is over.
 */
function copySourceError(what: string, d: ReturnType<typeof restDetails>, code: string | undefined, text: string): { message: string; hint: string } {
  const status = d.copySourceStatus ?? d.status;
  const said = d.copySourceStatus !== undefined ? ` (the source answered ${d.copySourceStatus}${d.copySourceCode ? ` ${d.copySourceCode}` : ''})` : '';
  if (status === 404 || code === 'BlobNotFound' || code === 'ContainerNotFound') {
    return { message: `${what}: the source was not found (it may have been deleted)${said}.`, hint: 'Refresh the source and plan the copy again.' };
  }
  if (status === 412 || code === 'ConditionNotMet' || code === 'SourceConditionNotMet') {
    return { message: `${what}: the source changed during the copy${said}.`, hint: HINTS.ConditionNotMet };
  }
  if (code === 'BlobArchived') {
    return {
      message: `${what}: the source is in the Archive tier, which cannot be read${said}.`,
      hint: 'Rehydrate the source first (set its tier to Hot or Cool; this takes hours), then copy again.',
    };
  }
  if ((status === 403 || code === 'AuthenticationFailed') && /expir|time frame/i.test(text)) {
    return { message: `${what}: the source's SAS has expired${said}.`, hint: 'Use a source URL with a SAS that is valid for the whole copy, or a connection with the account key / Entra ID.' };
  }
  if (status === 401 || code === 'NoAuthenticationInformation' || code === 'PublicAccessNotPermitted') {
    return {
      message: `${what}: the source is private and the service got no credentials to read it${said}.`,
      hint: 'Give the destination account read access to the source: a SAS with read permission, or a connection with the account key / Entra ID role.',
    };
  }
  if (status === 403) {
    return {
      message: `${what}: the service was not allowed to read the source${said}.`,
      hint: 'The source SAS lacks read permission (or its IP range / protocol rules exclude the service), or the identity lacks "Storage Blob Data Reader" on the source: check them and retry.',
    };
  }
  return {
    message: `${what}: the service could not read the source${said || (d.status !== undefined ? ` (HTTP ${d.status}${code ? ` ${code}` : ''})` : '')}.`,
    hint: 'Retry; if it fails again, check that the source is readable from the destination account (network rules, firewall).',
  };
}

/** Sentences for storage error codes, for answers without a body (HEAD): the header's code, but no message. */
const CODE_SENTENCES: Record<string, string> = {
  BlobNotFound: 'the blob does not exist',
  ContainerNotFound: 'the container does not exist',
  ResourceNotFound: 'the resource does not exist',
  AuthorizationFailure: 'the service refused access: the credentials lack permission for this request',
  AuthorizationPermissionMismatch: 'the credentials lack the permission this request needs',
  AuthenticationFailed: 'the service did not accept the credentials',
  InvalidAuthenticationInfo: 'the service did not accept the credentials',
  NoAuthenticationInformation: 'the request carried no credentials',
  ConditionNotMet: 'the blob changed since it was read',
  SourceConditionNotMet: 'the source changed since it was read',
  TargetConditionNotMet: 'the destination changed since it was read',
  BlobArchived: 'the blob is in the Archive tier',
  LeaseIdMissing: 'the blob has an active lease',
  ServerBusy: 'the service is busy (throttling)',
};

/** Sentences by HTTP status, when neither a message nor a known code says more. */
const STATUS_SENTENCES: Record<number, string> = {
  400: 'the service refused the request as invalid',
  401: 'the service did not accept the credentials',
  403: 'the service refused access: the credentials lack permission, or the SAS expired',
  404: 'not found',
  409: 'the request conflicts with the blob\'s current state',
  412: 'the blob changed since it was read (a condition of the request failed)',
  416: 'the requested range is not valid for this blob',
  429: 'the service is throttling requests',
  500: 'the service had an internal error',
  501: 'the server does not implement this operation',
  503: 'the service is unavailable or busy',
};

/** The failure's own first line, or (a HEAD answer has no body, so the SDK's message is empty) a sentence. */
function messageOf(err: unknown, status: number | undefined, code: string | undefined): string {
  const own = (err instanceof Error ? err.message.split('\n')[0] : String(err ?? '')).trim();
  if (own) return own;
  const sentence = (code && CODE_SENTENCES[code]) ?? (status !== undefined ? STATUS_SENTENCES[status] : undefined);
  if (sentence) return `${sentence}.`;
  if (status !== undefined) return `the service answered HTTP ${status}${code ? ` (${code})` : ''}.`;
  const e = (err ?? {}) as { code?: unknown; name?: unknown };
  const name = typeof e.code === 'string' && e.code ? e.code : e.name !== 'Error' ? e.name : undefined;
  return typeof name === 'string' && name ? `the request failed (${name}).` : 'the request failed for an unknown reason.';
}

/**
 * Turns any failure into a CopyError. `what` says what failed ("Copy a.txt → b/a.txt"); `side` which end the call
 * addressed, used to word the hint for 401/403/404.
 */
export function toCopyError(err: unknown, what: string, side: ErrorSide = 'copy'): CopyError {
  if (err instanceof CopyError) return err;
  if (isAbortError(err)) return new CopyError({ message: `${what}: canceled.`, code: 'Canceled' });
  const d = restDetails(err);
  const code = d.copySourceCode ?? d.code;
  const raw = messageOf(err, d.status, code);
  let hint = code ? HINTS[code] : undefined;
  let message = `${what}: ${raw}`;
  const copySource = d.copySourceCode !== undefined || code === 'CannotVerifyCopySource' || code === 'BlobArchived';
  if (isSignInError(err)) {
    message = `${what}: no Entra ID token: ${raw}`;
    hint = ENTRA_HINTS.signIn;
  } else if (code === 'AuthorizationPermissionMismatch' && /[?&]comp=userdelegationkey/i.test(requestUrl(err))) {
    message = `${what}: the service refused a user delegation key for the source account.`;
    hint = ENTRA_HINTS.delegationKey;
  } else if (code === 'AuthorizationPermissionMismatch' && (d.copySourceCode !== undefined || side === 'source')) {
    message = `${what}: no permission to read the source.`;
    hint = ENTRA_HINTS.sourceRole;
  } else if (code === 'AuthorizationPermissionMismatch' && side === 'destination') {
    message = `${what}: no permission to write the destination.`;
    hint = ENTRA_HINTS.destinationRole;
  } else if (d.copySourceCode === undefined && (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo')) {
    message = `${what}: the service did not accept the credentials (${code}).`;
  } else if (copySource || (side === 'source' && (d.status === 403 || d.status === 401))) {
    ({ message, hint } = copySourceError(what, d, code, `${raw} ${copySourceMessage(err)}`));
  } else if (d.status === 404 && code === 'ContainerNotFound' && side !== 'source') {
    message = `${what}: the destination container does not exist: create it.`;
    hint = HINTS.ContainerNotFound;
  } else if (d.status === 409 && code === 'BlobAlreadyExists') {
    message = `${what}: the destination already exists (someone created it during the copy).`;
  } else if (d.status === 412 && (code === 'SourceConditionNotMet' || side === 'source')) {
    message = `${what}: the source changed during the copy.`;
    hint = HINTS.ConditionNotMet;
  } else if (d.status === 501 || code === 'APINotImplemented') {
    message = `${what}: the server does not implement this operation.`;
  } else if (d.status === undefined && err && typeof err === 'object' && 'code' in err) {
    const c = String((err as { code: unknown }).code);
    if (c === 'ECONNREFUSED' || c === 'ENOTFOUND' || c === 'ECONNRESET' || c === 'ETIMEDOUT') {
      hint = 'The storage endpoint is unreachable: check the URL, the network, or start the emulator.';
    }
  }
  return new CopyError({ message, hint, status: d.status, code, requestId: d.requestId }, { cause: err });
}
