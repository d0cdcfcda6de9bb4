/**
 * One module per REST copy operation, behind one small interface. The engine schedules jobs and never branches on
 * which operation a job runs: it asks the operation to run, to clean up after a cancel/failure, and it journals the
 * operation's progress (a tagged union, one shape per operation) so a new process can resume.
 */
import type { Logger } from '../base/log';
import type { SourceAccess } from '../storage/auth';
import type { BlobClient, BlobHTTPHeaders, Metadata, Tags } from '@azure/storage-blob';
import type { BlobTarget } from '../storage/blobRequests';
import type { CopyOperation, PlannedCopy } from '../base/types';
import type { RestCall } from '../../shared/vocabulary';

/** What each operation remembers between calls and across processes (journaled). */
type OperationProgress =
  | { readonly op: 'copy-blob'; copyId?: string }
  | { readonly op: 'copy-blob-from-url' }
  | { readonly op: 'put-blob-from-url' }
  | { readonly op: 'put-block-from-url'; blockSize?: number; blockCount?: number; staged: number[] }
  | { readonly op: 'append-block-from-url'; created: boolean; appendedOffset: number; createdAt?: number }
  | { readonly op: 'put-page-from-url'; created: boolean; copiedPages: number[]; createdAt?: number };

export type ProgressOf<O extends CopyOperation> = Extract<OperationProgress, { op: O }>;

/** A job's progress: the generation (bumped when progress is discarded, so block ids never collide) + the operation's. */
export type JobProgress = { generation: number; move?: MoveProgress } & OperationProgress;

/**
 * A move's phase, journaled with the progress: 'copied' = the destination is committed and verified
 * (its ETag recorded) and the source is still to be deleted; a resumed job in that phase re-verifies and deletes
 * instead of copying again. Fresh progress (a new copy) has none.
 */
export interface MoveProgress {
  phase: 'copied' | 'source-deleted';
  /** The destination's ETag after the verified copy. */
  destEtag: string;
  /** The source ETag the copy pinned (the delete's If-Match). */
  sourceEtag: string;
  /** Set when the source was kept: why (a retry copies again only for 'source-changed'). */
  kept?: 'source-changed' | 'snapshots' | 'destination-changed' | 'no-permission';
}

/** What an attempt copies from where to where; with the job's progress it becomes an OperationContext. */
export interface PreparedCopy {
  readonly access: SourceAccess;
  source(): BlobClient;
  /** The destination blob: its URL, its SDK client (built on first use) and the small copy's one request. */
  readonly dest: BlobTarget;
  readonly destOrigin: string;
  readonly headers: BlobHTTPHeaders;
  readonly metadata: Metadata;
  readonly tier?: string;
  readonly tags?: Tags;
  readonly etag: string;
  readonly destConditions: DestConditions;
}

/** The destination's write conditions: none (overwrite), or If-None-Match "*" (it must not exist). */
export interface DestConditions {
  readonly ifNoneMatch?: '*';
}

/**
 * Everything an operation needs for one attempt: what source.ts prepared (how the service reads the source, the
 * clients, the headers, metadata, tier and tags to write, the pinned source ETag, the destination's conditions) and
 * the job's progress and callbacks (runner.ts).
 */
export interface OperationContext<P extends OperationProgress = OperationProgress> extends Omit<PreparedCopy, 'destOrigin'> {
  readonly jobId: string;
  readonly generation: number;
  readonly item: PlannedCopy;
  readonly signal: AbortSignal;
  /** "Copy a/b → c/d", the prefix of every message. */
  readonly what: string;
  readonly progress: P;
  readonly rangeConcurrency: number;
  /** Default block size for Put Block From URL. */
  readonly blockSize: number;
  readonly log: Logger;
  setBytes(bytes: number): void;
  addBytes(bytes: number): void;
  /** Journal the progress now (after a step that must survive a crash). */
  persist(): void;
  /** The service accepted the copy and runs it in the background (Copy Blob). */
  markPending(): void;
}

interface OperationResult {
  /**
   * The operation's one request carried content, headers, metadata, tier and tags, pinned to the source ETag: the
   * destination is complete, so no verifying HEAD is needed.
   */
  readonly complete: boolean;
}

export type Outcome = 'canceled' | 'failed' | 'aborted';

/** A REST call a copy makes: how many for sure, and how many more at most (e.g. ranges not known before listing). */
type CallCount = readonly [call: RestCall, certain: number, maybe?: number];

export interface CopyOperationModule<O extends CopyOperation = CopyOperation> {
  readonly id: O;
  /** The calls one blob of `size` bytes costs with this operation, before any verification (the cost preview). */
  calls(size: number, blockSizeBytes: number): readonly CallCount[];
  /**
   * One request carries the content, headers, metadata, tier and tags, pinned to the source ETag: no verifying HEAD
   * and no Set Blob Tags afterwards.
   */
  readonly oneCall?: boolean;
  /** A server may lack it (the emulator does): with auto, the first small copy at a server asks, the others wait. */
  readonly probed?: boolean;
  /** May stay pending on the service, polled until it completes (the cost preview counts the polls as unknown). */
  readonly polls?: boolean;
  /** Stops a copy still pending on the service (Abort Copy Blob). */
  abort?(dest: BlobClient, progress: ProgressOf<O>): Promise<void>;
  /** Progress of a fresh attempt. */
  initial(): ProgressOf<O>;
  run(ctx: OperationContext<ProgressOf<O>>): Promise<OperationResult>;
  /** Removes what a canceled / failed / aborted attempt left visible; staged-but-uncommitted work may stay. */
  /** Resolves 'kept' when it found the destination is no longer this copy's to remove (someone wrote it anew). */
  cleanup?(ctx: OperationContext<ProgressOf<O>>, outcome: Outcome, wasPending: boolean): Promise<'kept' | void>;
  /** Whether cleanup has something to remove (asked without a request, e.g. while storage does not answer). */
  leavesPartial?(progress: ProgressOf<O>, outcome: Outcome, wasPending: boolean): boolean;
}
