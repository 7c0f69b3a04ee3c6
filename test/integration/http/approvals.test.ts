// Approvals in the web app, over HTTP against the demo tenant audited once
// (real createApp, real Postgres, the simulator; remediation runs in process
// as soon as an approval is made): the list and its filters, the detail page
// and API, approving by page and by API through to a verified removal the
// simulator confirms, rejecting, bulk approval, the email links, two admins
// racing over one first approval, and every refusal answered with its status
// and nothing changed.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalDetail, ApprovalView } from '../../../src/app/approvals.js';
import { signApprovalLink, type ApprovalLink } from '../../../src/approvals/approval-links.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { addTenant, requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { csrfOf, startWebWorld, Agent, type WebWorld } from '../../support/web.js';
import { raceUnderTenantLock } from '../approvals/support.js';

const ADMIN = 'admin@warden.test';
const COMPLIANCE = 'co@warden.test';
const ENGINEER = 'eng@warden.test';
/** An admin whose address is the removed Bob Stone's (the audit's impact has it as Bob.Stone@demo.example). */
const BOB = 'bob.stone@demo.example';
const OUTSIDER = 'other-admin@warden.test';
const DEMO_ADMIN = 'admins@demo.example';
const JSON_ACCEPT = { accept: 'application/json' };

let world: WebWorld;
let admin: Agent;
let co: Agent;
let adminKey: string;
let approvals: ApprovalView[];

const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
  await addTenant(db(), { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  await world.person(ADMIN, ['admin']);
  await world.person(COMPLIANCE, ['compliance']);
  await world.person(ENGINEER, ['engineer']);
  await world.person(BOB, ['admin']);
  await world.person(OUTSIDER, ['admin', 'compliance'], ['other']);
  admin = await world.signIn(ADMIN);
  co = await world.signIn(COMPLIANCE);
  adminKey = await world.apiKey(ADMIN);
  approvals = await apiJson<ApprovalView[]>(adminKey, '/api/v1/approvals');
}, 120_000);
afterAll(async () => world?.close());

/** The approval of the demo's audit acting on this subject. */
function approvalOf(label: string, kind: 'remove_user' | 'revoke_token'): ApprovalView {
  const found = approvals.find((a) => a.subject.label === label && a.kind === kind);
  if (found === undefined) throw new Error(`the demo audit opened no ${kind} approval for ${label}`);
  return found;
}

