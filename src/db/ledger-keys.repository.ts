/**
 * The keys Warden keeps for its own use (`ledger_keys`: the audit log's HMAC
 * key, the web key), sealed; this module never sees a key in the clear.
 * src/app/ledger-keys.ts seals, opens and decides what to store.
 */
import type { LedgerKeyPurpose } from './database.js';
import type { Db } from './executor.js';

export interface SealedLedgerKey {
  purpose: LedgerKeyPurpose;
  sealed: Uint8Array;
}

export function readLedgerKeys(db: Db): Promise<SealedLedgerKey[]> {
  return db.selectFrom('ledger_keys').select(['purpose', 'sealed']).orderBy('purpose').execute();
}

/**
 * Stores the keys not stored yet, and leaves the others as they are: of two
 * processes storing one at once, the first wins and the second reads it back
 * ({@link readLedgerKeys}), so every process uses one key.
 */
export async function storeLedgerKeys(db: Db, keys: readonly SealedLedgerKey[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .insertInto('ledger_keys')
    .values(keys.map((k) => ({ purpose: k.purpose, sealed: k.sealed })))
    .onConflict((oc) => oc.column('purpose').doNothing())
    .execute();
}
