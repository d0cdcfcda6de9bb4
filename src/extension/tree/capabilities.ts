/**
 * What commands ask of the things they are given: a copy source, a copy target, a location. Tree nodes answer
 * through their `copySource` / `copyTarget` getters; plain objects from API callers answer by their shape.
 * No `vscode` here (plain-Node tests load it).
 */
import type { BlobLocation, BlobType } from '../../core';

/** Something that can be copied: a blob, a virtual folder or a whole container. */
export interface CopySourceInfo {
  readonly sourceKind: 'blob' | 'folder' | 'container';
  readonly location: BlobLocation;
  readonly blobType?: BlobType;
  readonly size?: number;
}

export type SourceKind = CopySourceInfo['sourceKind'];

export function isLocation(value: unknown): value is BlobLocation {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.connectionId === 'string' && typeof v.container === 'string' && typeof v.path === 'string';
}

/** The capability check commands use: anything with a `copySource` (tree node, or a plain object in tests). */
export function copySourceOf(value: unknown): CopySourceInfo | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const s = (value as { copySource?: unknown }).copySource;
  if (s && typeof s === 'object' && 'location' in s && 'sourceKind' in s) return s as CopySourceInfo;
  return undefined;
}

export function copyTargetOf(value: unknown): BlobLocation | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const t = (value as { copyTarget?: unknown }).copyTarget;
  return isLocation(t) ? t : undefined;
}

function sourceKindOf(loc: BlobLocation): SourceKind {
  return loc.path === '' ? 'container' : loc.path.endsWith('/') ? 'folder' : 'blob';
}

/** Node, capability object, CopySourceInfo or plain location → a copy source. */
export function toSourceInfo(value: unknown): CopySourceInfo | undefined {
  const viaCapability = copySourceOf(value);
  if (viaCapability) return viaCapability;
  if (value && typeof value === 'object' && 'sourceKind' in value && isLocation((value as { location?: unknown }).location)) return value as CopySourceInfo;
  if (isLocation(value)) return { sourceKind: sourceKindOf(value), location: value };
  return undefined;
}

/** Node, capability object or plain location → a copy destination. */
export function toTarget(value: unknown): BlobLocation | undefined {
  return copyTargetOf(value) ?? (isLocation(value) ? value : undefined);
}

/** The values that are copy sources, in order (the others dropped). */
export function toSourceInfos(values: readonly unknown[]): CopySourceInfo[] {
  return values.map(toSourceInfo).filter((s): s is CopySourceInfo => !!s);
}
