/** The fleet-wide platform pace (src/db/platform-pace.repository.ts) on both ledger backends: slots spaced by the rate however many ask at once, and a pause. */
import { afterEach, describe, expect, it } from 'vitest';
import { pausePlatform, takePlatformSlot } from '../../../src/db/platform-pace.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const INTERVAL_MS = 50;

describe.each(['postgres', 'pglite'] as const)('platform pace on %s', (backend) => {
  let db: TestDatabase;

  afterEach(async () => {
    await db?.destroy();
  });

  async function open(): Promise<TestDatabase> {
    db = await createTestDatabase(backend);
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN' });
    return db;
  }

  it('twenty callers at once get twenty slots one interval apart', async () => {
    await open();
    const started = Date.now();
    const slots = await Promise.all(Array.from({ length: 20 }, () => takePlatformSlot(db.db, 'acme', INTERVAL_MS)));
    const elapsed = Date.now() - started;
    expect(slots.every((s) => s.pausedMs === 0)).toBe(true);
    // The nineteenth slot after the first is 19 intervals on, less the time the twenty took to ask.
    expect(Math.max(...slots.map((s) => s.waitMs))).toBeGreaterThanOrEqual(19 * INTERVAL_MS - elapsed - 5);
    const { next_at } = await db.db.selectFrom('platform_pace').select('next_at').where('tenant', '=', 'acme').executeTakeFirstOrThrow();
    expect(next_at.getTime() - started).toBeGreaterThanOrEqual(20 * INTERVAL_MS - 5);
  });

  it('a pause holds every caller without taking a slot; after it the slots go on at once', async () => {
    await open();
    await pausePlatform(db.db, 'acme', 2_000);
    const paused = await takePlatformSlot(db.db, 'acme', INTERVAL_MS);
    expect(paused.waitMs).toBe(0);
    expect(paused.pausedMs).toBeGreaterThan(1_000);
    expect(paused.pausedMs).toBeLessThanOrEqual(2_000);
    await new Promise((r) => setTimeout(r, paused.pausedMs + 20));
    const after = await takePlatformSlot(db.db, 'acme', INTERVAL_MS);
    expect(after).toEqual({ waitMs: 0, pausedMs: 0 });
  });
});
