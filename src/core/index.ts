/**
 * Public surface of the copy engine. Import from 'src/core' (this file) only; except the VS Code extension, which
 * loads this module on first use (src/extension/loadCore.ts) and imports values at start-up only from SDK-free modules
 * (redact, limits, connectionString, conflictPolicy, cost, recoverability, journal, engineOptions).
 */
export * from './types';
export * from './connections';
export * from './listing';
export * from './events';
export { redact } from './redact';
export { CopyError } from './errors';
export { LIMITS, validateContainerName, validateBlobName } from './limits';
export { withConflictPolicy } from './planner';
export { CopyEngine, SETTLED_LINE } from './engine';
export type { ConnectionResolver, Logger, CopyEngineOptions, BatchSummary, BatchStats, EngineTuning } from './engine';
export { describeRecoverability, sourceRecoverability, type Recoverability } from './move';
export { CostEstimate, describeBytes, describeCost, describeRequests, withoutPlanning, type CostValue, type CallRange } from './cost';
export { createDefaultAzureCredential } from './identity';
export { WorkerEngine, ENGINE_HEAP_MB, type WorkerEngineOptions } from './workerEngine';
export type { EngineApi } from './engineApi';
