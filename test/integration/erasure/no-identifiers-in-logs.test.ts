/**
 * No profile id, email or phone in any log line or email: a few erasures run
 * through every path that logs or emails (purged and verified, a 5xx, a 429,
 * lag, dropped purges to failure, a reappearance, the sweep's deadline email,
 * an import, a lost enqueue) with a debug-level pino logger writing to a buffer.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, importErasures, retryErasures } from '../../../src/app/erasures.js';
import { createLogger } from '../../../src/log/logger.js';
import {
  eraser,
  requestRow,
  setErasureSettings,
  simConfig,
  simFaults,
  simRestoreProfile,
  startErasureWorld,
  TENANT,
  type Eraser,
  type ErasureWorld,
} from './support.js';

const DAY = 86_400_000;
let world: ErasureWorld;
let e: Eraser;
const lines: string[] = [];

/** Profiles of the test's own, with ids no duration or timestamp can be mistaken for. */
const people = Array.from({ length: 8 }, (_, i) => ({
  id: 987_654_301 + i,
  email: `zed.quill.${i}@privacy-test.example`,
  mobile_phone: `+61 455 71${i} 9${i}3`,
}));
/** Profiles the platform never held. */
const ghosts = ['975318642', '975318643'];

beforeAll(async () => {
  world = await startErasureWorld();
  for (const p of people) await simRestoreProfile(world.sim, { id: p.id, email: p.email, mobile_phone: p.mobile_phone, transactions: 2 });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  e = eraser(world, { log: createLogger({ level: 'debug' }, sink), backoffMs: 10 });
}, 60_000);

afterAll(async () => {
  await e?.close();
  await world?.close();
});

const phoneDigits = (phone: string) => phone.replace(/\D/g, '');

/** What must never appear: each profile id (as a whole number), email (any case, its local part too) and phone (as written or as digits). */
function leaks(text: string): string[] {
  const found: string[] = [];
  const lower = text.toLowerCase();
  for (const p of people) {
    if (new RegExp(`(?<![0-9])${p.id}(?![0-9])`).test(text)) found.push(`profile ${p.id}`);
    if (lower.includes(p.email.toLowerCase()) || lower.includes(p.email.split('@')[0]!)) found.push(`email ${p.email}`);
    if (text.includes(p.mobile_phone) || text.includes(phoneDigits(p.mobile_phone)) || text.includes(phoneDigits(p.mobile_phone).slice(2))) found.push(`phone ${p.mobile_phone}`);
  }
  for (const g of ghosts) if (new RegExp(`(?<![0-9])${g}(?![0-9])`).test(text)) found.push(`profile ${g}`);
  return found;
}

const ids = (p: (typeof people)[number]) => [`email:${p.email}`, `phone:${p.mobile_phone}`];

