/**
 * `node upload.js <connectionString> <container> <count>`: uploads `count` × 1 KiB blobs "many/f0000000.bin"… for the
 * extension-host scale run (index.ts), in a process of its own so the upload's garbage does not grow the host whose
 * memory is measured. Not a test.
 */
import { BlobServiceClient } from '@azure/storage-blob';

async function main(): Promise<void> {
  const [connectionString, containerName, countText] = process.argv.slice(2);
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(containerName);
  const count = Number(countText);
  const body = Buffer.alloc(1024, 7);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < count) {
        const i = next++;
        await container.getBlockBlobClient(`many/f${String(i).padStart(7, '0')}.bin`).upload(body, body.length);
      }
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
