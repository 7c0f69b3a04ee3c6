/**
 * The demo's data-handling records (src/demo/seed-demo.ts): its approved data
 * destinations and its care register, each replaced whole in one transaction,
 * with the register's `added_at` as the demo lays it out. Not an import: no
 * diff and no audit-log entry, as a seed of made-up data needs neither.
 * (The imports of real records are `replaceDestinations` and `replaceCareRegister`.)
 */
import { inTransaction, type Db } from './executor.js';

export interface SeedDataRecords {
  /** Lower-cased hosts, `*.S` for any subdomain of S. */
  destinations: readonly { host: string; note: string | null }[];
  /** Profile ids and reasons only, never a name or contact detail. */
  care: readonly { profile_id: string; reason: string | null; added_at: Date }[];
}

export async function seedDataRecords(db: Db, tenant: string, records: SeedDataRecords): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('data_destinations').where('tenant', '=', tenant).execute();
    await trx.deleteFrom('care_register').where('tenant', '=', tenant).execute();
    if (records.destinations.length > 0) {
      await trx.insertInto('data_destinations').values(records.destinations.map((d) => ({ tenant, host: d.host, note: d.note }))).execute();
    }
    if (records.care.length > 0) {
      await trx.insertInto('care_register').values(records.care.map((c) => ({ tenant, profile_id: c.profile_id, reason: c.reason, added_at: c.added_at }))).execute();
    }
  });
}
