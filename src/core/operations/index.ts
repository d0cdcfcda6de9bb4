/** The registry of copy operations: the engine looks an operation up here and never branches on its id. */
import type { CopyOperation } from '../base/types';
import { appendBlockFromUrl } from './appendBlockFromUrl';
import { copyBlob } from './copyBlob';
import { copyBlobFromUrl } from './copyBlobFromUrl';
import { putBlobFromUrl } from './putBlobFromUrl';
import { putBlockFromUrl } from './putBlockFromUrl';
import { putPageFromUrl } from './putPageFromUrl';
import type { CopyOperationModule, JobProgress } from './types';

const MODULES: { readonly [O in CopyOperation]: CopyOperationModule<O> } = {
  'copy-blob': copyBlob,
  'copy-blob-from-url': copyBlobFromUrl,
  'put-blob-from-url': putBlobFromUrl,
  'put-block-from-url': putBlockFromUrl,
  'append-block-from-url': appendBlockFromUrl,
  'put-page-from-url': putPageFromUrl,
};

export function operationModule(op: CopyOperation): CopyOperationModule {
  return MODULES[op] as unknown as CopyOperationModule;
}

/** Fresh progress for an operation, in the given generation. */
export function freshProgress(op: CopyOperation, generation: number): JobProgress {
  return { generation, ...MODULES[op].initial() };
}

/**
 * Progress read from a journal record. Records written before progress was tagged by operation hold the same fields
 * flat (generation, staged, blockSize, …, copyId, created): they are adopted for the record's operation.
 */
export function progressFromRecord(op: CopyOperation, stored: Record<string, unknown> | undefined): JobProgress {
  const generation = typeof stored?.generation === 'number' ? stored.generation : 0;
  const fresh = freshProgress(op, generation);
  if (!stored || (stored.op !== undefined && stored.op !== op)) return fresh;
  return { ...fresh, ...stored, op, generation } as JobProgress;
}

export { pendingCopyId } from './copyBlob';
export type { JobProgress, OperationContext, Outcome } from './types';
