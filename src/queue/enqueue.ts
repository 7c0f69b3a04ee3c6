/**
 * Enqueueing a run: validate, write the ledger row, then hand it to the
 * transport. A bad payload is an InputError and writes nothing; a transport
 * that fails after the row is written leaves a queued run that reconcile
 * enqueues later, so nothing is lost.
 */
import type { JobRegistry } from './registry.js';
import { newRunId } from './run-id.js';
import type { RunLedger, RunRecord } from './run-ledger.js';

/** Where runs go once they are in the ledger: BullMQ (QueueSet) or the inline runner. */
export interface Dispatcher {
  add(run: Pick<RunRecord, 'id' | 'kind' | 'tenant' | 'payload' | 'scheduledFor'>): Promise<void>;
}

export interface EnqueueOptions {
  /** The tenant the run is for; null for fleet-wide jobs. */
  tenant: string | null;
}

/** Resolves to the run id (also the BullMQ job id). */
export async function enqueue(
  target: { registry: JobRegistry; ledger: RunLedger; dispatcher: Dispatcher },
  kind: string,
  payload: unknown,
  { tenant }: EnqueueOptions,
): Promise<string> {
  target.registry.get(kind).parse(payload);
  const run = { id: newRunId(), kind, tenant, payload, scheduledFor: null };
  await target.ledger.createRun(run);
  await target.dispatcher.add(run);
  return run.id;
}