async function call(who: Agent | string, method: string, path: string, json?: unknown): Promise<Response> {
  if (typeof who !== 'string') {
    const headers = { ...JSON_ACCEPT, ...(method === 'GET' ? {} : { 'x-csrf-token': await who.csrf() }) };
    return who.request(method, path, { headers, ...(json === undefined ? {} : { json }) });
  }
  return fetch(`${world.url}${path}`, {
    method,
    headers: { ...JSON_ACCEPT, authorization: `Bearer ${who}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

async function apiJson<T>(who: Agent | string, path: string): Promise<T> {
  const res = await call(who, 'GET', path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function problemOf(res: Response): Promise<{ status: number; detail: string; field?: string }> {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { status: number; detail: string; field?: string };
}

/** What the ledger holds of approvals, to show a refused request changed nothing. */
async function approvalsState(): Promise<{ rows: unknown[]; events: number; links: number }> {
  const rows = await db().selectFrom('approvals').select(['id', 'status', 'decided_by', 'first_approved_by', 'comment']).orderBy('id').execute();
  const events = await db().selectFrom('approval_events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  const links = await db().selectFrom('approval_link_uses').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return { rows, events: events.n, links: links.n };
}

/** The approval once remediation has finished with it (in process, it runs as soon as it is approved). */
async function settled(id: number): Promise<ApprovalDetail> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const d = await apiJson<ApprovalDetail>(adminKey, `/api/v1/approvals/${id}`);
    if (!['approved', 'executed'].includes(d.status) || Date.now() > deadline) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the simulator answers for a platform path. */
function sim(path: string): Promise<Response> {
  return fetch(`${world.sim.url}${path}`, { headers: { authorization: `Bearer ${world.sim.token}`, accept: 'application/json' } });
}

/** A form post from a page, with that page's CSRF token. */
async function postForm(agent: Agent, page: string, action: string, form: Record<string, string>): Promise<Response> {
  const csrf = csrfOf(await (await agent.get(page)).text());
  return agent.post(action, { form: { _csrf: csrf, ...form } });
}

async function link(email: string, approvalId: number, decision: ApprovalLink['decision'], expiresAt = new Date(Date.now() + 86_400_000)): Promise<string> {
  const person = await findPersonByEmail(db(), email);
  return signApprovalLink(world.web.ctx.key, { approvalId, personId: person!.id, decision, expiresAt });
}

describe('the approvals list', () => {
  it('lists what the audit opened, oldest request first, with the JSON contract', () => {
    expect(approvals.length).toBeGreaterThanOrEqual(4);
    const times = approvals.map((a) => Date.parse(a.requested_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const a of approvals) {
      expect(a).toMatchObject({ tenant: 'demo', status: 'pending', subject: { type: expect.any(String) as string, id: expect.any(String) as string, label: expect.any(String) as string } });
      expect(['remove_user', 'revoke_token', 'disable_webhook']).toContain(a.kind);
    }
    approvalOf('Gus Hill', 'remove_user');
    approvalOf('Bob Stone', 'remove_user');
  });

  it('filters by kind, state and tenant, on the page and in the API', async () => {
    const tokens = await apiJson<ApprovalView[]>(adminKey, '/api/v1/approvals?kind=revoke_token');
    expect(tokens.length).toBe(approvals.filter((a) => a.kind === 'revoke_token').length);
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens.map((a) => a.kind))).toEqual(new Set(['revoke_token']));
    expect(await apiJson<ApprovalView[]>(adminKey, '/api/v1/approvals?state=rejected')).toEqual([]);
    expect((await apiJson<ApprovalView[]>(co, '/api/v1/approvals?tenant=demo&state=pending')).length).toBe(approvals.length);
    expect(await apiJson<ApprovalView[]>(adminKey, '/api/v1/approvals?page=2')).toEqual([]);

    const page = await (await admin.get('/approvals?kind=remove_user&state=pending')).text();
    const rows = [...page.matchAll(/<a href="\/approvals\/(\d+)">#\d+<\/a>/g)].map((m) => Number(m[1]));
    expect(rows).toEqual(approvals.filter((a) => a.kind === 'remove_user').map((a) => a.id));
    expect(page).toContain('<option value="remove_user" selected>');
    // An admin gets the checkboxes and the bulk form; compliance only the list.
    expect(page).toContain('Approve selected');
    expect(page.match(/type="checkbox" name="ids"/g)?.length).toBe(rows.length);
    const coPage = await (await co.get('/approvals')).text();
    expect(coPage).toContain(`href="/approvals/${approvals[0]!.id}"`);
    expect(coPage).not.toContain('Approve selected');
  });

  it('refuses a bad filter with a 400 naming the field, and an unknown tenant with a 404', async () => {
    for (const [query, field] of [
      ['kind=remove_everything', 'kind'],
      ['state=maybe', 'state'],
      ['page=0', 'querystring.page'],
      ['page=abc', 'querystring.page'],
    ] as const) {
      const res = await call(adminKey, 'GET', `/api/v1/approvals?${query}`);
      expect(res.status, query).toBe(400);
      expect((await problemOf(res)).field, query).toBe(field);
      const page = await admin.get(`/approvals?${query}`);
      expect(page.status, query).toBe(400);
      expect(await page.text()).toContain('role="alert"');
    }
    const res = await call(adminKey, 'GET', '/api/v1/approvals?tenant=nope');
    expect(res.status).toBe(404);
    expect((await problemOf(res)).field).toBe('tenant');
  });

  it('is open to compliance and admins, not to engineers; the nav links it for them only', async () => {
    const eng = await world.signIn(ENGINEER);
    expect((await call(eng, 'GET', '/api/v1/approvals')).status).toBe(403);
    expect((await eng.get('/approvals')).status).toBe(403);
    expect(await (await eng.get('/findings')).text()).not.toContain('href="/approvals"');
    expect(await (await co.get('/findings')).text()).toContain('href="/approvals"');
  });

  it('is linked from the dashboard, filtered to the tenant’s pending approvals', async () => {
    const page = await (await admin.get('/tenants/demo')).text();
    expect(page).toContain('href="/approvals?tenant=demo&amp;state=pending"');
  });
});

describe('one approval', () => {
  it('gives the whole trail by API: finding, impact, events', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const d = await apiJson<ApprovalDetail>(co, `/api/v1/approvals/${bob.id}`);
    expect(d.finding).toMatchObject({ severity: expect.any(String) as string, evidence: expect.objectContaining({ user_id: bob.subject.id }) as unknown });
    expect(d.impact).toMatchObject({ kind: 'remove_user', user_id: bob.subject.id });
    expect(d.impact_summary.join(' ')).toMatch(/live API token/);
    expect(d.trail.map((e) => e.event)).toContain('requested');
    expect(d.outcome).toEqual({});
  });

  it('shows the evidence, the impact in words and as a table, the history, and the forms to admins', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const page = await (await admin.get(`/approvals/${bob.id}`)).text();
    expect(page).toContain('<table id="evidence">');
    expect(page).toContain('<ul id="impact-summary">');
    expect(page).toMatch(/<table id="impact-tokens">[\s\S]*bob-export/);
    expect(page).toMatch(/<table id="trail">[\s\S]*requested/);
    expect(page).toContain(`action="/approvals/${bob.id}/decision"`);
    expect(page).toContain('Why reject (required)');
    const coPage = await (await co.get(`/approvals/${bob.id}`)).text();
    expect(coPage).toContain('<ul id="impact-summary">');
    expect(coPage).not.toContain('/decision"');
  });

  it('answers 404 for an unknown id, 400 for one that is not an id', async () => {
    expect((await call(adminKey, 'GET', '/api/v1/approvals/999999')).status).toBe(404);
    expect((await admin.get('/approvals/999999')).status).toBe(404);
    const res = await call(adminKey, 'GET', '/api/v1/approvals/abc');
    expect(res.status).toBe(400);
    expect((await problemOf(res)).field).toBe('params.id');
  });

  it('is unknown to a person of another tenant, to see and to decide', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const outsider = await world.signIn(OUTSIDER);
    const before = await approvalsState();
    expect((await call(outsider, 'GET', `/api/v1/approvals/${bob.id}`)).status).toBe(404);
    expect((await outsider.get(`/approvals/${bob.id}`)).status).toBe(404);
    expect((await call(outsider, 'POST', `/api/v1/approvals/${bob.id}/approve`, {})).status).toBe(404);
    expect(await apiJson<ApprovalView[]>(outsider, '/api/v1/approvals')).toEqual([]);
    expect(await approvalsState()).toEqual(before);
  });
});

describe('two admins at the same moment', () => {
  it('both giving the first approval over the daily cap: one 200 (the first approval), one 409 problem, never a 500', async () => {
    const cara = approvalOf('Cara Diaz', 'remove_user');
    const demoKey = await world.apiKey(DEMO_ADMIN);
    const cap = (await requireTenant(db(), 'demo')).max_removals_per_day;
    await updateTenant(db(), 'demo', { maxRemovalsPerDay: 0 });
    try {
      const approve = (key: string) => () => call(key, 'POST', `/api/v1/approvals/${cara.id}/approve`, { comment: 'left in June' });
      // Both requests read the approval (no first approval yet) before either writes.
      const raced = await raceUnderTenantLock(db(), 'demo', 2, [approve(adminKey), approve(demoKey)]);
      const responses = raced.map((r) => {
        expect(r.status).toBe('fulfilled');
        return (r as PromiseFulfilledResult<Response>).value;
      });
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      const won = responses.findIndex((r) => r.status === 200);
      expect(((await responses[won]!.json()) as { outcomes: unknown }).outcomes).toEqual([{ id: cara.id, outcome: 'first_approval', run: null }]);
      const conflict = await problemOf(responses[1 - won]!);
      expect(conflict).toMatchObject({ status: 409, detail: `approval: approval ${cara.id} is already first-approved by another admin, it cannot become approved` });
      const d = await apiJson<ApprovalDetail>(adminKey, `/api/v1/approvals/${cara.id}`);
      expect(d).toMatchObject({ status: 'pending', first_approved_by: [ADMIN, DEMO_ADMIN][won], decided_by: null });
      expect(d.trail.filter((e) => e.event === 'first_approval')).toHaveLength(1);
      expect((await sim(`/users/${cara.subject.id}`)).status).toBe(200);
    } finally {
      await updateTenant(db(), 'demo', { maxRemovalsPerDay: cap });
    }
  });
});

describe('deciding', () => {
  it('approves on the page; remediation removes the user and verifies it; the simulator no longer has the user', async () => {
    const gus = approvalOf('Gus Hill', 'remove_user');
    expect((await sim(`/users/${gus.subject.id}`)).status).toBe(200);
    const res = await postForm(admin, `/approvals/${gus.id}`, `/approvals/${gus.id}/decision`, { decision: 'approved', comment: 'left in October' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/approvals/${gus.id}?done=approved`);
    const d = await settled(gus.id);
    expect(d.status).toBe('verified');
    expect(d).toMatchObject({ decided_by: ADMIN, comment: 'left in October' });
    expect(d.outcome).toMatchObject({ recheck: { verdict: 'holds' }, act: { answer: 'deleted' }, verification: { result: expect.stringContaining('404') as unknown } });
    expect(d.trail.map((e) => e.event)).toEqual(expect.arrayContaining(['approved', 'recheck', 'executed', 'verified']));
    expect((await sim(`/users/${gus.subject.id}`)).status).toBe(404);

    const page = await (await admin.get(`/approvals/${gus.id}?done=approved`)).text();
    expect(page).toContain('status-verified');
    expect(page).toMatch(/<table id="outcome">[\s\S]*Verification/);
    expect(page).not.toContain('/decision"');
  });

  it('approves by API: the outcome names the remediation run, and the token is revoked and verified gone', async () => {
    const token = approvals.find((a) => a.kind === 'revoke_token' && a.subject.label !== 'bob-export')!;
    const listedBefore: unknown = await (await sim('/auth/access-tokens')).json();
    expect(JSON.stringify(listedBefore)).toContain(`"${token.subject.id}"`);
    const res = await call(adminKey, 'POST', `/api/v1/approvals/${token.id}/approve`, { comment: 'unused for months' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outcomes: { id: number; outcome: string; run: string | null }[] };
    expect(body.outcomes).toEqual([{ id: token.id, outcome: 'approved', run: expect.any(String) as string }]);
    const run = await world.runner!.outcome(body.outcomes[0]!.run!, true);
    expect(run).toMatchObject({ kind: 'remediation', status: 'succeeded' });
    const d = await settled(token.id);
    expect(d.status).toBe('verified');
    const listed: unknown = await (await sim('/auth/access-tokens')).json();
    expect(JSON.stringify(listed)).not.toContain(`"${token.subject.id}"`);
  });

  it('refuses to approve twice (409) and changes nothing', async () => {
    const gus = approvalOf('Gus Hill', 'remove_user');
    const before = await approvalsState();
    const res = await call(adminKey, 'POST', `/api/v1/approvals/${gus.id}/approve`, {});
    expect(res.status).toBe(409);
    expect((await problemOf(res)).detail).toContain('verified');
    // A script may send no body at all: the comment is optional.
    const bare = await fetch(`${world.url}/api/v1/approvals/${gus.id}/approve`, { method: 'POST', headers: { ...JSON_ACCEPT, authorization: `Bearer ${adminKey}` } });
    expect(bare.status, await bare.clone().text()).toBe(409);
    const page = await postForm(admin, `/approvals/${gus.id}`, `/approvals/${gus.id}/decision`, { decision: 'approved' });
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('role="alert"');
    expect(await approvalsState()).toEqual(before);
  });

  it('refuses a rejection without a comment (400, nothing changed), takes one with, then refuses to approve it (409)', async () => {
    const cara = approvalOf('Cara Diaz', 'remove_user');
    const before = await approvalsState();
    const res = await call(adminKey, 'POST', `/api/v1/approvals/${cara.id}/reject`, { comment: '  ' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).field).toBe('comment');
    const missing = await call(adminKey, 'POST', `/api/v1/approvals/${cara.id}/reject`, {});
    expect(missing.status).toBe(400);
    const page = await postForm(admin, `/approvals/${cara.id}`, `/approvals/${cara.id}/decision`, { decision: 'rejected', comment: '' });
    expect(page.status).toBe(400);
    expect(await approvalsState()).toEqual(before);

    const ok = await call(adminKey, 'POST', `/api/v1/approvals/${cara.id}/reject`, { comment: 'contractor, renewed' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { outcomes: unknown[] }).outcomes).toEqual([{ id: cara.id, outcome: 'rejected', run: null }]);
    const after = await approvalsState();
    const approve = await call(adminKey, 'POST', `/api/v1/approvals/${cara.id}/approve`, {});
    expect(approve.status).toBe(409);
    expect((await problemOf(approve)).detail).toContain('rejected');
    expect(await approvalsState()).toEqual(after);
    expect(await apiJson<ApprovalView[]>(adminKey, '/api/v1/approvals?state=rejected')).toMatchObject([{ id: cara.id, decided_by: ADMIN, comment: 'contractor, renewed' }]);
  });

  it('refuses a self-approval (403): the removal of one’s own account, or of one’s own token', async () => {
    const bobAgent = await world.signIn(BOB);
    const before = await approvalsState();
    for (const a of [approvalOf('Bob Stone', 'remove_user'), approvalOf('bob-export', 'revoke_token')]) {
      const res = await call(bobAgent, 'POST', `/api/v1/approvals/${a.id}/approve`, {});
      expect(res.status, a.kind).toBe(403);
      expect((await problemOf(res)).detail).toContain('your own account');
    }
    const page = await (await bobAgent.get(`/approvals/${approvalOf('Bob Stone', 'remove_user').id}`)).text();
    expect(page).toContain('about your own account');
    expect(page).not.toContain('/decision"');
    expect(await approvalsState()).toEqual(before);
  });

  it('lets compliance see but not decide (403)', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const before = await approvalsState();
    expect((await call(co, 'POST', `/api/v1/approvals/${bob.id}/approve`, {})).status).toBe(403);
    expect((await call(co, 'POST', '/api/v1/approvals/approve', { ids: [bob.id] })).status).toBe(403);
    expect((await co.post(`/approvals/${bob.id}/decision`, { form: { _csrf: await co.csrf(), decision: 'approved' } })).status).toBe(403);
    expect(await approvalsState()).toEqual(before);
  });

  it('bulk approval with one bad id changes nothing: unknown (404), not pending (409), not an id (400)', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const cara = approvalOf('Cara Diaz', 'remove_user');
    const before = await approvalsState();
    expect((await call(adminKey, 'POST', '/api/v1/approvals/approve', { ids: [bob.id, 999999] })).status).toBe(404);
    expect((await call(adminKey, 'POST', '/api/v1/approvals/approve', { ids: [bob.id, cara.id] })).status).toBe(409);
    const empty = await call(adminKey, 'POST', '/api/v1/approvals/approve', { ids: [] });
    expect(empty.status).toBe(400);
    expect((await problemOf(empty)).field).toBe('body.ids');
    const page = await postForm(admin, '/approvals', '/approvals/bulk-approve', { ids: String(cara.id) });
    expect(page.status).toBe(409);
    const bad = await admin.post('/approvals/bulk-approve', { form: { _csrf: await admin.csrf(), ids: 'x1' } });
    expect(bad.status).toBe(400);
    expect(await approvalsState()).toEqual(before);
  });

  it('bulk approves the selected approvals from the list page', async () => {
    const bobToken = approvalOf('bob-export', 'revoke_token');
    const csrf = csrfOf(await (await admin.get('/approvals')).text());
    const body = new URLSearchParams([['_csrf', csrf], ['ids', String(bobToken.id)], ['comment', 'export retired']]);
    const res = await admin.request('POST', '/approvals/bulk-approve', { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/approvals?approved=1&first=0');
    expect(await (await admin.get(res.headers.get('location')!)).text()).toContain('1 approved: remediation runs for each.');
    expect((await settled(bobToken.id)).status).toBe('verified');
  });
});

