/**
 * The append-only audit log (docs/architecture.md "The audit log"). Each row
 * carries the hash of the row before it and an HMAC-SHA256 of its own content
 * under the audit key (kept in the ledger only sealed under `WARDEN_SECRET_KEY`,
 * bound to the handle by src/app/create-app.ts), so a row changed or deleted by hand,
 * even re-hashed by someone who can write the table, breaks the chain and
 * `verifyChain` names where. Deleting the newest rows leaves a shorter chain
 * that still holds: the head ({@link auditLogHead}, exported with every digest)
 * catches that, as `verifyChain(..., { head })`.
 */
import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from './canonical-json.js';
import { json, type AuditChainScheme, type AuditLogRow } from './database.js';
import { boundAuditKey, inTransaction, type Db } from './executor.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  /** Who: a person's login, `cli`, or `system:<job kind>`. */
  actor: string;
  /** What, e.g. `tenant.added`, `approval.approved`. */
  action: string;
  /** On what, by id, e.g. `tenant:acme`. Never an email address or a customer identifier. */
  subject: string;
  /** Counts, settings, reasons: never a secret value or a customer identifier. */
  details?: Record<string, unknown>;
  /** @defaultValue now */
  at?: Date;
}

type HashedContent = Pick<AuditLogRow, 'id' | 'at' | 'actor' | 'action' | 'subject' | 'details'>;

/**
 * The hash a row must carry, over the previous hash and the row's canonical
 * JSON: HMAC-SHA256 under `key`, or, for the rows written before the keyed
 * chain (`chain = 'sha256'`), plain SHA-256 when `key` is undefined.
 */
export function rowHash(prevHash: string, row: HashedContent, key?: Buffer): string {
  const content = canonicalJson({
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: row.details,
  });
  const mac = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  return mac.update(prevHash).update('\n').update(content).digest('hex');
}

/**
 * Appends one row, signed with the key bound to `db`. Appends are serialised by
 * a table lock held to the end of the transaction (readers are not blocked), so
 * two concurrent appends cannot both chain onto the same last row.
 */
