/** How long a moved (deleted) source stays recoverable, as text: without the storage SDK (the move confirmation uses it). */

export interface Recoverability {
  /** Blob soft delete: on with its retention days, off, or unknown (no permission, or an emulator that does not say). */
  readonly softDelete: { readonly state: 'on'; readonly days: number } | { readonly state: 'off' } | { readonly state: 'unknown'; readonly reason: string };
  /** Blob versioning cannot be read through the data plane (it is an account management setting): always unknown here. */
  readonly versioning: 'unknown';
}

/** One sentence for the confirmation. */
export function describeRecoverability(r: Recoverability): string {
  const sd = r.softDelete;
  if (sd.state === 'on') return `Blob soft delete is on: a deleted source stays recoverable for ${sd.days} day${sd.days === 1 ? '' : 's'}.`;
  if (sd.state === 'off') return 'Blob soft delete is off: a deleted source cannot be recovered (unless blob versioning is on; it cannot be read here).';
  return `Whether a deleted source can be recovered is unknown (${sd.reason}; blob versioning cannot be read here).`;
}
