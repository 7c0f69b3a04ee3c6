// Findings in the web app, over HTTP against the demo tenant audited once
// (real createApp, real Postgres): the list and its filters, pages and CSV,
// one finding's page, suppress and unsuppress from the page and the API (API
// key, and session with x-csrf-token), and each bad input refused with a 4xx
// and nothing changed. A person restricted to another tenant sees none of it.
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { openSecret, secretAad, secretKey } from '../../../src/secrets/secret-box.js';
import { SEVERITY_RANK, type Severity } from '../../../src/rules/types.js';
import { csrfOf, startWebWorld, type Agent, type WebWorld } from '../../support/web.js';

interface Item {
  tenant: string;
  fingerprint: string;
  rule: string;
  family: string;
  severity: Severity;
  state: string;
  suppressed_until: string | null;
}
interface ListAnswer {
  items: Item[];
  page: number;
  page_size: number;
  total: number;
}

const COMPLIANCE = 'co@warden.test';
const ADMIN = 'admin@warden.test';
const ENGINEER = 'eng@warden.test';
const OUTSIDER = 'other-co@warden.test';

/** The clock the server reads: moved forward to let a suppression expire. */
let offsetMs = 0;
let world: WebWorld;
let co: Agent;
let coKey: string;
const JSON_ACCEPT = { accept: 'application/json' };

beforeAll(async () => {
  world = await startWebWorld({ audited: true, server: { now: () => new Date(Date.now() + offsetMs) } });
  // A second tenant, with no findings, for the person restricted to it.
  await addTenant(world.app.database.db, { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  await world.person(COMPLIANCE, ['compliance']);
  await world.person(ADMIN, ['admin']);
  await world.person(ENGINEER, ['engineer']);
  await world.person(OUTSIDER, ['compliance', 'admin', 'engineer'], ['other']);
  co = await world.signIn(COMPLIANCE);
  coKey = await world.apiKey(COMPLIANCE);
});
afterAll(async () => world?.close());

const db = () => world.app.database.db;

/** What the ledger holds, to show a refused request changed nothing. */
async function ledgerState(): Promise<{ suppressions: unknown[]; audit: number }> {
  const suppressions = await db().selectFrom('suppressions').selectAll().orderBy('id').execute();
  const audit = await db().selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return { suppressions, audit: audit.n };
}

async function openCount(where: { severity?: string; rulePrefix?: string } = {}): Promise<number> {
  let q = db()
    .selectFrom('findings')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('resolved_at', 'is', null)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('suppressions').select('id').whereRef('suppressions.fingerprint', '=', 'findings.fingerprint').where('expires_at', '>', new Date(Date.now() + offsetMs)))));
  if (where.severity !== undefined) q = q.where('severity', '=', where.severity);
  if (where.rulePrefix !== undefined) q = q.where('rule', 'like', `${where.rulePrefix}-%`);
  return (await q.executeTakeFirstOrThrow()).n;
}

async function api(agent: Agent | string, path: string): Promise<ListAnswer> {
  const res = typeof agent === 'string' ? await fetch(`${world.url}${path}`, { headers: { ...JSON_ACCEPT, authorization: `Bearer ${agent}` } }) : await agent.get(path, { headers: JSON_ACCEPT });
  expect(res.status, path).toBe(200);
  return (await res.json()) as ListAnswer;
}

