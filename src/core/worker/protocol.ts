/**
 * Messages between the extension host's thread and the engine's worker thread (WorkerEngine ↔ serveEngine). Only
 * data crosses (structured clone): snapshots, summaries, plans, error info. Secrets cross only as a connection's
 * spec, inside the one process, never to the webview or a log.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { TimingOptions } from '../operations/operationChoice';
import type { ConnectionSpec } from '../storage/connections';
import type { EngineTuning } from '../engine/engineOptions';
import type { BatchSummary } from '../engine/jobEvents';
import { CopyError } from '../base/errors';
import type { ErrorInfo, JobSnapshot } from '../base/types';
import type { CrossingOptions } from './crossing';
import type { PlanWaiting } from '../plan/wholePlan';

/** workerData: marks the thread as the engine's and carries the engine's options. */
export interface WorkerInit {
  readonly blobCopyEngineWorker: true;
  readonly journalDir?: string;
  readonly retainFinished?: number;
  readonly batchWindow?: number;
  readonly tuning: EngineTuning;
  readonly operationChoice?: TimingOptions;
  /** The host thread's trusted CA certificates (PEM), when Node can list them: the worker trusts the same. */
  readonly ca?: readonly string[];
  /** Also trust the operating system's certificates (VS Code's http.systemCertificates). */
  readonly systemCertificates?: boolean;
  /** An HTTP(S) proxy for every storage request (VS Code's http.proxy); else the SDK reads HTTPS_PROXY. */
  readonly proxyUrl?: string;
  /** Whether debug lines cross to the host (one per blob copied: only when its log shows them). */
  readonly debugLog: boolean;
  /** The engine bundle compiled with a V8 code cache (see codeCacheBoot in thread.ts). */
  readonly codeCache?: { readonly main: string; readonly file: string };
  /** Which job events cross (tests set smaller numbers; see crossing.ts). */
  readonly crossing?: CrossingOptions;
  /** Set: Int32Array over it, [0] becomes 1 when dispose() finished (the journal is on disk). */
  readonly disposed: SharedArrayBuffer;
}

/** Engine methods answered by the worker (the rest are served from the mirror or posted); `heap`: the worker's V8 heap. */
export const CALLS = ['plan', 'startStreaming', 'copy', 'waitForBatch', 'summarize', 'abort', 'unfinished', 'unfinishedBatches', 'resume', 'whenIdle', 'batchStats', 'heap'] as const;
export type CallName = (typeof CALLS)[number];
/** Calls whose last parameters are an AbortSignal (and for summarize, onPage): the worker makes them. */
export const WITH_SIGNAL: ReadonlySet<CallName> = new Set(['plan', 'startStreaming', 'copy', 'waitForBatch', 'summarize']);

/** Engine methods without an answer (fire and forget). */
export const POSTS = ['configure', 'start', 'cancel', 'cancelBatch', 'retry', 'clearFinished', 'syncEnded'] as const;
export type PostName = (typeof POSTS)[number];

/** A failure as it crosses: a CopyError's info, or a plain error's name and message. */
type WireError = { readonly info: ErrorInfo } | { readonly name: string; readonly message: string };

export type EngineEvent =
  | { readonly k: 'job'; readonly job: JobSnapshot }
  /**
   * A newer snapshot of a job the host holds: only the fields that changed (a field in `gone` is no longer there).
   * A job's first event is whole; a small copy's queued → running → done then cost the host and the worker's
   * serializer a third of the snapshots (the host's heap grew with them).
   */
  | { readonly k: 'jobDelta'; readonly id: string; readonly changed: Partial<JobSnapshot>; readonly gone?: readonly string[] }
  | { readonly k: 'batch'; readonly summary: BatchSummary }
  | { readonly k: 'removed'; readonly ids: readonly string[] }
  /** The engine forgot a batch (Clear Finished after it was done). */
  | { readonly k: 'batchGone'; readonly batchId: string };

