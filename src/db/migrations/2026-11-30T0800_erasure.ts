/**
 * The GDPR erasure pipeline (docs/architecture.md "Erasure"):
 *
 * - `erasure_requests` gains the two other ends a request can reach,
 *   `not_found` (the platform never held the profile, proven like a purge) and
 *   `retained` (kept on purpose, with the legal reason and who decided), and
 *   what the pipeline needs to resume anywhere: the reference an engineer
 *   gave, the identifiers to search by (sealed, wiped when the request ends),
 *   their salted hashes (kept, so a later subject access request can be
 *   answered), every purge call's answer, the verification window, the
 *   deadline's one extension, the retention decision and the re-verification
 *   schedule.
 * - `erasure_events`: each request's trail (received, purge calls, checks,
 *   deadline emails, reopened…), append-only; an email is keyed here before
 *   it is sent.
 * - `erasure_certificates`: the certificate of erasure, one current per
 *   request (a reopened request's old one is kept, marked superseded).
 * - `platform_pace`: the fleet-wide pace of each tenant's platform calls (the
 *   next free slot, and a pause after a 429).
 * - `tenants` gains its erasure settings: the purge method, the platform's
 *   rate limit, the verification window, the backup window, and the salt of
 *   the identifier hashes.
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE erasure_requests DROP CONSTRAINT erasure_requests_status_check`.execute(db);
  await sql`ALTER TABLE erasure_requests ADD CONSTRAINT erasure_requests_status_check
    CHECK (status IN ('received', 'purging', 'purged', 'verified', 'not_found', 'retained', 'failed'))`.execute(db);
  await sql`ALTER TABLE erasure_requests
    ADD COLUMN reference text,
    ADD COLUMN requested_by text NOT NULL DEFAULT 'warden',
    ADD COLUMN identifiers bytea,
    ADD COLUMN identifier_kinds text[] NOT NULL DEFAULT '{}',
    ADD COLUMN identifier_hashes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN purge_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN purge_answers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN verify_until timestamptz,
    ADD COLUMN verify_tries integer NOT NULL DEFAULT 0,
    ADD COLUMN checks jsonb,
    ADD COLUMN extended_months integer CHECK (extended_months BETWEEN 1 AND 2),
    ADD COLUMN extension_reason text,
    ADD COLUMN extended_by text,
    ADD COLUMN extended_at timestamptz,
    ADD COLUMN retained_reason text,
    ADD COLUMN retained_by text,
    ADD COLUMN retained_at timestamptz,
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN next_reverify_at timestamptz,
    ADD COLUMN last_reverified_at timestamptz,
    ADD COLUMN reopened_count integer NOT NULL DEFAULT 0`.execute(db);
  // Rows already past their first purge call are in round 1 (a window that closes on them starts round 2).
  await sql`UPDATE erasure_requests SET purge_rounds = 1 WHERE status IN ('purging', 'purged')`.execute(db);
  // The sweep finds what is due for re-verification, and the status page counts by status, through these.
  await sql`CREATE INDEX erasure_requests_reverify_idx ON erasure_requests (next_reverify_at) WHERE status IN ('verified', 'not_found')`.execute(db);
  await sql`CREATE INDEX erasure_requests_tenant_status_idx ON erasure_requests (tenant, status, deadline_at)`.execute(db);
  // A subject access request is answered by the hash of an identifier: found through this index, not a scan.
  await sql`CREATE INDEX erasure_requests_hashes_idx ON erasure_requests USING gin (identifier_hashes)`.execute(db);
  // reconcile looks up each open request's erasure runs by the request id in their payload.
  await sql`CREATE INDEX job_runs_erasure_idx ON job_runs ((payload->>'request_id')) WHERE kind = 'erasure'`.execute(db);
  await sql`CREATE TABLE erasure_events (
    id serial PRIMARY KEY,
    request_id integer NOT NULL REFERENCES erasure_requests (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    event text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
  )`.execute(db);
  await sql`CREATE INDEX erasure_events_request_idx ON erasure_events (request_id, id)`.execute(db);
  // An email about a request is keyed by its event before it is sent: at most one of each.
  await sql`CREATE UNIQUE INDEX erasure_events_once_idx ON erasure_events (request_id, event, (detail->>'key')) WHERE detail ? 'key'`.execute(db);
  await sql`CREATE TABLE erasure_certificates (
    id serial PRIMARY KEY,
    request_id integer NOT NULL REFERENCES erasure_requests (id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL DEFAULT now(),
    outcome text NOT NULL CHECK (outcome IN ('verified', 'not_found')),
    body jsonb NOT NULL,
    sha256 text NOT NULL,
    superseded_at timestamptz
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX erasure_certificates_current_idx ON erasure_certificates (request_id) WHERE superseded_at IS NULL`.execute(db);
  // A certificate written before this migration moves to the new table with its hash (of its jsonb text), not lost with its column.
  await sql`INSERT INTO erasure_certificates (request_id, issued_at, outcome, body, sha256)
    SELECT id, COALESCE(verified_at, received_at), 'verified', certificate, encode(sha256(convert_to(certificate::text, 'UTF8')), 'hex')
    FROM erasure_requests WHERE certificate IS NOT NULL AND status = 'verified'`.execute(db);
  await sql`ALTER TABLE erasure_requests DROP COLUMN certificate`.execute(db);
  await sql`CREATE TABLE platform_pace (
    tenant text PRIMARY KEY REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE CASCADE,
    next_at timestamptz NOT NULL DEFAULT now(),
    paused_until timestamptz
  )`.execute(db);
  await sql`ALTER TABLE tenants
    ADD COLUMN purge_method text NOT NULL DEFAULT 'DELETE' CHECK (purge_method IN ('DELETE', 'POST')),
    ADD COLUMN platform_rate_limit integer CHECK (platform_rate_limit BETWEEN 1 AND 100000),
    ADD COLUMN erasure_verify_window_s integer NOT NULL DEFAULT 900 CHECK (erasure_verify_window_s BETWEEN 1 AND 86400),
    ADD COLUMN backup_window_days integer NOT NULL DEFAULT 35 CHECK (backup_window_days BETWEEN 1 AND 365),
    ADD COLUMN erasure_salt bytea`.execute(db);
}
