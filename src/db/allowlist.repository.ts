/**
 * The tenant's own record of its Clienteling IP allowlist and store locations
 * (the platform keeps them with no API). Each import replaces the whole record
 * in one transaction, says what changed, and records the counts in the audit log
 * (src/db/record-import.ts).
 */
import type { AllowlistEntry, Location } from './database.js';
import { inTransaction, type Db } from './executor.js';
import { diff, noDuplicates, recordImport, type Changes, type ReplaceOptions } from './record-import.js';
import { requireTenant, SYSTEM_ACTOR } from './tenants.repository.js';

export interface AllowlistEntryInput {
  /** Kept exactly as given: a malformed one is a finding (NET-00), not an import error. */
  cidr: string;
  location_id: string | null;
  approved_remote_access: boolean;
  note: string | null;
}

export interface LocationInput {
  id: string;
  name: string;
  closed_at: Date | null;
}

const entryOf = (r: AllowlistEntry): AllowlistEntryInput => ({
  cidr: r.cidr,
  location_id: r.location_id,
  approved_remote_access: r.approved_remote_access,
  note: r.note,
});

/** Replaces the tenant's allowlist with `entries`; nothing is written when any entry is bad. */
export async function replaceAllowlist(
  db: Db,
  tenant: string,
  entries: readonly AllowlistEntryInput[],
  { dryRun = false, actor = SYSTEM_ACTOR }: ReplaceOptions = {},
): Promise<Changes<AllowlistEntryInput>> {
  noDuplicates(entries, (e) => e.cidr, 'allowlist', 'cidr');
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, tenant);
    const before = (await listAllowlist(trx, tenant)).map(entryOf);
    if (!dryRun) await trx.deleteFrom('allowlist_entries').where('tenant', '=', tenant).execute();
    if (!dryRun && entries.length > 0) {
      await trx
        .insertInto('allowlist_entries')
        .values(entries.map((e) => ({ tenant, ...e })))
        .execute();
    }
    const changes = diff(
      before,
      entries,
      (e) => e.cidr,
      (a, b) => a.location_id === b.location_id && a.approved_remote_access === b.approved_remote_access && a.note === b.note,
    );
    if (!dryRun) await recordImport(trx, 'allowlist', tenant, changes, actor);
    return changes;
  });
}

export function listAllowlist(db: Db, tenant: string): Promise<AllowlistEntry[]> {
  return db.selectFrom('allowlist_entries').selectAll().where('tenant', '=', tenant).orderBy('cidr').execute();
}

const locationOf = (r: Location): LocationInput => ({ id: r.id, name: r.name, closed_at: r.closed_at });

/** Replaces the tenant's store locations with `locations`; nothing is written when any is bad. */
export async function replaceLocations(
  db: Db,
  tenant: string,
  locations: readonly LocationInput[],
  { dryRun = false, actor = SYSTEM_ACTOR }: ReplaceOptions = {},
): Promise<Changes<LocationInput>> {
  noDuplicates(locations, (l) => l.id, 'locations', 'id');
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, tenant);
    const before = (await listLocations(trx, tenant)).map(locationOf);
    if (!dryRun) await trx.deleteFrom('locations').where('tenant', '=', tenant).execute();
    if (!dryRun && locations.length > 0) {
      await trx
        .insertInto('locations')
        .values(locations.map((l) => ({ tenant, ...l })))
        .execute();
    }
    const changes = diff(
      before,
      locations,
      (l) => l.id,
      (a, b) => a.name === b.name && (a.closed_at?.getTime() ?? null) === (b.closed_at?.getTime() ?? null),
    );
    if (!dryRun) await recordImport(trx, 'locations', tenant, changes, actor);
    return changes;
  });
}

export function listLocations(db: Db, tenant: string): Promise<Location[]> {
  return db.selectFrom('locations').selectAll().where('tenant', '=', tenant).orderBy('id').execute();
}
