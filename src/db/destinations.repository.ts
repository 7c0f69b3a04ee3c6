/**
 * The tenant's approved data destinations (docs/rules.md "DAT, CARE: data"):
 * the hosts its webhooks may send customer data to.
 */
import type { DataDestination } from './database.js';
import type { Db } from './executor.js';

export function listDestinations(db: Db, tenant: string): Promise<DataDestination[]> {
  return db.selectFrom('data_destinations').selectAll().where('tenant', '=', tenant).orderBy('host').execute();
}
