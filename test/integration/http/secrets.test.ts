// Secrets in the web app, over HTTP: the real createApp on a Postgres schema
// of the test's own, the demo tenant seeded (a webhook secret past its 90
// days, a barcode secret mid-rotation, a machine password), and no job runner,
// so a rotation started here stays where it starts and the test decides what
// happens next. The server's clock is the test's (an expired link).
//
// Who may do what (compliance reads, cannot rotate; engineers rotate, cannot
// read a value; another tenant's secrets do not exist), the forms' CSRF
// tokens, 409 for a second rotation, the API's problems, and the one-time
// retrieval link: shown on GET without its value, spent once by the button's
// POST, refused alike when used, expired, unknown or someone else's. The value
// is in the one answer that shows it, and in no other answer, log line or email.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationView, SecretStatus } from '../../../src/app/secrets.js';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { seedDemoTenant } from '../../../src/demo/seed-demo.js';
import { openSecret, secretAad, secretKey } from '../../../src/secrets/secret-box.js';
import { Agent, csrfOf, startWebWorld, type RequestOptions, type WebWorld } from '../../support/web.js';

const TENANT = 'demo';
const ADMIN = 'ada@warden.test';
const ADMIN2 = 'abe@warden.test';
const ENGINEER = 'eng@warden.test';
const COMPLIANCE = 'co@warden.test';
/** Every role, but only the other tenant: the demo's secrets do not exist for them. */
const OUTSIDER = 'outsider@warden.test';
const HOUR = 3_600_000;

let world: WebWorld;
/** The server's clock runs this far ahead of the test's. */
let offset = 0;
const keys: Record<string, string> = {};
const agents: Record<string, Agent> = {};
/** Every answer's body, with what asked for it: the value must be in exactly one. */
const answers: { what: string; text: string }[] = [];

