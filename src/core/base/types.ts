/**
 * The engine's public contract, shared by the extension shells, the CLI and the tests.
 * No `vscode` import here or anywhere under src/core.
 */

import type { BlobType, CopyOperation, JobState, RestCall, StrategyChoice, StrategyId } from '../../shared/vocabulary';

export type { BlobType, CopyOperation, JobState, StrategyChoice, StrategyId } from '../../shared/vocabulary';
export { FINAL_STATES, isActive, isFinal, isRetryable } from '../../shared/vocabulary';

/** What to do when the destination blob exists. */
export type ConflictPolicy = 'overwrite' | 'skip' | 'rename' | 'if-source-newer';

/** A place in storage, named by a connection id the caller can resolve to credentials (see CopyEngineOptions). */
export interface BlobLocation {
  /** Id of a connection known to the caller's ConnectionResolver. */
  readonly connectionId: string;
  readonly container: string;
  /** A blob name, or a prefix ending in "/" (virtual folder), or "" (whole container). */
  readonly path: string;
}

/** A copy source: a location in a known connection, or any http(s) URL (public, or carrying its own SAS). */
export type CopySource = { readonly kind: 'location'; readonly location: BlobLocation } | { readonly kind: 'url'; readonly url: string };

export interface CopyOptions {
  readonly strategy?: StrategyChoice;
  readonly conflict?: ConflictPolicy;
  /** Globs: without "/" they match the base name; with "/" the path below the source prefix. */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  /** Carry blob index tags (default true). */
  readonly tags?: boolean;
  /** Carry the access tier (default true). */
  readonly tier?: boolean;
  readonly blockSizeBytes?: number;
  readonly dryRun?: boolean;
  /**
   * Move: delete each source after its copy is committed and verified, with If-Match on the source ETag
   * pinned at plan time. A skipped, failed or canceled copy never deletes its source.
   */
  readonly move?: boolean;
  /** With move: also delete the source's snapshots (`deleteSnapshots: 'include'`); else a source with snapshots is kept. */
  readonly includeSnapshots?: boolean;
  /**
   * Archived sources: copy them with Copy Blob to the Hot tier at this rehydrate priority (the one way Azure copies an
   * archived blob; within its own account only). Without it an archived source is refused by name.
   */
  readonly rehydrate?: RehydratePriority;
  /** A plan that finds no blob is not an error (by default "nothing to copy" fails: a mistyped folder or filter). */
  readonly allowEmpty?: boolean;
  /** Sync: copy only the names that are new or changed at the source (see plan/sync.ts); one folder source only. */
  readonly sync?: SyncOptions;
}

/** How a sync decides that a name present at both ends changed (see plan/sync.ts). */
export type SyncCompare = 'auto' | 'size' | 'md5' | 'time';

export interface SyncOptions {
  /** auto (default): length, then Content-MD5 where both have one, else a later source last-modified. */
  readonly compare?: SyncCompare;
  /**
   * A file the plan appends each extra (name, ETag) to, one JSON line each, and a last line with the groups once both
   * listings were read to their end: what deletes the extras reads (nothing is held in memory).
   */
  readonly reportFile?: string;
  /**
   * The extras are to be deleted once every copy is verified (runSync does it): journaled with the batch, so a resume
   * of its copies (which cannot delete them: the run that would is gone) ends partial and says so.
   */
  readonly deleteExtras?: boolean;
}

/** A sync's group: how many names, their bytes, and the first names (at most SYNC_FIRST_NAMES). */
export interface SyncGroupTally {
  count: number;
  bytes: number;
  readonly first: string[];
}

/** The groups of a sync: new and changed are copied, same are left alone, extra are only at the destination. */
export interface SyncTally {
  readonly new: SyncGroupTally;
  readonly changed: SyncGroupTally;
  readonly same: SyncGroupTally;
  readonly extra: SyncGroupTally;
}

export type RehydratePriority = 'standard' | 'high';

/** A blob the listing saw but the plan could not copy (an invalid destination name, an archived source, …). */
export interface Refusal {
  /** The source blob's name. */
  readonly source: string;
  /** Why, in a sentence. */
  readonly reason: string;
  /** An archived source that a rehydrating copy could copy (same account): the copy can be asked again with it. */
  readonly rehydratable?: boolean;
}

/**
 * A folder copy (a streamed batch) the journal holds that stopped while listing: a resume lists on from its position.
 * Its copies in flight at the stop may have no record of their own (unfinished() does not list them).
 */
export interface UnfinishedBatch {
  readonly batchId: string;
  /** Its sources as `container/path` (a URL source without its query). */
  readonly sources: readonly string[];
  /** Its destination as `container/path`. */
  readonly destination: string;
  /** A sync (its extras, when it was to delete them, are not all deleted). */
  readonly sync?: boolean;
}

/** Refusals of a plan or batch: how many, and the first of them (the rest are counted, not kept). */
export interface Refusals {
  readonly count: number;
  readonly first: readonly Refusal[];
}

export interface CopyRequest {
  readonly sources: readonly CopySource[];
  /** Destination container + prefix ("" or ending in "/"), or a full blob name when copying one blob to a new name. */
  readonly destination: BlobLocation;
  readonly options?: CopyOptions;
}

export type ConflictState = 'none' | 'exists' | 'exists-newer' | 'exists-older';

