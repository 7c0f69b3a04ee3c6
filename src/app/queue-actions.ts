/**
 * Actions taken on the queue dashboard (bull-board under `/admin/queues`):
 * bull-board carries them out on the queues itself, and each one that
 * succeeded is recorded here in the audit log under the person who took it.
 */
import type { Person } from '../db/database.js';
import { appendAuditLog } from '../db/audit-log.repository.js';
import type { Db } from '../db/executor.js';
import { personActor } from './people.js';

export interface QueueAction {
  /** What was done, e.g. `pause`, `clean`, `job_retry`: recorded as `queue.<what>`. */
  what: string;
  /** The queue it was done to, or null for every queue (pause all, resume all). */
  queue: string | null;
  /** Ids of what it touched (job id, job state, scheduler id): never job data. */
  details?: Record<string, string>;
}

/** Records a dashboard action that succeeded: actor the person, subject `queue:<name>` (`queue:*` for all). */
export async function recordQueueAction(db: Db, person: Pick<Person, 'email'>, action: QueueAction): Promise<void> {
  await appendAuditLog(db, {
    actor: personActor(person),
    action: `queue.${action.what}`,
    subject: `queue:${action.queue ?? '*'}`,
    details: { via: 'queue dashboard', ...action.details },
  });
}