const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ runner: false, captureLogs: true, server: { now: () => new Date(Date.now() + offset) } });
  await seedDemoTenant(db(), { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  await addTenant(db(), { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  await world.person(ADMIN, ['admin']);
  await world.person(ADMIN2, ['admin']);
  await world.person(ENGINEER, ['engineer']);
  await world.person(COMPLIANCE, ['compliance']);
  await world.person(OUTSIDER, ['engineer', 'admin', 'compliance'], ['other']);
  for (const email of [ADMIN, ADMIN2, ENGINEER, COMPLIANCE, OUTSIDER]) {
    keys[email] = await world.apiKey(email);
    agents[email] = await world.signIn(email);
  }
}, 120_000);

afterAll(async () => world?.close());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** A page request as a signed-in browser (a person's email) or an anonymous one; the answer is kept. */
async function page(who: string | Agent, method: string, path: string, options?: RequestOptions): Promise<Answer> {
  const agent = typeof who === 'string' ? agents[who]! : who;
  const res = await agent.request(method, path, options);
  const text = await res.text();
  answers.push({ what: `${method} ${path}`, text });
  return { status: res.status, headers: res.headers, text };
}

/** An API call by API key; the answer is kept. */
async function api(who: string, method: string, path: string, json?: unknown): Promise<Answer> {
  const res = await fetch(`${world.url}${path}`, {
    method,
    headers: { accept: 'application/json', authorization: `Bearer ${keys[who]}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await res.text();
  answers.push({ what: `${method} ${path}`, text });
  return { status: res.status, headers: res.headers, text };
}

function ok<T>(a: Answer, status = 200): T {
  expect(a.status, a.text).toBe(status);
  return JSON.parse(a.text) as T;
}

function problem(a: Answer, status: number): { status: number; detail: string; field?: string } {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('content-type')).toContain('application/problem+json');
  return JSON.parse(a.text) as { status: number; detail: string; field?: string };
}

/** The first form's CSRF token on a page the person opens. */
async function csrf(who: string): Promise<string> {
  return csrfOf((await page(who, 'GET', '/secrets')).text);
}

/** Every live value of the demo's secrets, as text. */
async function values(): Promise<string[]> {
  const key = secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR);
  return (await listVersions(db(), TENANT)).filter((v) => v.label !== 'retired').map((v) => openSecret(v.encrypted_value, key, secretAad(v.tenant, v.name, v.id)).toString('utf8'));
}

const openRotationOf = (name: string) => db().selectFrom('secret_rotations').selectAll().where('tenant', '=', TENANT).where('name', '=', name).where('state', 'not in', ['done', 'rolled_back']).executeTakeFirst();
const auditCount = async (action: string) => (await db().selectFrom('audit_log').select(sql<number>`count(*)::int`.as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n;

describe('the status', () => {
  it('API: every secret of a tenant with its age, next rotation, rotation under way and live versions, never a value', async () => {
    const a = await api(COMPLIANCE, 'GET', `/api/v1/secrets?tenant=${TENANT}`);
    const { secrets } = ok<{ secrets: SecretStatus[] }>(a);
    expect(secrets.map((s) => s.name)).toEqual(['barcode', 'pos-sync-password', 'webhook-signing']);
    const webhook = secrets.find((s) => s.name === 'webhook-signing')!;
    expect(webhook).toMatchObject({ tenant: TENANT, kind: 'webhook-signing', rotate_every_days: 90, overlap_hours: 24, age_days: 120, rotation: null });
    expect(Date.parse(webhook.next_rotation_at!)).toBeLessThan(Date.now());
    const barcode = secrets.find((s) => s.name === 'barcode')!;
    expect(barcode.rotation).toMatchObject({ state: 'set', reason: 'policy', tenant: TENANT, secret: 'barcode' });
    expect(barcode.versions.map((v) => v.label).sort()).toEqual(['current', 'pending']);
    for (const v of await values()) expect(a.text).not.toContain(v);
    expect(a.text).not.toMatch(/value|encrypted/i);
    // Every tenant one may see; another tenant's person sees none of the demo's, and asking for them is a 404.
    expect(ok<{ secrets: SecretStatus[] }>(await api(ENGINEER, 'GET', '/api/v1/secrets')).secrets).toHaveLength(3);
    expect(ok<{ secrets: SecretStatus[] }>(await api(ENGINEER, 'GET', '/api/v1/secrets?tenant=')).secrets).toHaveLength(3);
    expect(ok<{ secrets: SecretStatus[] }>(await api(OUTSIDER, 'GET', '/api/v1/secrets')).secrets).toEqual([]);
    expect(problem(await api(OUTSIDER, 'GET', `/api/v1/secrets?tenant=${TENANT}`), 404).detail).toContain('no tenant named "demo"');
    expect(problem(await api(ENGINEER, 'GET', '/api/v1/secrets?tenant=nope'), 404).detail).toContain('no tenant named "nope"');
  });

  it('page: every role reads it; the forms follow the role: compliance none, engineers rotate and roll back, admins also email themselves a link', async () => {
    const forms = (text: string) => [...text.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]).filter((a) => a !== '/sign-out').sort();
    const co = await page(COMPLIANCE, 'GET', `/secrets?tenant=${TENANT}`);
    expect(co.status).toBe(200);
    expect(co.text).toContain('<h1>Secrets of demo</h1>');
    expect(co.text).toMatch(/<h3 id="[^"]+">webhook-signing<\/h3>/);
    expect(co.text).toMatch(/120 days <span class="muted">\(current since/);
    expect(co.text).toContain('<strong class="overdue">due</strong>');
    expect(co.text).toMatch(/creating the new value|setting it/);
    expect(forms(co.text)).toEqual([]);
    expect(co.text).toContain('Rotating and rolling back need the admin or engineer role.');
    expect(co.text).toContain(`${world.url}/webhooks/omneo/demo`);

    const eng = await page(ENGINEER, 'GET', `/secrets?tenant=${TENANT}`);
    expect(forms(eng.text)).toEqual(['/secrets/demo/barcode/rollback', '/secrets/demo/pos-sync-password/rotate', '/secrets/demo/pos-sync-password/rotate', '/secrets/demo/webhook-signing/rotate', '/secrets/demo/webhook-signing/rotate']);
    expect(eng.text).toContain('I understand: the old value is retired the moment the new one is proven');
    expect(eng.text).not.toContain('Email me a link');

    const admin = await page(ADMIN, 'GET', '/secrets');
    expect(admin.text).toContain('<h1>Secrets</h1>');
    expect(forms(admin.text)).toEqual(
      [...forms(eng.text), '/secrets/demo/barcode/retrieval-link', '/secrets/demo/pos-sync-password/retrieval-link', '/secrets/demo/webhook-signing/retrieval-link'].sort(),
    );
    // The barcode secret's link opens its pending value, the others' their current one.
    expect(admin.text).toMatch(/action="\/secrets\/demo\/barcode\/retrieval-link"[^>]*>\n<input[^>]*>\n<p class="muted">A link to the pending value/);
    expect(admin.text).toMatch(/action="\/secrets\/demo\/webhook-signing\/retrieval-link"[^>]*>\n<input[^>]*>\n<p class="muted">A link to the current value/);
    for (const v of await values()) for (const p of [co, eng, admin]) expect(p.text).not.toContain(v);
  });

  it('page: another tenant’s person finds nothing; anonymous is sent to sign in', async () => {
    expect((await page(OUTSIDER, 'GET', `/secrets?tenant=${TENANT}`)).status).toBe(404);
    const mine = await page(OUTSIDER, 'GET', '/secrets');
    expect(mine.status).toBe(200);
    expect(mine.text).toContain('No secret is held for the tenants you may see.');
    expect(mine.text).not.toContain('webhook-signing');
    const anon = await new Agent(world.url).get('/secrets?tenant=demo');
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/sign-in?next=%2Fsecrets%3Ftenant%3Ddemo');
  });
});

describe('rotating and rolling back by API', () => {
  it('202 with the rotation and its run; a second is 409; the journal; a rollback; a second rollback is refused', async () => {
    const started = ok<{ rotation: RotationView; run: string }>(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rotate`), 202);
    expect(started.rotation).toMatchObject({ tenant: TENANT, secret: 'pos-sync-password', state: 'create', reason: 'manual', emergency: false, requested_by: ENGINEER, tries: 0 });
    // The run is in the ledger (no runner here: it waits there for reconcile or the daily job).
    const run = await db().selectFrom('job_runs').selectAll().where('idempotency_key', '=', started.run).executeTakeFirst();
    expect(run).toMatchObject({ kind: 'rotation', tenant: TENANT, status: 'queued', payload: { rotation_id: started.rotation.id } });

    const again = problem(await api(ADMIN, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rotate`, { emergency: true }), 409);
    expect(again.detail).toContain('already has a rotation under way');
    expect((await openRotationOf('pos-sync-password'))!.id).toBe(started.rotation.id);

    const detail = ok<{ rotation: RotationView; events: { event: string; actor: string; detail: Record<string, unknown> }[] }>(await api(COMPLIANCE, 'GET', `/api/v1/secrets/rotations/${started.rotation.id}`));
    expect(detail.rotation.id).toBe(started.rotation.id);
    expect(detail.events).toEqual([expect.objectContaining({ event: 'started', actor: ENGINEER, detail: { reason: 'manual', emergency: false } })]);

    const rolled = ok<{ rotation: RotationView }>(await api(ADMIN, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rollback`));
    expect(rolled.rotation).toMatchObject({ id: started.rotation.id, state: 'rolled_back' });
    expect(await openRotationOf('pos-sync-password')).toBeUndefined();
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rollback`), 400).detail).toContain('has no rotation under way');
  });

  it('an emergency rotation says so', async () => {
    const started = ok<{ rotation: RotationView }>(await api(ADMIN, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rotate`, { emergency: true }), 202);
    expect(started.rotation).toMatchObject({ reason: 'emergency', emergency: true });
    expect(ok<{ rotation: RotationView }>(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/pos-sync-password/rollback`)).rotation.state).toBe('rolled_back');
  });

  it('compliance may not; another tenant’s person finds nothing; bad input is a 4xx naming the field; nothing is started by any of them', async () => {
    const before = await db().selectFrom('secret_rotations').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(problem(await api(COMPLIANCE, 'POST', `/api/v1/secrets/${TENANT}/webhook-signing/rotate`), 403).detail).toContain('admin or engineer');
    expect(problem(await api(COMPLIANCE, 'POST', `/api/v1/secrets/${TENANT}/barcode/rollback`), 403).status).toBe(403);
    expect(problem(await api(OUTSIDER, 'POST', `/api/v1/secrets/${TENANT}/webhook-signing/rotate`), 404).status).toBe(404);
    expect(problem(await api(OUTSIDER, 'POST', `/api/v1/secrets/${TENANT}/barcode/rollback`), 404).status).toBe(404);
    const barcode = (await openRotationOf('barcode'))!;
    expect(problem(await api(OUTSIDER, 'GET', `/api/v1/secrets/rotations/${barcode.id}`), 404).status).toBe(404);
    expect(problem(await api(ENGINEER, 'GET', '/api/v1/secrets/rotations/999999'), 404).status).toBe(404);
    expect(problem(await api(ENGINEER, 'GET', '/api/v1/secrets/rotations/zero'), 400).field).toBe('params.id');
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/Not%20A%20Name/rotate`), 400).field).toBe('NAME');
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/no-such-secret/rotate`), 404).detail).toContain('no-such-secret');
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/nope/webhook-signing/rotate`), 404).field).toBe('tenant');
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/webhook-signing/rotate`, { emergency: 'yes' }), 400).field).toBe('body.emergency');
    expect(problem(await api(ENGINEER, 'POST', `/api/v1/secrets/${TENANT}/webhook-signing/rotate`, { emergency: false, value: 'x' }), 400).field).toMatch(/^body/);
    expect((await db().selectFrom('secret_rotations').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n).toBe(before.n);
  });

  it('is in the OpenAPI document, with no route that reads a value', async () => {
    const doc = (await (await fetch(`${world.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const secretPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/secrets')).sort();
    expect(secretPaths).toEqual(['/api/v1/secrets', '/api/v1/secrets/rotations/{id}', '/api/v1/secrets/{tenant}/{name}/rollback', '/api/v1/secrets/{tenant}/{name}/rotate']);
    expect(Object.keys(doc.paths['/api/v1/secrets/{tenant}/{name}/rotate']!)).toEqual(['post']);
  });
});

