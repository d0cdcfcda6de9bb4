import type { JobView } from '../../src/shared/protocol';

/** A running job's view as the panel gets it; `over` changes any field. */
export function jobView(over: Partial<JobView> = {}): JobView {
  return {
    id: 'j1',
    batchId: 'b1',
    source: 'azurite/src/a.txt',
    destination: 'azurite/dst/a.txt',
    strategy: 'put-blob-from-url',
    state: 'running',
    bytesDone: 10,
    bytesTotal: 100,
    throughput: 5,
    abortable: false,
    attempts: 1,
    ...over,
  };
}
