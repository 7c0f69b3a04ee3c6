/**
 * The fixes of the erasure pipeline's review, each in the case that showed
 * the defect, against the simulator over HTTP and real Postgres: a reopened
 * request is due at once and PRV-01 is raised by its own run; a stuck
 * transition with no other run fails the request; a re-verification that
 * cannot be made is tried a day later; a retained request can be retried;
 * 429s in a row are one entry and a long Retry-After pauses at most 15
 * minutes; a call never sent is taken back; the control call stops a platform
 * that answers 404 to everything from certifying; a phone is searched in two
 * forms; a set-up error fails the request; the sweep's emails go out when
 * its audit fails; the migration keeps an old certificate and the rounds.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, erasureCertificate, retainErasureAction, retryErasures, type ErasureActionDeps } from '../../../src/app/erasures.js';
import { erasureEvents } from '../../../src/db/erasure.repository.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { MIGRATIONS } from '../../../src/db/migrations/index.js';
import { pausePlatform } from '../../../src/db/platform-pace.repository.js';
import { DEMO_TOKEN_ENV } from '../../../src/demo/seed-demo.js';
import { MAX_PAUSE_MS } from '../../../src/erasure/pace.js';
import { createTestDatabase } from '../../support/db.js';
import {
  capturedLog,
  eraser,
  freshProfiles,
  PURGE_ROUTE,
  requestEmails,
  requestRow,
  runAgain,
  runsOf,
  setErasureSettings,
  simApi,
  simConfig,
  simCount,
  simFaults,
  simRestoreProfile,
  startErasureWorld,
  TENANT,
  withoutToken,
  type Eraser,
  type ErasureWorld,
  type SimProfile,
} from './support.js';

const DAY = 86_400_000;
let world: ErasureWorld;
let e: Eraser;
/** The actions with a queue that takes nothing: requests stay `received`, their runs queued in the ledger. */
let held: ErasureActionDeps;
let profiles: SimProfile[];
let baseUrl: string;
const open: Eraser[] = [];

/** An eraser closed after the test. */
function eraserFor(options: Parameters<typeof eraser>[1] = {}): Eraser {
  const made = eraser(world, options);
  open.push(made);
  return made;
}

function nextProfile(): SimProfile {
  const p = profiles.shift();
  if (p === undefined) throw new Error('out of profiles');
  return p;
}

async function enqueue(deps: ErasureActionDeps, p: SimProfile, receivedAt?: string): Promise<number> {
  const out = await enqueueErasure(deps, { tenant: TENANT, profileId: String(p.id), identifiers: [`email:${p.email}`, `phone:${p.mobile_phone}`], receivedAt }, 'cli:test');
  expect(out.created).toBe(true);
  return out.request.id;
}

/** Dispatches the run an enqueue through `held` left queued. */
async function dispatchQueued(into: Eraser, id: number): Promise<void> {
  const [run] = await runsOf(world.db.db, id);
  await into.deps.dispatch('erasure', [{ id: run!.idempotency_key, tenant: TENANT, payload: { request_id: id } }]);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Purge calls the simulator answered, whatever the answer. */
function purgeCalls(): number {
  return Object.values(world.sim.stats().requests[PURGE_ROUTE] ?? {}).reduce((n, c) => n + c, 0);
}

/** A verified request whose re-verification is due now. */
async function verifiedAndDue(p: SimProfile): Promise<number> {
  const id = await enqueue(e.deps, p);
  await e.idle();
  expect((await requestRow(world.db.db, id)).status).toBe('verified');
  await world.db.db.updateTable('erasure_requests').set({ next_reverify_at: new Date(Date.now() - 60_000) }).where('id', '=', id).execute();
  return id;
}

beforeAll(async () => {
  world = await startErasureWorld();
  e = eraser(world);
  held = { ...e.deps, dispatch: () => Promise.resolve() };
  profiles = await freshProfiles(world, 30);
  baseUrl = (await world.db.db.selectFrom('tenants').select('base_url').where('name', '=', TENANT).executeTakeFirstOrThrow()).base_url;
}, 60_000);

afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
  await e.idle();
  await simConfig(world.sim, { purgeLagMs: 0, purgeDropRate: 0, errorRate: 0, latencyMs: 0 });
  await setErasureSettings(world.db.db, { erasure_verify_window_s: 900, platform_rate_limit: null });
  await world.db.db.updateTable('tenants').set({ base_url: baseUrl }).where('name', '=', TENANT).execute();
  await world.db.db.deleteFrom('platform_pace').execute();
});

