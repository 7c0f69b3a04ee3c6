/**
 * The web app's people and how they prove who they are (docs/architecture.md
 * "The web app"):
 *
 * - `people`: an email, a name, one or more roles, the tenants they may see
 *   (null: all), and when they were disabled (never deleted: the audit log
 *   names them).
 * - `sign_in_links`: one-time sign-in links. Only hashes are kept: the token's
 *   SHA-256, the typed code's and the requesting browser's nonce's HMACs. A
 *   link is spent by setting `used_at` once; where and from which agent it was
 *   asked for and used is kept beside it.
 * - `sessions`: a signed-in browser, by the hash of its cookie; ended by
 *   sign-out, by a disabled person, or by 12 hours without a request.
 * - `api_keys`: a person's keys for scripts, by hash, with their last use.
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE people (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
    name text NOT NULL DEFAULT '',
    roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['compliance', 'admin', 'engineer']::text[]),
    tenants text[],
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
  )`.execute(db);
  await sql`CREATE TABLE sign_in_links (
    id serial PRIMARY KEY,
    person_id integer NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    code_hash text NOT NULL,
    nonce_hash text,
    channel text NOT NULL CHECK (channel IN ('email', 'terminal')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0,
    requested_ip text,
    requested_agent text,
    used_at timestamptz,
    used_ip text,
    used_agent text
  )`.execute(db);
  await sql`CREATE INDEX sign_in_links_nonce ON sign_in_links (nonce_hash) WHERE used_at IS NULL`.execute(db);
  await sql`CREATE TABLE sessions (
    id serial PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    person_id integer NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    ended_reason text,
    ip text,
    agent text
  )`.execute(db);
  await sql`CREATE TABLE api_keys (
    id serial PRIMARY KEY,
    person_id integer NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (name <> ''),
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    last_used_ip text,
    revoked_at timestamptz
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE api_keys`.execute(db);
  await sql`DROP TABLE sessions`.execute(db);
  await sql`DROP TABLE sign_in_links`.execute(db);
  await sql`DROP TABLE people`.execute(db);
}
