/** What every repository function takes: the database, or a transaction already open on it. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * The audit log's HMAC key, per database handle: bound once by the composition
 * root (src/app/create-app.ts) and carried into the transactions
 * {@link inTransaction} opens, so every repository that writes an audit entry
 * signs it without the key passing through each signature. The app's loader
 * reads it from the ledger, where it is kept sealed under the secret key
 * (src/app/ledger-keys.ts, docs/architecture.md "The audit log").
 */
const auditKeys = new WeakMap<object, AuditKeyLoader>();

/**
 * Loads the audit key, running its queries on `db`: the handle the entry is
 * written with, often a transaction (PGlite has a single connection, which an
 * open transaction holds). The loader caches what it loaded.
 */
export type AuditKeyLoader = (db: Db) => Promise<Buffer>;

/** Binds the audit log's key to `db`: a key, or a loader called when an entry is first signed or verified. */
export function bindAuditKey<T extends Db>(db: T, key: Buffer | AuditKeyLoader): T {
  auditKeys.set(db, typeof key === 'function' ? key : () => Promise.resolve(key));
  return db;
}

/** The key bound to `db`, or an error naming where it should have been bound. */
export function boundAuditKey(db: Db): Promise<Buffer> {
  const key = auditKeys.get(db);
  if (key === undefined) return Promise.reject(new Error('no audit-log key is bound to this database handle (src/app/create-app.ts binds it)'));
  return key(db);
}

/** Runs `work` in a transaction, joining the caller's when `db` already is one. */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>);
  return db.transaction().execute((trx) => {
    const key = auditKeys.get(db);
    if (key !== undefined) auditKeys.set(trx, key);
    return work(trx);
  });
}