describe('rotating and rolling back by page', () => {
  it('a form needs its CSRF token; with it the rotation starts and its page shows the journal and a roll back button, which rolls it back', async () => {
    const path = `/secrets/${TENANT}/webhook-signing/rotate`;
    expect((await page(ENGINEER, 'POST', path, { form: {} })).status).toBe(403);
    expect((await page(ENGINEER, 'POST', path, { form: { _csrf: 'forged' } })).status).toBe(403);
    // Another person's token is bound to their session, not this one.
    expect((await page(ENGINEER, 'POST', path, { form: { _csrf: await csrf(ADMIN) } })).status).toBe(403);
    expect(await openRotationOf('webhook-signing')).toBeUndefined();

    const res = await page(ENGINEER, 'POST', path, { form: { _csrf: await csrf(ENGINEER) } });
    expect(res.status).toBe(303);
    const id = (await openRotationOf('webhook-signing'))!.id;
    expect(res.headers.get('location')).toBe(`/secrets/rotations/${id}?done=started`);
    const shown = await page(COMPLIANCE, 'GET', `/secrets/rotations/${id}?done=started`);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`<h1>Rotation #${id} of webhook-signing</h1>`);
    expect(shown.text).toContain('Rotation started: its run creates the new value');
    expect(shown.text).toMatch(/<table id="journal"[\s\S]*started[\s\S]*eng@warden\.test/);
    expect(shown.text).not.toContain('/rollback');
    const eng = await page(ENGINEER, 'GET', `/secrets/rotations/${id}`);
    expect(eng.text).toContain(`action="/secrets/demo/webhook-signing/rollback"`);

    // Rotating again while it is under way: the page answers why, as a page.
    const twice = await page(ENGINEER, 'POST', path, { form: { _csrf: csrfOf(eng.text) } });
    expect(twice.status).toBe(409);
    expect(twice.text).toMatch(/role="alert">[^<]*already has a rotation under way/);

    expect((await page(ENGINEER, 'POST', `/secrets/${TENANT}/webhook-signing/rollback`, { form: {} })).status).toBe(403);
    const back = await page(ENGINEER, 'POST', `/secrets/${TENANT}/webhook-signing/rollback`, { form: { _csrf: csrfOf(eng.text) } });
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`/secrets/rotations/${id}?done=rolled-back`);
    const after = await page(ENGINEER, 'GET', back.headers.get('location')!);
    expect(after.text).toContain('Rolled back: the current version stays current');
    expect(after.text).toMatch(/id="rotation-state"><span class="status status-rolled_back">rolled back<\/span>/);
    expect(after.text).not.toContain('/rollback"');
  });

  it('an emergency rotation needs its box ticked; compliance may not rotate; another tenant’s person finds nothing', async () => {
    const path = `/secrets/${TENANT}/webhook-signing/rotate`;
    const token = await csrf(ADMIN);
    const unticked = await page(ADMIN, 'POST', path, { form: { _csrf: token, emergency: 'yes' } });
    expect(unticked.status).toBe(400);
    expect(unticked.text).toMatch(/role="alert">confirm: tick the box/);
    expect(await openRotationOf('webhook-signing')).toBeUndefined();

    const ticked = await page(ADMIN, 'POST', path, { form: { _csrf: token, emergency: 'yes', confirm: 'yes' } });
    expect(ticked.status).toBe(303);
    const open = (await openRotationOf('webhook-signing'))!;
    expect(open).toMatchObject({ emergency: true, reason: 'emergency', requested_by: ADMIN });
    expect(ticked.headers.get('location')).toBe(`/secrets/rotations/${open.id}?done=emergency`);
    expect((await page(ADMIN, 'GET', ticked.headers.get('location')!)).text).toContain('<strong class="overdue">emergency</strong>: the old value is retired the moment the new one is proven');

    expect((await page(COMPLIANCE, 'POST', `/secrets/${TENANT}/pos-sync-password/rotate`, { form: { _csrf: await csrf(COMPLIANCE) } })).status).toBe(403);
    expect((await page(COMPLIANCE, 'POST', `/secrets/${TENANT}/webhook-signing/rollback`, { form: { _csrf: await csrf(COMPLIANCE) } })).status).toBe(403);
    expect((await page(OUTSIDER, 'POST', `/secrets/${TENANT}/webhook-signing/rollback`, { form: { _csrf: await csrf(OUTSIDER) } })).status).toBe(404);
    expect((await page(OUTSIDER, 'GET', `/secrets/rotations/${open.id}`)).status).toBe(404);
    expect(await openRotationOf('pos-sync-password')).toBeUndefined();

    expect((await page(ADMIN, 'POST', `/secrets/${TENANT}/webhook-signing/rollback`, { form: { _csrf: token } })).status).toBe(303);
    expect(await openRotationOf('webhook-signing')).toBeUndefined();
  });
});