afterAll(async () => {
  await e?.close();
  await world?.close();
});

describe('a reopened request', () => {
  it('is due at the reopening instant (the old deadline in the trail), and PRV-01 is open right after its run, though the second purge was proven at once', async () => {
    const p = nextProfile();
    // Received now: the deadline it had is a month ahead, so only a deadline moved to the reopening makes it overdue.
    const id = await verifiedAndDue(p);
    const before = await requestRow(world.db.db, id);
    await simRestoreProfile(world.sim, { id: p.id, email: p.email, mobile_phone: p.mobile_phone, transactions: 1 });
    const started = Date.now();
    const run = await runAgain(world.db.db, e.deps, id);
    await e.idle();
    const row = await requestRow(world.db.db, id);
    // No purge lag: reopened, purged again and proven within the one run.
    expect(row).toMatchObject({ status: 'verified', reopened_count: 1 });
    expect(row.purge_answers).toEqual(['accepted', 'accepted']);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded' }, { idempotency_key: run, status: 'succeeded', attempts: 1 }]);

    const reopened = (await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'reopened');
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.detail).toMatchObject({ deadline_was: before.deadline_at.toISOString() });
    // The reopening instant: the one the old certificate was superseded at.
    const superseded = await world.db.db.selectFrom('erasure_certificates').select('superseded_at').where('request_id', '=', id).where('superseded_at', 'is not', null).executeTakeFirstOrThrow();
    expect(row.deadline_at.getTime()).toBe(superseded.superseded_at!.getTime());
    expect(row.deadline_at.getTime()).toBeGreaterThanOrEqual(started);
    expect(before.deadline_at.getTime() - row.deadline_at.getTime()).toBeGreaterThan(27 * DAY);

    // Raised by the erasure run itself (no sweep ran), and still open: the next privacy audit resolves it.
    const runId = (await world.db.db.selectFrom('job_runs').select('id').where('idempotency_key', '=', run).executeTakeFirstOrThrow()).id;
    const finding = await world.db.db.selectFrom('findings').selectAll().where('rule', '=', 'PRV-01').where('subject_id', '=', String(id)).executeTakeFirst();
    expect(finding).toMatchObject({ resolved_at: null, last_run_id: runId });
  }, 30_000);
});

describe('a stuck transition with no other run', () => {
  it('a request left purged with no purge round (a row from before the migration), its window closed: the attempt fails, the request is failed and the engineers emailed once', async () => {
    const e2 = eraserFor({ backoffMs: 5 });
    const p = nextProfile();
    const id = await enqueue(held, p);
    const past = new Date(Date.now() - 3_600_000);
    await world.db.db.updateTable('erasure_requests').set({ status: 'purged', purge_rounds: 0, purging_at: past, purged_at: past, verify_until: new Date(Date.now() - 60_000) }).where('id', '=', id).execute();
    await dispatchQueued(e2, id);
    await e2.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/is purged, it cannot become purging/);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'failed', attempts: 1 }]);
    const failures = (await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'attempt_failed');
    expect(failures.map((ev) => ev.detail)).toMatchObject([{ attempt: 1, last: true }]);
    expect(await requestEmails(world, id, 'failed')).toHaveLength(1);
  });
});

describe('a re-verification that cannot be made', () => {
  const cases: [string, () => Promise<Eraser>, number][] = [
    ['the tenant’s token variable unset', () => Promise.resolve(eraserFor({ env: withoutToken(world.appEnv), backoffMs: 5 })), 1],
    [
      'the platform answering 5xx to every call',
      async () => {
        await simConfig(world.sim, { errorRate: 1 });
        return eraserFor({ backoffMs: 5 });
      },
      8,
    ],
  ];
  it.each(cases)('%s: on its last attempt, tried again a day later, said in the trail, the request still verified', async (_name, make, attempts) => {
    const id = await verifiedAndDue(nextProfile());
    const before = await requestRow(world.db.db, id);
    const e2 = await make();
    const started = Date.now();
    const run = await runAgain(world.db.db, e2.deps, id);
    await e2.idle();
    const ended = Date.now();
    await simConfig(world.sim, { errorRate: 0 });
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.verified_at).toEqual(before.verified_at);
    expect(row.error).toBeNull();
    expect(row.next_reverify_at!.getTime()).toBeGreaterThanOrEqual(started + DAY);
    expect(row.next_reverify_at!.getTime()).toBeLessThanOrEqual(ended + DAY);
    const events = await erasureEvents(world.db.db, id);
    const failed = events.filter((ev) => ev.event === 'reverify_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toMatchObject({ next: row.next_reverify_at!.toISOString(), error: expect.any(String) as string });
    expect(events.filter((ev) => ev.event === 'attempt_failed')).toHaveLength(attempts);
    expect((await runsOf(world.db.db, id)).find((r) => r.idempotency_key === run)).toMatchObject({ status: 'failed', attempts });
    // Still proven: its certificate stands, and nobody is told of a failed erasure.
    expect((await erasureCertificate(world.db.db, id)).outcome).toBe('verified');
    expect(await requestEmails(world, id, 'failed')).toEqual([]);
  }, 30_000);
});

