// Erasure requests in the web app, over HTTP: the real createApp on a
// Postgres schema of the test's own, the demo tenant seeded against the
// simulator, and the server's in-process job runner, so a request enqueued by
// the API is purged and verified against the simulator over HTTP. Every
// status code of the API, the roles of the route table, bad input that changes
// nothing, the status JSON contract, a certificate after a real run, a failed
// request retried to a certificate, the forms with their CSRF tokens, and
// identifiers never shown back.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, type ErasureDetail, type ErasureStatus, type ErasureView } from '../../../src/app/erasures.js';
import { ERASURE_REQUEST_STATUSES } from '../../../src/db/database.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { seedDemoTenant } from '../../../src/demo/seed-demo.js';
import { erasureDeps } from '../../../src/http/api/erasures.api.js';
import { secretKey } from '../../../src/secrets/secret-box.js';
import { Agent, csrfOf, startWebWorld, type WebWorld } from '../../support/web.js';
import { simApi, simConfig, someProfiles, type SimProfile } from '../erasure/support.js';

const TENANT = 'demo';
const ENGINEER = 'eng@warden.test';
const ADMIN = 'admin@warden.test';
const COMPLIANCE = 'co@warden.test';
/** Every role, but only the other tenant: the demo's requests do not exist for them. */
const OUTSIDER = 'outsider@warden.test';
const JSON_ACCEPT = { accept: 'application/json' };
const DAY = 86_400_000;

let world: WebWorld;
const keys: Record<string, string> = {};
let engineer: Agent;
let compliance: Agent;
/** Profiles of the simulator with no request yet, handed out one at a time. */
let spare: SimProfile[];

