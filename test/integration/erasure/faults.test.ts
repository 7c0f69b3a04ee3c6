/**
 * Each platform fault on its own, against the simulator over HTTP with real
 * Postgres: 5xx, a timeout, 429 with Retry-After (fleet-wide pause), purge
 * lag, a dropped purge (second round, then failed), the tenant's short
 * verification window, and the retry of a failed request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, erasureCertificate, retryErasures } from '../../../src/app/erasures.js';
import { createRuns } from '../../../src/db/job-runs.repository.js';
import { erasureEvents, erasuresToTell } from '../../../src/db/erasure.repository.js';
import { pausePlatform } from '../../../src/db/platform-pace.repository.js';
import { newRunId } from '../../../src/queue/run-id.js';
import {
  eraser,
  PURGE_ROUTE,
  requestRow,
  runsOf,
  setErasureSettings,
  simConfig,
  simCount,
  simFaults,
  simRestoreProfile,
  freshProfiles,
  startErasureWorld,
  TENANT,
  type Eraser,
  type ErasureWorld,
  type SimProfile,
} from './support.js';

let world: ErasureWorld;
let profiles: SimProfile[];
const open: Eraser[] = [];

/** An eraser closed after the test. */
function eraserFor(options: Parameters<typeof eraser>[1] = {}): Eraser {
  const e = eraser(world, options);
  open.push(e);
  return e;
}

/** The next profile no test has used yet. */
function nextProfile(): SimProfile {
  const p = profiles.shift();
  if (p === undefined) throw new Error('out of profiles');
  return p;
}

async function enqueue(e: Eraser, p: SimProfile, withIdentifiers = true): Promise<number> {
  const identifiers = withIdentifiers ? [...(p.email ? [`email:${p.email}`] : []), ...(p.mobile_phone ? [`phone:${p.mobile_phone}`] : [])] : [];
  const out = await enqueueErasure(e.deps, { tenant: TENANT, profileId: String(p.id), identifiers }, 'cli:test');
  expect(out.created).toBe(true);
  return out.request.id;
}

/** Failed-request emails about `id` in the outbox. */
async function failedEmails(id: number): Promise<number> {
  return (await world.outbox()).filter((m) => m.subject === `[Warden] ${TENANT}: erasure request #${id} failed`).length;
}

beforeAll(async () => {
  world = await startErasureWorld();
  profiles = await freshProfiles(world, 30);
}, 60_000);

afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
  await simConfig(world.sim, { purgeLagMs: 0, purgeDropRate: 0, errorRate: 0, latencyMs: 0 });
  await setErasureSettings(world.db.db, { erasure_verify_window_s: 900, platform_rate_limit: null });
  await world.db.db.deleteFrom('platform_pace').execute();
});

afterAll(async () => {
  await world?.close();
});

describe('5xx', () => {
  it('a 503 on the purge spends an attempt; the next attempt purges again, and the request is verified', async () => {
    const e = eraserFor();
    const p = nextProfile();
    const before = simCount(world.sim, 503, PURGE_ROUTE);
    await simFaults(world.sim, [{ status: 503 }]);
    const id = await enqueue(e, p);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    // The 503 is an answer that says nothing of what happened: kept as unknown, so the outcome can never be not_found.
    expect(row.purge_answers).toEqual(['unknown', 'accepted']);
    expect(simCount(world.sim, 503, PURGE_ROUTE) - before).toBe(1);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 2 }]);
    const events = await erasureEvents(world.db.db, id);
    expect(events.filter((ev) => ev.event === 'attempt_failed')).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(String(p.id));
  });

  it('a 500 on a verification read is retried by the client within the attempt', async () => {
    const e = eraserFor();
    const id = await enqueue(e, nextProfile());
    // The purge goes through; the first verification read answers 500.
    await simFaults(world.sim, [{}, { status: 500 }]);
    await e.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('verified');
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
  });

  it('5xx on every attempt: the last one fails the request, names the route (never the id), and emails the engineers once', async () => {
    const e = eraserFor({ backoffMs: 5 });
    const p = nextProfile();
    await simFaults(world.sim, Array.from({ length: 8 }, () => ({ status: 502 })));
    const id = await enqueue(e, p);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain('/profiles/{id}/purge');
    expect(row.error).toContain('502');
    expect(row.error).not.toContain(String(p.id));
    expect(row.purge_answers).toEqual(Array(8).fill('unknown'));
    // Kept sealed: a retry needs them.
    expect(row.identifiers).not.toBeNull();
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'failed', attempts: 8 }]);
    expect(await failedEmails(id)).toBe(1);
  });
});

