/**
 * `care_tag_effects`: the care tags the data-handling job added, or tried to,
 * when the tenant lets it (`tenants.care_auto_tag`, docs/architecture.md
 * "Care tags"). One row per tenant, profile and tag (by its tag match,
 * trimmed and lower-cased), claimed by a run before the platform is called,
 * so that the effect happens once even when two runs meet or the job runs
 * again; it ends `verified` or `not_verified` with what the re-read showed.
 * Profile ids only, as the care register holds them (a table, not the
 * append-only audit log: it can be cleared if a profile must be forgotten).
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE care_tag_effects (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    profile_id text NOT NULL CHECK (profile_id <> ''),
    tag text NOT NULL CHECK (tag <> ''),
    tag_key text NOT NULL CHECK (tag_key <> ''),
    fingerprint text NOT NULL,
    run_key text NOT NULL,
    claimed_at timestamptz NOT NULL,
    outcome text CHECK (outcome IN ('verified', 'not_verified')),
    detail jsonb NOT NULL DEFAULT '{}',
    ended_at timestamptz,
    UNIQUE (tenant, profile_id, tag_key)
  )`.execute(db);
}
