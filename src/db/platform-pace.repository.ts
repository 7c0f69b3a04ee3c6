/**
 * The fleet-wide pace of each tenant's platform calls (`platform_pace`): the
 * next free slot, handed out one at a time on the database's clock, and a
 * pause after a `429`. Every worker of every process asks the same row, so
 * adding workers never adds requests per second.
 */
import { sql } from 'kysely';
import type { Db } from './executor.js';

const interval = (ms: number) => sql<string>`make_interval(secs => ${ms / 1000})`;

/** A slot: wait `waitMs`, then call; or the tenant is paused for `pausedMs` more (no slot was taken). */
export interface PaceSlot {
  waitMs: number;
  pausedMs: number;
}

/**
 * Takes the tenant's next slot, `intervalMs` after the last one handed out
 * (0 = no pacing, only the pause is checked). While the tenant is paused, no
 * slot is taken: the caller waits the pause out and asks again.
 */
export async function takePlatformSlot(db: Db, tenant: string, intervalMs: number): Promise<PaceSlot> {
  const gap = interval(intervalMs);
  const { rows } = await sql<{ wait_ms: number; paused_ms: number }>`
    INSERT INTO platform_pace AS p (tenant, next_at) VALUES (${tenant}, clock_timestamp() + ${gap})
    ON CONFLICT (tenant) DO UPDATE SET next_at = CASE
      WHEN p.paused_until > clock_timestamp() THEN p.next_at
      ELSE GREATEST(p.next_at, clock_timestamp()) + ${gap} END
    RETURNING
      CASE WHEN p.paused_until > clock_timestamp() THEN 0
        ELSE GREATEST(0, extract(epoch FROM (p.next_at - ${gap}) - clock_timestamp()) * 1000) END::float8 AS wait_ms,
      CASE WHEN p.paused_until > clock_timestamp()
        THEN extract(epoch FROM p.paused_until - clock_timestamp()) * 1000 ELSE 0 END::float8 AS paused_ms`.execute(db);
  const row = rows[0]!;
  return { waitMs: Number(row.wait_ms), pausedMs: Number(row.paused_ms) };
}

/** Pauses the tenant's calls for `ms` from now (a longer pause already set stands). */
export async function pausePlatform(db: Db, tenant: string, ms: number): Promise<void> {
  const until = sql<Date>`clock_timestamp() + ${interval(ms)}`;
  await sql`
    INSERT INTO platform_pace AS p (tenant, next_at, paused_until) VALUES (${tenant}, ${until}, ${until})
    ON CONFLICT (tenant) DO UPDATE SET
      paused_until = GREATEST(COALESCE(p.paused_until, clock_timestamp()), ${until}),
      next_at = GREATEST(p.next_at, ${until})`.execute(db);
}
