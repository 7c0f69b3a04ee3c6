/**
 * The append-only audit log. Each row carries the SHA-256 of the row before it
 * and of its own content, so a row changed or deleted by hand breaks the chain
 * and `verifyChain` names where.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from './canonical-json.js';
import { json, type AuditLogRow } from './database.js';
import { inTransaction, type Db } from './executor.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** Who: a person's login, or `system:<job kind>`. */
  actor: string;
  /** What, e.g. `approval.approved`, `erasure.verified`. */
  action: string;
  /** On what, by id, e.g. `approval:12`. Never an email address or a customer identifier. */
  subject: string;
  details?: Record<string, unknown>;
  /** @defaultValue now */
  at?: Date;
}

type HashedContent = Pick<AuditLogRow, 'id' | 'at' | 'actor' | 'action' | 'subject' | 'details'>;

/** The hash a row must carry: SHA-256 over the previous hash and the row's canonical JSON. */
export function rowHash(prevHash: string, row: HashedContent): string {
  const content = canonicalJson({
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * Appends one row. Appends are serialised by a table lock held to the end of
 * the transaction (readers are not blocked), so two concurrent appends cannot
 * both chain onto the same last row.
 */
export async function appendAuditLog(db: Db, entry: AuditEntry): Promise<AuditLogRow> {
  // What jsonb will give back: hashing it now means verify recomputes the same bytes.
  const details = JSON.parse(json(entry.details ?? {})) as Record<string, unknown>;
  const at = entry.at ?? new Date();
  return inTransaction(db, async (trx) => {
    await sql`LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    const last = await trx.selectFrom('audit_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const prevHash = last?.hash ?? GENESIS_HASH;
    // The id is part of the hashed content, so it is drawn before the insert.
    const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))::int AS id`.execute(trx);
    const id = rows[0]!.id;
    const row = { id, at, actor: entry.actor, action: entry.action, subject: entry.subject, details };
    return trx
      .insertInto('audit_log')
      .values({ ...row, details: json(details), prev_hash: prevHash, hash: rowHash(prevHash, row) })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export type ChainVerdict =
  | { ok: true; rows: number }
  | {
      ok: false;
      /** Rows checked before the broken one. */
      rows: number;
      /** The first row that does not hold. */
      brokenId: number;
      reason: 'content-changed' | 'predecessor-missing' | 'predecessor-changed';
      /** One line for a person. */
      message: string;
    };

export interface VerifyOptions {
  /** Rows read per query. @defaultValue 1000 */
  batchSize?: number;
}

/**
 * Walks the chain from the first row. Limitation: deleting the newest rows
 * leaves a shorter chain that is still consistent; anchor the latest hash
 * elsewhere (e.g. in the digest) to catch that.
 */
export async function verifyChain(db: Db, options: VerifyOptions = {}): Promise<ChainVerdict> {
  const batchSize = options.batchSize ?? 1000;
  let prevHash = GENESIS_HASH;
  let prevId: number | undefined;
  let checked = 0;
  for (;;) {
    let query = db.selectFrom('audit_log').selectAll().orderBy('id').limit(batchSize);
    if (prevId !== undefined) query = query.where('id', '>', prevId);
    const rows = await query.execute();
    for (const row of rows) {
      if (row.prev_hash !== prevHash) {
        const missing = row.id !== (prevId ?? 0) + 1;
        const before = prevId === undefined ? 'the start of the log' : `row ${prevId}`;
        return {
          ok: false,
          rows: checked,
          brokenId: row.id,
          reason: missing ? 'predecessor-missing' : 'predecessor-changed',
          message: missing
            ? `row ${row.id}: the row before it is missing (deleted after ${before})`
            : `row ${row.id}: its prev_hash does not match ${before}`,
        };
      }
      if (rowHash(row.prev_hash, row) !== row.hash) {
        return {
          ok: false,
          rows: checked,
          brokenId: row.id,
          reason: 'content-changed',
          message: `row ${row.id}: its content does not match its hash (changed after it was written)`,
        };
      }
      prevHash = row.hash;
      prevId = row.id;
      checked += 1;
    }
    if (rows.length < batchSize) return { ok: true, rows: checked };
  }
}

/** @public kept for a later issue (approvals, erasure, rotation); no command reaches it yet */
export function listAuditLog(db: Db, options: { afterId?: number; limit?: number } = {}): Promise<AuditLogRow[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('id', '>', options.afterId ?? 0)
    .orderBy('id')
    .limit(options.limit ?? 1000)
    .execute();
}
