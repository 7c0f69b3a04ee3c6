/**
 * What the queue dashboard (bull-board, mounted by src/http/queues-board.ts)
 * shows: one bull-board adapter per registered job queue, around the queues of
 * a {@link QueueSet}, so it reads the app's transport under the app's prefix.
 * Here because bull-board's BullMQ adapter imports BullMQ, which only
 * src/queue may.
 */
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { QueueSet } from './fleet.js';

/** The adapters of every job queue, in the registry's order. */
export function dashboardQueues(queues: QueueSet): BaseAdapter[] {
  return queues.registry.names.map((kind) => new BullMQAdapter(queues.queue(kind)));
}
