/**
 * `ledger_keys`: the keys Warden derives for its own use (the audit log's HMAC
 * key, the web key), kept sealed under the secret key, so that changing
 * `WARDEN_SECRET_KEY` leaves them as they were: the audit log's chain keeps
 * verifying and the links already emailed keep working (docs/architecture.md
 * "The audit log", "Secrets at rest"). Empty here: each key is stored on first
 * use, with the value the secret key gave it until now (src/app/ledger-keys.ts).
 * `warden secrets rewrap` seals them again under a new key; nothing deletes them.
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE ledger_keys (
    purpose text PRIMARY KEY CHECK (purpose IN ('audit-log', 'web')),
    sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  // A deleted key would be made again from the secret key of the day, which after a key change is
  // another key: the chain would stop verifying. Only a rewrap changes a row, and only its seal.
  await sql`CREATE FUNCTION ledger_keys_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.purpose = OLD.purpose THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'ledger_keys rows are kept: only their seal changes';
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER ledger_keys_kept BEFORE UPDATE OR DELETE ON ledger_keys
    FOR EACH ROW EXECUTE FUNCTION ledger_keys_kept()`.execute(db);
  await sql`CREATE TRIGGER ledger_keys_no_truncate BEFORE TRUNCATE ON ledger_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_keys_kept()`.execute(db);
}
