// The queue dashboard (bull-board under /admin/queues) on real Redis, under a
// queue prefix of this test's own: inside Warden's sign-in and RBAC (reading
// for admins and engineers, acting for admins only, same-origin proof for
// CSRF), every action that succeeds in the audit log, and in Chromium the
// board renders the queues under its own CSP with no violation.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { launchChromium, screenshot, seriousAxeViolations } from '../../support/browser.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus.js';
import { cleanQueues, TEST_REDIS_URL } from '../../support/queue.js';
import { startWebWorld, type Agent, type WebWorld } from '../../support/web.js';

const API = '/admin/queues/api/queues';
let world: WebWorld;
let queues: QueueSet;
let admin: Agent;

/** The audit log's entries about queues, oldest first. */
async function queueEntries() {
  return world.app.database.db.selectFrom('audit_log').select(['actor', 'action', 'subject', 'details']).where('action', 'like', 'queue.%').orderBy('id').execute();
}

beforeAll(async () => {
  // The server only enqueues (as `warden serve` on a fleet): no worker here takes the jobs the board shows waiting.
  world = await startWebWorld({ env: { REDIS_URL: TEST_REDIS_URL, WARDEN_QUEUE_PREFIX: `wtest-board-${randomBytes(5).toString('hex')}` }, runner: { work: false } });
  await world.person('admin@acme.example', ['admin']);
  await world.person('engineer@acme.example', ['engineer']);
  await world.person('compliance@acme.example', ['compliance']);
  await world.person('demo-engineer@acme.example', ['engineer'], ['demo']);
  queues = new QueueSet(world.app.transport!, world.app.registry, {}, []);
  // A job waiting an hour: something on the board, and in the metrics.
  await queues.queue('digest').add('digest', { tenant: null, payload: {} }, { jobId: 'board-test-delayed', delay: 3_600_000 });
  admin = await world.signIn('admin@acme.example');
});

afterAll(async () => {
  await queues?.close();
  if (world !== undefined) await cleanQueues(world.app.transport!, world.app.registry);
  await world?.close();
});