describe('no customer identifier in logs or emails', () => {
  it('the detector finds each kind of identifier, and not numbers that merely contain an id', () => {
    const p = people[0]!;
    expect(leaks(`{"profile":${p.id}}`)).toEqual([`profile ${p.id}`]);
    expect(leaks(`x ${p.email.toUpperCase()} y`)).toEqual([`email ${p.email}`]);
    expect(leaks(`search=${phoneDigits(p.mobile_phone)}`)).toEqual([`phone ${p.mobile_phone}`]);
    expect(leaks(`{"time":1${p.id}5}`)).toEqual([]);
  });

  it('through every path that logs or emails', async () => {
    const [ok, fivexx, limited, lagged, dropped, reappearing, imported1, imported2] = people;
    const requests: number[] = [];
    const enqueue = async (p: (typeof people)[number], receivedAt?: string) => {
      const out = await enqueueErasure(e.deps, { tenant: TENANT, profileId: String(p.id), identifiers: ids(p), receivedAt, reference: 'LOG-TEST' }, 'cli:test');
      requests.push(out.request.id);
      await e.idle();
      return out.request.id;
    };

    await enqueue(ok!);
    await simFaults(world.sim, [{ status: 503 }]);
    await enqueue(fivexx!);
    await simFaults(world.sim, [{ status: 429, retryAfter: 1 }]);
    await enqueue(limited!);
    await simConfig(world.sim, { purgeLagMs: 1_200 });
    await enqueue(lagged!);
    await simConfig(world.sim, { purgeLagMs: 0 });

    // Dropped purges until it fails, received long ago: the failed email and the sweep's overdue email.
    await setErasureSettings(world.db.db, { erasure_verify_window_s: 1 });
    await simConfig(world.sim, { purgeDropRate: 1 });
    const failed = await enqueue(dropped!, new Date(Date.now() - 40 * DAY).toISOString());
    expect((await requestRow(world.db.db, failed)).status).toBe('failed');
    await e.runJob('erasure-sweep', TENANT);
    await simConfig(world.sim, { purgeDropRate: 0 });
    await retryErasures(e.deps, [failed], 'cli:test');
    await e.idle();

    // Verified, then back from a backup: reopened and purged again.
    const back = await enqueue(reappearing!);
    await world.db.db.updateTable('erasure_requests').set({ next_reverify_at: new Date(Date.now() - 1000) }).where('id', '=', back).execute();
    await simRestoreProfile(world.sim, { id: reappearing!.id, email: reappearing!.email, mobile_phone: reappearing!.mobile_phone });
    await e.runJob('reconcile');
    await e.idle();
    expect((await requestRow(world.db.db, back)).reopened_count).toBe(1);

    // An import whose dispatch fails (reconcile enqueues it), with never-held profiles among the rows.
    const lost = { ...e.deps, dispatch: () => Promise.reject(new Error('queue down')) };
    const text = ['profile_id,email,phone', `${imported1!.id},${imported1!.email},${imported1!.mobile_phone}`, `${imported2!.id},${imported2!.email},`, ...ghosts.map((g) => `${g},,`)].join('\n');
    const imported = await importErasures(lost, { tenant: TENANT, text, source: 'requests.csv' }, 'cli:test');
    requests.push(...imported.ids);
    await e.runJob('reconcile');
    await e.idle();
    // A bad row names line and field, not the value.
    await expect(importErasures(e.deps, { tenant: TENANT, text: `profile_id,email\n${people[0]!.id},${people[0]!.email.replace('@', ' at ')}\n`, source: 'r.csv' }, 'cli:test')).rejects.toThrow(
      /^r\.csv: line 2: email: not an email address/,
    );

    for (const id of requests) expect(['verified', 'not_found']).toContain((await requestRow(world.db.db, id)).status);

    // The paths above did log and email: the checks below are about something.
    expect(lines.length).toBeGreaterThan(50);
    const messages = new Set(lines.map((l) => (JSON.parse(l) as { msg: string }).msg));
    for (const msg of ['erasure proven', 'erasure email sent', 'omneo request', 'run deferred', 'attempt failed; will retry', 'an erased profile came back: request reopened, purging again', 'erasure runs not enqueued now; reconcile will']) {
      expect(messages).toContain(msg);
    }
    const mails = await world.outbox();
    const subjects = mails.map((m) => m.subject ?? '');
    expect(subjects.some((s) => s.endsWith(`#${failed} failed`))).toBe(true);
    expect(subjects.some((s) => s.endsWith(`#${back} reappeared`))).toBe(true);
    expect(subjects.some((s) => s.includes('erasure deadlines'))).toBe(true);

    expect(lines.flatMap((l) => leaks(l).map((what) => `${what} in log line ${l}`))).toEqual([]);
    for (const m of mails) {
      const whole = [m.subject, m.text, m.html || '', JSON.stringify(m.headers)].join('\n');
      expect(leaks(whole).map((what) => `${what} in email "${m.subject}"`)).toEqual([]);
    }
  }, 60_000);
});
