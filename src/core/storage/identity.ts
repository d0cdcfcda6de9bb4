/**
 * DefaultAzureCredential (@azure/identity: environment, workload or managed identity, Azure CLI…) for Entra ID
 * connections, with the authority from the environment. @azure/identity (and MSAL) is loaded on the first call only.
 */
import type { TokenCredential } from '@azure/core-auth';
import { entraAuthorityOptions } from './entraAuthority';

export async function createDefaultAzureCredential(env: NodeJS.ProcessEnv = process.env): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  // AZURE_AUTHORITY_HOST (sovereign / Azure Stack / ADFS authorities) is honoured, as in the CLI.
  return new DefaultAzureCredential(entraAuthorityOptions(env));
}
