/** Typed reads of the `blobCopy.*` settings (contributes.configuration in package.json). */
import * as vscode from 'vscode';
import type { ConflictPolicy, EngineTuning } from '../core';
import { DEFAULT_CONCURRENCY, DEFAULT_OUTAGE_TOLERANCE_SECONDS, DEFAULT_RANGE_CONCURRENCY } from '../core/base/defaults';

export const SECTION = 'blobCopy';

export type ConflictSetting = 'ask' | ConflictPolicy;

interface Settings {
  readonly concurrency: number;
  /** The user set blobCopy.concurrency (at any level): it then caps small blobs too; unset, their number adapts. */
  readonly concurrencySet: boolean;
  readonly rangeConcurrency: number;
  /** 0 = automatic. */
  readonly blockSizeBytes: number;
  readonly defaultConflictPolicy: ConflictSetting;
  readonly openJobsOnCopy: boolean;
  /** Ask before a batch of more than one blob starts (when no conflict question is asked). */
  readonly confirmBatchCopies: boolean;
  readonly pageSize: number;
  readonly azuriteHost: string;
  readonly azuritePort: number;
  /** How long a copy waits out a storage outage or throttling before the blob fails (resumable). */
  readonly outageToleranceSeconds: number;
}

/** The settings the engine takes while it runs (configure): a change applies to the next job, without a reload. */
const TUNING_SETTINGS = ['concurrency', 'rangeConcurrency', 'blockSizeMiB', 'outageToleranceSeconds'] as const;

/**
 * The engine's tuning from the settings (a block size of 0 = auto: the engine's default, raised for huge blobs; a
 * concurrency of 0 = not set: 8 blobs, and small blobs as many as the account takes, up to the engine's cap).
 */
export function engineTuning(s: Settings): EngineTuning {
  return { concurrency: s.concurrencySet ? s.concurrency : 0, rangeConcurrency: s.rangeConcurrency, blockSizeBytes: s.blockSizeBytes, outageToleranceSeconds: s.outageToleranceSeconds };
}

/** Whether a configuration change touches a setting the engine takes while it runs. */
export function affectsTuning(e: { affectsConfiguration(section: string): boolean }): boolean {
  return TUNING_SETTINGS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}

const POLICIES: readonly ConflictSetting[] = ['ask', 'overwrite', 'skip', 'rename', 'if-source-newer'];

function clampInt(value: unknown, min: number, max: number, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(n)));
}

function isSet(i: { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown } | undefined): boolean {
  return i !== undefined && (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const block = c.get<number | string>('blockSizeMiB', 0);
  const blockMiB = block === 'auto' ? 0 : clampInt(block, 0, 4000, 0);
  const policy = c.get<string>('defaultConflictPolicy', 'ask') as ConflictSetting;
  return {
    concurrency: clampInt(c.get('concurrency'), 1, 64, DEFAULT_CONCURRENCY),
    concurrencySet: isSet(c.inspect('concurrency')),
    rangeConcurrency: clampInt(c.get('rangeConcurrency'), 1, 32, DEFAULT_RANGE_CONCURRENCY),
    blockSizeBytes: blockMiB * 1024 * 1024,
    defaultConflictPolicy: POLICIES.includes(policy) ? policy : 'ask',
    openJobsOnCopy: c.get<boolean>('openJobsOnCopy', true),
    confirmBatchCopies: c.get<boolean>('confirmBatchCopies', true),
    pageSize: clampInt(c.get('pageSize'), 1, 5000, 200),
    azuriteHost: c.get<string>('azurite.host', '127.0.0.1') || '127.0.0.1',
    azuritePort: clampInt(c.get('azurite.port'), 1, 65535, 10000),
    outageToleranceSeconds: clampInt(c.get('outageToleranceSeconds'), 0, 7 * 24 * 3600, DEFAULT_OUTAGE_TOLERANCE_SECONDS),
  };
}
