/**
 * An erasure request's life beyond one purge: identifiers wiped and looked up
 * by hash, the deadline's one extension, retention, re-verification (a
 * restored backup reopens the request), reconcile giving a run to a request
 * that lost its own, and two runs of one request at once: one certificate,
 * its SHA-256 in the audit log, the chain intact.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  enqueueErasure,
  erasureCertificate,
  extendErasure,
  lookupErasures,
  retainErasureAction,
  retryErasures,
  type ErasureActionDeps,
} from '../../../src/app/erasures.js';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import { canonicalJson } from '../../../src/db/canonical-json.js';
import { erasureEvents, markErasureFailed } from '../../../src/db/erasure.repository.js';
import { createRuns } from '../../../src/db/job-runs.repository.js';
import { addCalendarMonths } from '../../../src/erasure/deadline.js';
import { ErasureRefusedError } from '../../../src/erasure/errors.js';
import { InputError } from '../../../src/errors.js';
import { NotFoundError } from '../../../src/db/errors.js';
import { REVERIFY_EVERY_MS } from '../../../jobs/erasure.job.js';
import { newRunId } from '../../../src/queue/run-id.js';
import {
  eraser,
  freshProfiles,
  requestRow,
  rowCounts,
  runsOf,
  simConfig,
  simApi,
  simRestoreProfile,
  startErasureWorld,
  TENANT,
  type Eraser,
  type ErasureWorld,
  type SimProfile,
} from './support.js';

const DAY = 86_400_000;
let world: ErasureWorld;
let e: Eraser;
let profiles: SimProfile[];
/** The actions with a queue that takes nothing: requests stay `received`, their runs queued in the ledger. */
let held: ErasureActionDeps;

function nextProfile(): SimProfile {
  const p = profiles.shift();
  if (p === undefined) throw new Error('out of profiles');
  return p;
}

const identifiersOf = (p: SimProfile) => [`email:${p.email}`, `phone:${p.mobile_phone}`];

async function enqueue(p: SimProfile, options: { deps?: ErasureActionDeps; receivedAt?: string } = {}): Promise<number> {
  const out = await enqueueErasure(options.deps ?? e.deps, { tenant: TENANT, profileId: String(p.id), identifiers: identifiersOf(p), receivedAt: options.receivedAt }, 'cli:test');
  expect(out.created).toBe(true);
  return out.request.id;
}

/** Runs `id`'s job once more, as a duplicate delivery or a second worker would. */
async function anotherRun(id: number): Promise<void> {
  const run = newRunId();
  await createRuns(world.db.db, 'erasure', [{ runKey: run, tenant: TENANT, payload: { request_id: id } }], new Date());
  await e.deps.dispatch('erasure', [{ id: run, tenant: TENANT, payload: { request_id: id } }]);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  world = await startErasureWorld();
  e = eraser(world);
  held = { ...e.deps, dispatch: () => Promise.resolve() };
  profiles = await freshProfiles(world, 30);
}, 60_000);

afterEach(async () => {
  await e.idle();
  await simConfig(world.sim, { purgeLagMs: 0, purgeDropRate: 0 });
});

afterAll(async () => {
  await e?.close();
  await world?.close();
});

describe('identifiers', () => {
  it('are wiped when a request is verified, not_found or retained; their salted hashes stay and a lookup by them finds the request', async () => {
    const verifiedP = nextProfile();
    const verified = await enqueue(verifiedP);
    const notFound = (await enqueueErasure(e.deps, { tenant: TENANT, profileId: '770001', identifiers: ['email:nobody.here@example.com'] }, 'cli:test')).request.id;
    const retainedP = nextProfile();
    const retained = await enqueue(retainedP, { deps: held });
    expect((await requestRow(world.db.db, retained)).identifiers).not.toBeNull();
    await retainErasureAction(e.deps, retained, { reason: 'litigation hold, case 2025-17' }, 'ops@demo.example');
    await e.idle();
    for (const [id, status, kinds] of [
      [verified, 'verified', 2],
      [notFound, 'not_found', 1],
      [retained, 'retained', 2],
    ] as const) {
      const row = await requestRow(world.db.db, id);
      expect(row.status).toBe(status);
      expect(row.identifiers).toBeNull();
      expect(row.identifier_hashes).toHaveLength(kinds);
      for (const h of row.identifier_hashes) expect(h).toMatch(/^[0-9a-f]{64}$/);
    }
    // A later subject access request, the address written differently: found by its hash.
    const found = await lookupErasures(world.db.db, TENANT, `email: ${verifiedP.email!.toUpperCase()} `);
    expect(found).toEqual([{ id: verified, status: 'verified', verified_at: expect.any(String) as string, certificate: true }]);
    const byPhone = await lookupErasures(world.db.db, TENANT, `phone:${verifiedP.mobile_phone!.split('').join(' ')}`);
    expect(byPhone.map((r) => r.id)).toEqual([verified]);
    expect(await lookupErasures(world.db.db, TENANT, `email:${retainedP.email}`)).toEqual([{ id: retained, status: 'retained', verified_at: null, certificate: false }]);
    expect(await lookupErasures(world.db.db, TENANT, 'email:someone.else@example.com')).toEqual([]);
    await expect(lookupErasures(world.db.db, TENANT, 'fax:123')).rejects.toBeInstanceOf(InputError);
    // Nowhere in the ledger's erasure tables is an identifier left in the clear.
    const dump = JSON.stringify([
      await world.db.db.selectFrom('erasure_requests').selectAll().execute(),
      await world.db.db.selectFrom('erasure_events').selectAll().execute(),
      await world.db.db.selectFrom('erasure_certificates').selectAll().execute(),
      await world.db.db.selectFrom('audit_log').selectAll().execute(),
    ]);
    for (const p of [verifiedP, retainedP]) {
      expect(dump.toLowerCase()).not.toContain(p.email!.toLowerCase());
      expect(dump).not.toContain(p.mobile_phone!.replace(/[\s\-.()]/g, ''));
    }
    expect(dump).not.toContain('nobody.here');
  });
});

