/**
 * Command-line parsing and validation for `blob-copy`. Pure: no I/O, no network. Every problem becomes a UsageError
 * (exit code 2) with a message that says what to type instead.
 */
import { parseArgs } from 'node:util';
import type { ConflictPolicy, RehydratePriority, StrategyChoice, SyncCompare } from '../core/base/types';
import { parseBlobUrl, type ParsedBlobUrl } from '../core/base/urls';
import { STRATEGIES as STRATEGY_IDS } from '../shared/vocabulary';

const STRATEGIES: readonly StrategyChoice[] = ['auto', ...STRATEGY_IDS];
const CONFLICTS: readonly ConflictPolicy[] = ['overwrite', 'skip', 'rename', 'if-source-newer'];
const SYNC_COMPARES: readonly SyncCompare[] = ['auto', 'size', 'md5', 'time'];

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage:
  blob-copy copy <source-url> <destination-url> [options]
  blob-copy move <source-url> <destination-url> [options]
  blob-copy sync <source-folder-url> <destination-folder-url> [options]
  blob-copy --help | --version

Copies Azure Storage blobs server-side: the bytes move inside the storage service, never through this machine.
"move" copies, then deletes each source once its copy is committed and verified (length, Content-MD5), with
If-Match on the source ETag read when planning: a source changed since then, a blob skipped by --conflict, a failed
or interrupted copy, and a blob with snapshots (without --include-snapshots) keep their source. Run the same move
again after an interruption: what was moved is gone from the source, the rest moves.
"sync" compares the two folders (or containers) name by name and copies only what is new or changed at the
source; names only at the destination are deleted with --delete-destination, and only after every copy was
verified and both folders were listed to the end. --dry-run shows the groups (new, changed, same, extra).

  <source-url>       a blob URL, or with --recursive a container or folder URL (with --recursive, a URL
                     without a trailing "/" that names an existing blob copies that blob)
                     (https://<account>.blob.core.windows.net/<container>/<path>[?<sas>]; for the emulator
                     http://127.0.0.1:10000/<account>/<container>/<path>)
  <destination-url>  a blob URL (new name), or a container / folder URL ending in "/" (keeps the names)

Options:
  -r, --recursive                    copy every blob below the source container / folder
      --strategy <s>                 auto (default) | put-blob-from-url | put-block-from-url | copy-blob |
                                     append-block-from-url | put-page-from-url
      --conflict <c>                 overwrite (default) | skip | rename | if-source-newer
      --include <glob>               copy only matching blobs (repeatable); a glob without "/" matches the base
                                     name, with "/" the path below the source folder
      --exclude <glob>               skip matching blobs (repeatable)
      --block-size-mib <n>           block size for put-block-from-url (MiB)
      --concurrency <n>              blobs copied in parallel (default 8; small blobs then at most 4 × n, up
                                     to 64; without it, as many as the account takes, up to 256)
      --outage-tolerance <s>         seconds to wait out a storage outage or throttling before a blob fails
                                     (default 300)
      --include-snapshots            move: delete a source's snapshots with it (they are not copied); sync:
                                     delete an extra's snapshots with it
      --compare <c>                  sync: when a name at both ends changed: auto (default: length, then
                                     Content-MD5 where both have one, else a later source last-modified) |
                                     size | md5 | time
      --delete-destination           sync: delete the blobs only at the destination (after every copy is
                                     verified; never when a listing did not reach its end)
      --rehydrate <p>                copy Archive-tier sources (same account only) with a rehydrating Copy
                                     Blob to the Hot tier: standard | high priority (hours on Azure);
                                     without it an archived source is not copied and the copy is partial
      --allow-empty                  a source or filter with no blob is not an error (exit 0, nothing copied)
      --dry-run                      show the plan, write nothing
      --json                         print one JSON summary on stdout
      --verbose                      also print each failure as it happens and every retry of a request
      --source-connection-string <s>       credentials for the source account
      --destination-connection-string <s>  credentials for the destination account
  -h, --help                         this text
  -v, --version                      the version

Credentials, per side, first match wins: the side's --*-connection-string, a SAS in the URL,
AZURE_STORAGE_CONNECTION_STRING (used for each side whose account it names), else DefaultAzureCredential
(Azure CLI login, environment, managed identity).

Exit codes: 0 every blob under the source copied / moved (or skipped by the conflict policy; sync: every new
and changed blob copied and, with --delete-destination, every extra deleted), 1 anything less
(a copy failed, a blob could not be planned, the listing failed, nothing to copy, a source was kept), 2 bad usage,
130 interrupted.`;

export interface ParsedUrl {
  /** The URL as given (may carry a SAS: never print it unredacted). */
  readonly url: string;
  /** Blob endpoint without query or trailing slash (path-style includes the account). */
  readonly endpoint: string;
  readonly accountName: string;
  readonly container: string;
  /** Blob name, folder prefix ending in "/", or "". */
  readonly path: string;
  /** SAS query without "?", if any. */
  readonly sas?: string;
}

export interface CopyCommand {
  /** "move" deletes each source after its verified copy; "sync" copies new and changed names only (see plan/sync.ts). */
  readonly command: 'copy' | 'move' | 'sync';
  /** sync: how a name at both ends is compared. */
  readonly compare?: SyncCompare;
  /** sync: delete the names only at the destination. */
  readonly deleteDestination?: boolean;
  readonly includeSnapshots: boolean;
  readonly source: ParsedUrl;
  readonly destination: ParsedUrl;
  readonly recursive: boolean;
  readonly strategy: StrategyChoice;
  readonly conflict: ConflictPolicy;
  readonly include: string[];
  readonly exclude: string[];
  readonly blockSizeBytes?: number;
  readonly concurrency?: number;
  /** Seconds a storage outage is waited out (engine default when absent). */
  readonly outageToleranceSeconds?: number;
  readonly dryRun: boolean;
  /** Archived sources are copied by a rehydrating Copy Blob at this priority. */
  readonly rehydrate?: RehydratePriority;
  /** No blob to copy is not an error. */
  readonly allowEmpty: boolean;
  readonly json: boolean;
  /** Live error lines and the SDK's per-try retry lines too (debug level). */
  readonly verbose: boolean;
  /**
   * With --recursive, a source without a trailing "/" may be a blob (copied alone, as without --recursive) or a
   * folder: these are the two URLs as a single-blob copy, for when a blob of that name exists.
   */
  readonly asBlob?: { readonly source: ParsedUrl; readonly destination: ParsedUrl };
  readonly sourceConnectionString?: string;
  readonly destinationConnectionString?: string;
}

export type Command = CopyCommand | { readonly command: 'help' } | { readonly command: 'version' };

/** Parses a blob / container / folder URL with the engine's parser. `what` names the argument in messages. */
function parseStorageUrl(raw: string, what: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(
      `The ${what} ${JSON.stringify(raw)} is not a valid URL (expected e.g. https://account.blob.core.windows.net/container/path, or http://127.0.0.1:10000/account/container/path for the emulator).`,
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new UsageError(`The ${what} must start with https:// (or http:// for the emulator), not ${u.protocol}//.`);
  }
  if (u.hash) {
    throw new UsageError(`The ${what} contains "#": encode "#" in blob names as %23.`);
  }
  let parsed: ParsedBlobUrl;
  try {
    parsed = parseBlobUrl(raw);
  } catch {
    throw new UsageError(`The ${what} has a malformed percent-encoding.`);
  }
  if (!parsed.accountName) throw new UsageError(`The ${what} names no storage account: for the emulator use http://127.0.0.1:10000/<account>/<container>/…`);
  if (!parsed.container) throw new UsageError(`The ${what} names no container: add /<container>/ after the account.`);
  return { url: raw, endpoint: parsed.endpoint, accountName: parsed.accountName, container: parsed.container, path: parsed.path, sas: parsed.query };
}