export async function appendAuditLog(db: Db, entry: AuditEntry): Promise<AuditLogRow> {
  const key = await boundAuditKey(db);
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
      .values({ ...row, details: json(details), prev_hash: prevHash, hash: rowHash(prevHash, row, key), chain: 'hmac-sha256' })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/**
 * Which of `keys` signed the newest keyed row: how an audit key is checked
 * against the log before the ledger keeps it (src/app/ledger-keys.ts), so that
 * a wrong key is refused rather than stored. Undefined when no row is keyed.
 */
export async function signerOfNewestEntry(db: Db, keys: readonly Buffer[]): Promise<{ id: number; key: Buffer | undefined } | undefined> {
  const row = await db.selectFrom('audit_log').selectAll().where('chain', '=', 'hmac-sha256').orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (row === undefined) return undefined;
  return { id: row.id, key: keys.find((key) => rowHash(row.prev_hash, row, key) === row.hash) };
}

/** Where the log ends: what a digest exports and an auditor keeps, to compare with later. */
export interface AuditLogHead {
  /** The last row's id; null for an empty log. */
  id: number | null;
  /** The last row's hash; {@link GENESIS_HASH} for an empty log. */
  hash: string;
  /** How many rows the log holds. */
  count: number;
  /** When the last row was written; null for an empty log. */
  at: Date | null;
}

/** The log's head, read in one statement (one snapshot: the count and the last row agree). */
export async function auditLogHead(db: Db): Promise<AuditLogHead> {
  const { rows } = await sql<{ id: number; hash: string; at: Date; count: string | number }>`
    SELECT id, hash, at, (SELECT count(*) FROM audit_log) AS count FROM audit_log ORDER BY id DESC LIMIT 1`.execute(db);
  const last = rows[0];
  if (last === undefined) return { id: null, hash: GENESIS_HASH, count: 0, at: null };
  return { id: last.id, hash: last.hash, count: Number(last.count), at: new Date(last.at) };
}

/** An earlier head to check the log against: the row at position `count` must carry `hash`. */
export interface ExpectedHead {
  hash: string;
  count: number;
}

export type ChainVerdict =
  | {
      ok: true;
      rows: number;
      /** Of those, rows from before the keyed chain (plain SHA-256). */
      legacy: number;
    }
  | {
      ok: false;
      /** Rows checked before the broken one. */
      rows: number;
      /** The first row that does not hold; null when the log is shorter than the head given. */
      brokenId: number | null;
      reason: 'content-changed' | 'predecessor-missing' | 'predecessor-changed' | 'unkeyed-after-keyed' | 'head-mismatch' | 'head-missing';
      /** One line for a person. */
      message: string;
    };

export interface VerifyOptions {
  /** Rows read per query. @defaultValue 1000 */
  batchSize?: number;
  /** An earlier head (e.g. from last week's digest) the log must still extend. @defaultValue none */
  head?: ExpectedHead;
}

const SCHEMES: readonly AuditChainScheme[] = ['sha256', 'hmac-sha256'];

/**
 * Walks the chain from the first row, checking each row's HMAC under the key
 * bound to `db`. Rows hashed with plain SHA-256 are accepted only before the
 * first keyed row: they were written before the keyed chain existed. With
 * `head`, the row at position `head.count` must carry `head.hash`, so rows
 * deleted from the end since that head was taken (or a truncation) are caught.
 */
export async function verifyChain(db: Db, options: VerifyOptions = {}): Promise<ChainVerdict> {
  const key = await boundAuditKey(db);
  const batchSize = options.batchSize ?? 1000;
  const head = options.head;
  let prevHash = GENESIS_HASH;
  let prevId: number | undefined;
  let checked = 0;
  let legacy = 0;
  let keyedSeen = false;
  for (;;) {
    let query = db.selectFrom('audit_log').selectAll().orderBy('id').limit(batchSize);
    if (prevId !== undefined) query = query.where('id', '>', prevId);
    const rows = await query.execute();
    for (const row of rows) {
      const broken = (reason: Exclude<ChainVerdict, { ok: true }>['reason'], message: string): ChainVerdict => ({
        ok: false,
        rows: checked,
        brokenId: row.id,
        reason,
        message: `row ${row.id}: ${message}`,
      });
      if (row.prev_hash !== prevHash) {
        const missing = row.id !== (prevId ?? 0) + 1;
        const before = prevId === undefined ? 'the start of the log' : `row ${prevId}`;
        return missing
          ? broken('predecessor-missing', `the row before it is missing (deleted after ${before})`)
          : broken('predecessor-changed', `its prev_hash does not match ${before}`);
      }
      const keyed = row.chain === 'hmac-sha256';
      if (!SCHEMES.includes(row.chain) || (!keyed && keyedSeen)) {
        return broken('unkeyed-after-keyed', `it claims the ${JSON.stringify(row.chain)} scheme, which only rows before the keyed chain may`);
      }
      if (rowHash(row.prev_hash, row, keyed ? key : undefined) !== row.hash) {
        return broken(
          'content-changed',
          keyed
            ? 'its content does not match its HMAC (changed after it was written, or the audit key is not the one it was written under)'
            : 'its content does not match its hash (changed after it was written)',
        );
      }
      keyedSeen ||= keyed;
      if (!keyed) legacy += 1;
      prevHash = row.hash;
      prevId = row.id;
      checked += 1;
      if (head !== undefined && checked === head.count && row.hash !== head.hash) {
        return broken('head-mismatch', `the log's entry ${head.count} does not carry the head's hash ${head.hash.slice(0, 12)}…: the log was rewritten since that head`);
      }
    }
    if (rows.length < batchSize) break;
  }
  if (head !== undefined && checked < head.count) {
    return {
      ok: false,
      rows: checked,
      brokenId: null,
      reason: 'head-missing',
      message: `the log holds ${checked} entries, fewer than the ${head.count} of the head given: entries were deleted or the table truncated since`,
    };
  }
  return { ok: true, rows: checked, legacy };
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
