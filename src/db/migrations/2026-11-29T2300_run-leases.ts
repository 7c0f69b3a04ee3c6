/**
 * Claims become leases, and side effects get a ledger (docs/architecture.md
 * "A run's life"):
 *
 * - `job_runs.lease_owner` is the claim token of the attempt holding the run,
 *   `lease_until` when its lease ends (database clock), `heartbeat_at` its last
 *   renewal. A run `running` under a live lease is never taken over.
 * - `run_effects` records each side effect of a run (an email sent, later a
 *   removal or a purge) by (run key, effect key): its intent before it is done,
 *   its completion after, so a re-executed run does not repeat it.
 *
 * Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE job_runs ADD COLUMN lease_owner text`.execute(db);
  await sql`ALTER TABLE job_runs ADD COLUMN lease_until timestamptz`.execute(db);
  await sql`ALTER TABLE job_runs ADD COLUMN heartbeat_at timestamptz`.execute(db);
  await sql`CREATE TABLE run_effects (
    run_key text NOT NULL REFERENCES job_runs (idempotency_key) ON DELETE CASCADE,
    effect_key text NOT NULL CHECK (effect_key <> ''),
    status text NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'done')),
    attempt integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz,
    result jsonb,
    PRIMARY KEY (run_key, effect_key)
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE run_effects`.execute(db);
  await sql`ALTER TABLE job_runs DROP COLUMN heartbeat_at`.execute(db);
  await sql`ALTER TABLE job_runs DROP COLUMN lease_until`.execute(db);
  await sql`ALTER TABLE job_runs DROP COLUMN lease_owner`.execute(db);
}