export interface PlannedCopy {
  readonly source: CopySource;
  readonly sourceName: string;
  readonly destination: BlobLocation;
  readonly strategy: StrategyId;
  readonly blobType: BlobType;
  readonly size: number;
  readonly conflict: ConflictState;
  /** What the conflict policy decides: copy, skip, or copy to a renamed destination. */
  readonly action: 'copy' | 'skip' | 'rename';
  // ---- Optional details the planner fills in (added compatibly; older plans may lack them). ----
  /** The REST operation the strategy runs: the strategy itself, or Copy Blob From URL (synchronous Copy Blob). */
  readonly operation?: CopyOperation;
  /** What the request asked for ('auto' lets the engine fall back when a server lacks an operation). */
  readonly requestedStrategy?: StrategyChoice;
  /** Source ETag at planning time: the copy pins it (a source changed since then fails clearly). */
  readonly sourceEtag?: string;
  /** Source Last-Modified at planning time (ISO 8601). */
  readonly sourceLastModified?: string;
  /** Source Content-MD5 (base64), when it has one. */
  readonly contentMD5?: string;
  /** Source and destination are in the same storage account (Copy Blob moves no bytes). */
  readonly sameAccount?: boolean;
  /** The destination the names map to, before any rename. */
  readonly intendedDestination?: BlobLocation;
  /** A free "name (n).ext" destination, computed when the intended one exists (used by the rename policy). */
  readonly renameDestination?: BlobLocation;
  /** Why the planner chose this strategy (shown in the plan). */
  readonly reason?: string;
  /** Source properties from the listing (lets the copy skip a HEAD per blob; the ETag pin keeps it safe). */
  readonly sourceProperties?: SourceProperties;
  /** An archived source copied by a rehydrating Copy Blob (to the Hot tier) at this priority. */
  readonly rehydrate?: RehydratePriority;
}

/** Content headers, metadata, tags and tier of a source blob as the planner saw them. */
export interface SourceProperties {
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly contentDisposition?: string;
  readonly cacheControl?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Blob index tags; undefined when the listing could not include them. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly tagsKnown: boolean;
  /** Explicit access tier (undefined when inferred). */
  readonly accessTier?: string;
}


export interface CopyPlan {
  readonly id: string;
  readonly request: CopyRequest;
  readonly items: readonly PlannedCopy[];
  readonly totals: { readonly count: number; readonly bytes: number; readonly conflicts: number; readonly skipped: number };
  /** Things the user should know about the plan (e.g. a forced strategy that does not fit a blob type). */
  readonly warnings?: readonly string[];
  /** Cost preview: REST calls per operation and bytes within / across accounts (see cost.ts). */
  readonly cost?: CostValue;
  /** Blobs listed but not planned: a batch started from this plan is partial, naming them. */
  readonly refused?: Refusals;
  /** Outages the plan's listing waited out (plan/throughOutages.ts): the longest wait, and why. */
  readonly waitedForStorage?: PlanWaits;
}

/** Outages a plan's listing waited out: the longest wait (s) and the reasons. */
export interface PlanWaits {
  readonly longestSeconds: number;
  readonly reasons: readonly string[];
}

/** A snapshot of one job, as events carry it (safe to show: no secrets, URLs redacted). */
export interface JobSnapshot {
  readonly id: string;
  readonly batchId: string;
  /** The source for display: "container/path", or the URL without its query. */
  readonly source: string;
  /** The destination for display: "container/path". */
  readonly destination: string;
  /** The source blob, when it is in a known connection (URL sources have none). */
  readonly sourceLocation?: BlobLocation;
  /** The destination blob (after any rename by the conflict policy). */
  readonly destinationLocation: BlobLocation;
  readonly strategy: StrategyId;
  readonly state: JobState;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second over the recent window. */
  readonly throughput: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: ErrorInfo;
  /** Copy Blob's copy id while pending (for abort). */
  readonly copyId?: string;
  readonly attempts: number;
  /** The REST operation running now (differs from the planned one after a capability fallback). */
  readonly operation?: CopyOperation;
  /** Set while the job waits for storage to answer again: why, since when and when it tries next (epoch ms). */
  readonly waiting?: WaitingInfo;
  /** A Copy Blob from an archived source, pending while the service rehydrates it (hours on Azure; abortable). */
  readonly rehydrating?: boolean;
}

export interface WaitingInfo {
  /** "connection refused", "503 ServerBusy", … */
  readonly reason: string;
  readonly since: number;
  readonly nextTryAt: number;
}

export interface ErrorInfo {
  /** What failed, in a sentence. */
  readonly message: string;
  /** What the user can do. */
  readonly hint?: string;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
}

// ---- the cost preview's value (computed in cost.ts)

/** Calls of one REST operation: exactly `min` when min = max, else between them (known only while copying). */
export interface CallRange {
  readonly min: number;
  readonly max: number;
}

export interface CostValue {
  /** REST operation → calls, planning included. Where the count is not exact (see `ranges`), its upper bound. */
  readonly requests: Partial<Record<RestCall, number>>;
  /** The operations whose count is only bounded: their lower and upper bounds. */
  readonly ranges: Partial<Record<RestCall, CallRange>>;
  /** The planning calls alone (listing the sources, probing the destination), part of `requests`. */
  readonly planning: Partial<Record<RestCall, number>>;
  readonly bytes: {
    /** Bytes copied within one storage account (Copy Blob there moves no bytes at all). */
    readonly sameAccount: number;
    /** Bytes read from another account (egress when the accounts are in different regions). */
    readonly crossAccount: number;
  };
  /** Blobs whose Copy Blob may stay pending: each then polls (Get Blob Properties), not counted above. */
  readonly mayPoll: number;
}
