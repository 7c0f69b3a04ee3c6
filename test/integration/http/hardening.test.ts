// What every answer of the web app carries and what no request gets past:
// security headers with a CSP that allows no inline script, the 1 MB body
// limit (a 413 problem, nothing written), unknown addresses as 404 problems
// or pages, a disabled person's session refused mid-way, and no 5xx for any
// of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disablePerson } from '../../../src/app/people.js';
import { Agent, startWebWorld, type WebWorld } from '../../support/web.js';

const CO = 'co@hardening.test';
let world: WebWorld;
let co: Agent;
let fingerprint: string;

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
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
});