describe('email links', () => {
  it('opening a link shows what it will do and changes nothing', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const token = await link(DEMO_ADMIN, bob.id, 'approved');
    const before = await approvalsState();
    const anon = new Agent(world.url);
    for (let i = 0; i < 2; i++) {
      const res = await anon.get(`/approvals/link/${token}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const page = await res.text();
      expect(page).toContain(`Approve approval #${bob.id}?`);
      expect(page).toContain(`This link was sent to ${DEMO_ADMIN}`);
      expect(page).toContain('<ul id="impact-summary">');
      expect(page).toContain('Confirm approval');
    }
    expect(await approvalsState()).toEqual(before);
  });

  it('refuses an expired link (410), a tampered one (403), and changes nothing', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const before = await approvalsState();
    const expired = await link(DEMO_ADMIN, bob.id, 'approved', new Date(Date.now() - 60_000));
    const good = await link(DEMO_ADMIN, bob.id, 'approved');
    const last = good.at(-1)!;
    const tampered = `${good.slice(0, -1)}${last === '0' ? '1' : '0'}`;
    const otherId = good.replace(`v1.${bob.id}.`, `v1.${approvalOf('Gus Hill', 'remove_user').id}.`);
    for (const [token, status] of [
      [expired, 410],
      [tampered, 403],
      [otherId, 403],
      ['not-a-token', 403],
    ] as const) {
      const anon = new Agent(world.url);
      const page = await anon.get(`/approvals/link/${token}`);
      expect(page.status, token).toBe(status);
      expect(await page.text()).toContain('role="alert"');
      const csrf = csrfOf(await (await anon.get('/sign-in')).text());
      expect((await anon.post(`/approvals/link/${token}`, { form: { _csrf: csrf } })).status, token).toBe(status);
    }
    expect(await approvalsState()).toEqual(before);
  });

  it('refuses another admin’s link to someone signed in as someone else (403)', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const token = await link(DEMO_ADMIN, bob.id, 'approved');
    const before = await approvalsState();
    const page = await admin.get(`/approvals/link/${token}`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('sent to another admin');
    expect((await admin.post(`/approvals/link/${token}`, { form: { _csrf: await admin.csrf() } })).status).toBe(403);
    expect(await approvalsState()).toEqual(before);
  });

  it('refuses a confirmation without the page’s CSRF token (403)', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const token = await link(DEMO_ADMIN, bob.id, 'rejected');
    const before = await approvalsState();
    expect((await new Agent(world.url).post(`/approvals/link/${token}`, { form: { comment: 'no token' } })).status).toBe(403);
    expect(await approvalsState()).toEqual(before);
  });

  it('a reject link needs a comment, decides once with one, and is gone the second time (410)', async () => {
    const bob = approvalOf('Bob Stone', 'remove_user');
    const token = await link(DEMO_ADMIN, bob.id, 'rejected');
    const anon = new Agent(world.url);
    const confirm = await (await anon.get(`/approvals/link/${token}`)).text();
    expect(confirm).toContain('Why reject (required)');
    const csrf = csrfOf(confirm);

    const before = await approvalsState();
    const empty = await anon.post(`/approvals/link/${token}`, { form: { _csrf: csrf, comment: '' } });
    expect(empty.status).toBe(400);
    expect(await approvalsState()).toEqual(before);

    const res = await anon.post(`/approvals/link/${token}`, { form: { _csrf: csrf, comment: 'still on the payroll' } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Rejected: nothing will be done.');
    expect(page).toContain(`href="/approvals/${bob.id}"`);
    const d = await apiJson<ApprovalDetail>(adminKey, `/api/v1/approvals/${bob.id}`);
    expect(d).toMatchObject({ status: 'rejected', decided_by: DEMO_ADMIN, comment: 'still on the payroll' });
    expect(d.trail.at(-1)).toMatchObject({ event: 'rejected' });

    const after = await approvalsState();
    const again = await anon.post(`/approvals/link/${token}`, { form: { _csrf: csrf, comment: 'again' } });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('used already');
    expect((await anon.get(`/approvals/link/${token}`)).status).toBe(410);
    expect(await approvalsState()).toEqual(after);
  });
});

describe('the OpenAPI document', () => {
  it('documents the approvals API', async () => {
    const doc = (await (await fetch(`${world.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/approvals', '/api/v1/approvals/{id}', '/api/v1/approvals/{id}/approve', '/api/v1/approvals/{id}/reject', '/api/v1/approvals/approve']));
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/approvals'))).toBe(false);
  });
});
