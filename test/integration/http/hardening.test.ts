// What every answer of the web app carries and what no request gets past:
// security headers with a CSP that allows no inline script, the 1 MB body
// limit (a 413 problem, nothing written), unknown addresses as 404 problems
// or pages, a disabled person's session refused mid-way, and no 5xx for any
// of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disablePerson } from '../../../src/app/people.js';
import { Agent, csrfOf, startWebWorld, type WebWorld } from '../../support/web.js';

const CO = 'co@hardening.test';
let world: WebWorld;
let co: Agent;
let fingerprint: string;

beforeAll(async () => {
  // The test's requests come from 127.0.0.1, so it stands in for the reverse proxy.
  world = await startWebWorld({ audited: true, env: { WARDEN_TRUST_PROXY: '127.0.0.1/32' }, server: { signInRateLimit: 100 } });
  await world.person(CO, ['compliance']);
  co = await world.signIn(CO);
  const row = await world.app.database.db.selectFrom('findings').select('fingerprint').where('tenant', '=', 'demo').limit(1).executeTakeFirstOrThrow();
  fingerprint = row.fingerprint;
});
afterAll(async () => world?.close());

const suppressions = () => world.app.database.db.selectFrom('suppressions').selectAll().execute();

describe('the web app’s hardening', () => {
  it('sends security headers and a CSP without inline script on pages and the API', async () => {
    // The sign-in page as a visitor sees it (a signed-in person is sent on), the others signed in.
    for (const path of ['/sign-in', '/tenants', '/api/v1/me']) {
      const res = await (path === '/sign-in' ? new Agent(world.url) : co).get(path, { headers: { accept: path.startsWith('/api') ? 'application/json' : 'text/html' } });
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/script-src 'self'(;|$)/);
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(csp, path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses a JSON body over 1 MB with a 413 problem and writes nothing', async () => {
    const before = await suppressions();
    const big = JSON.stringify({ reason: 'x'.repeat(1024 * 1024 + 10), expires_at: '2099-01-01' });
    const res = await co.request('PUT', `/api/v1/findings/demo/${fingerprint}/suppression`, {
      body: big,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': await co.csrf() },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 413, title: 'Request body too large' });
    expect(await suppressions()).toEqual(before);
  });

  it('refuses a form over 1 MB with a 413 page and writes nothing', async () => {
    const before = await suppressions();
    const page = await co.get(`/findings/demo/${fingerprint}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await co.post(`/findings/demo/${fingerprint}/suppress`, { form: { _csrf: csrf, reason: 'y'.repeat(1024 * 1024 + 10), expires_at: '2099-01-01' } });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('1 MB');
    expect(await suppressions()).toEqual(before);
  });

  it('answers an unknown address with a 404 problem (API) or page, never a 5xx', async () => {
    const api = await co.get('/api/v1/nothing-here', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const page = await co.get('/nothing-here');
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('ends a disabled person’s live session at their next request', async () => {
    const email = 'leaver@hardening.test';
    await world.person(email, ['compliance']);
    const agent = await world.signIn(email);
    expect((await agent.get('/tenants')).status).toBe(200);
    await disablePerson(world.app.database.db, email, 'test');
    const res = await agent.get('/api/v1/me', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect((await agent.get('/tenants')).status).toBe(303);
  });

  it('answers health checks without looking at credentials, and a bad header on a public page as a visitor', async () => {
    const probe = new Agent(world.url);
    probe.cookies.set('warden_session', 'not-a-session');
    for (const path of ['/healthz', '/readyz']) {
      const res = await probe.get(path, { headers: { authorization: 'Basic bGI6bGI=', accept: 'application/json' } });
      expect(res.status, path).toBe(200);
    }
    expect((await new Agent(world.url).get('/sign-in', { headers: { authorization: 'Bearer not-a-key-at-all' } })).status).toBe(200);
    // Where credentials are needed, a bad key is still refused.
    expect((await new Agent(world.url).get('/api/v1/me', { headers: { authorization: 'Bearer not-a-key-at-all', accept: 'application/json' } })).status).toBe(401);
  });

  it('refuses a page number past the last one it takes (400, not a 500)', async () => {
    for (const path of ['/api/v1/findings?page=1e300', '/api/v1/findings?page=200000']) {
      const res = await co.get(path, { headers: { accept: 'application/json' } });
      expect(res.status, path).toBe(400);
    }
    expect((await co.get('/findings?page=1e300')).status).toBe(400);
  });

  it('sends a signed-in visitor with an unprintable `next` home instead of failing', async () => {
    for (const next of ['/%01', '/%7F', '/%E2%82%AC', '//evil.example']) {
      const res = await co.get(`/sign-in?next=${next}`);
      expect(res.status, next).toBe(303);
      expect(res.headers.get('location'), next).toBe('/');
    }
  });

  it('records the client address a trusted proxy forwards', async () => {
    const email = 'proxied@hardening.test';
    await world.person(email, ['compliance']);
    const visitor = new Agent(world.url);
    const csrf = csrfOf(await (await visitor.get('/sign-in')).text());
    const res = await visitor.post('/sign-in', { form: { _csrf: csrf, email }, headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    const db = world.app.database.db;
    let link;
    for (let i = 0; i < 50 && link === undefined; i++) {
      link = await db.selectFrom('sign_in_links').innerJoin('people', 'people.id', 'sign_in_links.person_id').select('requested_ip').where('people.email', '=', email).executeTakeFirst();
      if (link === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(link?.requested_ip).toBe('203.0.113.9');
  });

  it('does not let links worn out by wrong codes keep a person from getting a new one', async () => {
    const email = 'victim@hardening.test';
    await world.person(email, ['compliance']);
    const db = world.app.database.db;
    const links = () => db.selectFrom('sign_in_links').innerJoin('people', 'people.id', 'sign_in_links.person_id').select('sign_in_links.id').where('people.email', '=', email).execute();
    const ask = async (agent: Agent, expected: number) => {
      const csrf = csrfOf(await (await agent.get('/sign-in')).text());
      expect((await agent.post('/sign-in', { form: { _csrf: csrf, email } })).status).toBe(200);
      for (let i = 0; i < 50 && (await links()).length < expected; i++) await new Promise((r) => setTimeout(r, 100));
    };
    // Someone else asks three times from one browser (the cap), then wears the links out with wrong codes.
    const attacker = new Agent(world.url);
    for (let n = 1; n <= 3; n++) await ask(attacker, n);
    expect(await links()).toHaveLength(3);
    for (let i = 0; i < 5; i++) {
      const csrf = csrfOf(await (await attacker.get('/sign-in')).text());
      expect((await attacker.post('/sign-in/code', { form: { _csrf: csrf, code: 'AAAA-AAAA' } })).status).toBe(400);
    }
    // The person's own ask still gets a link.
    await ask(new Agent(world.url), 4);
    expect(await links()).toHaveLength(4);
  });
});
