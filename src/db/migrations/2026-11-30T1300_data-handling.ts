/**
 * The tenant's own data-handling records (docs/rules.md "DAT, CARE: data"):
 * - `data_destinations`: the hosts customer data may be sent to (`*.S` for any subdomain of S);
 * - `care_register`: the profiles to be handled with care, by id and reason only,
 *   never a name or contact detail;
 * - on `tenants`, the register's tag (`handle-with-care`) and whether the
 *   data-handling job may add a missing tag itself (`--auto-tag`, off by default).
 * Each record is replaced whole by an import (`warden destinations import`, `warden care import`).
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE data_destinations (
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    host text NOT NULL CHECK (host <> '' AND host = lower(host)),
    note text,
    PRIMARY KEY (tenant, host)
  )`.execute(db);
  await sql`CREATE TABLE care_register (
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    profile_id text NOT NULL CHECK (profile_id <> ''),
    reason text,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, profile_id)
  )`.execute(db);
  await sql`ALTER TABLE tenants ADD COLUMN care_tag text NOT NULL DEFAULT 'handle-with-care' CHECK (care_tag <> '')`.execute(db);
  await sql`ALTER TABLE tenants ADD COLUMN care_auto_tag boolean NOT NULL DEFAULT false`.execute(db);
}
