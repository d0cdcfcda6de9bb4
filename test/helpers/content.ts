/** Test content, checksums and a recording logger shared by the core and reliability suites (defines no tests). */
import { createHash, randomBytes } from 'node:crypto';
import type { BlobClient } from '@azure/storage-blob';
import type { Logger } from '../../src/core';

/** Random content (a random 64 KiB tile repeated, each 4 KiB stamped with its offset and the seed). */
export function data(size: number, seed = 0): Buffer {
  const tile = randomBytes(Math.min(Math.max(size, 1), 64 * 1024));
  const buf = Buffer.alloc(size);
  for (let o = 0; o < size; o += tile.length) tile.copy(buf, o);
  for (let o = 0; o + 8 <= size; o += 4096) buf.writeUInt32LE((o ^ seed) >>> 0, o);
  return buf;
}

export function md5(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}

/** MD5 of a blob's content, downloaded BY THE TEST (the engine never downloads content). */
export async function blobMd5(blob: BlobClient): Promise<string> {
  const res = await blob.download();
  const h = createHash('md5');
  for await (const chunk of res.readableStreamBody!) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A Logger that keeps every line, prefixed with its level ("info …", "warn …"). */
export class MemoryLog implements Logger {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
  debug(m: string): void {
    this.lines.push(`debug ${m}`);
  }
}
