/** What every repository function takes: the database, or a transaction already open on it. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';

export type Db = Kysely<Database> | Transaction<Database>;

/**
 * The audit log's HMAC key, per database handle: bound once by the composition
 * root (src/app/create-app.ts) and carried into the transactions
 * {@link inTransaction} opens, so every repository that writes an audit entry
 * signs it without the key passing through each signature. Never stored in the
 * database (docs/architecture.md "The audit log").
 */
const auditKeys = new WeakMap<object, () => Buffer>();

/** Binds the audit log's key to `db` (read lazily, once: deriving it may create the embedded key file). */
export function bindAuditKey<T extends Db>(db: T, key: Buffer | (() => Buffer)): T {
  let cached: Buffer | undefined = typeof key === 'function' ? undefined : key;
  auditKeys.set(db, () => (cached ??= (key as () => Buffer)()));
  return db;
}

/** The key bound to `db`, or an error naming where it should have been bound. */
export function boundAuditKey(db: Db): Buffer {
  const key = auditKeys.get(db);
  if (key === undefined) throw new Error('no audit-log key is bound to this database handle (src/app/create-app.ts binds it)');
  return key();
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
