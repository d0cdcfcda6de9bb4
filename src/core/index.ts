/**
 * Public surface of the copy engine. Import from 'src/core' (this file) only; except the VS Code extension, which
 * loads this module on first use (src/extension/loadCore.ts) and imports values at start-up only from SDK-free modules
 * (redact, limits, connectionString, conflictPolicy, cost, recoverability, journal, engineOptions).
 */
export * from './base/types';
export * from './storage/connections';
export * from './storage/listing';
export * from './base/events';
export { redact } from './base/redact';
export { CopyError } from './base/errors';
export { LIMITS, validateContainerName, validateBlobName } from './base/limits';
export { withConflictPolicy } from './plan/planner';
export { CopyEngine, SETTLED_LINE } from './engine/engine';
export type { ConnectionResolver, Logger, CopyEngineOptions, BatchSummary, BatchStats, EngineTuning } from './engine/engine';
export { describeRecoverability, sourceRecoverability, type Recoverability } from './copy/move';
export { CostEstimate, describeBytes, describeCost, describeRequests, withoutPlanning, type CostValue, type CallRange } from './plan/cost';
export { createDefaultAzureCredential } from './storage/identity';
export { WorkerEngine, type WorkerEngineOptions } from './worker/workerEngine';
export { ENGINE_HEAP_MB, ENGINE_YOUNG_MB } from './worker/thread';
export type { EngineApi } from './engine/engineApi';
export { runSync, type SyncResult, type SyncRunOptions, type ExtrasOutcome } from './engine/sync';
