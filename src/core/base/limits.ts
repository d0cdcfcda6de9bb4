/**
 * Service limits, one table. Sources: Azure Storage REST reference ("Put Block From URL", "Put Blob From URL",
 * "Append Block From URL", "Put Page From URL", "Copy Blob From URL", "Naming and referencing containers, blobs and
 * metadata", "Scalability targets for Blob storage"), for x-ms-version 2025-xx as sent by @azure/storage-blob 12.32.
 */
const MiB = 1024 * 1024;

export const LIMITS = {
  /** Put Blob From URL: source up to 5000 MiB (REST "Put Blob From URL", version 2020-04-08 and later). */
  putBlobFromUrlMaxBytes: 5000 * MiB,
  /** Put Block From URL: a block up to 4000 MiB (REST "Put Block From URL", version 2019-12-12 and later). */
  stageBlockMaxBytes: 4000 * MiB,
  /** A block blob has at most 50,000 committed blocks (REST "Put Block List"). */
  maxBlocksPerBlob: 50_000,
  /** Block ids: at most 64 bytes before base64 encoding, all the same length within a blob (REST "Put Block"). */
  maxBlockIdBytes: 64,
  /** Largest block blob: 50,000 × 4000 MiB ≈ 190.7 TiB (REST "Put Block", version 2019-12-12 and later). */
  maxBlockBlobBytes: 50_000 * 4000 * MiB,
  /** Copy Blob From URL (synchronous copy): source up to 256 MiB (REST "Copy Blob From URL"). */
  syncCopyFromUrlMaxBytes: 256 * MiB,
  /** Append Block From URL: at most 100 MiB per call (version 2022-11-02 and later; 4 MiB before). */
  appendBlockMaxBytes: 100 * MiB,
  /** An append blob has at most 50,000 blocks (REST "Append Block"). */
  maxAppendBlocks: 50_000,
  /** Put Page From URL: at most 4 MiB per call, 512-byte aligned offsets and lengths (REST "Put Page From URL"). */
  putPageMaxBytes: 4 * MiB,
  pageAlignment: 512,
  /** Largest page blob: 8 TiB (REST "Put Blob", x-ms-blob-content-length for page blobs). */
  maxPageBlobBytes: 8 * 1024 * 1024 * MiB,
  /** Container names: 3–63 chars, lowercase letters, digits, single hyphens (REST "Naming and referencing"). */
  containerNameMin: 3,
  containerNameMax: 63,
  /** Blob names: 1–1024 characters, at most 254 path segments (REST "Naming and referencing"). */
  blobNameMax: 1024,
  blobNameMaxSegments: 254,
  /** Blob index tags: at most 10 per blob (REST "Set Blob Tags"). */
  maxTags: 10,
  /** Blob SAS lifetime the engine signs for a copy source: 1 h, plus time for the size (engine policy, not a service limit). */
  sourceSasBaseMs: 60 * 60 * 1000,
} as const;

/** Returns an actionable message when the container name is invalid, else undefined. */
export function validateContainerName(name: string): string | undefined {
  if (name === '$root' || name === '$web' || name === '$logs') return undefined;
  if (name.length < LIMITS.containerNameMin || name.length > LIMITS.containerNameMax) {
    return `Container names have ${LIMITS.containerNameMin}–${LIMITS.containerNameMax} characters ("${name}" has ${name.length}).`;
  }
  if (/[A-Z]/.test(name)) return `Container names are lowercase: use "${name.toLowerCase()}".`;
  if (!/^[a-z0-9-]+$/.test(name)) return 'Container names use only lowercase letters, digits and hyphens.';
  if (!/^[a-z0-9]/.test(name)) return 'A container name starts with a letter or digit.';
  if (name.endsWith('-')) return 'A container name ends with a letter or digit, not a hyphen.';
  if (name.includes('--')) return 'A container name cannot contain two hyphens in a row.';
  return undefined;
}

/**
 * Returns an actionable message when the blob name is invalid, else undefined. `marker`: the name of a directory
 * marker (a blob named "folder/", as the portal, Hadoop tools and hierarchical-namespace accounts create), which may
 * end in "/".
 */
export function validateBlobName(name: string, marker = false): string | undefined {
  if (name.length === 0) return 'A blob name cannot be empty.';
  if (name.length > LIMITS.blobNameMax) return `Blob names have at most ${LIMITS.blobNameMax} characters (this one has ${name.length}).`;
  if (name.split('/').length > LIMITS.blobNameMaxSegments) return `Blob names have at most ${LIMITS.blobNameMaxSegments} path segments.`;
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'Blob names cannot contain control characters.';
  if (marker && /[^./\\]\/$/.test(name)) return undefined;
  if (/[./\\]$/.test(name)) return 'A blob name should not end with ".", "/" or "\\" (the service trims or rejects it).';
  return undefined;
}