describe('the one-time retrieval link', () => {
  /** The link of the newest email to `email` asking for `secret`. */
  async function linkOf(email: string, secret: string): Promise<string> {
    const mails = (await world.outbox()).filter((m) => m.subject === `[Warden] demo: your link to the secret "${secret}"` && JSON.stringify(m.to).includes(email));
    const m = /\/secrets\/retrieve\/([A-Za-z0-9_-]{20,})/.exec(mails.at(-1)?.text ?? '');
    if (m === null) throw new Error(`no retrieval link emailed to ${email}`);
    return `/secrets/retrieve/${m[1]}`;
  }

  /** Asks for a link by the page's form, as `email`. */
  async function askLink(email: string, secret: string): Promise<string> {
    const res = await page(email, 'POST', `/secrets/${TENANT}/${secret}/retrieval-link`, { form: { _csrf: await csrf(email) } });
    expect(res.status, res.text).toBe(303);
    expect(res.headers.get('location')).toBe('/secrets?tenant=demo&done=link-sent');
    return linkOf(email, secret);
  }

  const refusal = (a: Answer) => /<p class="error" role="alert" id="link-refused">([^<]*)<\/p>/.exec(a.text)?.[1];
  const NEUTRAL = 'This link opens nothing. A link to a secret works once, within an hour of being sent, and only for the admin it was sent to.';

  function isPrivate(a: Answer): void {
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.headers.get('referrer-policy')).toBe('no-referrer');
  }

  it('only admins ask for one; the form needs its CSRF token; the email carries the link, never the value', async () => {
    const path = `/secrets/${TENANT}/webhook-signing/retrieval-link`;
    expect((await page(ENGINEER, 'POST', path, { form: { _csrf: await csrf(ENGINEER) } })).status).toBe(403);
    expect((await page(COMPLIANCE, 'POST', path, { form: { _csrf: await csrf(COMPLIANCE) } })).status).toBe(403);
    expect((await page(OUTSIDER, 'POST', path, { form: { _csrf: await csrf(OUTSIDER) } })).status).toBe(404);
    expect((await page(ADMIN, 'POST', path, { form: {} })).status).toBe(403);
    expect((await world.outbox()).filter((m) => m.subject?.includes('your link'))).toEqual([]);
    const link = await askLink(ADMIN, 'webhook-signing');
    expect(link).toMatch(/^\/secrets\/retrieve\/[A-Za-z0-9_-]{43}$/);
    const shown = await page(ADMIN, 'GET', '/secrets?tenant=demo&done=link-sent');
    expect(shown.text).toContain('A one-time link to the value is on its way to your email address.');
  });

  it('GET shows what it opens, never the value; the button spends it once and shows the value; then it opens nothing', async () => {
    const link = await askLink(ADMIN, 'webhook-signing');
    const [current] = (await listVersions(db(), TENANT, 'webhook-signing')).filter((v) => v.label === 'current');
    const value = openSecret(current!.encrypted_value, secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR), secretAad(TENANT, 'webhook-signing', current!.id)).toString('utf8');
    const reads = await auditCount('secret.value_retrieved');

    // Not signed in: to the sign-in page, which brings the browser back here.
    const anon = await new Agent(world.url).get(link);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent(link)}`);
    // Engineers and compliance are not admins: the route is not theirs.
    expect((await page(ENGINEER, 'GET', link)).status).toBe(403);
    expect((await page(COMPLIANCE, 'POST', link, { form: { _csrf: await csrf(COMPLIANCE) } })).status).toBe(403);

    const shown = await page(ADMIN, 'GET', link);
    expect(shown.status).toBe(200);
    isPrivate(shown);
    expect(shown.text).toContain('This link opens the <strong>current</strong> value of the secret <strong>webhook-signing</strong> of demo, once.');
    expect(shown.text).toContain('Show the value once</button>');
    expect(shown.text).not.toContain(value);
    // Opening it twice spends nothing.
    expect((await page(ADMIN, 'GET', link)).status).toBe(200);
    expect(await auditCount('secret.value_retrieved')).toBe(reads);

    expect((await page(ADMIN, 'POST', link, { form: {} })).status).toBe(403);
    const read = await page(ADMIN, 'POST', link, { form: { _csrf: csrfOf(shown.text) } });
    expect(read.status).toBe(200);
    isPrivate(read);
    expect(read.text).toContain(`<pre class="secret-value" id="secret-value" tabindex="0" aria-label="The secret value">${value}</pre>`);
    expect(await auditCount('secret.value_retrieved')).toBe(reads + 1);
    const entry = await db().selectFrom('audit_log').selectAll().where('action', '=', 'secret.value_retrieved').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor: ADMIN, subject: 'secret:demo/webhook-signing', details: { version: current!.id } });
    expect(JSON.stringify(entry)).not.toContain(value);

    // Used: the second press and the next opening both answer the neutral refusal.
    const second = await page(ADMIN, 'POST', link, { form: { _csrf: csrfOf(shown.text) } });
    expect(second.status).toBe(404);
    isPrivate(second);
    expect(refusal(second)).toBe(NEUTRAL);
    expect(second.text).not.toContain(value);
    expect(refusal(await page(ADMIN, 'GET', link))).toBe(NEUTRAL);
    expect(await auditCount('secret.value_retrieved')).toBe(reads + 1);
  });

  it('an expired link opens nothing, and answers as a used one does', async () => {
    const link = await askLink(ADMIN, 'pos-sync-password');
    const token = csrfOf((await page(ADMIN, 'GET', link)).text);
    offset = HOUR + 1000;
    try {
      const get = await page(ADMIN, 'GET', link);
      expect(get.status).toBe(404);
      expect(refusal(get)).toBe(NEUTRAL);
      const post = await page(ADMIN, 'POST', link, { form: { _csrf: token } });
      expect(post.status).toBe(404);
      expect(refusal(post)).toBe(NEUTRAL);
    } finally {
      offset = 0;
    }
    // Refusing it spent nothing: within its hour it still opens (the clock, not the refusal, ended it).
    expect((await page(ADMIN, 'GET', link)).status).toBe(200);
  });

  it('someone else’s link, or one that never was, opens nothing and answers the same; the refusal spends nothing of its owner’s', async () => {
    const link = await askLink(ADMIN2, 'barcode');
    const mine = await page(ADMIN, 'GET', link);
    expect(mine.status).toBe(404);
    expect(refusal(mine)).toBe(NEUTRAL);
    expect(mine.text).not.toContain('barcode');
    const post = await page(ADMIN, 'POST', link, { form: { _csrf: await csrf(ADMIN) } });
    expect(post.status).toBe(404);
    expect(refusal(post)).toBe(NEUTRAL);
    const unknown = await page(ADMIN, 'GET', `/secrets/retrieve/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(refusal(unknown)).toBe(NEUTRAL);
    // Its owner opens it: the pending value of the barcode secret.
    const theirs = await page(ADMIN2, 'GET', link);
    expect(theirs.text).toContain('This link opens the <strong>pending</strong> value of the secret <strong>barcode</strong> of demo, once.');
    const read = await page(ADMIN2, 'POST', link, { form: { _csrf: csrfOf(theirs.text) } });
    expect(read.status).toBe(200);
    const [pending] = (await listVersions(db(), TENANT, 'barcode')).filter((v) => v.label === 'pending');
    const value = openSecret(pending!.encrypted_value, secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR), secretAad(TENANT, 'barcode', pending!.id)).toString('utf8');
    expect(read.text).toContain(`>${value}</pre>`);
  });

  it('each value is in the one answer that showed it, and in no other answer, log line or email; no token is logged', async () => {
    const all = await values();
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const v of all) {
      const where = answers.filter((a) => a.text.includes(v)).map((a) => a.what);
      // Shown: the webhook secret's current value and the barcode secret's pending one, once each, by a retrieval POST.
      expect(where.length, v.slice(0, 4)).toBeLessThanOrEqual(1);
      for (const w of where) expect(w).toMatch(/^POST \/secrets\/retrieve\/[A-Za-z0-9_-]{43}$/);
    }
    expect(answers.filter((a) => all.some((v) => a.text.includes(v)))).toHaveLength(2);
    const logs = world.logs();
    expect(logs).toContain('"route":"/secrets/retrieve/:token"');
    for (const v of all) expect(logs).not.toContain(v);
    const tokens = (await world.outbox()).flatMap((m) => [...(m.text ?? '').matchAll(/\/secrets\/retrieve\/([A-Za-z0-9_-]{43})/g)].map((x) => x[1]!));
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    for (const t of tokens) expect(logs).not.toContain(t);
    for (const m of await world.outbox()) for (const v of all) expect(`${m.subject}\n${m.text}\n${String(m.html)}`).not.toContain(v);
  });
});
