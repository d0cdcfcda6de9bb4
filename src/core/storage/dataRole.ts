/** A signed-in identity without a data role on an account: how to tell, and what to ask for. SDK-free. */

/** The data roles a signed-in identity needs on an account, for a read or a write. */
const DATA_ROLES = { read: 'Storage Blob Data Reader', write: 'Storage Blob Data Contributor' } as const;

/** Whether a data-plane error means the identity has no data role (403 AuthorizationPermissionMismatch). */
export function isMissingDataRole(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string; details?: { errorCode?: string } } | undefined;
  const code = e?.code ?? e?.details?.errorCode;
  return e?.statusCode === 403 && (code === 'AuthorizationPermissionMismatch' || code === 'AuthorizationFailure');
}

/** The one line shown when the identity lacks a data role on an account. */
export function missingDataRoleMessage(accountName: string, need: 'read' | 'write' = 'read'): string {
  const role = need === 'read' ? `"${DATA_ROLES.read}" (or "${DATA_ROLES.write}" to copy into it)` : `"${DATA_ROLES.write}"`;
  return `Your Azure sign-in has no data access to ${accountName}: ask for ${role} on the account or its container.`;
}
