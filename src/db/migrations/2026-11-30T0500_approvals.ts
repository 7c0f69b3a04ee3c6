/**
 * Approvals and remediation (docs/architecture.md "Approvals and remediation"):
 *
 * - `approvals` gains what an approver and an auditor need without the
 *   finding at hand: the rule and the subject (type, id, label), the impact
 *   measured when it was requested, the first approver when a second one is
 *   needed (the daily removal cap), and two more ends: `withdrawn` (the
 *   finding was resolved while pending) and `refused` (the re-check right
 *   before acting found that the finding no longer holds). The one-link-per-
 *   approval columns go: links are per approval *and* admin, signed, and
 *   their use is recorded in `approval_link_uses`.
 * - `approval_events`: the trail of each approval (requested, emailed,
 *   decided, re-checked, acted, verified, failed…), append-only.
 * - `approval_link_uses`: a signed email link, by the hash of its token, once
 *   used: a link works once.
 * - `tenants` gains its approval settings: how long a request stays open
 *   (14 days), its break-glass accounts (never removed), and how many removals
 *   a day one admin may approve (10).
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE approvals
    ADD COLUMN rule text NOT NULL DEFAULT '',
    ADD COLUMN subject_type text NOT NULL DEFAULT '',
    ADD COLUMN subject_id text NOT NULL DEFAULT '',
    ADD COLUMN subject_label text NOT NULL DEFAULT '',
    ADD COLUMN impact jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN first_approved_by text,
    ADD COLUMN first_approved_at timestamptz,
    ADD COLUMN ended_at timestamptz,
    DROP COLUMN link_token_hash,
    DROP COLUMN link_used_at`.execute(db);
  await sql`ALTER TABLE approvals DROP CONSTRAINT approvals_status_check`.execute(db);
  await sql`ALTER TABLE approvals ADD CONSTRAINT approvals_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'withdrawn', 'executed', 'verified', 'failed', 'refused'))`.execute(db);
  await sql`CREATE INDEX approvals_requested_idx ON approvals (requested_at, id)`.execute(db);
  // Pending approvals past their deadline are expired before every list and decision: found by this index, not a scan.
  await sql`CREATE INDEX approvals_pending_expiry_idx ON approvals (expires_at) WHERE status = 'pending'`.execute(db);
  // reconcile looks up each approved approval's remediation runs by the approval id in their payload.
  await sql`CREATE INDEX job_runs_remediation_idx ON job_runs ((payload->>'approval_id')) WHERE kind = 'remediation'`.execute(db);
  await sql`CREATE TABLE approval_events (
    id serial PRIMARY KEY,
    approval_id integer NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    event text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
  )`.execute(db);
  await sql`CREATE INDEX approval_events_approval_idx ON approval_events (approval_id, id)`.execute(db);
  await sql`CREATE TABLE approval_link_uses (
    token_hash text PRIMARY KEY,
    approval_id integer NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    person_id integer NOT NULL REFERENCES people (id),
    used_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`ALTER TABLE tenants
    ADD COLUMN approval_expiry_days integer NOT NULL DEFAULT 14 CHECK (approval_expiry_days BETWEEN 1 AND 365),
    ADD COLUMN break_glass text[] NOT NULL DEFAULT '{}',
    ADD COLUMN max_removals_per_day integer NOT NULL DEFAULT 10 CHECK (max_removals_per_day BETWEEN 0 AND 10000)`.execute(db);
}
