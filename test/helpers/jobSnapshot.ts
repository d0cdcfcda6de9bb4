import type { JobSnapshot, JobState } from '../../src/core/base/types';

/** A job's snapshot as the engine's events carry it (batch b1, 1 KiB, Copy Blob); `over` changes any field. */
export function jobSnapshot(id: string, state: JobState, over: Partial<JobSnapshot> = {}): JobSnapshot {
  return {
    id,
    batchId: 'b1',
    source: `src/${id}`,
    destination: `dst/${id}`,
    destinationLocation: { connectionId: 'a', container: 'dst', path: id },
    strategy: 'copy-blob',
    state,
    bytesDone: 0,
    bytesTotal: 1024,
    throughput: 0,
    attempts: 1,
    ...over,
  };
}