function bearer(key: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${world.url}${path}`, {
    method,
    headers: { ...JSON_ACCEPT, authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body }),
  });
}

const inDays = (n: number) => new Date(Date.now() + offsetMs + n * 86_400_000);
const dateIn = (n: number) => inDays(n).toISOString().slice(0, 10);

/** The values that must never be in a page, CSV or answer: the platform token, every secret, every customer's email. */
async function forbidden(): Promise<string[]> {
  const key = secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR);
  const values = (await listVersions(db(), 'demo')).map((v) => openSecret(v.encrypted_value, key, secretAad(v.tenant, v.name, v.id)));
  const customers = world.sim.demo!.platform.profiles.map((p) => p.email).filter((e): e is string => typeof e === 'string' && e !== '');
  expect(values.length).toBeGreaterThan(0);
  expect(customers.length).toBeGreaterThan(0);
  return [world.sim.token, ...values.flatMap((v) => [v.toString('hex'), v.toString('base64'), v.toString('base64url')]), ...customers];
}

describe('the findings list', () => {
  it('shows every open finding of the tenants one may see, most severe first, with a filter form', async () => {
    const page = await co.get('/findings');
    expect(page.status).toBe(200);
    const text = await page.text();
    const total = await openCount();
    expect(total).toBeGreaterThan(20);
    expect(text).toContain(`<p id="findings-total">${total} findings match. Page 1 of 1.</p>`);
    for (const [id, label] of [['f-tenant', 'Tenant'], ['f-family', 'Family'], ['f-rule', 'Rule'], ['f-severity', 'Severity'], ['f-state', 'State']]) {
      expect(text).toContain(`<label for="${id}">${label}</label><select id="${id}"`);
    }
    expect(text).toMatch(/<caption>Open findings, most severe first: page 1 of 1<\/caption>/);
    expect(text.match(/<th scope="col">/g)?.length).toBe(7);
    expect(text.match(/<tr>\n<td><span class="sev-/g)?.length).toBe(total);

    const all = await api(co, '/api/v1/findings?page_size=200');
    expect(all).toMatchObject({ page: 1, page_size: 200, total });
    expect(all.items).toHaveLength(total);
    const ranks = all.items.map((i) => SEVERITY_RANK[i.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(all.items.map((i) => i.state))).toEqual(new Set(['open']));
  });

  it('filters by severity, family, rule, tenant and state, the page and the API alike', async () => {
    const critical = await api(co, '/api/v1/findings?severity=critical');
    expect(critical.total).toBe(await openCount({ severity: 'critical' }));
    expect(critical.total).toBeGreaterThan(0);
    expect(critical.items.every((i) => i.severity === 'critical')).toBe(true);
    const page = await (await co.get('/findings?severity=critical&tenant=&family=&rule=&state=open')).text();
    expect(page).toContain(`<p id="findings-total">${critical.total} findings match.`);
    expect(page).toContain('<option value="critical" selected>critical</option>');

    const tokens = await api(co, '/api/v1/findings?family=tokens');
    expect(tokens.total).toBe(await openCount({ rulePrefix: 'TOK' }));
    expect(tokens.items.every((i) => i.family === 'tokens' && i.rule.startsWith('TOK-'))).toBe(true);

    const acc01 = await api(co, '/api/v1/findings?rule=ACC-01&tenant=demo');
    expect(acc01.total).toBeGreaterThan(0);
    expect(acc01.items.every((i) => i.rule === 'ACC-01' && i.tenant === 'demo')).toBe(true);
    // A rule of another family than the one asked for: both filters together select nothing.
    expect((await api(co, '/api/v1/findings?rule=ACC-01&family=tokens')).total).toBe(0);

    const all = await api(co, '/api/v1/findings?state=all&page_size=200');
    const resolved = await api(co, '/api/v1/findings?state=resolved');
    const suppressed = await api(co, '/api/v1/findings?state=suppressed');
    expect(all.total).toBe((await api(co, '/api/v1/findings')).total + resolved.total + suppressed.total);
  });

  it('pages through the list without overlap, with links to the previous and next pages', async () => {
    const { total } = await api(co, '/api/v1/findings');
    const size = 10;
    const pages = Math.ceil(total / size);
    const seen: string[] = [];
    for (let p = 1; p <= pages; p++) {
      const answer = await api(co, `/api/v1/findings?page=${p}&page_size=${size}`);
      expect(answer).toMatchObject({ page: p, page_size: size, total });
      expect(answer.items).toHaveLength(p < pages ? size : total - size * (pages - 1));
      seen.push(...answer.items.map((i) => i.fingerprint));
    }
    expect(new Set(seen).size).toBe(total);
    expect((await api(co, `/api/v1/findings?page=${pages + 1}&page_size=${size}`)).items).toEqual([]);

    const second = await (await co.get(`/findings?severity=&page=2&page_size=${size}`)).text();
    expect(second).toContain(`Page 2 of ${pages}.`);
    expect(second).toContain(`<a rel="prev" href="/findings?page_size=${size}&amp;page=1">Previous page</a>`);
    expect(second).toContain(`<a rel="next" href="/findings?page_size=${size}&amp;page=3">Next page</a>`);
    expect(second).toContain('<nav class="pages" aria-label="Pages of findings">');
  });

  it('downloads the filtered list as CSV: one row per finding, the ledger’s columns then check’s', async () => {
    const page = await (await co.get('/findings?severity=high&state=all')).text();
    expect(page).toContain('<a id="findings-csv" href="/findings.csv?severity=high&amp;state=all">');
    const res = await co.get('/findings.csv?severity=high&state=all');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="warden-findings-\d{4}-\d{2}-\d{2}\.csv"$/);
    const text = await res.text();
    const rows = parse<Record<string, string>>(text, { columns: true });
    const { total } = await api(co, '/api/v1/findings?severity=high&state=all');
    expect(total).toBeGreaterThan(0);
    expect(rows).toHaveLength(total);
    expect(text.split('\n')[0]).toBe(
      'tenant,state,first_seen,last_seen,resolved_at,reopened_at,suppressed_until,severity,rule,name,subject_type,subject_id,subject_label,title,action,requires_approval,fingerprint,evidence',
    );
    expect(rows.every((r) => r.severity === 'high' && r.tenant === 'demo')).toBe(true);

    const everything = await (await co.get('/findings.csv?state=all')).text();
    expect(parse(everything, { columns: true })).toHaveLength((await api(co, '/api/v1/findings?state=all')).total);
    const lower = everything.toLowerCase();
    for (const banned of await forbidden()) expect(lower.includes(banned.toLowerCase()), 'a secret or customer email is in the CSV').toBe(false);
  });
});

describe('a finding', () => {
  it('shows its evidence, first and last seen, the runs that saw it and its history', async () => {
    const [first] = (await api(co, '/api/v1/findings?rule=ACC-01')).items;
    const res = await co.get(`/findings/demo/${first!.fingerprint}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<table id="evidence"');
    expect(page).toContain('<th scope="row">directory_status</th>');
    expect(page).toMatch(/<dt>First seen<\/dt><dd><time datetime="[^"]+">/);
    expect(page).toMatch(/<table id="runs"><caption>1 run, newest first<\/caption>/);
    expect(page).toMatch(/<td><a href="\/runs\/\d+">\d+<\/a><\/td><td>stale-accounts<\/td>/);
    expect(page).toMatch(/<table id="history">[\s\S]*First seen/);
    // The compliance role gets the suppress form, with a labelled reason and date.
    expect(page).toContain('<label for="reason">Reason</label>');
    expect(page).toContain('<label for="expires_at">Suppressed until</label>');

    const detail = (await (await co.get(`/api/v1/findings/demo/${first!.fingerprint}`, { headers: JSON_ACCEPT })).json()) as Record<string, unknown>;
    expect(detail).toMatchObject({ tenant: 'demo', fingerprint: first!.fingerprint, rule: 'ACC-01', job_kind: 'stale-accounts', runs_total: 1, suppression: null });
    expect(detail.runs).toEqual([expect.objectContaining({ kind: 'stale-accounts', certain: true })]);
    expect(detail.history).toEqual([expect.objectContaining({ event: 'first_seen' })]);

    const banned = await forbidden();
    for (const f of (await api(co, '/api/v1/findings?state=all&page_size=200')).items) {
      const both = ((await (await co.get(`/findings/demo/${f.fingerprint}`)).text()) + JSON.stringify(await (await co.get(`/api/v1/findings/demo/${f.fingerprint}`, { headers: JSON_ACCEPT })).json())).toLowerCase();
      for (const b of banned) expect(both.includes(b.toLowerCase()), `a secret or customer email is on the page of ${f.rule}`).toBe(false);
    }
  });

  it('is suppressed from its page: it leaves the open list, shows “suppressed until”, and comes back when lifted', async () => {
    const before = await api(co, '/api/v1/findings');
    const target = before.items.find((i) => i.severity === 'critical')!;
    const path = `/findings/demo/${target.fingerprint}`;
    const csrf = csrfOf(await (await co.get(path)).text());
    const until = dateIn(30);
    const posted = await co.post(`${path}/suppress`, { form: { _csrf: csrf, reason: 'break-glass account, reviewed by the CISO', expires_at: until } });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(`${path}?done=suppressed`);

    const shown = await (await co.get(`${path}?done=suppressed`)).text();
    expect(shown).toContain('<p class="notice" role="status">The finding is suppressed');
    expect(shown).toContain(`<strong>Suppressed until <time datetime="${until}T00:00:00.000Z">${until} 00:00 UTC</time></strong>, by ${COMPLIANCE}`);
    expect(shown).toContain('Reason: break-glass account, reviewed by the CISO');
    expect(shown).toContain('>Unsuppress</button>');
    expect(shown).toMatch(/<td>Suppressed<\/td><td>co@warden\.test<\/td><td>reason: break-glass account, reviewed by the CISO; until <time/);

    const open = await api(co, '/api/v1/findings');
    expect(open.total).toBe(before.total - 1);
    expect(open.items.map((i) => i.fingerprint)).not.toContain(target.fingerprint);
    expect((await (await co.get('/findings')).text())).not.toContain(target.fingerprint);
    const suppressed = await api(co, '/api/v1/findings?state=suppressed');
    expect(suppressed.items).toEqual([expect.objectContaining({ fingerprint: target.fingerprint, state: 'suppressed', suppressed_until: `${until}T00:00:00.000Z` })]);
    const entry = await db().selectFrom('audit_log').selectAll().where('subject', '=', `finding:demo/${target.fingerprint}`).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor: COMPLIANCE, action: 'finding.suppressed', details: { reason: 'break-glass account, reviewed by the CISO', expires_at: `${until}T00:00:00.000Z` } });

    const lifted = await co.post(`${path}/unsuppress`, { form: { _csrf: csrf } });
    expect(lifted.status).toBe(303);
    expect(lifted.headers.get('location')).toBe(`${path}?done=unsuppressed`);
    expect((await api(co, '/api/v1/findings')).total).toBe(before.total);
    const history = await (await co.get(path)).text();
    expect(history).toMatch(/<td>Suppression lifted<\/td><td>co@warden\.test<\/td>/);
    expect(history).toContain('<h2 id="suppression-h">Suppress this finding</h2>');
  });
});