describe('retry', () => {
  it('a retained request whose hold has ended: back to received with a new run, then verified without identifier searches (they were wiped)', async () => {
    const p = nextProfile();
    const id = await enqueue(held, p);
    await retainErasureAction(held, id, { reason: 'litigation hold, case 2025-17' }, 'ops@demo.example');
    const out = await retryErasures(held, [id], 'cli:test');
    expect(out).toEqual([{ id, run: expect.any(String) as string }]);
    const row = await requestRow(world.db.db, id);
    expect(row).toMatchObject({ status: 'received', purge_rounds: 0, ended_at: null, identifiers: null });
    const runs = await runsOf(world.db.db, id);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ idempotency_key: out[0]!.run, status: 'queued' });
    await e.deps.dispatch('erasure', [{ id: out[0]!.run, tenant: TENANT, payload: { request_id: id } }]);
    await e.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('verified');
    const cert = await erasureCertificate(world.db.db, id);
    expect(cert.outcome).toBe('verified');
    expect((cert.certificate.checks as { check: string }[]).map((c) => c.check)).toEqual(['control', 'profile', 'transactions']);
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(404);
    // The retention stays in the trail.
    expect((await erasureEvents(world.db.db, id)).map((ev) => ev.event)).toEqual(expect.arrayContaining(['retained', 'retried', 'verified']));
  });
});

describe('429', () => {
  it('several 429s in a row on the purge call are one rate_limited entry, then accepted', async () => {
    const e2 = eraserFor();
    const before = simCount(world.sim, 429, PURGE_ROUTE);
    await simFaults(world.sim, [
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 1 },
    ]);
    const id = await enqueue(e2.deps, nextProfile());
    await e2.idle();
    expect(simCount(world.sim, 429, PURGE_ROUTE) - before).toBe(3);
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_answers).toEqual(['rate_limited', 'accepted']);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded', attempts: 1 }]);
  }, 20_000);

  it('a Retry-After longer than 15 minutes pauses the tenant 15 minutes, and says so in the log', async () => {
    expect(MAX_PAUSE_MS).toBe(15 * 60_000);
    const { log, lines } = capturedLog('warn');
    const e2 = eraserFor({ log });
    await simFaults(world.sim, [{ status: 429, retryAfter: 3_600 }]);
    const started = Date.now();
    const id = await enqueue(e2.deps, nextProfile());
    await until('the 429 met', async () => (await requestRow(world.db.db, id)).purge_answers.includes('rate_limited'));
    const pace = await world.db.db.selectFrom('platform_pace').select('paused_until').where('tenant', '=', TENANT).executeTakeFirstOrThrow();
    expect(pace.paused_until!.getTime()).toBeGreaterThanOrEqual(started + MAX_PAUSE_MS - 1_000);
    expect(pace.paused_until!.getTime()).toBeLessThanOrEqual(Date.now() + MAX_PAUSE_MS);
    const warnings = lines.filter((l) => l.retryAfterMs === 3_600_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, tenant: TENANT, pauseMs: MAX_PAUSE_MS });
    // The run waits out the pause (closing the eraser stops it); no attempt was spent on the 429.
    expect((await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'attempt_failed')).toEqual([]);
  });
});

describe('a call never sent', () => {
  it('is taken back: the run deferred by a paused tenant leaves no purge answer, and a profile the platform never had ends not_found', async () => {
    const e2 = eraserFor();
    // Longer than a job sleeps in place (5 s): the run defers itself at its purge call.
    await pausePlatform(world.db.db, TENANT, 7_000);
    const purges = purgeCalls();
    const out = await enqueueErasure(e2.deps, { tenant: TENANT, profileId: '880777' }, 'cli:test');
    const id = out.request.id;
    await until('the purge round started', async () => (await requestRow(world.db.db, id)).status === 'purging');
    await sleep(1_000);
    let row = await requestRow(world.db.db, id);
    expect(row.status).toBe('purging');
    expect(row.purge_answers).toEqual([]);
    expect(row.attempts).toBe(0);
    expect(purgeCalls()).toBe(purges);
    await e2.idle();
    row = await requestRow(world.db.db, id);
    expect(row.status).toBe('not_found');
    expect(row.purge_answers).toEqual(['not_found']);
    expect(row.attempts).toBe(1);
    expect((await erasureCertificate(world.db.db, id)).outcome).toBe('not_found');
  }, 20_000);
});

