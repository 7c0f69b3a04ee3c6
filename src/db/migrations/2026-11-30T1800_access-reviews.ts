/**
 * Access-review campaigns (docs/architecture.md "Access reviews"):
 *
 * - `tenants` gains its review settings: who reviews (emails; none means the
 *   tenant's admins, and its engineers for machine accounts), how many days a
 *   campaign runs (14), the grace after the due date (3) and what happens to
 *   an item nobody decided (`flag`: flagged for follow-up and reported; never
 *   a revoke unless the tenant chose it).
 * - `review_campaigns`: one row per campaign, `open → closing → closed`, with
 *   its frozen snapshot and that snapshot's SHA-256, and at closing the pack's
 *   manifest and hash. At most one campaign per tenant is not closed (a
 *   partial unique index: two opened at once, one wins), and a scheduled one
 *   is keyed by its quarter, so a schedule that fires twice opens one.
 * - `review_items`: the (account, role) pairs, each with its flags, reviewer,
 *   decision, the approval a revoke or change became, and the drift found when
 *   it was carried out.
 * - `review_events`: the campaign's trail (opened, delegated, decided,
 *   reminded, escalated, closed…); an event with a `key` is an effect done
 *   once (an email), claimed before it is done.
 * - `review_pack_files`: the evidence pack's files, stored once at closing.
 * - `approvals` gains the review item it came from and who asked (the reviewer).
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tenants
    ADD COLUMN review_reviewers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN review_machine_reviewers text[] NOT NULL DEFAULT '{}',
    ADD COLUMN review_due_days integer NOT NULL DEFAULT 14 CHECK (review_due_days BETWEEN 1 AND 90),
    ADD COLUMN review_grace_days integer NOT NULL DEFAULT 3 CHECK (review_grace_days BETWEEN 0 AND 30),
    ADD COLUMN review_no_response text NOT NULL DEFAULT 'flag' CHECK (review_no_response IN ('flag', 'keep', 'revoke'))`.execute(db);
  await sql`CREATE TABLE review_campaigns (
    id serial PRIMARY KEY,
    tenant text NOT NULL REFERENCES tenants (name) ON UPDATE CASCADE ON DELETE RESTRICT,
    period text,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closing', 'closed')),
    opened_at timestamptz NOT NULL,
    opened_by text NOT NULL,
    due_on text NOT NULL,
    due_at timestamptz NOT NULL,
    grace_days integer NOT NULL,
    no_response text NOT NULL CHECK (no_response IN ('flag', 'keep', 'revoke')),
    snapshot jsonb NOT NULL,
    snapshot_sha256 text NOT NULL,
    counts jsonb NOT NULL DEFAULT '{}',
    closing_at timestamptz,
    closed_by text,
    closed_at timestamptz,
    manifest jsonb,
    pack_sha256 text
  )`.execute(db);
  await sql`CREATE UNIQUE INDEX review_campaigns_one_open_idx ON review_campaigns (tenant) WHERE status <> 'closed'`.execute(db);
  await sql`CREATE UNIQUE INDEX review_campaigns_period_idx ON review_campaigns (tenant, period) WHERE period IS NOT NULL`.execute(db);
  await sql`CREATE TABLE review_items (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES review_campaigns (id) ON DELETE CASCADE,
    user_id text NOT NULL,
    email text,
    name text,
    role text NOT NULL,
    machine boolean NOT NULL,
    flags jsonb NOT NULL DEFAULT '[]',
    risk integer NOT NULL,
    reviewer text,
    decision text CHECK (decision IN ('keep', 'revoke', 'change_role')),
    new_role text,
    comment text,
    decided_by text,
    decided_at timestamptz,
    decided_via text,
    no_response text CHECK (no_response IN ('flag', 'keep', 'revoke')),
    approval_id integer REFERENCES approvals (id),
    drift jsonb,
    UNIQUE (campaign_id, user_id, role)
  )`.execute(db);
  await sql`CREATE INDEX review_items_reviewer_idx ON review_items (campaign_id, reviewer) WHERE decision IS NULL`.execute(db);
  await sql`CREATE TABLE review_events (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES review_campaigns (id) ON DELETE CASCADE,
    item_id integer REFERENCES review_items (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    event text NOT NULL,
    key text,
    detail jsonb NOT NULL DEFAULT '{}',
    UNIQUE (campaign_id, key)
  )`.execute(db);
  await sql`CREATE INDEX review_events_campaign_idx ON review_events (campaign_id, id)`.execute(db);
  await sql`CREATE TABLE review_pack_files (
    campaign_id integer NOT NULL REFERENCES review_campaigns (id) ON DELETE CASCADE,
    name text NOT NULL,
    content bytea NOT NULL,
    sha256 text NOT NULL,
    PRIMARY KEY (campaign_id, name)
  )`.execute(db);
  await sql`ALTER TABLE approvals
    ADD COLUMN review_item_id integer REFERENCES review_items (id),
    ADD COLUMN requested_by text`.execute(db);
}