describe('the suppression API', () => {
  it('suppresses with an API key (200 and the suppression), lifts it (204), and 404s a second lift', async () => {
    const [target] = (await api(coKey, '/api/v1/findings?severity=high')).items;
    const path = `/api/v1/findings/demo/${target!.fingerprint}/suppression`;
    const expires = inDays(60);
    const put = await bearer(coKey, 'PUT', path, JSON.stringify({ reason: 'vendor migration until March', expires_at: expires.toISOString() }));
    expect(put.status).toBe(200);
    const body = (await put.json()) as Record<string, string>;
    expect(body).toMatchObject({ tenant: 'demo', fingerprint: target!.fingerprint, reason: 'vendor migration until March', author: COMPLIANCE });
    expect(body.expires_at).toBe(expires.toISOString());
    expect((await api(coKey, '/api/v1/findings')).items.map((i) => i.fingerprint)).not.toContain(target!.fingerprint);

    expect((await bearer(coKey, 'DELETE', path)).status).toBe(204);
    const again = await bearer(coKey, 'DELETE', path);
    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await api(coKey, '/api/v1/findings')).items.map((i) => i.fingerprint)).toContain(target!.fingerprint);
  });

  it('suppresses with a session and x-csrf-token, and refuses the session without it', async () => {
    const [target] = (await api(co, '/api/v1/findings?severity=medium')).items;
    const path = `/api/v1/findings/demo/${target!.fingerprint}/suppression`;
    const json = { reason: 'accepted for the pilot', expires_at: dateIn(10) };
    const before = await ledgerState();
    const refused = await co.request('PUT', path, { json });
    expect(refused.status).toBe(403);
    expect(await ledgerState()).toEqual(before);

    const csrf = await co.csrf();
    const put = await co.request('PUT', path, { json, headers: { 'x-csrf-token': csrf } });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ author: COMPLIANCE, expires_at: `${dateIn(10)}T00:00:00.000Z` });
    const detail = (await (await co.get(`/api/v1/findings/demo/${target!.fingerprint}`, { headers: JSON_ACCEPT })).json()) as { suppression: unknown; state: string };
    expect(detail).toMatchObject({ state: 'suppressed', suppression: { reason: 'accepted for the pilot', author: COMPLIANCE } });
    expect((await co.request('DELETE', path, { headers: { 'x-csrf-token': csrf } })).status).toBe(204);
  });

  it('lets a suppression lapse at its expiry: the finding is back in the open list', async () => {
    const [target] = (await api(coKey, '/api/v1/findings?severity=low')).items;
    const path = `/api/v1/findings/demo/${target!.fingerprint}/suppression`;
    expect((await bearer(coKey, 'PUT', path, JSON.stringify({ reason: 'short acceptance', expires_at: dateIn(2) }))).status).toBe(200);
    expect((await api(coKey, '/api/v1/findings?severity=low')).items.map((i) => i.fingerprint)).not.toContain(target!.fingerprint);
    offsetMs = 3 * 86_400_000;
    try {
      const back = (await api(coKey, '/api/v1/findings?severity=low')).items.find((i) => i.fingerprint === target!.fingerprint);
      expect(back).toMatchObject({ state: 'open', suppressed_until: null });
      // An expired suppression is no longer in force: nothing to lift.
      expect((await bearer(coKey, 'DELETE', path)).status).toBe(404);
    } finally {
      offsetMs = 0;
    }
  });
});