describe('the control call', () => {
  it('a base URL where every route answers 404: a request with no identifiers to search by (their searches would fail first) is never certified, it fails', async () => {
    const moved = `${world.sim.origin}/api/v9`;
    // What that path answers: 404 JSON to every route, the profile list included.
    const probe = await fetch(`${moved}/profiles`, { headers: { authorization: `Bearer ${world.sim.token}` } });
    expect(probe.status).toBe(404);
    expect(await probe.json()).toEqual({ message: 'Not found.' });
    await world.db.db.updateTable('tenants').set({ base_url: moved }).where('name', '=', TENANT).execute();
    const e2 = eraserFor({ backoffMs: 5 });
    const p = nextProfile();
    // The profile id alone (a CSV import may carry nothing more): the profile and its transactions answer 404 too.
    const id = (await enqueueErasure(e2.deps, { tenant: TENANT, profileId: String(p.id) }, 'cli:test')).request.id;
    await e2.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('failed');
    expect(row.purge_answers).toEqual(['not_found']);
    expect(row.error).toMatch(/\/profiles\b.*404|404.*\/profiles\b/);
    expect(row.error).not.toContain(String(p.id));
    expect(row.verified_at).toBeNull();
    expect(await world.db.db.selectFrom('erasure_certificates').select('id').where('request_id', '=', id).execute()).toEqual([]);
    const events = (await erasureEvents(world.db.db, id)).map((ev) => ev.event);
    expect(events).not.toContain('verified');
    expect(events).not.toContain('not_found');
    expect(await requestEmails(world, id, 'failed')).toHaveLength(1);
    // And rightly so: the profile is still on the platform.
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(200);
  }, 30_000);
});

describe('a phone number', () => {
  it('is searched in two forms, and the certificate’s check says so', async () => {
    const id = await enqueue(e.deps, nextProfile());
    await e.idle();
    const cert = await erasureCertificate(world.db.db, id);
    const phone = (cert.certificate.checks as { check: string; identifier?: string; call: string; passed: boolean }[]).filter((c) => c.check === 'search' && c.identifier === 'phone');
    expect(phone).toHaveLength(1);
    expect(phone[0]).toMatchObject({ passed: true, call: 'GET /profiles?search=… (2 forms of the number)' });
  });

  it('kept on another profile without its +: found by the second form, so the erasure is not proven', async () => {
    await setErasureSettings(world.db.db, { erasure_verify_window_s: 1 });
    const p = nextProfile();
    const twin = 990_000_123;
    await simRestoreProfile(world.sim, { id: twin, email: null, mobile_phone: p.mobile_phone!.replace(/^\+/, ''), transactions: 0 });
    try {
      const e2 = eraserFor();
      const out = await enqueueErasure(e2.deps, { tenant: TENANT, profileId: String(p.id), identifiers: [`phone:${p.mobile_phone}`] }, 'cli:test');
      await e2.idle();
      const row = await requestRow(world.db.db, out.request.id);
      expect(row.status).toBe('failed');
      expect(row.error).toContain('search by phone: 1 profile(s) match');
      expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(404);
    } finally {
      await simApi(world.sim, 'DELETE', `/profiles/${twin}/purge`);
    }
  }, 30_000);
});

describe('a set-up error', () => {
  it('the tenant’s token variable missing: the request fails (not only the run), the engineers are emailed once', async () => {
    const e2 = eraserFor({ env: withoutToken(world.appEnv) });
    const id = await enqueue(e2.deps, nextProfile());
    await e2.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('failed');
    expect(row.error).toContain(DEMO_TOKEN_ENV);
    expect(row.error).toContain('not set');
    expect(row.error).not.toContain(world.sim.token);
    // Failed for good at once: it will not fix itself between retries.
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'failed', attempts: 1 }]);
    expect(await requestEmails(world, id, 'failed')).toHaveLength(1);
    // The job again: still failed, nobody told twice.
    await runAgain(world.db.db, e2.deps, id);
    await e2.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('failed');
    expect(await requestEmails(world, id, 'failed')).toHaveLength(1);
  });
});

