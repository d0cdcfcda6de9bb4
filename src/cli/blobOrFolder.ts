/**
 * `--recursive` with a source URL that does not end in "/": AzCopy copies the blob of that name when one exists.
 * The CLI does too, and refuses (one line) when the name is a blob and a folder with blobs at once.
 */
import type { AccountClient } from '../core';
import { restDetails, toCopyError } from '../core/base/errors';
import { CopyCommand, UsageError } from './args';

/** The command as a single-blob copy when its recursive source names an existing blob; else unchanged (a folder). */
export async function blobOrFolder(account: AccountClient, cmd: CopyCommand, signal?: AbortSignal): Promise<CopyCommand> {
  const asBlob = cmd.asBlob;
  if (!asBlob) return cmd;
  const { container, path } = asBlob.source;
  const containerClient = account.service.getContainerClient(container);
  let metadata: Record<string, string> | undefined;
  try {
    metadata = (await containerClient.getBlobClient(path).getProperties({ abortSignal: signal })).metadata;
  } catch (e) {
    const d = restDetails(e);
    if (d.status === 404) return { ...cmd, asBlob: undefined };
    throw toCopyError(e, `Read source ${container}/${path}`, 'source');
  }
  // A directory marker (hdi_isfolder, what hierarchical-namespace accounts and the portal create) stands for the folder.
  if (metadata?.hdi_isfolder === 'true') return { ...cmd, asBlob: undefined };
  let folderHasBlobs: boolean;
  try {
    const page = await containerClient.listBlobsFlat({ prefix: `${path}/`, abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
    folderHasBlobs = !page.done && page.value.segment.blobItems.length > 0;
  } catch (e) {
    throw toCopyError(e, `List the source folder ${container}/${path}/`, 'source');
  }
  if (folderHasBlobs) {
    throw new UsageError(
      `The source names both a blob "${path}" and a folder "${path}/": end the source URL with "/" to copy the folder, or leave out --recursive to copy the blob.`,
    );
  }
  return { ...cmd, source: asBlob.source, destination: asBlob.destination, recursive: false, asBlob: undefined };
}