export type ToWorker =
  | { readonly t: 'call'; readonly id: number; readonly method: CallName; readonly args: readonly unknown[] }
  | { readonly t: 'abort'; readonly id: number }
  | { readonly t: 'post'; readonly method: PostName; readonly args: readonly unknown[] }
  | { readonly t: 'answer'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'answer'; readonly id: number; readonly ok: false; readonly error: WireError }
  /** Connections changed: resolve them again. */
  | { readonly t: 'forget' }
  | { readonly t: 'debugLog'; readonly on: boolean }
  | { readonly t: 'dispose' };

export type FromWorker =
  | { readonly t: 'events'; readonly events: readonly EngineEvent[] }
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly t: 'page'; readonly id: number; readonly items: readonly unknown[]; readonly count: number; readonly waiting?: PlanWaiting }
  | { readonly t: 'request'; readonly id: number; readonly method: 'spec'; readonly args: readonly [connectionId: string] }
  | { readonly t: 'request'; readonly id: number; readonly method: 'getToken'; readonly args: readonly [connectionId: string, scopes: string | string[], options: TokenOptions] }
  | { readonly t: 'log'; readonly level: 'info' | 'warn' | 'error' | 'debug'; readonly message: string };

/** The parts of GetTokenOptions that cross (no abort signal, no tracing). */
export interface TokenOptions {
  readonly tenantId?: string;
  readonly claims?: string;
  readonly enableCae?: boolean;
}

/** The answer to the worker's `spec` request: the spec, and the host's CA list when it changed since the last one sent. */
export interface SpecAnswer {
  readonly spec: WireSpec;
  readonly ca?: readonly string[];
}

/** A connection's spec as it crosses: a token connection without its credential (tokens are asked for one by one). */
type WireSpec = Exclude<ConnectionSpec, { kind: 'token' }> | { readonly kind: 'token'; readonly accountName: string; readonly blobEndpoint?: string };

export function toWireSpec(spec: ConnectionSpec): WireSpec {
  if (spec.kind !== 'token') return spec;
  return { kind: 'token', accountName: spec.accountName, blobEndpoint: spec.blobEndpoint };
}

export function fromWireSpec(spec: WireSpec, credential: () => TokenCredential): ConnectionSpec {
  return spec.kind === 'token' ? { ...spec, credential: credential() } : spec;
}

/** The error a WireError stands for on the receiving side: a CopyError again, or a plain Error with its name. */
export function fromWireError(e: WireError): Error {
  if ('info' in e) return new CopyError(e.info);
  return Object.assign(new Error(e.message), { name: e.name });
}

export function toWireError(e: unknown): WireError {
  const info = (e as { info?: ErrorInfo } | undefined)?.info;
  if (info && typeof info.message === 'string') return { info };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** A job's event for the host, which holds `held` of it (undefined: nothing): the whole snapshot, or what changed. */
export function jobEvent(job: JobSnapshot, held: JobSnapshot | undefined): EngineEvent {
  if (!held) return { k: 'job', job };
  const now = job as unknown as Record<string, unknown>;
  const before = held as unknown as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  let gone: string[] | undefined;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null;
  for (const key in now) {
    const a = before[key];
    const b = now[key];
    // Nested values (locations, error, waiting) are rebuilt with each snapshot: compared by content.
    const same = key in before && (a === b || (isObject(a) && isObject(b) && JSON.stringify(a) === JSON.stringify(b)));
    if (!same) changed[key] = b;
  }
  for (const key in before) if (!(key in now)) (gone ??= []).push(key);
  return gone ? { k: 'jobDelta', id: job.id, changed, gone } : { k: 'jobDelta', id: job.id, changed };
}

/** The snapshot a jobDelta makes of the one held (none held: none). */
export function applyJobDelta(held: JobSnapshot | undefined, e: { readonly changed: Partial<JobSnapshot>; readonly gone?: readonly string[] }): JobSnapshot | undefined {
  if (!held) return undefined;
  const next: Record<string, unknown> = { ...held, ...e.changed };
  for (const key of e.gone ?? []) delete next[key];
  return next as unknown as JobSnapshot;
}