describe('timeouts', () => {
  it('a purge call that timed out is recorded unknown; the retry’s 404 then proves nothing of before: verified, not not_found', async () => {
    // The runner's backoff (1.5 s) outlasts the slow answer (1.3 s), so the retry finds the profile already purged.
    const e = eraserFor({ backoffMs: 1_500 });
    const p = nextProfile();
    await simFaults(world.sim, [{ delayMs: 1_300 }]);
    const id = await enqueue(e, p);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.purge_answers).toEqual(['unknown', 'not_found']);
    expect(row.status).toBe('verified');
    const cert = await erasureCertificate(world.db.db, id);
    expect(cert.outcome).toBe('verified');
    expect(cert.certificate).toMatchObject({ purge: { answers: ['unknown', 'not_found'] } });
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 2 }]);
  });
});

describe('429 with Retry-After', () => {
  it('pauses the tenant for the Retry-After and defers the run without spending an attempt', async () => {
    const e = eraserFor();
    await simFaults(world.sim, [{ status: 429, retryAfter: 2 }]);
    const started = Date.now();
    const id = await enqueue(e, nextProfile());
    // The pause is the tenant's, in the ledger, for every worker.
    let paused: Date | null = null;
    for (let i = 0; i < 200 && paused === null; i++) {
      paused = (await world.db.db.selectFrom('platform_pace').select('paused_until').where('tenant', '=', TENANT).executeTakeFirst())?.paused_until ?? null;
      if (paused === null) await sleep(10);
    }
    expect(paused).not.toBeNull();
    expect(paused!.getTime() - started).toBeGreaterThanOrEqual(1_500);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_answers).toEqual(['rate_limited', 'accepted']);
    expect(row.purged_at!.getTime()).toBeGreaterThanOrEqual(paused!.getTime() - 50);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1, error: null }]);
    const events = await erasureEvents(world.db.db, id);
    expect(events.filter((ev) => ev.event === 'attempt_failed')).toHaveLength(0);
  });

  it('a long pause holds every run of the tenant: no platform call until it is over, one 429 in all, no attempt spent', async () => {
    const e = eraserFor();
    const before429 = simCount(world.sim, 429);
    // Longer than a job sleeps in place (5 s): the runs defer themselves.
    await simFaults(world.sim, [{ status: 429, retryAfter: 6 }]);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await enqueue(e, nextProfile()));
    let t429 = 0;
    for (let i = 0; i < 500 && t429 === 0; i++) {
      if (simCount(world.sim, 429) > before429) t429 = Date.now();
      else await sleep(10);
    }
    expect(t429).toBeGreaterThan(0);
    // Calls already on the wire when the 429 came may land; after that, silence until the pause ends.
    await sleep(400);
    const during = world.sim.stats().total;
    await sleep(Math.max(0, t429 + 5_000 - Date.now()));
    expect(world.sim.stats().total).toBe(during);
    await e.idle();
    for (const id of ids) {
      const row = await requestRow(world.db.db, id);
      expect(row.status).toBe('verified');
      // Each run either met the 429 or was deferred before sending: no call went unanswered, and one purge each went through.
      expect(row.purge_answers.filter((a) => a === 'unknown')).toEqual([]);
      expect(row.purge_answers.filter((a) => a === 'accepted')).toHaveLength(1);
      expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
    }
    expect(simCount(world.sim, 429) - before429).toBe(1);
  }, 30_000);
});

