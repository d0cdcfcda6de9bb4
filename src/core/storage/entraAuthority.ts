/** Which Microsoft Entra authority @azure/identity signs in with: from the environment, without loading the SDK. */

/** Microsoft Entra authority hosts of the public and national clouds (MSAL's instance discovery knows them). */
const CLOUD_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
]);

/**
 * @azure/identity options from the environment. AZURE_AUTHORITY_HOST is honoured; for an authority that is not a
 * public or national Azure cloud (Azure Stack Hub, ADFS, a test authority) instance discovery is skipped: with it,
 * MSAL first asks the public cloud about the authority and fails (endpoints_resolution_error) where that is
 * unreachable. Throws a plain Error when the variable is not an https URL.
 */
export function entraAuthorityOptions(env: NodeJS.ProcessEnv): { authorityHost?: string; disableInstanceDiscovery?: boolean } {
  const raw = env.AZURE_AUTHORITY_HOST?.trim();
  if (!raw) return {};
  let host: string;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'https:') throw new Error('not https');
    host = u.hostname.toLowerCase();
  } catch {
    throw new Error('AZURE_AUTHORITY_HOST must be an https:// URL, e.g. https://login.microsoftonline.com.');
  }
  return { authorityHost: raw, disableInstanceDiscovery: !CLOUD_AUTHORITY_HOSTS.has(host) };
}
