/** What every repository function takes: the database, or a transaction already open on it. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** Runs `work` in a transaction, joining the caller's when `db` already is one. */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}
