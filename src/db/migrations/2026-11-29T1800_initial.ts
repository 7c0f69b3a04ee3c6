/**
 * The ledger's first schema: every aggregate of docs/architecture.md "Tables, and who writes them". Append-only: never
 * edit this file once released; add a later migration instead.
 */
import { sql, type Kysely } from 'kysely';

// One statement per query: PGlite's extended protocol refuses several at once.
const UP = [
  sql`CREATE TABLE tenants (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    base_url text NOT NULL,
    token_env text NOT NULL,
    timezone text NOT NULL DEFAULT 'UTC',
    directory text,
    recipients jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE job_runs (
    id serial PRIMARY KEY,
    kind text NOT NULL,
    tenant text REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    scheduled_for timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    payload jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    counts jsonb,
    error text,
    idempotency_key text NOT NULL UNIQUE
  )`,
  sql`CREATE INDEX job_runs_status_idx ON job_runs (status, scheduled_for)`,
  sql`CREATE INDEX job_runs_tenant_kind_idx ON job_runs (tenant, kind, scheduled_for DESC)`,
  sql`CREATE TABLE findings (
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    fingerprint text NOT NULL,
    rule text NOT NULL,
    name text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    subject_label text NOT NULL,
    title text NOT NULL,
    action text NOT NULL,
    requires_approval boolean NOT NULL,
    evidence jsonb NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    resolved_at timestamptz,
    reopened_at timestamptz,
    last_run_id integer REFERENCES job_runs (id) ON DELETE SET NULL,
    PRIMARY KEY (tenant, fingerprint)
  )`,
  sql`CREATE INDEX findings_open_idx ON findings (tenant, rule) WHERE resolved_at IS NULL`,
  sql`CREATE TABLE suppressions (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    fingerprint text NOT NULL,
    reason text NOT NULL CHECK (reason <> ''),
    author text NOT NULL CHECK (author <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    UNIQUE (tenant, fingerprint)
  )`,
  sql`CREATE TABLE approvals (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    finding_fingerprint text NOT NULL,
    kind text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'verified', 'failed')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by text,
    decided_at timestamptz,
    comment text,
    link_token_hash text UNIQUE,
    link_used_at timestamptz,
    expires_at timestamptz NOT NULL,
    executed_at timestamptz,
    verified_at timestamptz,
    evidence jsonb NOT NULL DEFAULT '{}'
  )`,
  // A finding has at most one approval in flight, so a daily re-run does not ask twice.
  sql`CREATE UNIQUE INDEX approvals_one_open_idx ON approvals (tenant, finding_fingerprint, kind)
    WHERE status IN ('pending', 'approved', 'executed')`,
  sql`CREATE INDEX approvals_status_idx ON approvals (tenant, status)`,
  sql`CREATE TABLE erasure_requests (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    profile_id text NOT NULL,
    status text NOT NULL DEFAULT 'received'
      CHECK (status IN ('received', 'purging', 'purged', 'verified', 'failed')),
    received_at timestamptz NOT NULL DEFAULT now(),
    deadline_at timestamptz NOT NULL,
    purging_at timestamptz,
    purged_at timestamptz,
    verified_at timestamptz,
    failed_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    error text,
    certificate jsonb,
    UNIQUE (tenant, profile_id)
  )`,
  sql`CREATE INDEX erasure_requests_status_idx ON erasure_requests (status, received_at)`,
  sql`CREATE TABLE secret_versions (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    name text NOT NULL,
    kind text NOT NULL,
    label text NOT NULL CHECK (label IN ('current', 'pending', 'previous', 'retired')),
    encrypted_value bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    step text CHECK (step IN ('create', 'set', 'test', 'finish')),
    set_at timestamptz,
    tested_at timestamptz,
    finished_at timestamptz,
    retired_at timestamptz
  )`,
  sql`CREATE UNIQUE INDEX secret_versions_one_current_idx ON secret_versions (tenant, name) WHERE label = 'current'`,
  sql`CREATE UNIQUE INDEX secret_versions_one_pending_idx ON secret_versions (tenant, name) WHERE label = 'pending'`,
  sql`CREATE UNIQUE INDEX secret_versions_one_previous_idx ON secret_versions (tenant, name) WHERE label = 'previous'`,
  sql`CREATE TABLE locations (
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    id text NOT NULL,
    name text NOT NULL,
    closed_at timestamptz,
    PRIMARY KEY (tenant, id)
  )`,
  sql`CREATE TABLE allowlist_entries (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    cidr text NOT NULL,
    location_id text,
    approved_remote_access boolean NOT NULL DEFAULT false,
    note text,
    UNIQUE (tenant, cidr)
  )`,
  sql`CREATE TABLE audit_log (
    id serial PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL,
    details jsonb NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  )`,
  // The hash chain detects tampering; this refuses the casual kind outright.
  sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END
  $$`,
  sql`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
];

const DOWN = [
  'audit_log',
  'allowlist_entries',
  'locations',
  'secret_versions',
  'erasure_requests',
  'approvals',
  'suppressions',
  'findings',
  'job_runs',
  'tenants',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of DOWN) await db.schema.dropTable(table).execute();
  await sql`DROP FUNCTION audit_log_append_only()`.execute(db);
}