describe('the erasure sweep', () => {
  const cases: [string, () => Promise<NodeJS.ProcessEnv>][] = [
    ['the token variable unset', () => Promise.resolve(withoutToken(world.env))],
    [
      'the platform answering 5xx',
      async () => {
        await simConfig(world.sim, { errorRate: 1 });
        return world.env;
      },
    ],
  ];
  it.each(cases)('its audit failing (%s): the run fails, and the deadline email for an overdue request is still sent', async (_name, make) => {
    const id = await enqueue(held, nextProfile(), new Date(Date.now() - 40 * DAY).toISOString());
    const env = await make();
    const run = await world.run('erasure-sweep', { env });
    await simConfig(world.sim, { errorRate: 0 });
    expect(run.status).toBe('failed');
    const emailed = (await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'emailed');
    expect(emailed.map((ev) => (ev.detail as { key: string }).key)).toEqual([`overdue:${(await requestRow(world.db.db, id)).deadline_at.toISOString()}`]);
    const mails = (await world.outbox()).filter((m) => /: erasure deadlines \(\d+\)$/.test(m.subject ?? '') && (m.text ?? '').includes(`#${id} received, overdue since`));
    expect(mails).toHaveLength(1);
  }, 30_000);
});

describe('the erasure migration', () => {
  it('keeps a certificate written before it (its SHA-256 of its text) and puts a purging or purged request in round 1', async () => {
    const old = await createTestDatabase('postgres', { migrate: false });
    try {
      const migrator = new Migrator({ db: old.db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) }, ...(old.schema === undefined ? {} : { migrationTableSchema: old.schema }) });
      expect((await migrator.migrateTo('2026-11-30T0500_approvals')).error).toBeUndefined();
      await sql`INSERT INTO tenants (name, base_url, token_env) VALUES ('acme', 'https://acme.example/api/v3', 'ACME_OMNEO_TOKEN')`.execute(old.db);
      const certificate = { request_id: 1, tenant: 'acme', profile_id: '4711', outcome: 'verified', checks: [{ check: 'profile', passed: true, result: 'not found (404)' }] };
      const verifiedAt = new Date('2026-11-02T10:00:00Z');
      const rows = [
        { profile: '4711', status: 'verified', certificate: JSON.stringify(certificate), verified: verifiedAt },
        { profile: '4712', status: 'purging', certificate: null, verified: null },
        { profile: '4713', status: 'purged', certificate: null, verified: null },
        { profile: '4714', status: 'received', certificate: null, verified: null },
        // A certificate on a request no longer verified is not one to keep.
        { profile: '4715', status: 'failed', certificate: JSON.stringify({ outcome: 'verified', stale: true }), verified: null },
      ];
      const ids: Record<string, number> = {};
      for (const r of rows) {
        const { rows: inserted } = await sql<{ id: number }>`INSERT INTO erasure_requests (tenant, profile_id, status, received_at, deadline_at, verified_at, certificate)
          VALUES ('acme', ${r.profile}, ${r.status}, '2026-11-01T09:00:00Z', '2026-12-01T09:00:00Z', ${r.verified}, ${r.certificate}::jsonb) RETURNING id`.execute(old.db);
        ids[r.status] = inserted[0]!.id;
      }
      const { rows: texts } = await sql<{ text: string }>`SELECT certificate::text AS text FROM erasure_requests WHERE id = ${ids.verified}`.execute(old.db);

      await migrateToLatest(old.db, old.schema === undefined ? {} : { schema: old.schema });
      const certs = await old.db.selectFrom('erasure_certificates').selectAll().execute();
      expect(certs).toHaveLength(1);
      expect(certs[0]).toMatchObject({
        request_id: ids.verified,
        outcome: 'verified',
        body: certificate,
        sha256: createHash('sha256').update(texts[0]!.text, 'utf8').digest('hex'),
        superseded_at: null,
      });
      expect(certs[0]!.issued_at.getTime()).toBe(verifiedAt.getTime());
      const rounds = await old.db.selectFrom('erasure_requests').select(['status', 'purge_rounds']).orderBy('id').execute();
      expect(rounds).toEqual([
        { status: 'verified', purge_rounds: 0 },
        { status: 'purging', purge_rounds: 1 },
        { status: 'purged', purge_rounds: 1 },
        { status: 'received', purge_rounds: 0 },
        { status: 'failed', purge_rounds: 0 },
      ]);
    } finally {
      await old.destroy();
    }
  });
});
