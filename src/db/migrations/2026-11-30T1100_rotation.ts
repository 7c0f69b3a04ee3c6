/**
 * Shared-secret rotation (docs/architecture.md "Secret rotation"):
 *
 * - `secrets`: one row per secret a tenant keeps in Warden, with its kind, its
 *   rotation policy (every `rotate_every_days`, an overlap of `overlap_s`
 *   during which the previous version is still accepted) and, for an
 *   integration's token or a machine password, the platform user it belongs
 *   to. Filled from the versions already held.
 * - `secret_versions` gains `platform_ref` (an API token's id on the
 *   platform, so the old one can be revoked) and when a consumer was first and
 *   last seen using the version (a delivery it signed, a request it made).
 * - `secret_rotations`: one row per rotation, the state machine
 *   (`create` → `set` → `test` → `finish` → `overlap` → `done`, or
 *   `rolled_back`), at most one open per secret (a partial unique index).
 *   A pending version left by an earlier release gets its rotation here.
 * - `secret_rotation_events`: each rotation's journal, append-only; an effect
 *   outside Warden (an email, a platform call) is keyed here before it is made.
 * - `webhook_deliveries`: what Warden's webhook receiver saw: accepted (and by
 *   which version) or refused (and why); an accepted body is never accepted twice.
 * - `secret_retrievals`: one-time links to read a secret's value (an hour, once).
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE secrets (
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('webhook-signing', 'barcode', 'api-token', 'machine-password')),
    rotate_every_days integer NOT NULL DEFAULT 90 CHECK (rotate_every_days BETWEEN 1 AND 3650),
    overlap_s integer NOT NULL DEFAULT 86400 CHECK (overlap_s BETWEEN 0 AND 2592000),
    machine_user_id integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, name)
  )`.execute(db);
  await sql`INSERT INTO secrets (tenant, name, kind, created_at)
    SELECT DISTINCT ON (tenant, name) tenant, name,
      CASE WHEN kind IN ('webhook-signing', 'barcode', 'api-token', 'machine-password') THEN kind ELSE 'webhook-signing' END,
      created_at
    FROM secret_versions ORDER BY tenant, name, created_at`.execute(db);
  await sql`ALTER TABLE secret_versions
    ADD COLUMN platform_ref text,
    ADD COLUMN first_seen_at timestamptz,
    ADD COLUMN last_seen_at timestamptz`.execute(db);
  await sql`ALTER TABLE secret_versions ADD CONSTRAINT secret_versions_secret_fk
    FOREIGN KEY (tenant, name) REFERENCES secrets (tenant, name) ON UPDATE CASCADE ON DELETE RESTRICT`.execute(db);

  await sql`CREATE TABLE secret_rotations (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    name text NOT NULL,
    version_id integer REFERENCES secret_versions (id),
    reason text NOT NULL CHECK (reason IN ('policy', 'manual', 'emergency', 'departed-owner')),
    emergency boolean NOT NULL DEFAULT false,
    state text NOT NULL CHECK (state IN ('create', 'set', 'test', 'finish', 'overlap', 'done', 'rolled_back')),
    requested_by text NOT NULL,
    started_at timestamptz NOT NULL,
    state_at timestamptz NOT NULL,
    tries integer NOT NULL DEFAULT 0,
    waiting_for text,
    finished_at timestamptz,
    retire_at timestamptz,
    ended_at timestamptz,
    FOREIGN KEY (tenant, name) REFERENCES secrets (tenant, name) ON UPDATE CASCADE ON DELETE RESTRICT
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX secret_rotations_one_open_idx ON secret_rotations (tenant, name)
    WHERE state NOT IN ('done', 'rolled_back')`.execute(db);
  await sql`CREATE TABLE secret_rotation_events (
    id serial PRIMARY KEY,
    rotation_id integer NOT NULL REFERENCES secret_rotations (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    event text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
  )`.execute(db);
  await sql`CREATE INDEX secret_rotation_events_rotation_idx ON secret_rotation_events (rotation_id, id)`.execute(db);
  await sql`CREATE UNIQUE INDEX secret_rotation_events_once_idx ON secret_rotation_events (rotation_id, event, (detail->>'key'))
    WHERE detail ? 'key'`.execute(db);
  // A pending version from before rotations were rows: its rotation, at the step it reached.
  await sql`INSERT INTO secret_rotations (tenant, name, version_id, reason, state, requested_by, started_at, state_at)
    SELECT tenant, name, id, 'manual',
      CASE step WHEN 'set' THEN 'test' WHEN 'test' THEN 'finish' ELSE 'set' END,
      'warden', created_at, coalesce(tested_at, set_at, created_at)
    FROM secret_versions WHERE label = 'pending'`.execute(db);

  await sql`CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE CASCADE,
    received_at timestamptz NOT NULL,
    accepted boolean NOT NULL,
    version_id integer REFERENCES secret_versions (id),
    label text,
    reason text CHECK (reason IN ('missing-signature', 'bad-signature', 'replayed', 'no-secret')),
    body_sha256 text NOT NULL,
    bytes integer NOT NULL
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX webhook_deliveries_replay_idx ON webhook_deliveries (tenant, body_sha256) WHERE accepted`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_tenant_idx ON webhook_deliveries (tenant, received_at)`.execute(db);

  await sql`CREATE TABLE secret_retrievals (
    id serial PRIMARY KEY,
    tenant text NOT NULL,
    name text NOT NULL,
    version_id integer NOT NULL REFERENCES secret_versions (id),
    token_hash text NOT NULL UNIQUE,
    person_id integer NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (tenant, name) REFERENCES secrets (tenant, name) ON UPDATE CASCADE ON DELETE RESTRICT
  )`.execute(db);
}
