/**
 * The fleet-wide pace of each tenant's platform calls (`platform_pace`): the
 * next free slot, handed out one at a time on the database's clock, and a
 * pause after a `429`. Every worker of every process asks the same row, so
 * adding workers never adds requests per second.
 */
import { sql } from 'kysely';
import type { Db } from './executor.js';

const interval = (ms: number) => sql<string>`make_interval(secs => ${ms / 1000})`;

/**
 * The answer to a request for a slot: `booked` (call after `waitMs`), or not
 * booked because the tenant is paused (`pausedMs` more) or its slots are
 * taken further ahead than the caller would wait (`waitMs`, nothing booked).
 */
export interface PaceSlot {
  booked: boolean;
  waitMs: number;
  pausedMs: number;
}

/** Makes the tenant's pace row if it has none (once per client is enough). */
export async function ensurePaceRow(db: Db, tenant: string): Promise<void> {
  await sql`INSERT INTO platform_pace (tenant) VALUES (${tenant}) ON CONFLICT (tenant) DO NOTHING`.execute(db);
}

/**
 * Books the tenant's next slot, `intervalMs` after the last one booked (0 =
 * no pacing, only the pause is checked), when it is at most `maxWaitMs` away.
 * A slot further away, or a paused tenant, books nothing: a caller that will
 * not wait for it must not take it from the callers that will (a booked slot
 * nobody uses would push every later one back). Call {@link ensurePaceRow} first.
 */
export async function takePlatformSlot(db: Db, tenant: string, intervalMs: number, maxWaitMs: number): Promise<PaceSlot> {
  const gap = interval(intervalMs);
  const { rows } = await sql<{ ahead_ms: number; paused_ms: number }>`
    UPDATE platform_pace AS p SET next_at = CASE
        WHEN o.paused_until > o.now THEN p.next_at
        WHEN GREATEST(o.next_at, o.now) > o.now + ${interval(maxWaitMs)} THEN p.next_at
        ELSE GREATEST(o.next_at, o.now) + ${gap} END
    FROM (SELECT next_at, paused_until, clock_timestamp() AS now FROM platform_pace WHERE tenant = ${tenant} FOR UPDATE) AS o
    WHERE p.tenant = ${tenant}
    RETURNING
      (extract(epoch FROM o.next_at - o.now) * 1000)::float8 AS ahead_ms,
      (CASE WHEN o.paused_until > o.now THEN extract(epoch FROM o.paused_until - o.now) * 1000 ELSE 0 END)::float8 AS paused_ms`.execute(db);
  const row = rows[0];
  if (row === undefined) return { booked: true, waitMs: 0, pausedMs: 0 };
  const pausedMs = Math.max(0, Number(row.paused_ms));
  const waitMs = Math.max(0, Number(row.ahead_ms));
  return { booked: pausedMs === 0 && waitMs <= maxWaitMs, waitMs, pausedMs };
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