describe('a pause met before the purge call is sent', () => {
  it('defers the run without recording a call that was never made: a profile never held is still not_found', async () => {
    const e = eraserFor();
    // Another worker met a 429 asking for 6 s: longer than a job sleeps in place, so this run defers at its first call.
    await pausePlatform(world.db.db, TENANT, 6_000);
    const out = await enqueueErasure(e.deps, { tenant: TENANT, profileId: '880001' }, 'cli:test');
    await e.idle();
    const row = await requestRow(world.db.db, out.request.id);
    expect(row.purge_answers.filter((a) => a === 'unknown')).toEqual([]);
    expect(row.status).toBe('not_found');
    expect((await erasureCertificate(world.db.db, out.request.id)).outcome).toBe('not_found');
    expect(await runsOf(world.db.db, out.request.id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
  }, 20_000);
});

describe('purge lag', () => {
  it('a purge not visible yet defers the verification (no attempt spent) until it is, then verifies', async () => {
    const e = eraserFor();
    await simConfig(world.sim, { purgeLagMs: 1_500 });
    const p = nextProfile();
    const seen = simCount(world.sim, 200, 'GET /api/v3/profiles/{id}');
    const id = await enqueue(e, p);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_answers).toEqual(['accepted']);
    expect(row.purge_rounds).toBe(1);
    // At least one verification saw the profile still there.
    expect(simCount(world.sim, 200, 'GET /api/v3/profiles/{id}') - seen).toBeGreaterThanOrEqual(1);
    expect(row.verified_at!.getTime() - row.purged_at!.getTime()).toBeGreaterThanOrEqual(1_400);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
  });
});

describe('dropped purges and the verification window', () => {
  it('a purge answered but not carried out: the window closes, a second round purges it, verified', async () => {
    const e = eraserFor();
    await setErasureSettings(world.db.db, { erasure_verify_window_s: 2 });
    await simConfig(world.sim, { purgeDropRate: 1 });
    const p = nextProfile();
    const id = await enqueue(e, p);
    for (let i = 0; i < 300 && !world.sim.stats().dropped_purge_profile_ids.includes(p.id); i++) await sleep(10);
    expect(world.sim.stats().dropped_purge_profile_ids).toContain(p.id);
    await simConfig(world.sim, { purgeDropRate: 0 });
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_rounds).toBe(2);
    expect(row.purge_answers).toEqual(['accepted', 'accepted']);
    const events = (await erasureEvents(world.db.db, id)).map((ev) => ev.event);
    expect(events.filter((ev) => ev === 'purge_round')).toHaveLength(2);
    expect(events).toContain('window_closed');
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
  });

  it('drops that never stop: failed after two rounds, PRV-04 raised by the sweep, the engineers emailed once however often the job runs; a retry once they stop verifies it', async () => {
    const e = eraserFor();
    await setErasureSettings(world.db.db, { erasure_verify_window_s: 1 });
    await simConfig(world.sim, { purgeDropRate: 1 });
    const p = nextProfile();
    const id = await enqueue(e, p);
    await e.idle();
    let row = await requestRow(world.db.db, id);
    expect(row.status).toBe('failed');
    expect(row.purge_rounds).toBe(2);
    expect(row.purge_answers).toEqual(['accepted', 'accepted']);
    expect(row.error).toMatch(/still not proven gone after 2 purge rounds/);
    expect(row.error).not.toContain(String(p.id));
    expect(row.error).not.toContain(p.email!);
    expect(row.identifiers).not.toBeNull();
    expect(await failedEmails(id)).toBe(1);

    const sweep = await e.runJob('erasure-sweep', TENANT);
    expect(sweep.status).toBe('succeeded');
    const finding = await world.db.db.selectFrom('findings').selectAll().where('rule', '=', 'PRV-04').where('subject_id', '=', String(id)).executeTakeFirst();
    expect(finding).toBeDefined();
    expect(finding!.resolved_at).toBeNull();
    expect(JSON.stringify(finding)).not.toContain(p.email!);

    // The job again (a duplicate delivery, a reconcile), twice: the request stays failed, no second email.
    for (let i = 0; i < 2; i++) {
      const run = newRunId();
      await createRuns(world.db.db, 'erasure', [{ runKey: run, tenant: TENANT, payload: { request_id: id } }], new Date());
      await e.deps.dispatch('erasure', [{ id: run, tenant: TENANT, payload: { request_id: id } }]);
      await e.idle();
    }
    expect((await requestRow(world.db.db, id)).status).toBe('failed');
    expect(await failedEmails(id)).toBe(1);
    // The sweep again: still one email, the finding still open.
    await e.runJob('erasure-sweep', TENANT);
    expect(await failedEmails(id)).toBe(1);

    await simConfig(world.sim, { purgeDropRate: 0 });
    const retried = await retryErasures(e.deps, [id], 'cli:test');
    expect(retried).toHaveLength(1);
    await e.idle();
    row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.identifiers).toBeNull();
    expect(row.purge_answers).toEqual(['accepted', 'accepted', 'accepted']);
    expect((await erasureCertificate(world.db.db, id)).outcome).toBe('verified');
    await e.runJob('erasure-sweep', TENANT);
    const resolved = await world.db.db.selectFrom('findings').select('resolved_at').where('rule', '=', 'PRV-04').where('subject_id', '=', String(id)).executeTakeFirstOrThrow();
    expect(resolved.resolved_at).not.toBeNull();
  }, 30_000);
});

