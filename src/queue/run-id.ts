/** Run ids and the BullMQ job ids that carry them. */
import { randomUUID } from 'node:crypto';

/** A run enqueued on demand: its id is also its BullMQ job id. */
export function newRunId(): string {
  return randomUUID();
}

/**
 * The job id to re-enqueue a run under. A scheduler's run id is its BullMQ
 * job id (`repeat:<scheduler>:<tick>`), but BullMQ refuses `:` in a custom
 * id, so those travel under a look-alike and carry the run id in the data.
 */
export function transportJobId(runId: string): string {
  return runId.replaceAll(':', '_');
}
