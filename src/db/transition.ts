/**
 * The one way a lifecycle status moves: a guarded UPDATE that only matches a
 * row in an allowed status, so two workers racing over a row cannot both win.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './database.js';
import { InvalidTransitionError, NotFoundError } from './errors.js';
import type { Db } from './executor.js';

type LifecycleTable = 'job_runs' | 'approvals' | 'erasure_requests' | 'review_campaigns';

/** Column values to set alongside the status: plain values, or SQL such as `attempts + 1`. */
export type TransitionSet = Record<string, unknown>;

const ENTITY: Record<LifecycleTable, string> = {
  job_runs: 'job_run',
  approvals: 'approval',
  erasure_requests: 'erasure_request',
  review_campaigns: 'review_campaign',
};

export async function transition<T extends LifecycleTable>(
  db: Db,
  table: T,
  id: number,
  from: readonly string[],
  to: string,
  set: TransitionSet = {},
): Promise<Selectable<Database[T]>> {
  // Kysely cannot narrow a generic table name; the three tables share `id` and `status`.
  const loose = db as unknown as Kysely<Record<'lifecycle', { id: number; status: string }>>;
  const name = table as unknown as 'lifecycle';
  const row = await loose
    .updateTable(name)
    .set({ ...set, status: to } as never)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row as unknown as Selectable<Database[T]>;
  const current = await loose.selectFrom(name).select('status').where('id', '=', id).executeTakeFirst();
  if (current === undefined) throw new NotFoundError(ENTITY[table], id);
  throw new InvalidTransitionError(ENTITY[table], id, current.status, to);
}
