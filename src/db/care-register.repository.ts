/**
 * The tenant's care register (docs/rules.md "DAT, CARE: data"): the profiles
 * to be handled with care, by id and reason only. An import replaces the whole
 * register in one transaction and writes the counts, never an id or a reason,
 * to the audit log (src/db/record-import.ts).
 */
import type { CareEntry } from './database.js';
import { inTransaction, type Db } from './executor.js';
import { diff, noDuplicates, recordImport, type Changes, type ReplaceOptions } from './record-import.js';
import { requireTenant, SYSTEM_ACTOR } from './tenants.repository.js';

export interface CareEntryInput {
  profile_id: string;
  reason: string | null;
}

/** Rows per INSERT: a register of many thousand profiles stays under Postgres's 65 535 parameters. */
const BATCH = 1000;

export function listCareRegister(db: Db, tenant: string): Promise<CareEntry[]> {
  return db.selectFrom('care_register').selectAll().where('tenant', '=', tenant).orderBy('profile_id').execute();
}

/**
 * Replaces the tenant's care register with `entries`; nothing is written when
 * any is bad. A profile already on the register keeps its `added_at` (when it
 * was first put there), its reason updated; the others are added now or removed.
 */
export async function replaceCareRegister(
  db: Db,
  tenant: string,
  entries: readonly CareEntryInput[],
  { dryRun = false, actor = SYSTEM_ACTOR }: ReplaceOptions = {},
): Promise<Changes<CareEntryInput>> {
  noDuplicates(entries, (e) => e.profile_id, 'care_register', 'profile_id');
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, tenant);
    const before = (await listCareRegister(trx, tenant)).map((e) => ({ profile_id: e.profile_id, reason: e.reason }));
    const changes = diff(before, entries, (e) => e.profile_id, (a, b) => a.reason === b.reason);
    if (dryRun) return changes;
    for (let i = 0; i < changes.removed.length; i += BATCH) {
      const ids = changes.removed.slice(i, i + BATCH).map((e) => e.profile_id);
      await trx.deleteFrom('care_register').where('tenant', '=', tenant).where('profile_id', 'in', ids).execute();
    }
    for (const { after } of changes.changed) {
      await trx.updateTable('care_register').set({ reason: after.reason }).where('tenant', '=', tenant).where('profile_id', '=', after.profile_id).execute();
    }
    for (let i = 0; i < changes.added.length; i += BATCH) {
      const rows = changes.added.slice(i, i + BATCH).map((e) => ({ tenant, profile_id: e.profile_id, reason: e.reason }));
      await trx.insertInto('care_register').values(rows).execute();
    }
    await recordImport(trx, 'care_register', tenant, changes, actor);
    return changes;
  });
}