/** The numeric flags: their allowed range, and how a message states it. */
const NUMERIC_FLAGS = {
  concurrency: { integer: true, min: 1, max: 1024, range: 'an integer from 1 to 1024' },
  'block-size-mib': { integer: false, min: 0, minExclusive: true, max: 4000, range: 'a number of MiB above 0 and at most 4000' },
  'outage-tolerance': { integer: false, min: 0, max: 7 * 24 * 3600, range: `a number of seconds from 0 to ${7 * 24 * 3600}` },
} as const;
type NumericFlag = keyof typeof NUMERIC_FLAGS;

/** A numeric flag's value, or a UsageError naming the flag and its range. Plain decimals only ("1e3", "0x10" are typos). */
function numberFlag(value: string | undefined, flag: NumericFlag): number | undefined {
  if (value === undefined) return undefined;
  const spec: { integer: boolean; min: number; minExclusive?: boolean; max: number; range: string } = NUMERIC_FLAGS[flag];
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : NaN;
  const inRange = spec.minExclusive ? n > spec.min : n >= spec.min;
  if (!Number.isFinite(n) || !inRange || n > spec.max || (spec.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} must be ${spec.range} (got ${/^[^\s"]+$/.test(value) ? value : JSON.stringify(value)}).`);
  }
  return n;
}

/**
 * parseArgs takes "-1" after a flag for an option: a numeric flag followed by a negative number becomes
 * "--flag=-1", so the value reaches the range check and its message.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && a.slice(2) in NUMERIC_FLAGS && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** parseArgs' errors as one line that names the option (they never carry option values). */
function parseArgsMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const unknown = /^Unknown option '([^']+)'/.exec(m);
  if (unknown) return `Unknown option "${unknown[1]}": run "blob-copy --help" for the options.`;
  const missing = /^Option '(-[^' ]+)[^']*' argument missing/.exec(m);
  if (missing) return `${missing[1]} needs a value.`;
  const ambiguous = /^Option '(-[^' ]+)[^']*' argument is ambiguous/.exec(m);
  if (ambiguous) return `${ambiguous[1]} needs a value (a value that starts with "-" is written ${ambiguous[1]}=<value>).`;
  return `${m.split('\n')[0].replace(/\.$/, '')}: run "blob-copy --help" for the options.`;
}

