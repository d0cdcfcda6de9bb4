/**
 * Shared test environment inside the extension host: one Azurite (two accounts) for all UI tests, the extension
 * pointed at it through its settings, and helpers to read storage and wait for the engine. Stopped by index.ts.
 */
import * as vscode from 'vscode';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteInstance } from '../helpers/azurite';
import type { BlobCopyApi, BlobCopyPublicApi } from '../../src/extension/extension';
import type { StorageNode } from '../../src/extension/tree/nodes';

export const EXTENSION_ID = 'blob-copy.blob-copy';

export interface Env {
  readonly azurite: AzuriteInstance;
  readonly api: BlobCopyApi;
  /** Service clients of the two accounts. */
  readonly dev: BlobServiceClient;
  readonly acct2: BlobServiceClient;
}

let envPromise: Promise<Env> | undefined;

export function getEnv(): Promise<Env> {
  envPromise ??= (async () => {
    const azurite = await startAzurite();
    const config = vscode.workspace.getConfiguration('blobCopy');
    await config.update('azurite.port', azurite.port, vscode.ConfigurationTarget.Global);
    await config.update('openJobsOnCopy', false, vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<BlobCopyApi>(EXTENSION_ID);
    if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not loaded in this host`);
    const api = (await ext.activate()) as BlobCopyApi | BlobCopyPublicApi;
    if (!('connections' in api)) throw new Error('The extension returned its public API: this host is not in ExtensionMode.Test');
    installDefaultSeams(api);
    return { azurite, api, dev: azurite.serviceClient(), acct2: azurite.serviceClient('acct2') };
  })();
  return envPromise;
}

/** Summaries the default batch confirmation was asked with (it answers Copy), newest last. */
export const confirmations: string[] = [];
/** What the default move confirmation was asked with (it answers Move), newest last. */
export const moveConfirmations: Array<{ summary: string; detail: string }> = [];
/** What the default sync confirmation was asked with (it answers Sync, keeping the extras), newest last. */
export const syncConfirmations: Array<{ summary: string; detail: string; extras: number }> = [];

/**
 * The questions and messages answered without UI: messages are recorded by the extension (api.shown) and answered
 * with no choice; a batch confirmation answers Copy, a move confirmation Move; every other question answers Cancel. Tests override members
 * and call this again (afterEach) to restore.
 */
export function installDefaultSeams(api: BlobCopyApi): void {
  api.notifier.info = async () => undefined;
  api.notifier.warn = async () => undefined;
  api.notifier.error = async () => undefined;
  api.prompts.conflict = async () => undefined;
  api.prompts.confirmBatch = async (summary) => {
    confirmations.push(summary);
    return true;
  };
  api.prompts.confirmMove = async (summary, detail) => {
    moveConfirmations.push({ summary, detail });
    return 'move';
  };
  api.prompts.confirmSync = async (summary, detail, extras) => {
    syncConfirmations.push({ summary, detail, extras });
    return 'sync';
  };
  api.prompts.createContainer = async () => false;
  api.prompts.rehydrate = async () => undefined;
  api.prompts.resumeUnfinished = async () => undefined;
  api.prompts.connectionInput = async () => undefined;
  api.prompts.useAccessKey = async () => false;
  api.prompts.pickSubscriptions = async () => undefined;
}

export async function stopEnv(): Promise<void> {
  if (!envPromise) return;
  const p = envPromise;
  envPromise = undefined;
  try {
    const env = await p;
    await env.api.engine.whenIdle().catch(() => undefined);
    await env.azurite.stop();
  } catch {
    /* start failed: nothing to stop */
  }
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('blobCopy').update(key, value, vscode.ConfigurationTarget.Global);
}

let counter = 0;
/** A fresh, valid container name. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${counter}`.toLowerCase().slice(0, 63);
}

export async function createContainer(service: BlobServiceClient, name: string): Promise<ContainerClient> {
  const c = service.getContainerClient(name);
  await c.create();
  return c;
}

export async function putBlob(container: ContainerClient, name: string, body: string | Buffer, metadata?: Record<string, string>): Promise<void> {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  await container.getBlockBlobClient(name).uploadData(data, { metadata, blobHTTPHeaders: { blobContentType: 'text/plain' } });
}

export async function readBlob(container: ContainerClient, name: string): Promise<{ text: string; metadata: Record<string, string>; contentType?: string }> {
  const client = container.getBlobClient(name);
  const buf = await client.downloadToBuffer();
  const props = await client.getProperties();
  return { text: buf.toString('utf8'), metadata: props.metadata ?? {}, contentType: props.contentType };
}

export async function exists(container: ContainerClient, name: string): Promise<boolean> {
  return container.getBlobClient(name).exists();
}

/** Waits until a batch has settled (bounded). */
export async function waitForBatch(api: BlobCopyApi, batchId: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const b = api.engine.batch(batchId);
    if (b?.done) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`batch ${batchId} did not finish within ${timeoutMs} ms: ${JSON.stringify(api.engine.jobs().filter((j) => j.batchId === batchId).map((j) => [j.destination, j.state, j.error?.message]))}`);
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Tree navigation through the provider's API. */
export async function childrenOf(api: BlobCopyApi, node?: StorageNode): Promise<StorageNode[]> {
  return api.tree.getChildren(node);
}

export function labelOf(api: BlobCopyApi, node: StorageNode): string {
  const label = api.tree.getTreeItem(node).label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

export async function findChild(api: BlobCopyApi, parent: StorageNode | undefined, label: string): Promise<StorageNode> {
  let kids = await childrenOf(api, parent);
  // Follow "Load more…" (bounded) when the child is not on the pages loaded so far.
  for (let i = 0; i < 100 && parent && !kids.some((k) => labelOf(api, k) === label); i++) {
    const more = kids.find((k) => k.kind === 'loadMore');
    if (!more) break;
    kids = await api.tree.loadMore(more as Parameters<BlobCopyApi['tree']['loadMore']>[0]);
  }
  const found = kids.find((k) => labelOf(api, k) === label);
  if (!found) throw new Error(`no child "${label}" under ${parent ? labelOf(api, parent) : 'root'}: ${kids.map((k) => labelOf(api, k)).join(', ')}`);
  return found;
}

/** The Azurite connection node, then a container under it. */
export async function containerNode(api: BlobCopyApi, container: string, connectionLabel = 'Azurite (local emulator)'): Promise<StorageNode> {
  const conn = await findChild(api, undefined, connectionLabel);
  api.tree.refresh(conn);
  return findChild(api, conn, container);
}
