import type { StoragePipelineOptions } from '@azure/storage-blob';
import type { AccountClient } from './connections';
import type { Disposable } from './events';
import type { CopyPlan, CopyRequest, JobSnapshot } from './types';

export type ConnectionResolver = (connectionId: string) => Promise<AccountClient>;
export interface Logger { info(m: string): void; warn(m: string): void; error(m: string): void; debug?(m: string): void }
export interface CopyEngineOptions {
  resolve: ConnectionResolver;
  journalDir?: string;
  concurrency?: number;
  rangeConcurrency?: number;
  blockSizeBytes?: number;
  log?: Logger;
  pipelineOptions?: StoragePipelineOptions;
}
export interface BatchSummary { batchId: string; total: number; succeeded: number; skipped: number; failed: number; canceled: number; aborted: number; bytes: number; done: boolean }

const todo = (): never => { throw new Error('CopyEngine: not implemented yet'); };

export class CopyEngine {
  constructor(readonly options: CopyEngineOptions) {}
  plan(_request: CopyRequest, _signal?: AbortSignal): Promise<CopyPlan> { return todo(); }
  start(_plan: CopyPlan): string { return todo(); }
  copy(_request: CopyRequest, _signal?: AbortSignal): Promise<BatchSummary> { return todo(); }
  jobs(): JobSnapshot[] { return []; }
  batch(_batchId: string): BatchSummary | undefined { return undefined; }
  onJob(_listener: (job: JobSnapshot) => void): Disposable { return { dispose: () => undefined }; }
  onBatch(_listener: (b: BatchSummary) => void): Disposable { return { dispose: () => undefined }; }
  cancel(_jobId: string): void { todo(); }
  cancelBatch(_batchId: string): void { todo(); }
  retry(_jobId: string): void { todo(); }
  abort(_jobId: string): Promise<void> { return todo(); }
  clearFinished(): void { /* stub */ }
  unfinished(): Promise<JobSnapshot[]> { return Promise.resolve([]); }
  resume(): Promise<string[]> { return Promise.resolve([]); }
  whenIdle(): Promise<void> { return Promise.resolve(); }
  dispose(): void { /* stub */ }
}
