/** What `/metrics` reads of the queues (src/app/metrics.ts): how many jobs wait in each. */
import type { QueueSet } from './fleet.js';

export interface QueueWaiting {
  /** The queue, named for its job kind. */
  queue: string;
  /**
   * Jobs waiting for a worker (`waiting` and `prioritized`) or for their time
   * (`delayed`: retries in backoff, and each schedule's next tick).
   */
  jobs: number;
}

/** Waiting and delayed jobs of every queue of the set, one round trip per queue. */
export async function waitingJobs(queues: QueueSet): Promise<QueueWaiting[]> {
  return Promise.all(
    queues.registry.names.map(async (kind) => {
      const counts = await queues.queue(kind).getJobCounts('waiting', 'prioritized', 'delayed');
      return { queue: kind, jobs: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0) };
    }),
  );
}
