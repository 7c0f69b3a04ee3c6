/**
 * The audit log becomes keyed (docs/architecture.md "The audit log"):
 *
 * - `chain` names each row's hash scheme. Rows written before this migration
 *   were chained with plain SHA-256 and cannot be re-chained here, since a
 *   migration has no key; they stay `sha256`, and no later row may be
 *   (the CHECK pins the legacy rows to the ids that exist now). Every new row
 *   is `hmac-sha256`, under a key derived from `WARDEN_SECRET_KEY`.
 * - TRUNCATE is refused like UPDATE and DELETE (a statement-level trigger:
 *   row triggers do not fire on TRUNCATE).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN chain text NOT NULL DEFAULT 'sha256'`.execute(db);
  // Every later insert names its scheme: no silent default.
  await sql`ALTER TABLE audit_log ALTER COLUMN chain DROP DEFAULT`.execute(db);
  const { rows } = await sql<{ last: number }>`SELECT coalesce(max(id), 0)::int AS last FROM audit_log`.execute(db);
  const last = rows[0]?.last ?? 0;
  await sql`ALTER TABLE audit_log ADD CONSTRAINT audit_log_chain_scheme
    CHECK (chain = 'hmac-sha256' OR (chain = 'sha256' AND id <= ${sql.lit(last)}))`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER audit_log_no_truncate ON audit_log`.execute(db);
  await sql`ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_scheme`.execute(db);
  await sql`ALTER TABLE audit_log DROP COLUMN chain`.execute(db);
}
