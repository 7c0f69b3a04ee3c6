/**
 * The tenant's approved data destinations (docs/rules.md "DAT, CARE: data"):
 * the hosts its webhooks may send customer data to. An import replaces the
 * whole record in one transaction and writes the counts to the audit log
 * (src/db/record-import.ts).
 */
import type { DataDestination } from './database.js';
import { inTransaction, type Db } from './executor.js';
import { diff, noDuplicates, recordImport, type Changes, type ReplaceOptions } from './record-import.js';
import { requireTenant, SYSTEM_ACTOR } from './tenants.repository.js';

export interface DestinationInput {
  /** Lower-cased, as the table's CHECK wants it (src/records/destinations-csv.ts makes it so). */
  host: string;
  note: string | null;
}

export function listDestinations(db: Db, tenant: string): Promise<DataDestination[]> {
  return db.selectFrom('data_destinations').selectAll().where('tenant', '=', tenant).orderBy('host').execute();
}

/** Replaces the tenant's approved destinations with `destinations`; nothing is written when any is bad. */
export async function replaceDestinations(
  db: Db,
  tenant: string,
  destinations: readonly DestinationInput[],
  { dryRun = false, actor = SYSTEM_ACTOR }: ReplaceOptions = {},
): Promise<Changes<DestinationInput>> {
  noDuplicates(destinations, (d) => d.host, 'destinations', 'host');
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, tenant);
    const before = (await listDestinations(trx, tenant)).map((d) => ({ host: d.host, note: d.note }));
    const changes = diff(before, destinations, (d) => d.host, (a, b) => a.note === b.note);
    if (dryRun) return changes;
    await trx.deleteFrom('data_destinations').where('tenant', '=', tenant).execute();
    if (destinations.length > 0) {
      await trx
        .insertInto('data_destinations')
        .values(destinations.map((d) => ({ tenant, host: d.host, note: d.note })))
        .execute();
    }
    await recordImport(trx, 'destinations', tenant, changes, actor);
    return changes;
  });
}