const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld();
  await seedDemoTenant(db(), { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  await addTenant(db(), { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  await world.person(ENGINEER, ['engineer']);
  await world.person(ADMIN, ['admin']);
  await world.person(COMPLIANCE, ['compliance']);
  await world.person(OUTSIDER, ['engineer', 'admin', 'compliance'], ['other']);
  for (const email of [ENGINEER, ADMIN, COMPLIANCE, OUTSIDER]) keys[email] = await world.apiKey(email);
  engineer = await world.signIn(ENGINEER);
  compliance = await world.signIn(COMPLIANCE);
  // The demo's erasure history already names some profiles: a new request needs one it does not.
  const taken = new Set((await db().selectFrom('erasure_requests').select('profile_id').execute()).map((r) => r.profile_id));
  spare = (await someProfiles(world.sim, 40)).filter((p) => !taken.has(String(p.id)) && p.email !== null && p.mobile_phone !== null);
}, 120_000);

afterAll(async () => world?.close());

function nextProfile(): SimProfile {
  const p = spare.shift();
  if (p === undefined) throw new Error('no spare simulator profile left');
  return p;
}

/** An API call by API key (a person's email names it) or by a signed-in agent (with its CSRF token on unsafe requests). */
async function call(who: Agent | string | null, method: string, path: string, json?: unknown, raw?: string): Promise<Response> {
  if (who instanceof Agent) {
    const headers = { ...JSON_ACCEPT, ...(method === 'GET' ? {} : { 'x-csrf-token': await who.csrf() }) };
    return who.request(method, path, { headers, ...(json === undefined ? {} : { json }) });
  }
  const body = raw ?? (json === undefined ? undefined : JSON.stringify(json));
  return fetch(`${world.url}${path}`, {
    method,
    headers: { ...JSON_ACCEPT, ...(who === null ? {} : { authorization: `Bearer ${keys[who]}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
}

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

interface Problem {
  status: number;
  detail: string;
  field?: string;
}

async function problem(res: Response, status: number): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return JSON.parse(text) as Problem;
}

/** What the ledger holds of erasures, to show a refused request changed nothing. */
async function ledgerState(): Promise<Record<string, unknown>> {
  const count = async (table: 'erasure_requests' | 'erasure_events' | 'erasure_certificates' | 'job_runs' | 'audit_log') =>
    (await db().selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
  const rows = await db().selectFrom('erasure_requests').select(['id', 'status', 'deadline_at', 'extended_months', 'retained_reason', 'purge_rounds']).orderBy('id').execute();
  return { rows, requests: await count('erasure_requests'), events: await count('erasure_events'), certificates: await count('erasure_certificates'), runs: await count('job_runs'), audit: await count('audit_log') };
}

/** The request once its run has brought it to one of `statuses`. */
async function reach(id: number, statuses: readonly string[]): Promise<ErasureDetail> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const d = await ok<ErasureDetail>(await call(ENGINEER, 'GET', `/api/v1/erasures/${id}`));
    if (statuses.includes(d.request.status)) return d;
    if (Date.now() > deadline) throw new Error(`request ${id} is ${d.request.status}, not ${statuses.join(' or ')}, after 45 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `read()` once `done` holds of it, or its last value after 10 s. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A request written without a run going (the ledger first; `reconcile` would enqueue it): it stays open, as long as the test wants. */
async function openRequest(profileId: string, receivedAt: Date): Promise<ErasureView> {
  const deps = { ...erasureDeps(world.web.ctx), dispatch: async () => {} };
  return (await enqueueErasure(deps, { tenant: TENANT, profileId, receivedAt: receivedAt.toISOString() }, 'test')).request;
}

const identifiersOf = (p: SimProfile) => [`email:${p.email}`, `phone:${p.mobile_phone}`];

describe('enqueueing by API', () => {
  it('201 with the request and its run; the run purges and proves it gone against the simulator; the certificate follows', async () => {
    const p = nextProfile();
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(200);
    const res = await call(ENGINEER, 'POST', '/api/v1/erasures', { tenant: TENANT, profile_id: String(p.id), reference: 'TICKET-7', identifiers: identifiersOf(p) });
    const text = await res.clone().text();
    const out = await ok<{ request: ErasureView; created: boolean; run: string }>(res, 201);
    expect(out).toMatchObject({ created: true, run: expect.any(String) as string, request: { tenant: TENANT, profile_id: String(p.id), status: 'received', reference: 'TICKET-7', requested_by: ENGINEER, identifier_kinds: ['email', 'phone'], identifiers_held: true, overdue: false } });
    // What went in as identifiers never comes back out.
    expect(text).not.toContain(p.email!);
    expect(text).not.toContain(p.mobile_phone!);

    const detail = await reach(out.request.id, ['verified', 'not_found', 'failed']);
    expect(detail.request.status).toBe('verified');
    expect(detail.request.identifiers_held).toBe(false);
    expect(detail.checks.map((c) => (c as { passed: boolean }).passed)).toEqual([true, true, true, true, true]);
    expect(detail.events.map((e) => e.event)).toEqual(expect.arrayContaining(['received', 'purge_round', 'purged']));
    expect(detail.certificate).toMatchObject({ outcome: 'verified', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect((await simApi(world.sim, 'GET', `/profiles/${p.id}`)).status).toBe(404);

    for (const who of [ENGINEER, ADMIN, COMPLIANCE]) {
      const certRes = await call(who, 'GET', `/api/v1/erasures/${out.request.id}/certificate`);
      const certText = await certRes.clone().text();
      const cert = await ok<{ request_id: number; outcome: string; sha256: string; certificate: Record<string, unknown> }>(certRes);
      expect(cert).toMatchObject({ request_id: out.request.id, outcome: 'verified', sha256: detail.certificate!.sha256 });
      expect(cert.certificate).toMatchObject({ request_id: out.request.id, tenant: TENANT, profile_id: String(p.id), outcome: 'verified', reference: 'TICKET-7' });
      expect((cert.certificate.identifiers as { kind: string; sha256: string }[]).map((i) => i.kind)).toEqual(['email', 'phone']);
      expect(certText).not.toContain(p.email!);
      expect(certText).not.toContain(p.mobile_phone!);
    }

    // Again: the request already there, nothing written; a number as profile_id is the same profile.
    const before = await ledgerState();
    const again = await ok<{ request: ErasureView; created: boolean; run: string | null }>(await call(ENGINEER, 'POST', '/api/v1/erasures', { tenant: TENANT, profile_id: p.id }), 200);
    expect(again).toMatchObject({ created: false, run: null, request: { id: out.request.id, status: 'verified' } });
    expect(await ledgerState()).toEqual(before);
  });

  it('lists requests newest first, filtered by tenant and status, a page at a time', async () => {
    const all = await ok<{ erasures: ErasureView[]; next_before: number | null }>(await call(COMPLIANCE, 'GET', '/api/v1/erasures?tenant=demo&limit=500'));
    expect(all.erasures.length).toBeGreaterThan(3);
    expect(all.next_before).toBeNull();
    const ids = all.erasures.map((v) => v.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const verified = await ok<{ erasures: ErasureView[] }>(await call(ADMIN, 'GET', '/api/v1/erasures?status=verified&limit=500'));
    expect(verified.erasures.length).toBeGreaterThan(0);
    expect(verified.erasures.map((v) => v.status)).toEqual(verified.erasures.map(() => 'verified'));
    expect(verified.erasures.map((v) => v.id)).toEqual(all.erasures.filter((v) => v.status === 'verified').map((v) => v.id));
    // Paging: two at a time, each page's next_before the last id of it, until the end.
    const paged: number[] = [];
    let before: number | null | undefined;
    do {
      const page: { erasures: ErasureView[]; next_before: number | null } = await ok(await call(ENGINEER, 'GET', `/api/v1/erasures?tenant=demo&limit=2${before == null ? '' : `&before=${before}`}`));
      expect(page.erasures.length).toBeLessThanOrEqual(2);
      paged.push(...page.erasures.map((v) => v.id));
      if (page.next_before !== null) expect(page.next_before).toBe(page.erasures.at(-1)!.id);
      before = page.next_before;
    } while (before !== null);
    expect(paged).toEqual(ids);
    // An empty filter is no filter.
    expect((await ok<{ erasures: ErasureView[] }>(await call(ENGINEER, 'GET', '/api/v1/erasures?tenant=&status=&limit=500'))).erasures.map((v) => v.id)).toEqual(ids);
  });
});

describe('the status contract', () => {
  it('is exactly {counts of every status, overdue, due_within_7_days, oldest_open}, and counts what the ledger holds', async () => {
    const before = await ok<ErasureStatus>(await call(ENGINEER, 'GET', '/api/v1/erasures/status?tenant=demo'));
    const overdue = await openRequest('910000001', new Date(Date.now() - 45 * DAY));
    const soon = await openRequest('910000002', new Date(Date.now() - 27 * DAY));
    const status = await ok<ErasureStatus>(await call(COMPLIANCE, 'GET', '/api/v1/erasures/status?tenant=demo'));
    expect(Object.keys(status).sort()).toEqual(['counts', 'due_within_7_days', 'oldest_open', 'overdue']);
    expect(Object.keys(status.counts).sort()).toEqual([...ERASURE_REQUEST_STATUSES].sort());
    expect(status.counts.received).toBe(before.counts.received + 2);
    expect(status.overdue).toBe(before.overdue + 1);
    expect(status.due_within_7_days).toBe(before.due_within_7_days + 1);

    // The same figures, worked out from the list.
    const all = (await ok<{ erasures: ErasureView[] }>(await call(ENGINEER, 'GET', '/api/v1/erasures?tenant=demo&limit=500'))).erasures;
    for (const s of ERASURE_REQUEST_STATUSES) expect(status.counts[s], s).toBe(all.filter((v) => v.status === s).length);
    const open = all.filter((v) => !['verified', 'not_found', 'retained'].includes(v.status));
    const now = Date.now();
    expect(status.overdue).toBe(open.filter((v) => v.overdue).length);
    expect(status.due_within_7_days).toBe(open.filter((v) => Date.parse(v.deadline_at) >= now && Date.parse(v.deadline_at) <= now + 7 * DAY).length);
    const oldest = [...open].sort((a, b) => Date.parse(a.received_at) - Date.parse(b.received_at) || a.id - b.id)[0]!;
    expect(status.oldest_open).toEqual({ id: oldest.id, status: oldest.status, received_at: oldest.received_at, deadline_at: oldest.deadline_at });
    expect(all.find((v) => v.id === overdue.id)).toMatchObject({ overdue: true });
    expect(all.find((v) => v.id === soon.id)).toMatchObject({ overdue: false });

    // Every tenant the person may see: the outsider sees only the other tenant, which has none.
    expect(await ok<ErasureStatus>(await call(OUTSIDER, 'GET', '/api/v1/erasures/status'))).toEqual({
      counts: Object.fromEntries(ERASURE_REQUEST_STATUSES.map((s) => [s, 0])),
      overdue: 0,
      due_within_7_days: 0,
      oldest_open: null,
    });
    expect(await ok<ErasureStatus>(await call(ADMIN, 'GET', '/api/v1/erasures/status'))).toEqual(status);
  });
});

describe('decisions', () => {
  it('extends an open deadline once (engineers), with the reason; a second time, or overdue, or closed is a 409', async () => {
    const soon = await openRequest('920000001', new Date(Date.now() - 20 * DAY));
    for (const who of [ADMIN, COMPLIANCE]) await problem(await call(who, 'POST', `/api/v1/erasures/${soon.id}/extend`, { months: 2, reason: 'complex request' }), 403);
    const extended = await ok<ErasureView>(await call(engineer, 'POST', `/api/v1/erasures/${soon.id}/extend`, { months: 2, reason: 'many linked accounts to trace' }));
    expect(extended.extended).toMatchObject({ months: 2, reason: 'many linked accounts to trace', by: ENGINEER });
    expect(Date.parse(extended.deadline_at) - Date.parse(soon.deadline_at)).toBeGreaterThan(55 * DAY);
    const before = await ledgerState();
    expect((await problem(await call(ENGINEER, 'POST', `/api/v1/erasures/${soon.id}/extend`, { months: 1, reason: 'again' }), 409)).detail).toContain('extended already');
    const late = await openRequest('920000002', new Date(Date.now() - 40 * DAY));
    const afterLate = await ledgerState();
    expect((await problem(await call(ENGINEER, 'POST', `/api/v1/erasures/${late.id}/extend`, { months: 1, reason: 'late' }), 409)).detail).toContain('overdue');
    expect(await ledgerState()).toEqual(afterLate);
    expect((before.requests as number) + 1).toBe(afterLate.requests);
  });

  it('retains a request for a legal reason (compliance only); a purged or verified one is a 409', async () => {
    const held = await openRequest('930000001', new Date(Date.now() - 2 * DAY));
    for (const who of [ENGINEER, ADMIN]) await problem(await call(who, 'POST', `/api/v1/erasures/${held.id}/retain`, { reason: 'legal hold' }), 403);
    const retained = await ok<ErasureView>(await call(compliance, 'POST', `/api/v1/erasures/${held.id}/retain`, { reason: 'legal hold: case 2026-114' }));
    expect(retained).toMatchObject({ status: 'retained', retained: { reason: 'legal hold: case 2026-114', by: COMPLIANCE } });
    const detail = await ok<ErasureDetail>(await call(ADMIN, 'GET', `/api/v1/erasures/${held.id}`));
    expect(detail.events.map((e) => e.event)).toEqual(['received', 'retained']);
    expect((await problem(await call(ADMIN, 'GET', `/api/v1/erasures/${held.id}/certificate`), 409)).detail).toContain('retained');
    const before = await ledgerState();
    await problem(await call(COMPLIANCE, 'POST', `/api/v1/erasures/${held.id}/retain`, { reason: 'again' }), 409);
    expect(await ledgerState()).toEqual(before);
  });

  it('a request whose purge the platform keeps dropping fails; the certificate is a 409; engineers retry it to a certificate', async () => {
    const p = nextProfile();
    await db().updateTable('tenants').set({ erasure_verify_window_s: 1 }).where('name', '=', TENANT).execute();
    await simConfig(world.sim, { purgeDropRate: 1 });
    let id: number;
    try {
      id = (await ok<{ request: ErasureView }>(await call(ENGINEER, 'POST', '/api/v1/erasures', { tenant: TENANT, profile_id: String(p.id), identifiers: [`email:${p.email}`] }), 201)).request.id;
      const failed = await reach(id, ['failed', 'verified', 'not_found']);
      expect(failed.request.status).toBe('failed');
      expect(failed.request.purge_rounds).toBe(2);
      expect(failed.request.error).toContain('still not proven gone');
      expect(failed.checks.find((c) => (c as { check: string }).check === 'profile')).toMatchObject({ passed: false });
      expect(JSON.stringify(failed)).not.toContain(p.email!);
      // The engineers are told, by request id, never by what identifies the person.
      // (The request is marked failed first, then they are emailed.)
      const told = await eventually(async () => (await world.outbox()).filter((m) => JSON.stringify(m.to).includes(ENGINEER)), (list) => list.length > 0);
      expect(told.length).toBeGreaterThan(0);
      for (const m of told) expect(`${m.subject} ${m.text} ${String(m.html)}`).not.toContain(p.email!);
    } finally {
      await simConfig(world.sim, { purgeDropRate: 0 });
    }
    expect((await problem(await call(ENGINEER, 'GET', `/api/v1/erasures/${id}/certificate`), 409)).detail).toMatch(/no certificate: it is failed/);

    // One id that may not be retried refuses them all, and nothing changes.
    const verifiedId = (await ok<{ erasures: ErasureView[] }>(await call(ENGINEER, 'GET', '/api/v1/erasures?tenant=demo&status=verified&limit=1'))).erasures[0]!.id;
    const before = await ledgerState();
    for (const who of [ADMIN, COMPLIANCE]) await problem(await call(who, 'POST', '/api/v1/erasures/retry', { ids: [id] }), 403);
    await problem(await call(ENGINEER, 'POST', '/api/v1/erasures/retry', { ids: [id, verifiedId] }), 409);
    await problem(await call(ENGINEER, 'POST', '/api/v1/erasures/retry', { ids: [id, 999_999_999] }), 404);
    await problem(await call(OUTSIDER, 'POST', '/api/v1/erasures/retry', { ids: [id] }), 404);
    expect(await ledgerState()).toEqual(before);

    const retried = await ok<{ retried: { id: number; run: string }[] }>(await call(engineer, 'POST', '/api/v1/erasures/retry', { ids: [id, id] }));
    expect(retried.retried).toEqual([{ id, run: expect.any(String) as string }]);
    const done = await reach(id, ['verified', 'not_found', 'failed']);
    expect(done.request.status).toBe('verified');
    expect(done.events.map((e) => e.event)).toContain('retried');
    await ok(await call(COMPLIANCE, 'GET', `/api/v1/erasures/${id}/certificate`));
    await db().updateTable('tenants').set({ erasure_verify_window_s: 900 }).where('name', '=', TENANT).execute();
  });
});

describe('who may do what', () => {
  it('reads: every role that sees the tenant; 401 anonymous; 404 for a tenant or request they may not see', async () => {
    const id = (await ok<{ erasures: ErasureView[] }>(await call(ENGINEER, 'GET', '/api/v1/erasures?tenant=demo&limit=1'))).erasures[0]!.id;
    for (const path of ['/api/v1/erasures', '/api/v1/erasures/status', `/api/v1/erasures/${id}`]) {
      for (const who of [ENGINEER, ADMIN, COMPLIANCE]) await ok(await call(who, 'GET', path));
      await problem(await call(null, 'GET', path), 401);
    }
    await problem(await call(null, 'GET', `/api/v1/erasures/${id}/certificate`), 401);
    // The outsider: the demo tenant and its requests do not exist; the unknown tenant answers alike.
    const hidden = await problem(await call(OUTSIDER, 'GET', '/api/v1/erasures?tenant=demo'), 404);
    const unknown = await problem(await call(OUTSIDER, 'GET', '/api/v1/erasures?tenant=nope'), 404);
    expect(hidden.detail.replace('demo', 'X')).toBe(unknown.detail.replace('nope', 'X'));
    await problem(await call(OUTSIDER, 'GET', '/api/v1/erasures/status?tenant=demo'), 404);
    await problem(await call(OUTSIDER, 'GET', `/api/v1/erasures/${id}`), 404);
    await problem(await call(OUTSIDER, 'GET', `/api/v1/erasures/${id}/certificate`), 404);
    await problem(await call(OUTSIDER, 'POST', `/api/v1/erasures/${id}/extend`, { months: 1, reason: 'x' }), 404);
    await problem(await call(OUTSIDER, 'POST', `/api/v1/erasures/${id}/retain`, { reason: 'x' }), 404);
    expect((await ok<{ erasures: ErasureView[] }>(await call(OUTSIDER, 'GET', '/api/v1/erasures'))).erasures).toEqual([]);
  });

  it('enqueues: engineers only; 401 anonymous, 403 other roles, 404 a tenant not visible, as an unknown one; nothing written', async () => {
    const before = await ledgerState();
    const body = { tenant: TENANT, profile_id: '940000001' };
    await problem(await call(null, 'POST', '/api/v1/erasures', body), 401);
    for (const who of [ADMIN, COMPLIANCE]) expect((await problem(await call(who, 'POST', '/api/v1/erasures', body), 403)).detail).toContain('engineer');
    const hidden = await problem(await call(OUTSIDER, 'POST', '/api/v1/erasures', body), 404);
    const unknown = await problem(await call(ENGINEER, 'POST', '/api/v1/erasures', { ...body, tenant: 'nope' }), 404);
    expect(hidden).toMatchObject({ field: 'tenant' });
    expect(unknown).toMatchObject({ field: 'tenant' });
    expect(hidden.detail.replace('demo', 'X')).toBe(unknown.detail.replace('nope', 'X'));
    // A browser session without the CSRF token.
    const noToken = await engineer.request('POST', '/api/v1/erasures', { json: body });
    await problem(noToken, 403);
    expect(await ledgerState()).toEqual(before);
  });
});

describe('bad input', () => {
  it('answers 400 naming the field, never repeats an identifier, and changes nothing', async () => {
    const before = await ledgerState();
    const future = new Date(Date.now() + 2 * DAY).toISOString();
    const base = { tenant: TENANT, profile_id: '950000001' };
    const cases: [unknown, string][] = [
      [{ tenant: TENANT }, 'body.profile_id'],
      [{ ...base, profile_id: 'ann@example.com' }, 'profile_id'],
      [{ ...base, profile_id: '0' }, 'profile_id'],
      [{ ...base, profile_id: '' }, 'profile_id'],
      [{ ...base, tenant: '' }, 'body.tenant'],
      [{ ...base, received_at: future }, 'received_at'],
      [{ ...base, received_at: 'last tuesday' }, 'received_at'],
      [{ ...base, reference: 'x'.repeat(201) }, 'reference'],
      [{ ...base, reference: 'two\nlines' }, 'reference'],
      [{ ...base, identifiers: ['email:secret-person@'] }, 'identifiers[0]'],
      [{ ...base, identifiers: ['email:ok@example.com', 'fax:+61400000000'] }, 'identifiers[1]'],
      [{ ...base, identifiers: ['secret-person@example.com'] }, 'identifiers[0]'],
      [{ ...base, identifiers: Array.from({ length: 11 }, (_, i) => `email:p${i}@example.com`) }, 'body.identifiers'],
      [{ ...base, identifiers: 'email:ok@example.com' }, 'body.identifiers'],
      [{ ...base, extra: 1 }, 'body'],
    ];
    for (const [json, field] of cases) {
      const p = await problem(await call(ENGINEER, 'POST', '/api/v1/erasures', json), 400);
      expect(p.field, JSON.stringify(json)).toBe(field);
      expect(p.detail).not.toContain('secret-person');
    }
    expect((await problem(await call(ENGINEER, 'POST', '/api/v1/erasures', undefined, '{"tenant":'), 400)).field).toBe('body');

    const id = (await ok<{ erasures: ErasureView[] }>(await call(ENGINEER, 'GET', '/api/v1/erasures?tenant=demo&status=received&limit=1'))).erasures[0]!.id;
    for (const [path, field] of [
      ['/api/v1/erasures?status=maybe', 'status'],
      ['/api/v1/erasures?limit=0', 'querystring.limit'],
      ['/api/v1/erasures?limit=501', 'querystring.limit'],
      ['/api/v1/erasures?before=abc', 'querystring.before'],
      ['/api/v1/erasures/abc', 'params.id'],
      ['/api/v1/erasures/0/certificate', 'params.id'],
    ] as const) {
      expect((await problem(await call(COMPLIANCE, 'GET', path), 400)).field, path).toBe(field);
    }
    await problem(await call(COMPLIANCE, 'GET', '/api/v1/erasures/999999999'), 404);
    await problem(await call(COMPLIANCE, 'GET', '/api/v1/erasures/999999999/certificate'), 404);
    for (const [json, field] of [
      [{ months: 3, reason: 'too long' }, 'months'],
      [{ months: 0, reason: 'none' }, 'months'],
      [{ months: 1.5, reason: 'half' }, 'body.months'],
      [{ months: 1, reason: '  ' }, 'reason'],
      [{ months: 1 }, 'body.reason'],
    ] as const) {
      expect((await problem(await call(ENGINEER, 'POST', `/api/v1/erasures/${id}/extend`, json), 400)).field, JSON.stringify(json)).toBe(field);
    }
    await problem(await call(ENGINEER, 'POST', '/api/v1/erasures/999999999/extend', { months: 1, reason: 'x' }), 404);
    expect((await problem(await call(COMPLIANCE, 'POST', `/api/v1/erasures/${id}/retain`, { reason: '' }), 400)).field).toBe('reason');
    await problem(await call(COMPLIANCE, 'POST', '/api/v1/erasures/999999999/retain', { reason: 'x' }), 404);
    for (const json of [{ ids: [] }, { ids: ['1'] }, { ids: [0] }, {}]) {
      expect((await problem(await call(ENGINEER, 'POST', '/api/v1/erasures/retry', json), 400)).field, JSON.stringify(json)).toMatch(/^body/);
    }
    expect(await ledgerState()).toEqual(before);
  });
});

describe('the pages', () => {
  it('show engineers the form; it enqueues with its CSRF token and redirects to the request, whose identifiers show only as kinds', async () => {
    const p = nextProfile();
    const list = await (await engineer.get('/erasures')).text();
    expect(list).toContain('New erasure request');
    expect(list).toContain('id="erasure-counts"');
    expect(await (await compliance.get('/erasures')).text()).not.toContain('New erasure request');
    const form = { tenant: TENANT, profile_id: String(p.id), received_at: '', reference: 'FORM-1', identifiers: `email:${p.email}\n\n phone:${p.mobile_phone} \n` };

    const before = await ledgerState();
    expect((await engineer.post('/erasures', { form })).status).toBe(403);
    const bad = await engineer.post('/erasures', { form: { ...form, _csrf: csrfOf(list), identifiers: `email:${p.email}\nfax:12345678` } });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toContain('identifiers, line 2');
    expect(badPage).not.toContain(p.email!);
    expect(badPage).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    expect(await ledgerState()).toEqual(before);

    const res = await engineer.post('/erasures', { form: { ...form, _csrf: csrfOf(list) } });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/erasures\/\d+\?done=created$/);
    const id = Number(/\/erasures\/(\d+)/.exec(location)![1]);
    await reach(id, ['verified']);
    const page = await (await engineer.get(location)).text();
    expect(page).toContain('Erasure request received');
    expect(page).toContain('email, phone');
    expect(page).toContain(`href="/api/v1/erasures/${id}/certificate"`);
    expect(page).toContain('id="certificate-text"');
    for (const text of [page, await (await engineer.get('/erasures')).text(), await (await compliance.get(`/erasures/${id}`)).text()]) {
      expect(text).not.toContain(p.email!);
      expect(text).not.toContain(p.mobile_phone!);
    }
    // Again by form: the same request, nothing written.
    const again = await engineer.post('/erasures', { form: { ...form, _csrf: csrfOf(list) } });
    expect(again.headers.get('location')).toBe(`/erasures/${id}?done=existing`);
  });

  it('offer each role only its forms, and the forms act', async () => {
    const open = await openRequest('960000001', new Date(Date.now() - 3 * DAY));
    const engPage = await (await engineer.get(`/erasures/${open.id}`)).text();
    expect(engPage).toContain(`action="/erasures/${open.id}/extend"`);
    expect(engPage).not.toContain(`action="/erasures/${open.id}/retain"`);
    const coPage = await (await compliance.get(`/erasures/${open.id}`)).text();
    expect(coPage).toContain(`action="/erasures/${open.id}/retain"`);
    expect(coPage).not.toContain(`action="/erasures/${open.id}/extend"`);
    expect(coPage).toContain('Extending the deadline needs the engineer role.');

    const extended = await engineer.post(`/erasures/${open.id}/extend`, { form: { _csrf: csrfOf(engPage), months: '1', reason: 'needs the archive team' } });
    expect(extended.headers.get('location')).toBe(`/erasures/${open.id}?done=extended`);
    // A role the route does not name: 403 as a page.
    expect((await compliance.post(`/erasures/${open.id}/extend`, { form: { _csrf: csrfOf(coPage), months: '1', reason: 'x' } })).status).toBe(403);
    const retained = await compliance.post(`/erasures/${open.id}/retain`, { form: { _csrf: csrfOf(coPage), reason: 'legal hold' } });
    expect(retained.headers.get('location')).toBe(`/erasures/${open.id}?done=retained`);
    const after = await (await engineer.get(`/erasures/${open.id}?done=retained`)).text();
    expect(after).toMatch(/id="erasure-status"><span class="status status-retained">retained/);
    expect(after).toContain('legal hold');
    expect(after).toContain('extended by 1 month');
    expect(after).not.toContain(`action="/erasures/${open.id}/extend"`);
    // Once the hold ends an engineer may re-open it: the page offers the retry.
    expect(after).toContain(`action="/erasures/${open.id}/retry"`);
    // A refused form is a page naming why, not a stack trace.
    const refused = await engineer.post(`/erasures/${open.id}/extend`, { form: { _csrf: csrfOf(engPage), months: '1', reason: 'once more' } });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(`erasure request ${open.id} is retained: only an open request&#39;s deadline can be extended`);
  });
});