export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        recursive: { type: 'boolean', short: 'r' },
        strategy: { type: 'string' },
        conflict: { type: 'string' },
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        'block-size-mib': { type: 'string' },
        concurrency: { type: 'string' },
        'outage-tolerance': { type: 'string' },
        'dry-run': { type: 'boolean' },
        'allow-empty': { type: 'boolean' },
        rehydrate: { type: 'string' },
        'include-snapshots': { type: 'boolean' },
        compare: { type: 'string' },
        'delete-destination': { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        'source-connection-string': { type: 'string' },
        'destination-connection-string': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  if (positionals.length === 0) throw new UsageError('No command given: run "blob-copy --help" for the usage.');
  const [command, ...rest] = positionals;
  if (command !== 'copy' && command !== 'move' && command !== 'sync') throw new UsageError(`Unknown command "${command}": the commands are "copy", "move" and "sync".`);
  if (rest.length < 2) throw new UsageError(`"${command}" needs a source URL and a destination URL.`);
  if (rest.length > 2) throw new UsageError(`"${command}" takes two URLs, got ${rest.length} arguments (quote URLs that contain "&" or spaces).`);
  if (values['include-snapshots'] && command === 'copy') throw new UsageError('--include-snapshots applies to "move" and "sync" only.');
  if (command !== 'sync' && (values.compare !== undefined || values['delete-destination'])) throw new UsageError(`--${values.compare !== undefined ? 'compare' : 'delete-destination'} applies to "sync" only.`);
  if (command === 'sync' && values.rehydrate !== undefined) throw new UsageError('--rehydrate does not apply to "sync": an archived blob is refused by name; rehydrate it first (set its tier to Hot or Cool).');
  if (command === 'sync' && values.conflict !== undefined) throw new UsageError('--conflict does not apply to "sync": a changed blob is copied over its destination, the others are left alone (see --compare).');
  const compare = values.compare as SyncCompare | undefined;
  if (compare !== undefined && !SYNC_COMPARES.includes(compare)) throw new UsageError(`--compare must be one of ${SYNC_COMPARES.join(', ')}; got "${values.compare}".`);

  const strategy = (values.strategy ?? 'auto') as StrategyChoice;
  if (!STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}; got "${values.strategy}".`);
  const conflict = (values.conflict ?? 'overwrite') as ConflictPolicy;
  if (!CONFLICTS.includes(conflict)) throw new UsageError(`--conflict must be one of ${CONFLICTS.join(', ')}; got "${values.conflict}".`);
  const rehydrate = values.rehydrate as RehydratePriority | undefined;
  if (rehydrate !== undefined && rehydrate !== 'standard' && rehydrate !== 'high') throw new UsageError(`--rehydrate must be standard or high; got "${values.rehydrate}".`);
  const blockMiB = numberFlag(values['block-size-mib'], 'block-size-mib');
  const concurrency = numberFlag(values.concurrency, 'concurrency');
  const outageToleranceSeconds = numberFlag(values['outage-tolerance'], 'outage-tolerance');
  for (const g of [...(values.include ?? []), ...(values.exclude ?? [])]) {
    if (!g.trim()) throw new UsageError('--include / --exclude need a non-empty glob.');
  }

  // A sync compares folders: it is recursive by nature.
  const recursive = command === 'sync' || (values.recursive ?? false);
  let source = parseStorageUrl(rest[0], 'source URL');
  let destination = parseStorageUrl(rest[1], 'destination URL');
  let asBlob: CopyCommand['asBlob'];
  if (recursive) {
    // Without filters, a name without its trailing "/" is a blob if one exists (AzCopy's rule), else the folder.
    const filtered = (values.include?.length ?? 0) > 0 || (values.exclude?.length ?? 0) > 0;
    if (source.path && !source.path.endsWith('/') && !filtered && command !== 'sync') asBlob = { source, destination };
    if (source.path && !source.path.endsWith('/')) source = { ...source, path: `${source.path}/` };
    if (destination.path && !destination.path.endsWith('/')) destination = { ...destination, path: `${destination.path}/` };
  } else {
    if (!source.path || source.path.endsWith('/')) {
      throw new UsageError('The source URL names a container or folder: add --recursive to copy everything below it, or give a blob URL.');
    }
    if ((values.include?.length ?? 0) > 0 || (values.exclude?.length ?? 0) > 0) {
      throw new UsageError('--include / --exclude filter a folder: use them with --recursive.');
    }
  }
  return {
    command,
    ...(command === 'sync' ? { compare: compare ?? 'auto', deleteDestination: values['delete-destination'] ?? false } : {}),
    includeSnapshots: values['include-snapshots'] ?? false,
    source,
    destination,
    recursive,
    strategy,
    conflict,
    include: values.include ?? [],
    exclude: values.exclude ?? [],
    blockSizeBytes: blockMiB === undefined ? undefined : Math.max(1, Math.round(blockMiB * 1024 * 1024)),
    concurrency,
    outageToleranceSeconds,
    dryRun: values['dry-run'] ?? false,
    allowEmpty: values['allow-empty'] ?? false,
    rehydrate,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    asBlob,
    sourceConnectionString: values['source-connection-string'],
    destinationConnectionString: values['destination-connection-string'],
  };
}