describe('the deadline’s extension', () => {
  it('once, by 1 or 2 months counted from receipt, with a reason; a second one is refused', async () => {
    const id = await enqueue(nextProfile(), { deps: held, receivedAt: '2025-01-31' });
    // Received 31 January: due end of February; a request that old would be overdue, so move "now" back.
    const then = { ...held, now: () => new Date('2025-02-10T00:00:00Z') };
    await expect(extendErasure(then, id, { months: 3, reason: 'complex' }, 'ops')).rejects.toThrow(InputError);
    await expect(extendErasure(then, id, { months: 0, reason: 'complex' }, 'ops')).rejects.toThrow(InputError);
    await expect(extendErasure(then, id, { months: 1.5, reason: 'complex' }, 'ops')).rejects.toThrow(InputError);
    await expect(extendErasure(then, id, { months: 2, reason: '  ' }, 'ops')).rejects.toThrow(InputError);
    const view = await extendErasure(then, id, { months: 2, reason: 'several systems to search' }, 'ops');
    expect(view.deadline_at).toBe('2025-04-30T00:00:00.000Z');
    expect(view.extended).toMatchObject({ months: 2, reason: 'several systems to search', by: 'ops' });
    await expect(extendErasure(then, id, { months: 1, reason: 'more' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    expect((await requestRow(world.db.db, id)).deadline_at.toISOString()).toBe('2025-04-30T00:00:00.000Z');
    const audit = await world.db.db.selectFrom('audit_log').select(['action', 'details']).where('subject', '=', `erasure_request:${id}`).where('action', '=', 'erasure.extended').execute();
    expect(audit).toHaveLength(1);
  });

  it('is refused once the deadline has passed, and on an ended request', async () => {
    const late = await enqueue(nextProfile(), { deps: held, receivedAt: new Date(Date.now() - 40 * DAY).toISOString() });
    await expect(extendErasure(held, late, { months: 1, reason: 'too late' }, 'ops')).rejects.toThrow(/overdue/);
    const done = await enqueue(nextProfile());
    await e.idle();
    await expect(extendErasure(e.deps, done, { months: 1, reason: 'after the fact' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    const kept = await enqueue(nextProfile(), { deps: held });
    await retainErasureAction(held, kept, { reason: 'legal hold' }, 'ops');
    await expect(extendErasure(held, kept, { months: 1, reason: 'x' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    for (const id of [late, done, kept]) expect((await requestRow(world.db.db, id)).extended_months).toBeNull();
  });
});

describe('retention', () => {
  it('keeps a received or failed request on purpose, with its reason and who decided; its run then purges nothing', async () => {
    const p = nextProfile();
    const id = await enqueue(p, { deps: held });
    await expect(retainErasureAction(held, id, { reason: '' }, 'ops')).rejects.toThrow(InputError);
    const view = await retainErasureAction(held, id, { reason: 'tax records, 7 years' }, 'ops@demo.example');
    expect(view).toMatchObject({ status: 'retained', retained: { reason: 'tax records, 7 years', by: 'ops@demo.example' }, identifiers_held: false });
    await expect(retainErasureAction(held, id, { reason: 'again' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    // The run enqueued with it comes now: it must leave the profile alone.
    const [run] = await runsOf(world.db.db, id);
    await e.deps.dispatch('erasure', [{ id: run!.idempotency_key, tenant: TENANT, payload: { request_id: id } }]);
    await e.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('retained');
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(200);

    const failed = await enqueue(nextProfile(), { deps: held });
    await markErasureFailed(world.db.db, failed, new Date(), 'test');
    expect((await retainErasureAction(held, failed, { reason: 'legal hold' }, 'ops')).status).toBe('retained');
  });

  it('is refused once the purge has started or the erasure is proven', async () => {
    const done = await enqueue(nextProfile());
    await e.idle();
    await expect(retainErasureAction(e.deps, done, { reason: 'too late' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    const purging = await enqueue(nextProfile(), { deps: held });
    await world.db.db.updateTable('erasure_requests').set({ status: 'purging', purge_rounds: 1 }).where('id', '=', purging).execute();
    await expect(retainErasureAction(held, purging, { reason: 'mid-purge' }, 'ops')).rejects.toThrow(ErasureRefusedError);
    expect((await requestRow(world.db.db, done)).status).toBe('verified');
  });
});

describe('re-verification', () => {
  it('a profile still gone: the next check a quarter ahead, the request untouched', async () => {
    const id = await enqueue(nextProfile());
    await e.idle();
    let row = await requestRow(world.db.db, id);
    // First due after the backup window (35 days by default).
    expect(Math.round((row.next_reverify_at!.getTime() - row.verified_at!.getTime()) / DAY)).toBe(35);
    await world.db.db.updateTable('erasure_requests').set({ next_reverify_at: new Date(Date.now() - 60_000) }).where('id', '=', id).execute();
    const before = Date.now();
    expect((await e.runJob('reconcile')).counts).toMatchObject({ erasures_enqueued: expect.any(Number) as number });
    await e.idle();
    row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.last_reverified_at!.getTime()).toBeGreaterThanOrEqual(before);
    expect(row.next_reverify_at!.getTime() - row.last_reverified_at!.getTime()).toBe(REVERIFY_EVERY_MS);
    expect((await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'reverified')).toHaveLength(1);
    expect(await world.db.db.selectFrom('erasure_certificates').select('id').where('request_id', '=', id).execute()).toHaveLength(1);
    // Not due any more: reconcile gives it no run.
    const runs = (await runsOf(world.db.db, id)).length;
    await e.runJob('reconcile');
    await e.idle();
    expect(await runsOf(world.db.db, id)).toHaveLength(runs);
  });

  it('a profile back from a restored backup: reopened, purged again, PRV-01 raised while open, the engineers told once, a new certificate', async () => {
    const p = nextProfile();
    const id = await enqueue(p, { receivedAt: new Date(Date.now() - 40 * DAY).toISOString() });
    await e.idle();
    const first = await erasureCertificate(world.db.db, id);
    await world.db.db.updateTable('erasure_requests').set({ next_reverify_at: new Date(Date.now() - 60_000) }).where('id', '=', id).execute();
    await simRestoreProfile(world.sim, { id: p.id, email: p.email, mobile_phone: p.mobile_phone, transactions: 2 });
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(200);
    // The second purge takes a while to show, so the request is seen open.
    await simConfig(world.sim, { purgeLagMs: 2_500 });
    await e.runJob('reconcile');
    await until('the request reopened and purged again', async () => (await requestRow(world.db.db, id)).status === 'purged');
    let row = await requestRow(world.db.db, id);
    expect(row.reopened_count).toBe(1);
    await expect(erasureCertificate(world.db.db, id)).rejects.toThrow(ErasureRefusedError);
    const sweep = await world.run('erasure-sweep');
    expect(sweep.status).toBe('succeeded');
    const prv01 = await world.db.db.selectFrom('findings').selectAll().where('rule', '=', 'PRV-01').where('subject_id', '=', String(id)).executeTakeFirst();
    expect(prv01?.resolved_at).toBeNull();
    await e.idle();
    row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_answers).toEqual(['accepted', 'accepted']);
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(404);
    const second = await erasureCertificate(world.db.db, id);
    expect(second.id).not.toBe(first.id);
    expect(second.certificate).toMatchObject({ reopened: 1 });
    const certs = await world.db.db.selectFrom('erasure_certificates').select(['id', 'superseded_at']).where('request_id', '=', id).orderBy('id').execute();
    expect(certs).toHaveLength(2);
    expect(certs[0]!.superseded_at).not.toBeNull();
    expect(certs[1]!.superseded_at).toBeNull();
    const mails = (await world.outbox()).filter((m) => m.subject === `[Warden] ${TENANT}: erasure request #${id} reappeared`);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toBeDefined();
    expect(`${mails[0]!.text ?? ''}${mails[0]!.html || ''}`).not.toContain(String(p.id));
    const audit = await world.db.db.selectFrom('audit_log').select('action').where('subject', '=', `erasure_request:${id}`).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['erasure.requested', 'erasure.certified', 'erasure.reopened', 'erasure.certified']);
    // A later sweep sees it erased again: the finding resolves.
    await world.run('erasure-sweep');
    const after = await world.db.db.selectFrom('findings').select('resolved_at').where('rule', '=', 'PRV-01').where('subject_id', '=', String(id)).executeTakeFirstOrThrow();
    expect(after.resolved_at).not.toBeNull();
  }, 30_000);
});

describe('reconcile', () => {
  it('a request whose runs were lost from the ledger gets a new run, and is verified', async () => {
    const id = await enqueue(nextProfile(), { deps: held });
    await world.db.db.deleteFrom('job_runs').where('kind', '=', 'erasure').where(sql`payload->>'request_id'`, '=', String(id)).execute();
    expect(await runsOf(world.db.db, id)).toEqual([]);
    await e.runJob('reconcile');
    await e.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('verified');
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded' }]);
  });

  it('a request whose enqueue was lost is run from its own queued run, with no second one', async () => {
    const id = await enqueue(nextProfile(), { deps: held });
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'queued' }]);
    await e.runJob('reconcile');
    await e.idle();
    expect((await requestRow(world.db.db, id)).status).toBe('verified');
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'succeeded' }]);
  });

  it('a request left purging by a run that failed for good gets a new run, which finishes it', async () => {
    const id = await enqueue(nextProfile(), { deps: held });
    await world.db.db.updateTable('erasure_requests').set({ status: 'purging', purge_rounds: 1, purging_at: new Date() }).where('id', '=', id).execute();
    await world.db.db.updateTable('job_runs').set({ status: 'failed', error: 'worker died' }).where('kind', '=', 'erasure').where(sql`payload->>'request_id'`, '=', String(id)).execute();
    await e.runJob('reconcile');
    await e.idle();
    const row = await requestRow(world.db.db, id);
    expect(row.status).toBe('verified');
    expect(row.purge_answers).toEqual(['accepted']);
    expect(await runsOf(world.db.db, id)).toMatchObject([{ status: 'failed' }, { status: 'succeeded' }]);
  });
});

describe('two runs of one request at once', () => {
  it('one certificate each, its SHA-256 in the audit log, the chain intact', async () => {
    await simConfig(world.sim, { purgeLagMs: 800 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await enqueue(nextProfile()));
    for (const id of ids) {
      await anotherRun(id);
      await anotherRun(id);
    }
    await e.idle();
    for (const id of ids) {
      const row = await requestRow(world.db.db, id);
      expect(row.status).toBe('verified');
      const certs = await world.db.db.selectFrom('erasure_certificates').selectAll().where('request_id', '=', id).execute();
      expect(certs).toHaveLength(1);
      const cert = certs[0]!;
      expect(createHash('sha256').update(canonicalJson(cert.body)).digest('hex')).toBe(cert.sha256);
      const audit = await world.db.db.selectFrom('audit_log').select(['details']).where('action', '=', 'erasure.certified').where('subject', '=', `erasure_request:${id}`).execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]!.details).toMatchObject({ sha256: cert.sha256, certificate: cert.id, outcome: 'verified' });
      expect((await erasureEvents(world.db.db, id)).filter((ev) => ev.event === 'verified')).toHaveLength(1);
      const runs = await runsOf(world.db.db, id);
      expect(runs).toHaveLength(3);
      for (const r of runs) expect(r.status).toBe('succeeded');
    }
    expect(await verifyChain(world.db.db)).toMatchObject({ ok: true });
  }, 30_000);
});

describe('retry', () => {
  it('re-opens failed requests only, all or none', async () => {
    const failed = await enqueue(nextProfile(), { deps: held });
    await markErasureFailed(world.db.db, failed, new Date(), 'test');
    const done = await enqueue(nextProfile());
    await e.idle();
    const before = await rowCounts(world.db.db);
    await expect(retryErasures(e.deps, [failed, done], 'cli:test')).rejects.toThrow(ErasureRefusedError);
    await expect(retryErasures(e.deps, [failed, 99_999_999], 'cli:test')).rejects.toThrow(NotFoundError);
    expect(await rowCounts(world.db.db)).toEqual(before);
    expect((await requestRow(world.db.db, failed)).status).toBe('failed');
    const out = await retryErasures(e.deps, [failed], 'cli:test');
    expect(out.map((r) => r.id)).toEqual([failed]);
    await e.idle();
    expect(await requestRow(world.db.db, failed)).toMatchObject({ status: 'verified', error: null, failed_at: null });
  });
});

describe('deadline arithmetic in the ledger', () => {
  it('a request received on 31 January is due on the last day of February', async () => {
    const id = await enqueue(nextProfile(), { deps: held, receivedAt: '2024-01-31T10:00:00Z' });
    const row = await requestRow(world.db.db, id);
    expect(row.deadline_at.toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(row.deadline_at.getTime()).toBe(addCalendarMonths(row.received_at, 1).getTime());
  });
});
