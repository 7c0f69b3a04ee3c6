/**
 * `warden secrets rewrap`: every sealed value of the ledger (secret versions,
 * open erasure requests' identifiers, the ledger's own keys) moved from the
 * previous secret key (`WARDEN_OLD_SECRET_KEY`) to the current one
 * (`WARDEN_SECRET_KEY`), each with the associated data it was sealed with, so
 * that the old key can be dropped (docs/operations.md "Changing the secret key").
 *
 * - **Without downtime**: every process started with both variables opens a
 *   value under either key (src/secrets/secret-box.ts `Keyring`), so values
 *   can move while the fleet works.
 * - **In batches**: one transaction per batch, its rows locked; a run stopped
 *   half way keeps the batches it finished.
 * - **Idempotent and resumable**: the ledger picks only the values not under
 *   the current key, so a second run finds none and changes nothing.
 * - **Refused**: a value under neither key stops the run (exit 2, naming the
 *   row and the key ids; its batch changes nothing), a value that does not
 *   open under its key too (altered or moved: exit 1).
 * - **Recorded**: one audit-log entry `secrets.rewrapped` (the counts and key
 *   ids) when anything moved; none for a run that moved nothing.
 *
 * Nothing here logs or returns a key or a value: key ids name keys without revealing them.
 */
import { appendAuditLog } from '../db/audit-log.repository.js';
import { inTransaction, type Db } from '../db/executor.js';
import {
  erasureIdentifiersNotUnder,
  ledgerKeysNotUnder,
  resealErasureIdentifiers,
  resealLedgerKey,
  resealSecretVersion,
  SEALED_TABLES,
  secretVersionsNotUnder,
  type SealedTable,
} from '../db/sealed-values.repository.js';
import { identifiersAad } from '../erasure/identifiers.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { keyId, resealSecret, sealedKeyId, secretAad, TamperedSecretError, UnknownSecretKeyError, type Keyring } from '../secrets/secret-box.js';
import { ledgerKeyAad, loadLedgerKeys } from './ledger-keys.js';

export interface RewrapDeps {
  db: Db;
  /** The keyring: the current key seals, and `old` must be given (`WARDEN_OLD_SECRET_KEY`). */
  keyring: Keyring;
  log?: Logger;
}

export interface RewrapOptions {
  /** Who, for the audit log (src/cli/actor.ts). */
  actor: string;
  /** Values sealed again per transaction. @defaultValue 500 */
  batchSize?: number;
}

export interface RewrapResult {
  /** The id of the key the values moved from (`WARDEN_OLD_SECRET_KEY`). */
  from: string;
  /** The id of the key they are under now (`WARDEN_SECRET_KEY`). */
  to: string;
  /** Values moved, per table. */
  rewrapped: Record<SealedTable, number>;
  total: number;
}

export const DEFAULT_REWRAP_BATCH = 500;

/** One sealed value as the rewrap sees it: where it is (ids only), what binds it to its row, how to write it back. */
interface SealedRow {
  /** The row's key, from which the next batch starts. */
  cursor: number | string;
  /** The row, for errors: `secret_versions row 12`. */
  where: string;
  sealed: Uint8Array;
  aad: Buffer;
  write(db: Db, sealed: Uint8Array): Promise<void>;
}

/** A batch of one table's values not under `keyId`, after the row `after` (from the start when undefined), locked on `db`. */
type BatchReader = (db: Db, keyId: string, after: SealedRow | undefined, limit: number) => Promise<SealedRow[]>;

