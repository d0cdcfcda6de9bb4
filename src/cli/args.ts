/**
 * Command-line parsing and validation for `blob-copy`. Pure: no I/O, no network. Every problem becomes a UsageError
 * (exit code 2) with a message that says what to type instead.
 */
import { parseArgs } from 'node:util';
import type { ConflictPolicy, StrategyChoice } from '../core/types';
import { parseBlobUrl, type ParsedBlobUrl } from '../core/urls';
import { STRATEGIES as STRATEGY_IDS } from '../shared/vocabulary';

export const STRATEGIES: readonly StrategyChoice[] = ['auto', ...STRATEGY_IDS];
export const CONFLICTS: readonly ConflictPolicy[] = ['overwrite', 'skip', 'rename', 'if-source-newer'];

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage:
  blob-copy copy <source-url> <destination-url> [options]
  blob-copy move <source-url> <destination-url> [options]
  blob-copy --help | --version

Copies Azure Storage blobs server-side: the bytes move inside the storage service, never through this machine.
"move" copies, then deletes each source once its copy is committed and verified (length, Content-MD5), with
If-Match on the source ETag read when planning: a source changed since then, a blob skipped by --conflict, a failed
or interrupted copy, and a blob with snapshots (without --include-snapshots) keep their source. Run the same move
again after an interruption: what was moved is gone from the source, the rest moves.

  <source-url>       a blob URL, or with --recursive a container or folder URL ending in "/"
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
      --include-snapshots            move: delete a source's snapshots with it (they are not copied)
      --dry-run                      show the plan, write nothing
      --json                         print one JSON summary on stdout
      --source-connection-string <s>       credentials for the source account
      --destination-connection-string <s>  credentials for the destination account
  -h, --help                         this text
  -v, --version                      the version

Credentials, per side, first match wins: the side's --*-connection-string, a SAS in the URL,
AZURE_STORAGE_CONNECTION_STRING (used for each side whose account it names), else DefaultAzureCredential
(Azure CLI login, environment, managed identity).

Exit codes: 0 every blob copied / moved (or skipped by the conflict policy), 1 a copy failed or a source was
kept, 2 bad usage, 130 interrupted.`;

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
  /** "move" deletes each source after its verified copy (issue #12). */
  readonly command: 'copy' | 'move';
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
  readonly json: boolean;
  readonly sourceConnectionString?: string;
  readonly destinationConnectionString?: string;
}

export type Command = CopyCommand | { readonly command: 'help' } | { readonly command: 'version' };

/** Parses a blob / container / folder URL with the engine's parser. `what` names the argument in messages. */
export function parseStorageUrl(raw: string, what: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`The ${what} is not a URL. Expected https://<account>.blob.core.windows.net/<container>/<path> (or http://127.0.0.1:10000/<account>/<container>/<path> for the emulator).`);
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

function positiveNumber(value: string | undefined, flag: string, opts: { integer?: boolean; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n)) || n > opts.max) {
    throw new UsageError(`${flag} expects a ${opts.integer ? 'whole ' : ''}number between ${opts.integer ? 1 : 'above 0'} and ${opts.max}, not "${value}".`);
  }
  return n;
}

export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
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
        'include-snapshots': { type: 'boolean' },
        json: { type: 'boolean' },
        'source-connection-string': { type: 'string' },
        'destination-connection-string': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    // parseArgs messages name the option; they never contain option values.
    throw new UsageError(`${(e as Error).message.split('\n')[0]}. Run "blob-copy --help" for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  if (positionals.length === 0) throw new UsageError('No command given.');
  const [command, ...rest] = positionals;
  if (command !== 'copy' && command !== 'move') throw new UsageError(`Unknown command "${command}": the commands are "copy" and "move".`);
  if (rest.length < 2) throw new UsageError(`"${command}" needs a source URL and a destination URL.`);
  if (rest.length > 2) throw new UsageError(`"${command}" takes two URLs, got ${rest.length} arguments (quote URLs that contain "&" or spaces).`);
  if (values['include-snapshots'] && command !== 'move') throw new UsageError('--include-snapshots applies to "move" only.');

  const strategy = (values.strategy ?? 'auto') as StrategyChoice;
  if (!STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}; got "${values.strategy}".`);
  const conflict = (values.conflict ?? 'overwrite') as ConflictPolicy;
  if (!CONFLICTS.includes(conflict)) throw new UsageError(`--conflict must be one of ${CONFLICTS.join(', ')}; got "${values.conflict}".`);
  const blockMiB = positiveNumber(values['block-size-mib'], '--block-size-mib', { max: 4000 });
  const concurrency = positiveNumber(values.concurrency, '--concurrency', { integer: true, max: 1024 });
  const tolerance = values['outage-tolerance'];
  const outageToleranceSeconds = tolerance === '0' ? 0 : positiveNumber(tolerance, '--outage-tolerance', { max: 7 * 24 * 3600 });
  for (const g of [...(values.include ?? []), ...(values.exclude ?? [])]) {
    if (!g.trim()) throw new UsageError('--include / --exclude need a non-empty glob.');
  }

  const recursive = values.recursive ?? false;
  let source = parseStorageUrl(rest[0], 'source URL');
  let destination = parseStorageUrl(rest[1], 'destination URL');
  if (recursive) {
    // A folder given without its trailing "/" still means the folder.
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
    includeSnapshots: values['include-snapshots'] ?? false,
    source,
    destination,
    recursive,
    strategy,
    conflict,
    include: values.include ?? [],
    exclude: values.exclude ?? [],
    blockSizeBytes: blockMiB === undefined ? undefined : Math.round(blockMiB * 1024 * 1024),
    concurrency,
    outageToleranceSeconds,
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
    sourceConnectionString: values['source-connection-string'],
    destinationConnectionString: values['destination-connection-string'],
  };
}