describe('bad input: a 4xx and nothing changed', () => {
  let fingerprint: string;
  beforeAll(async () => {
    fingerprint = (await api(coKey, '/api/v1/findings')).items[0]!.fingerprint;
  });

  const cases: [string, () => Promise<Response>, number, string?][] = [
    ['unknown fingerprint (API)', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${'0'.repeat(32)}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(5) })), 404],
    ['unknown fingerprint (page)', async () => co.post(`/findings/demo/${'0'.repeat(32)}/suppress`, { form: { _csrf: await co.csrf(), reason: 'r', expires_at: dateIn(5) } }), 404],
    ['unknown tenant', () => bearer(coKey, 'PUT', `/api/v1/findings/nope/${fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(5) })), 404, 'tenant'],
    ['empty reason', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: '   ', expires_at: dateIn(5) })), 400, 'reason'],
    ['reason over 500 characters', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'x'.repeat(501), expires_at: dateIn(5) })), 400, 'reason'],
    ['expiry in the past', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(-1) })), 400, 'expires_at'],
    ['expiry over a year ahead', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(400) })), 400, 'expires_at'],
    ['expiry not a date', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: 'next tuesday' })), 400, 'expires_at'],
    ['expiry missing', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'r' })), 400, 'body.expires_at'],
    ['malformed JSON', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, '{"reason": "r", '), 400, 'body'],
    ['an unknown key', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(5), author: 'someone-else' })), 400],
    ['a malformed fingerprint', () => bearer(coKey, 'PUT', `/api/v1/findings/demo/..%2F..%2Fx/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(5) })), 400],
    ['the page form without its CSRF token', () => co.post(`/findings/demo/${fingerprint}/suppress`, { form: { reason: 'r', expires_at: dateIn(5) } }), 403],
    ['the page form with a wrong CSRF token', () => co.post(`/findings/demo/${fingerprint}/suppress`, { form: { _csrf: 'f'.repeat(64), reason: 'r', expires_at: dateIn(5) } }), 403],
    ['unsuppress of a finding never suppressed', () => bearer(coKey, 'DELETE', `/api/v1/findings/demo/${fingerprint}/suppression`), 404],
    ['page=0', () => bearer(coKey, 'GET', '/api/v1/findings?page=0'), 400, 'querystring.page'],
    ['page_size=201', () => bearer(coKey, 'GET', '/api/v1/findings?page_size=201'), 400, 'querystring.page_size'],
    ['an unknown state', () => bearer(coKey, 'GET', '/api/v1/findings?state=closed'), 400, 'querystring.state'],
    ['an unknown rule', () => bearer(coKey, 'GET', '/api/v1/findings?rule=XYZ-01'), 400, 'rule'],
    ['an unknown tenant filter', () => bearer(coKey, 'GET', '/api/v1/findings?tenant=nope'), 404, 'tenant'],
    ['an unknown finding', () => bearer(coKey, 'GET', `/api/v1/findings/demo/${'0'.repeat(32)}`), 404],
  ];

  it.each(cases)('%s', async (_name, request, status, field) => {
    const before = await ledgerState();
    const res = await request();
    expect(res.status).toBe(status);
    const text = await res.text();
    if (res.headers.get('content-type')?.startsWith('application/problem+json')) {
      const problem = JSON.parse(text) as { status: number; field?: string };
      expect(problem.status).toBe(status);
      if (field !== undefined) expect(problem.field).toBe(field);
    } else {
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(text).toContain('<p class="error" role="alert">');
    }
    expect(await ledgerState()).toEqual(before);
  });
});