const READERS: Readonly<Record<SealedTable, BatchReader>> = {
  ledger_keys: async (db, keyId, after, limit) =>
    (await ledgerKeysNotUnder(db, keyId, (after?.cursor as string | undefined) ?? '', limit)).map((r) => ({
      cursor: r.purpose,
      where: `ledger_keys row ${r.purpose}`,
      sealed: r.sealed,
      aad: ledgerKeyAad(r.purpose),
      write: (trx, sealed) => resealLedgerKey(trx, r.purpose, sealed),
    })),
  secret_versions: async (db, keyId, after, limit) =>
    (await secretVersionsNotUnder(db, keyId, (after?.cursor as number | undefined) ?? 0, limit)).map((r) => ({
      cursor: r.id,
      where: `secret_versions row ${r.id}`,
      sealed: r.sealed,
      aad: secretAad(r.tenant, r.name, r.id),
      write: (trx, sealed) => resealSecretVersion(trx, r.id, sealed),
    })),
  erasure_requests: async (db, keyId, after, limit) =>
    (await erasureIdentifiersNotUnder(db, keyId, (after?.cursor as number | undefined) ?? 0, limit)).map((r) => ({
      cursor: r.id,
      where: `erasure_requests row ${r.id}`,
      sealed: r.sealed,
      aad: identifiersAad(r.tenant, r.profile_id),
      write: (trx, sealed) => resealErasureIdentifiers(trx, r.id, sealed),
    })),
};

/**
 * Moves every sealed value not under the current key to it.
 * @throws InputError naming `WARDEN_OLD_SECRET_KEY` when it is not given (nothing read, nothing changed)
 * @throws UnknownSecretKeyError when a value is under neither key (its batch changes nothing)
 * @throws TamperedSecretError when a value does not open under its key (its batch changes nothing)
 */
export async function rewrapSecrets(deps: RewrapDeps, options: RewrapOptions): Promise<RewrapResult> {
  const ring = deps.keyring;
  if (ring.old === undefined) {
    throw new InputError('WARDEN_OLD_SECRET_KEY', 'must be the previous secret key, the one the values are sealed under: rewrap moves them from it to WARDEN_SECRET_KEY');
  }
  const batchSize = options.batchSize ?? DEFAULT_REWRAP_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError('batchSize', 'must be a whole number, 1 or more');
  const result: RewrapResult = { from: keyId(ring.old), to: keyId(ring.current), rewrapped: { ledger_keys: 0, secret_versions: 0, erasure_requests: 0 }, total: 0 };
  try {
    // Stored now if they never were (derived from the key the audit log was signed under): once the old
    // key is dropped, a ledger key not stored would be derived from the new one, and the chain would break.
    await loadLedgerKeys(deps.db, ring);
    for (const table of SEALED_TABLES) await rewrapColumn(deps, ring, table, batchSize, result);
  } catch (err) {
    // Batches already moved stay moved (each value opens under either key); the log says so.
    if (result.total > 0) await record(deps.db, options.actor, result, false).catch(() => undefined);
    throw err;
  }
  if (result.total > 0) await record(deps.db, options.actor, result, true);
  return result;
}

async function rewrapColumn(deps: RewrapDeps, ring: Keyring, table: SealedTable, batchSize: number, result: RewrapResult): Promise<void> {
  const to = keyId(ring.current);
  let after: SealedRow | undefined;
  for (;;) {
    const moved = await inTransaction(deps.db, async (trx) => {
      const rows = await READERS[table](trx, to, after, batchSize);
      for (const row of rows) await row.write(trx, reseal(row, ring));
      return rows;
    });
    if (moved.length === 0) return;
    after = moved.at(-1);
    result.rewrapped[table] += moved.length;
    result.total += moved.length;
    deps.log?.info({ table, rewrapped: result.rewrapped[table], to }, 'rewrap batch committed');
    if (moved.length < batchSize) return;
  }
}

/** The row's value sealed under the current key; an error naming the row (by id) when it does not open. */
function reseal(row: SealedRow, ring: Keyring): Uint8Array {
  try {
    return resealSecret(row.sealed, ring, row.aad);
  } catch (err) {
    if (err instanceof UnknownSecretKeyError) throw new UnknownSecretKeyError(err.sealedUnder, ring, row.where);
    if (err instanceof TamperedSecretError) {
      const under = sealedKeyId(row.sealed);
      throw new TamperedSecretError(`${row.where}${under === undefined ? ' (not a sealed value)' : ` (key ${under})`} does not open: it was altered, or moved from another row`);
    }
    throw err;
  }
}

function record(db: Db, actor: string, result: RewrapResult, complete: boolean): Promise<unknown> {
  return appendAuditLog(db, {
    actor,
    action: 'secrets.rewrapped',
    subject: `secret-key:${result.to}`,
    details: { from: result.from, to: result.to, rewrapped: result.rewrapped, total: result.total, complete },
  });
}
