/**
 * Source authorization: the URL the destination service reads the source from.
 * - shared key: a read-only blob SAS for exactly the source blob, valid 1 h plus time for its size;
 * - Entra ID: a user-delegation SAS (the key is cached per account); when the service refuses Get User Delegation
 *   Key (403: the identity lacks "Storage Blob Delegator", or the account forbids it), the plain blob URL plus a bearer
 *   token for the x-ms-copy-source-authorization header (told once per account);
 * - SAS connection or URL with a SAS or public: used as given.
 * The result is a secret: it never goes into a log, a snapshot, an error or the journal (see redact).
 */
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, SASProtocol, UserDelegationKey } from '@azure/storage-blob';
import type { AccountClient } from './connections';
import { LIMITS } from '../base/limits';
import { escapePath } from '../base/urls';
import type { CopySource } from '../base/types';

const MiB = 1024 * 1024;
const SEVEN_DAYS = 7 * 24 * 3600 * 1000;
/** Slowest throughput we plan the SAS lifetime for (bytes/s). */
const SLOW_BYTES_PER_SECOND = 10 * MiB;

export function sasLifetimeMs(size: number): number {
  return Math.min(SEVEN_DAYS, LIMITS.sourceSasBaseMs + Math.ceil(size / SLOW_BYTES_PER_SECOND) * 1000);
}

interface CachedKey {
  key: UserDelegationKey;
  expiresOn: number;
}

/** How the destination service reads the source: a URL, and for Entra sources possibly a bearer token header. */
export interface SourceAccess {
  /** The source URL (with a SAS where one is used). A secret: never logged. */
  readonly url: string;
  /** x-ms-copy-source-authorization for the From-URL operations (Entra sources without a user delegation key). */
  readonly authorization?: { readonly scheme: 'Bearer'; readonly value: string };
  /**
   * When the access stops working (ms since the epoch): the bearer token's expiry. Ask authorize() again for calls
   * made after it (the credential refreshes the token). Undefined for a SAS planned for the blob's size.
   */
  readonly expiresOn?: number;
}

interface SourceAuthorizerOptions {
  /** Told once per account when Entra sources fall back to bearer source authorization. */
  warn?: (message: string) => void;
}

/** The scope of storage bearer tokens (data plane). */
export const STORAGE_SCOPE = 'https://storage.azure.com/.default';

/** Whether a Get User Delegation Key failure means "not allowed" (then a bearer token may still read the source). */
function isDelegationRefused(err: unknown): boolean {
  const e = err as { statusCode?: number; response?: { status?: number } } | undefined;
  return (e?.statusCode ?? e?.response?.status) === 403;
}

export class SourceAuthorizer {
  private readonly delegationKeys = new Map<BlobServiceClient, Promise<CachedKey>>();
  private readonly containerUrls = new WeakMap<BlobServiceClient, Map<string, string>>();
  private readonly readPermission = BlobSASPermissions.parse('r');
  /** Entra accounts whose user delegation key was refused: their sources are read with a bearer token. */
  private readonly bearerOnly = new WeakSet<BlobServiceClient>();

  constructor(private readonly options: SourceAuthorizerOptions = {}) {}

  /** How the service can read the source blob, valid for `size` bytes' worth of copying. */
  async authorize(source: CopySource, account: AccountClient | undefined, size: number): Promise<SourceAccess> {
    const credential = source.kind === 'location' && !account?.sharedKey ? account?.tokenCredential : undefined;
    if (!credential || !account || source.kind !== 'location') return { url: await this.readUrl(source, account, size) };
    if (!this.bearerOnly.has(account.service)) {
      try {
        return { url: await this.readUrl(source, account, size) };
      } catch (e) {
        if (!isDelegationRefused(e)) throw e;
        if (!this.bearerOnly.has(account.service)) {
          this.bearerOnly.add(account.service);
          this.options.warn?.(
            `Account ${account.accountName}: Get User Delegation Key was refused (403), so copy sources are read with ` +
              `your Entra ID token (x-ms-copy-source-authorization) instead of a user-delegation SAS. ` +
              `Assign "Storage Blob Delegator" to use user-delegation SAS (told once per account).`,
          );
        }
      }
    }
    const token = await credential.getToken(STORAGE_SCOPE);
    if (!token) throw new Error(`No Entra ID token for account ${account.accountName}: sign in again.`);
    const { container, path } = source.location;
    return {
      url: `${stripQuery(this.containerUrl(account, container))}/${escapePath(path)}`,
      authorization: { scheme: 'Bearer', value: token.token },
      expiresOn: token.expiresOnTimestamp,
    };
  }

  /** A URL the service can read the source blob from, valid for `size` bytes' worth of copying. */
  async readUrl(source: CopySource, account: AccountClient | undefined, size: number): Promise<string> {
    if (source.kind === 'url') return source.url;
    if (!account) throw new Error('internal: location source without account');
    const { container, path } = source.location;
    // The blob's URL as the SDK builds it (ContainerClient.url + per-segment encodeURIComponent), without creating a
    // BlobClient per blob (each one builds a pipeline: measurable at thousands of small blobs).
    const base = `${stripQuery(this.containerUrl(account, container))}/${escapePath(path)}`;
    const now = Date.now();
    const startsOn = new Date(now - 5 * 60 * 1000); // clock skew
    const expiresOn = new Date(now + sasLifetimeMs(size));
    if (account.sharedKey) {
      const sas = generateBlobSASQueryParameters(
        { containerName: container, blobName: path, permissions: this.readPermission, startsOn, expiresOn, protocol: SASProtocol.HttpsAndHttp },
        account.sharedKey,
      ).toString();
      return `${base}?${sas}`;
    }
    if (account.tokenCredential) {
      const key = await this.delegationKey(account.service, expiresOn.getTime());
      const sas = generateBlobSASQueryParameters(
        { containerName: container, blobName: path, permissions: this.readPermission, startsOn, expiresOn: new Date(Math.min(expiresOn.getTime(), key.expiresOn)), protocol: SASProtocol.Https },
        key.key,
        account.accountName,
      ).toString();
      return `${base}?${sas}`;
    }
    // SAS connection (the URL carries it) or anonymous (public container).
    return account.service.getContainerClient(container).getBlobClient(path).url;
  }

  private containerUrl(account: AccountClient, container: string): string {
    let byName = this.containerUrls.get(account.service);
    if (!byName) this.containerUrls.set(account.service, (byName = new Map()));
    let url = byName.get(container);
    if (url === undefined) {
      url = account.service.getContainerClient(container).url;
      if (byName.size < 1000) byName.set(container, url);
    }
    return url;
  }

  private async delegationKey(service: BlobServiceClient, needUntil: number): Promise<CachedKey> {
    const cached = this.delegationKeys.get(service);
    if (cached) {
      const k = await cached.catch(() => undefined);
      if (k && k.expiresOn >= needUntil) return k;
    }
    const startsOn = new Date(Date.now() - 5 * 60 * 1000);
    const expiresOn = new Date(Math.min(Date.now() + SEVEN_DAYS - 60_000, Math.max(needUntil, Date.now() + 6 * 3600 * 1000)));
    const p = service.getUserDelegationKey(startsOn, expiresOn).then((key) => ({ key, expiresOn: expiresOn.getTime() }));
    this.delegationKeys.set(service, p);
    return p;
  }
}

// SDK-free (the extension uses it without loading the SDK); re-exported for the engine's and the CLI's callers.
export { entraAuthorityOptions } from './entraAuthority';

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
