/**
 * Every sealed value the ledger holds, found by the key that sealed it: what
 * `warden secrets rewrap` (src/app/rewrap.ts) reads and seals again, batch by
 * batch. A value's key id is bytes 2 to 5 of its box (src/secrets/secret-box.ts),
 * so the ledger itself picks the values not yet under a key, and a value already
 * moved is never read again. This module never sees a value in the clear.
 *
 * The reads lock the rows they return (`FOR UPDATE`) until the batch's
 * transaction ends, so a row changed meanwhile (an erasure request ending, which
 * wipes its identifiers) waits for the rewrap, or the rewrap for it.
 */
import { sql, type RawBuilder } from 'kysely';
import type { LedgerKeyPurpose } from './database.js';
import type { Db } from './executor.js';

/** The tables with sealed values, in the order a rewrap takes them (the ledger keys first: the rewrap's own audit entry needs them). */
export const SEALED_TABLES = ['ledger_keys', 'secret_versions', 'erasure_requests'] as const;
export type SealedTable = (typeof SEALED_TABLES)[number];

/** The box in `column` carries another key id than `keyId` (8 hex digits). */
function notUnder(column: string, keyId: string): RawBuilder<boolean> {
  return sql<boolean>`substring(${sql.ref(column)} from 2 for 4) IS DISTINCT FROM decode(${keyId}, 'hex')`;
}

/** Secret versions whose value is not under `keyId`, after the id `after`, oldest first, locked. */
export function secretVersionsNotUnder(db: Db, keyId: string, after: number, limit: number): Promise<{ id: number; tenant: string; name: string; sealed: Uint8Array }[]> {
  return db
    .selectFrom('secret_versions')
    .select(['id', 'tenant', 'name', 'encrypted_value as sealed'])
    .where(notUnder('encrypted_value', keyId))
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .execute();
}

export async function resealSecretVersion(db: Db, id: number, sealed: Uint8Array): Promise<void> {
  await db.updateTable('secret_versions').set({ encrypted_value: sealed }).where('id', '=', id).execute();
}

/** Open erasure requests whose identifiers are not under `keyId`, after the id `after`, oldest first, locked. */
export async function erasureIdentifiersNotUnder(db: Db, keyId: string, after: number, limit: number): Promise<{ id: number; tenant: string; profile_id: string; sealed: Uint8Array }[]> {
  const rows = await db
    .selectFrom('erasure_requests')
    .select(['id', 'tenant', 'profile_id', 'identifiers'])
    .where('identifiers', 'is not', null)
    .where(notUnder('identifiers', keyId))
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .execute();
  return rows.map((r) => ({ id: r.id, tenant: r.tenant, profile_id: r.profile_id, sealed: r.identifiers! }));
}

export async function resealErasureIdentifiers(db: Db, id: number, sealed: Uint8Array): Promise<void> {
  await db.updateTable('erasure_requests').set({ identifiers: sealed }).where('id', '=', id).where('identifiers', 'is not', null).execute();
}

/** Ledger keys not under `keyId`, after the purpose `after` (in name order), locked. */
export function ledgerKeysNotUnder(db: Db, keyId: string, after: string, limit: number): Promise<{ purpose: LedgerKeyPurpose; sealed: Uint8Array }[]> {
  return db
    .selectFrom('ledger_keys')
    .select(['purpose', 'sealed'])
    .where(notUnder('sealed', keyId))
    .where('purpose', '>', after as LedgerKeyPurpose)
    .orderBy('purpose')
    .limit(limit)
    .forUpdate()
    .execute();
}

export async function resealLedgerKey(db: Db, purpose: LedgerKeyPurpose, sealed: Uint8Array): Promise<void> {
  await db.updateTable('ledger_keys').set({ sealed }).where('purpose', '=', purpose).execute();
}
