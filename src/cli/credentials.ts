/**
 * Turns a CLI side (URL + optional connection strings) into the engine's ConnectionSpec.
 * Order per side: its --*-connection-string, a SAS in the URL, AZURE_STORAGE_CONNECTION_STRING when it names the
 * same account, else DefaultAzureCredential (created lazily, only when a side needs it).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { DefaultAzureCredentialOptions } from '@azure/identity';
import { ConnectionSpec, parseConnectionString, accountNameFromEndpoint } from '../core/storage/connections';
import { entraAuthorityOptions } from '../core/storage/auth';
import { ParsedUrl, UsageError } from './args';

type CredentialSource = 'connection-string-flag' | 'sas' | 'environment' | 'default-azure-credential';

interface SideConnection {
  readonly spec: ConnectionSpec;
  readonly via: CredentialSource;
}

function fromConnectionString(side: ParsedUrl, connectionString: string, what: string): ConnectionSpec {
  let parsed;
  try {
    parsed = parseConnectionString(connectionString);
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error).message}`);
  }
  const account = parsed.accountName ?? accountNameFromEndpoint(parsed.blobEndpoint);
  if (account.toLowerCase() !== side.accountName.toLowerCase()) {
    throw new UsageError(`${what} is for account "${account}", but the URL names account "${side.accountName}".`);
  }
  if (parsed.accountKey) {
    // The URL's endpoint wins (same account): it is what the user asked to copy from / to.
    return { kind: 'sharedKey', accountName: side.accountName, accountKey: parsed.accountKey, blobEndpoint: side.endpoint };
  }
  return { kind: 'sas', url: `${side.endpoint}?${parsed.sas!.replace(/^\?/, '')}` };
}

function accountOfConnectionString(connectionString: string): string {
  try {
    const parsed = parseConnectionString(connectionString);
    return (parsed.accountName ?? accountNameFromEndpoint(parsed.blobEndpoint)).toLowerCase();
  } catch (e) {
    throw new UsageError(`AZURE_STORAGE_CONNECTION_STRING: ${(e as Error).message}`);
  }
}

export function sideConnection(
  side: ParsedUrl,
  flag: string | undefined,
  flagName: string,
  env: NodeJS.ProcessEnv,
  defaultCredential: () => TokenCredential,
): SideConnection {
  if (flag !== undefined) return { spec: fromConnectionString(side, flag, flagName), via: 'connection-string-flag' };
  if (side.sas) {
    if (!/(^|&)sig=/.test(side.sas)) {
      throw new UsageError(`The ${flagName.startsWith('--source') ? 'source' : 'destination'} URL has a query string without a SAS signature (sig=…).`);
    }
    // A container SAS URL: the connection is limited to that container.
    return { spec: { kind: 'sas', url: `${side.endpoint}/${encodeURIComponent(side.container)}?${side.sas}` }, via: 'sas' };
  }
  const envCs = env.AZURE_STORAGE_CONNECTION_STRING;
  if (envCs && accountOfConnectionString(envCs) === side.accountName.toLowerCase()) {
    return { spec: fromConnectionString(side, envCs, 'AZURE_STORAGE_CONNECTION_STRING'), via: 'environment' };
  }
  return {
    spec: { kind: 'token', accountName: side.accountName, blobEndpoint: side.endpoint, credential: defaultCredential() },
    via: 'default-azure-credential',
  };
}

/** DefaultAzureCredential's options from the environment (see entraAuthorityOptions). */
export function defaultCredentialOptions(env: NodeJS.ProcessEnv): DefaultAzureCredentialOptions {
  try {
    return entraAuthorityOptions(env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The CLI's Entra ID credential: DefaultAzureCredential (environment, workload/managed identity, Azure CLI…). Its
 * options are checked now (a bad authority is a usage error before anything runs); @azure/identity and MSAL are
 * loaded on the first token only (~25 ms of start-up that a copy with keys or a SAS does not pay).
 */
export function createDefaultCredential(env: NodeJS.ProcessEnv): TokenCredential {
  const options = defaultCredentialOptions(env);
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, getTokenOptions) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential(options));
      return (await credential).getToken(scopes, getTokenOptions);
    },
  };
}