describe('who may see and act', () => {
  it('shows a person restricted to another tenant none of these findings', async () => {
    const outsider = await world.signIn(OUTSIDER);
    const key = await world.apiKey(OUTSIDER);
    const [target] = (await api(coKey, '/api/v1/findings')).items;
    expect(await api(outsider, '/api/v1/findings?state=all')).toMatchObject({ items: [], total: 0 });
    expect(await api(key, '/api/v1/findings?state=all')).toMatchObject({ items: [], total: 0 });
    const page = await (await outsider.get('/findings?state=all')).text();
    expect(page).toContain('<p id="findings-total">0 findings match.');
    expect(page).not.toContain('<option value="demo"');
    expect(page).toContain('<option value="other">other</option>');
    const csv = await (await outsider.get('/findings.csv?state=all')).text();
    expect(parse(csv, { columns: true })).toEqual([]);
    // The tenant is answered as unknown, by name or through a finding of it.
    for (const path of ['/findings?tenant=demo', '/findings.csv?tenant=demo', `/findings/demo/${target!.fingerprint}`]) {
      expect((await outsider.get(path)).status, path).toBe(404);
    }
    expect((await bearer(key, 'GET', '/api/v1/findings?tenant=demo')).status).toBe(404);
    expect((await bearer(key, 'GET', `/api/v1/findings/demo/${target!.fingerprint}`)).status).toBe(404);
    const before = await ledgerState();
    const put = await bearer(key, 'PUT', `/api/v1/findings/demo/${target!.fingerprint}/suppression`, JSON.stringify({ reason: 'r', expires_at: dateIn(5) }));
    expect(put.status).toBe(404);
    expect(await ledgerState()).toEqual(before);
  });

  it.each([ADMIN, ENGINEER])('refuses the suppress and unsuppress actions to %s (403), who sees the finding but no form', async (email) => {
    const agent = await world.signIn(email);
    const key = await world.apiKey(email);
    const [target] = (await api(key, '/api/v1/findings')).items;
    const path = `/findings/demo/${target!.fingerprint}`;
    const page = await agent.get(path);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('Suppressing a finding needs the compliance role.');
    expect(text).not.toContain('name="reason"');
    const before = await ledgerState();
    const csrf = csrfOf(text);
    expect((await agent.post(`${path}/suppress`, { form: { _csrf: csrf, reason: 'r', expires_at: dateIn(5) } })).status).toBe(403);
    expect((await agent.post(`${path}/unsuppress`, { form: { _csrf: csrf } })).status).toBe(403);
    const apiPath = `/api/v1${path}/suppression`;
    expect((await bearer(key, 'PUT', apiPath, JSON.stringify({ reason: 'r', expires_at: dateIn(5) }))).status).toBe(403);
    expect((await bearer(key, 'DELETE', apiPath)).status).toBe(403);
    expect(await ledgerState()).toEqual(before);
  });

  it('sends a visitor who is not signed in to sign in, and answers the API with 401', async () => {
    const res = await fetch(`${world.url}/findings?severity=high`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent('/findings?severity=high')}`);
    expect((await fetch(`${world.url}/api/v1/findings`, { headers: JSON_ACCEPT })).status).toBe(401);
  });
});
