/** Where a copy's bytes go between Azure regions, for the cost preview. No `vscode` here (plain-Node tests load it). */

/** "The bytes leave westeurope for northeurope…" when the regions of the source accounts and the destination are known. */
export function regionNote(regions: { readonly sources: readonly (string | undefined)[]; readonly destination?: string }): string | undefined {
  const { destination } = regions;
  if (!destination || regions.sources.length === 0 || regions.sources.some((r) => !r)) return undefined;
  const away = [...new Set(regions.sources.filter((r) => r !== destination))];
  if (away.length === 0) return `Source and destination are in ${destination}: no data transfer between regions.`;
  return `The bytes leave ${away.join(', ')} for ${destination}: Azure bills data transfer between regions.`;
}
