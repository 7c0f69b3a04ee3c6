/** The fleet-wide platform pace (src/db/platform-pace.repository.ts) on both ledger backends: slots spaced by the rate however many ask at once, a pause, and callers that will not wait. */
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePaceRow, pausePlatform, takePlatformSlot } from '../../../src/db/platform-pace.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const INTERVAL_MS = 50;
/** Callers here wait for any slot (the erasure client's own limit is 5 s). */
const WAIT_ANY = 60_000;

describe.each(['postgres', 'pglite'] as const)('platform pace on %s', (backend) => {
  let db: TestDatabase;

  afterEach(async () => {
    await db?.destroy();
  });

  async function open(): Promise<TestDatabase> {
    db = await createTestDatabase(backend);
    await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:1', tokenEnv: 'ACME_TOKEN' });
    await ensurePaceRow(db.db, 'acme');
    return db;
  }

  const nextAt = async () => (await db.db.selectFrom('platform_pace').select('next_at').where('tenant', '=', 'acme').executeTakeFirstOrThrow()).next_at;

  it('twenty callers at once get twenty slots one interval apart', async () => {
    await open();
    const started = Date.now();
    const slots = await Promise.all(Array.from({ length: 20 }, () => takePlatformSlot(db.db, 'acme', INTERVAL_MS, WAIT_ANY)));
    const elapsed = Date.now() - started;
    expect(slots.every((s) => s.pausedMs === 0 && s.booked)).toBe(true);
    // The nineteenth slot after the first is 19 intervals on, less the time the twenty took to ask.
    expect(Math.max(...slots.map((s) => s.waitMs))).toBeGreaterThanOrEqual(19 * INTERVAL_MS - elapsed - 5);
    expect((await nextAt()).getTime() - started).toBeGreaterThanOrEqual(20 * INTERVAL_MS - 5);
  });

  it('a pause holds every caller without taking a slot; after it the slots go on at once', async () => {
    await open();
    await pausePlatform(db.db, 'acme', 2_000);
    const paused = await takePlatformSlot(db.db, 'acme', INTERVAL_MS, WAIT_ANY);
    expect(paused.booked).toBe(false);
    expect(paused.pausedMs).toBeGreaterThan(1_000);
    expect(paused.pausedMs).toBeLessThanOrEqual(2_000);
    await new Promise((r) => setTimeout(r, paused.pausedMs + 20));
    const after = await takePlatformSlot(db.db, 'acme', INTERVAL_MS, WAIT_ANY);
    expect(after).toEqual({ booked: true, waitMs: 0, pausedMs: 0 });
  });

  it('a caller that will not wait as long as the queue of slots books nothing, so the slots after it are not pushed back', async () => {
    await open();
    // Forty slots booked ahead: the next free one is about two seconds away.
    await Promise.all(Array.from({ length: 40 }, () => takePlatformSlot(db.db, 'acme', INTERVAL_MS, WAIT_ANY)));
    const before = await nextAt();
    // A hundred callers that wait 500 ms at most: none books, and the next free slot has not moved.
    const impatient = await Promise.all(Array.from({ length: 100 }, () => takePlatformSlot(db.db, 'acme', INTERVAL_MS, 500)));
    expect(impatient.every((s) => !s.booked && s.waitMs > 500)).toBe(true);
    expect((await nextAt()).getTime()).toBe(before.getTime());
  });
});
