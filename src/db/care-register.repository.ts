/**
 * The tenant's care register (docs/rules.md "DAT, CARE: data"): the profiles
 * to be handled with care, by id and reason only.
 */
import type { CareEntry } from './database.js';
import type { Db } from './executor.js';

export function listCareRegister(db: Db, tenant: string): Promise<CareEntry[]> {
  return db.selectFrom('care_register').selectAll().where('tenant', '=', tenant).orderBy('profile_id').execute();
}