describe('mail down', () => {
  it('an email that could not be sent is not lost, and does not hold up the erasure: the sweep sends it once mail is back, once', async () => {
    const down = eraserFor({ env: { ...world.appEnv, SMTP_URL: 'smtp://127.0.0.1:1' } });
    await setErasureSettings(world.db.db, { erasure_verify_window_s: 1 });
    await simConfig(world.sim, { purgeDropRate: 1 });
    const failing = await enqueue(down, nextProfile());
    await down.idle();
    expect((await requestRow(world.db.db, failing)).status).toBe('failed');
    expect(await failedEmails(failing)).toBe(0);
    await simConfig(world.sim, { purgeDropRate: 0 });

    // A verified request whose profile comes back, while mail is still down: purged again all the same.
    const p = nextProfile();
    const back = await enqueue(down, p);
    await down.idle();
    await world.db.db.updateTable('erasure_requests').set({ next_reverify_at: new Date(Date.now() - 1000) }).where('id', '=', back).execute();
    await simRestoreProfile(world.sim, { id: p.id, email: p.email, mobile_phone: p.mobile_phone });
    await down.runJob('reconcile');
    await down.idle();
    expect(await requestRow(world.db.db, back)).toMatchObject({ status: 'verified', reopened_count: 1 });
    const reappeared = async () => (await world.outbox()).filter((m) => m.subject === `[Warden] ${TENANT}: erasure request #${back} reappeared`).length;
    expect(await reappeared()).toBe(0);
    // The sweep with mail down tells nobody (its run fails, and is retried); the keys stay free.
    await down.runJob('erasure-sweep', TENANT);

    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    expect((await erasuresToTell(world.db.db, TENANT, weekAgo)).map((r) => r.id)).toEqual(expect.arrayContaining([failing, back]));

    const up = eraserFor();
    for (let i = 0; i < 2; i++) expect((await up.runJob('erasure-sweep', TENANT)).status).toBe('succeeded');
    expect(await failedEmails(failing)).toBe(1);
    expect(await reappeared()).toBe(1);
    expect(await erasuresToTell(world.db.db, TENANT, weekAgo)).toEqual([]);
  }, 30_000);
});