describe('the queue dashboard', () => {
  it('serves the board to an admin: its page under its own CSP, and every job queue through its API', async () => {
    const page = await admin.get('/admin/queues');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/style-src-attr 'unsafe-hashes' 'sha256-/);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/" />');
    expect(html).not.toContain('fonts.googleapis.com');
    const api = await admin.get(`${API}?activeQueue=digest&status=latest&page=1`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(200);
    // Warden's strict CSP everywhere else, the board's API included.
    expect(api.headers.get('content-security-policy')).toContain("style-src 'self';");
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([...world.app.registry.names].sort());
    expect(body.queues.find((q) => q.name === 'digest')!.counts.delayed).toBe(1);
  });

  it('lets engineers read but not act, and keeps compliance officers, tenant-bound people and strangers out', async () => {
    const engineer = await world.signIn('engineer@acme.example');
    expect((await engineer.get('/admin/queues')).status).toBe(200);
    expect((await engineer.get(API, { headers: { accept: 'application/json' } })).status).toBe(200);
    const pause = await engineer.request('PUT', `${API}/digest/pause`, { headers: { origin: world.url, 'sec-fetch-site': 'same-origin' } });
    expect(pause.status).toBe(403);
    expect(pause.headers.get('content-type')).toContain('application/problem+json');
    expect(await queues.queue('digest').isPaused()).toBe(false);

    const compliance = await world.signIn('compliance@acme.example');
    const forbidden = await compliance.get('/admin/queues');
    expect(forbidden.status).toBe(403);
    // Warden's own error page, under Warden's strict policy, not the board's.
    expect(forbidden.headers.get('content-security-policy')).toContain("base-uri 'none'");
    expect(forbidden.headers.get('content-security-policy')).not.toContain('unsafe-hashes');
    expect((await compliance.get(API, { headers: { accept: 'application/json' } })).status).toBe(403);
    // Every tenant's jobs are on the board: someone who sees only some tenants may not look.
    const bound = await world.signIn('demo-engineer@acme.example');
    expect((await bound.get(API, { headers: { accept: 'application/json' } })).status).toBe(403);

    // A browser with no session is sent to sign in and back; a script is told 401.
    const anonymous = await fetch(`${world.url}/admin/queues`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Fqueues');
    expect((await fetch(`${world.url}${API}`, { headers: { accept: 'application/json' } })).status).toBe(401);
    // Addresses under the board that bull-board does not serve are no less closed.
    expect((await fetch(`${world.url}/admin/queues/no/such/page`, { headers: { accept: 'application/json' } })).status).toBe(401);
    expect((await fetch(`${world.url}${API}/digest/no-such-action`, { method: 'PUT' })).status).toBe(401);
    expect((await compliance.get('/admin/queues/no/such/page')).status).toBe(403);
    const missing = await admin.get('/admin/queues/no/such/page', { headers: { accept: 'application/json' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await queueEntries()).toEqual([]);
  });

  it('refuses an admin’s unsafe request that does not prove it came from Warden’s own pages (CSRF)', async () => {
    const before = await queueEntries();
    const post = await admin.post(`${API}/digest/add`, { json: { name: 'digest', data: { tenant: null, payload: {} } } });
    expect(post.status).toBe(403);
    const crossSite = await admin.request('PUT', `${API}/digest/pause`, { headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const sameSiteOtherPort = await admin.request('PUT', `${API}/digest/pause`, { headers: { 'sec-fetch-site': 'same-site' } });
    expect(sameSiteOtherPort.status).toBe(403);
    expect(await queues.queue('digest').isPaused()).toBe(false);
    expect(await queues.queue('digest').count()).toBe(1);
    expect(await queueEntries()).toEqual(before);
  });

  it('writes every admin action that succeeds to the audit log, under the admin’s address, and none that fails', async () => {
    const sameOrigin = { origin: world.url, 'sec-fetch-site': 'same-origin' };
    expect((await admin.request('PUT', `${API}/digest/pause`, { headers: sameOrigin })).status).toBe(200);
    expect(await queues.queue('digest').isPaused()).toBe(true);
    expect((await admin.request('PUT', `${API}/digest/resume`, { headers: sameOrigin })).status).toBe(200);
    expect(await queues.queue('digest').isPaused()).toBe(false);
    expect((await admin.request('PUT', `${API}/digest/board-test-delayed/promote`, { headers: sameOrigin })).status).toBe(204);
    expect(await queues.queue('digest').getJobState('board-test-delayed')).toBe('waiting');
    expect((await admin.request('PUT', `${API}/digest/empty`, { headers: sameOrigin })).status).toBe(200);
    expect(await queues.queue('digest').count()).toBe(0);
    // bull-board refuses a queue it does not have: nothing done, nothing recorded.
    expect((await admin.request('PUT', `${API}/no-such-queue/pause`, { headers: sameOrigin })).status).toBe(404);

    expect(await queueEntries()).toEqual([
      { actor: 'admin@acme.example', action: 'queue.pause', subject: 'queue:digest', details: { via: 'queue dashboard' } },
      { actor: 'admin@acme.example', action: 'queue.resume', subject: 'queue:digest', details: { via: 'queue dashboard' } },
      { actor: 'admin@acme.example', action: 'queue.job_promote', subject: 'queue:digest', details: { via: 'queue dashboard', job: 'board-test-delayed' } },
      { actor: 'admin@acme.example', action: 'queue.empty', subject: 'queue:digest', details: { via: 'queue dashboard' } },
    ]);
    expect((await verifyChain(world.app.database.db)).ok).toBe(true);
  });

  it('counts the waiting jobs of each queue in /metrics, and reports Redis in /readyz', async () => {
    await queues.queue('secret-rotation').add('secret-rotation', { tenant: null, payload: {} }, { jobId: 'board-test-waiting' });
    await queues.queue('secret-rotation').add('secret-rotation', { tenant: null, payload: {} }, { jobId: 'board-test-later', delay: 3_600_000 });
    const m = parsePrometheus(await (await admin.get('/metrics', { headers: { accept: 'text/plain' } })).text());
    expect(sampleValue(m, 'warden_queue_waiting_jobs', { queue: 'secret-rotation' })).toBe(2);
    expect(sampleValue(m, 'warden_queue_waiting_jobs', { queue: 'digest' })).toBe(0);
    expect(m.get('warden_queue_waiting_jobs')!.samples).toHaveLength(world.app.registry.names.length);
    const ready = await fetch(`${world.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { ledger: 'ok', migrations: 'ok', redis: 'ok' } });
  });
});

describe('the queue dashboard in Chromium', () => {
  it('renders every queue with no CSP violation, and its own scripts can act (same origin)', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      await context.addCookies([...admin.cookies].map(([name, value]) => ({ name, value, url: world.url })));
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`${world.url}/admin/queues`);
      for (const name of world.app.registry.names) await page.locator(`nav a[title="${name}"]`).waitFor();
      await page.goto(`${world.url}/admin/queues/queue/secret-rotation`);
      await page.locator('h1', { hasText: 'secret-rotation' }).waitFor();
      await page.getByText('board-test-waiting').first().waitFor();
      await screenshot(page, 'queues-board');
      // What bull-board's scripts send: a same-origin fetch from the page.
      const status = await page.evaluate(async () => (await fetch('api/queues/secret-rotation/pause', { method: 'PUT' })).status);
      expect(status).toBe(200);
      expect(await queues.queue('secret-rotation').isPaused()).toBe(true);
      expect((await queueEntries()).at(-1)).toMatchObject({ actor: 'admin@acme.example', action: 'queue.pause', subject: 'queue:secret-rotation' });
      expect(problems).toEqual([]);
      // bull-board's own UI has serious axe violations Warden cannot fix (icon buttons without names,
      // low-contrast badges, an SVG logo without alt text: rules button-name, color-contrast,
      // label-content-name-mismatch, svg-img-alt), so axe is asserted on Warden's page below only.
    } finally {
      await browser.close();
    }
  });

  it('shows a compliance officer Warden’s own accessible page saying why they may not look', async () => {
    const compliance = await world.signIn('compliance@acme.example');
    const browser = await launchChromium();
    try {
      const context = await browser.newContext();
      await context.addCookies([...compliance.cookies].map(([name, value]) => ({ name, value, url: world.url })));
      const page = await context.newPage();
      const res = await page.goto(`${world.url}/admin/queues`);
      expect(res?.status()).toBe(403);
      await page.getByText('this needs the admin or engineer role').waitFor();
      await screenshot(page, 'queues-board-forbidden');
      expect(await seriousAxeViolations(page)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
