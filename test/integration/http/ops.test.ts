// Operations over HTTP: /healthz, /readyz (ready, then not: a pending migration,
// an unreachable Redis), /metrics parsed as Prometheus text with the ledger's
// numbers after a real audit of the demo tenant, and who may scrape it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app/create-app.js';
import { RUN_DURATION_BOUNDS } from '../../../src/app/metrics.js';
import { loadConfig } from '../../../src/config.js';
import { countApprovals, openApproval } from '../../../src/db/approvals.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { buildServer } from '../../../src/http/server.js';
import { adminQuery, BACKENDS, TEST_DATABASE_URL, TEST_SECRET_KEY, uniqueSchema } from '../../support/db.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus.js';
import { startWebWorld, type WebWorld } from '../../support/web.js';

/** A port nothing listens on (bound, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(BACKENDS)('health, readiness and metrics (%s)', (backend) => {
  let world: WebWorld;
  let engineerKey: string;
  let suppressed: string;
  beforeAll(async () => {
    world = await startWebWorld({ backend, audited: true });
    await world.person('admin@acme.example', ['admin']);
    await world.person('engineer@acme.example', ['engineer']);
    await world.person('compliance@acme.example', ['compliance']);
    await world.person('elsewhere@acme.example', ['engineer'], ['other-tenant']);
    engineerKey = await world.apiKey('engineer@acme.example');
    const { db } = world.app.database;
    // One pending approval and one suppressed finding, so those numbers are not all zero.
    const [first, second] = await db.selectFrom('findings').select(['fingerprint', 'severity']).where('tenant', '=', 'demo').where('resolved_at', 'is', null).orderBy('fingerprint').limit(2).execute();
    await openApproval(db, { tenant: 'demo', fingerprint: first!.fingerprint, kind: 'remove_user', rule: 'ACC-03', subject: { type: 'user', id: '999', label: 'test' }, impact: {}, expiresAt: new Date(Date.now() + 86_400_000), at: new Date() });
    await suppressFinding(db, { tenant: 'demo', fingerprint: second!.fingerprint, reason: 'accepted for the test', author: 'test', expiresAt: new Date(Date.now() + 86_400_000) });
    suppressed = second!.severity;
  });
  afterAll(async () => world?.close());

  it('answers /healthz with 200 {"status":"ok"} to anyone', async () => {
    const res = await fetch(`${world.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 and each check when the ledger answers and is migrated (no Redis: no Redis check)', async () => {
    const res = await fetch(`${world.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { ledger: 'ok', migrations: 'ok' } });
  });

  it('lets admins and engineers scrape /metrics, by session or API key, and no one else', async () => {
    expect((await fetch(`${world.url}/metrics`)).status).toBe(401);
    const compliance = await world.signIn('compliance@acme.example');
    const refused = await compliance.get('/metrics', { headers: { accept: 'text/plain' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${world.url}/metrics`, { headers: { authorization: `Bearer ${engineerKey}` } })).status).toBe(200);
    expect((await fetch(`${world.url}/metrics`, { headers: { authorization: 'Bearer wk_not-a-real-key-at-all' } })).status).toBe(401);
    const admin = await world.signIn('admin@acme.example');
    expect((await admin.get('/metrics', { headers: { accept: 'text/plain' } })).status).toBe(200);
  });

  it('reports the ledger’s numbers in Prometheus text', async () => {
    const res = await fetch(`${world.url}/metrics`, { headers: { authorization: `Bearer ${engineerKey}` } });
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const m = parsePrometheus(await res.text());
    const { db } = world.app.database;

    expect(m.get('warden_job_runs')?.type).toBe('gauge');
    const runs = await db.selectFrom('job_runs').select(['kind', 'status', sql<number>`count(*)::int`.as('n')]).groupBy(['kind', 'status']).execute();
    expect(runs.length).toBeGreaterThan(4);
    for (const r of runs) expect(sampleValue(m, 'warden_job_runs', { kind: r.kind, status: r.status })).toBe(r.n);
    // Every registered kind and status is there, at 0 when the ledger has none.
    expect(sampleValue(m, 'warden_job_runs', { kind: 'reconcile', status: 'failed' })).toBe(0);

    expect(m.get('warden_job_run_duration_seconds')?.type).toBe('histogram');
    const finished = await db
      .selectFrom('job_runs')
      .select(['kind', sql<number>`count(*)::int`.as('n'), sql<number>`sum(extract(epoch from finished_at - started_at))::float8`.as('s'), sql<number>`max(extract(epoch from finished_at - started_at))::float8`.as('max')])
      .where('status', 'in', ['succeeded', 'failed'])
      .groupBy('kind')
      .execute();
    for (const f of finished) {
      expect(sampleValue(m, 'warden_job_run_duration_seconds_count', { kind: f.kind })).toBe(f.n);
      expect(sampleValue(m, 'warden_job_run_duration_seconds_bucket', { kind: f.kind, le: '+Inf' })).toBe(f.n);
      expect(sampleValue(m, 'warden_job_run_duration_seconds_sum', { kind: f.kind })).toBeCloseTo(f.s, 3);
      // Cumulative, and every run is under the first bound above the slowest.
      const buckets = RUN_DURATION_BOUNDS.map((le) => sampleValue(m, 'warden_job_run_duration_seconds_bucket', { kind: f.kind, le: String(le) }));
      expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
      expect(buckets[RUN_DURATION_BOUNDS.findIndex((b) => b >= f.max)]).toBe(f.n);
    }

    expect(m.get('warden_open_findings')?.type).toBe('gauge');
    const open = await db.selectFrom('findings').select(['severity', sql<number>`count(*)::int`.as('n')]).where('tenant', '=', 'demo').where('resolved_at', 'is', null).groupBy('severity').execute();
    expect(open.length).toBeGreaterThan(1);
    for (const o of open) expect(sampleValue(m, 'warden_open_findings', { tenant: 'demo', severity: o.severity })).toBe(o.n - (o.severity === suppressed ? 1 : 0));

    // The demo's audits opened some, and the test one more.
    expect(sampleValue(m, 'warden_pending_approvals', { tenant: 'demo' })).toBe(await countApprovals(db, 'demo', 'pending'));
    const erasures = await db.selectFrom('erasure_requests').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute();
    expect(erasures.length).toBeGreaterThan(0);
    for (const e of erasures) expect(sampleValue(m, 'warden_erasure_requests', { status: e.status })).toBe(e.n);
    expect(sampleValue(m, 'warden_erasure_requests', { status: 'verified' })).toBe(erasures.find((e) => e.status === 'verified')?.n ?? 0);
    // Jobs run in-process here: there are no queues to count.
    expect(m.has('warden_queue_waiting_jobs')).toBe(true);
    expect(m.get('warden_queue_waiting_jobs')!.samples).toEqual([]);
    // prom-client's process metrics, on the same registry.
    expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  it('answers /admin/queues with a clear 404 when jobs run in-process (no Redis), to those who may use it', async () => {
    const admin = await world.signIn('admin@acme.example');
    const api = await admin.get('/admin/queues/api/queues', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect(((await api.json()) as { detail: string }).detail).toMatch(/in-process \(no REDIS_URL\)/);
    const page = await admin.get('/admin/queues');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('no REDIS_URL');
    const compliance = await world.signIn('compliance@acme.example');
    expect((await compliance.get('/admin/queues')).status).toBe(403);
    expect((await fetch(`${world.url}/admin/queues/api/queues`, { headers: { accept: 'application/json' } })).status).toBe(401);
    // Every method under the address is behind its access entry: sign-in, then the admin role, then the same-origin check.
    expect((await fetch(`${world.url}/admin/queues/api/queues/digest/pause`, { method: 'PUT' })).status).toBe(401);
    const engineer = await world.signIn('engineer@acme.example');
    expect((await engineer.request('PUT', '/admin/queues/api/queues/digest/pause', { headers: { origin: world.url } })).status).toBe(403);
    expect((await admin.request('PUT', '/admin/queues/api/queues/digest/pause')).status).toBe(403);
    expect((await admin.request('PUT', '/admin/queues/api/queues/digest/pause', { headers: { origin: world.url } })).status).toBe(404);
  });

  it('counts only the tenants the scraper may see', async () => {
    const key = await world.apiKey('elsewhere@acme.example');
    const m = parsePrometheus(await (await fetch(`${world.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text());
    expect(m.get('warden_open_findings')!.samples).toEqual([]);
    expect(m.get('warden_pending_approvals')!.samples).toEqual([]);
    expect(sampleValue(m, 'warden_job_runs', { kind: 'digest', status: 'succeeded' })).toBe(0);
  });
});

describe('readiness when not ready', () => {
  it('answers 503 naming the migrations when the ledger is not migrated', async () => {
    const schema = uniqueSchema('warden_ready');
    await adminQuery(`CREATE SCHEMA ${schema}`);
    const dir = mkdtempSync(join(tmpdir(), 'warden-ready-'));
    const env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema, WARDEN_DATA_DIR: dir, WARDEN_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' };
    const app = await createApp(loadConfig(env), { stderr: process.stderr, env });
    const web = await buildServer(app);
    try {
      const res = await web.server.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const body = res.json<{ status: number; detail: string; checks: Record<string, string> }>();
      expect(body.status).toBe(503);
      expect(body.checks.ledger).toBe('ok');
      expect(body.checks.migrations).toMatch(/^\d+ migration\(s\) not applied/);
      expect(body.detail).toContain('migrations');
      expect(body.detail).not.toContain(TEST_DATABASE_URL);
      // Alive all the same: a restart would not migrate it.
      expect((await web.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await web.close();
      await app.close();
      await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 naming Redis when the queue transport does not answer, and never its URL or password', async () => {
    const port = await closedPort();
    // No runner: opening one checks Redis and would stop here; the server must start and answer /readyz 503.
    const world = await startWebWorld({ env: { REDIS_URL: `redis://:s3cret-pass@127.0.0.1:${port}` }, runner: false });
    try {
      const started = Date.now();
      const res = await fetch(`${world.url}/readyz`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain('s3cret-pass');
      expect(text).not.toContain('redis://');
      const body = JSON.parse(text) as { detail: string; checks: Record<string, string> };
      expect(body.checks).toMatchObject({ ledger: 'ok', migrations: 'ok' });
      expect(body.checks.redis).toMatch(/^unreachable/);
      expect(body.detail).toMatch(/^not ready: redis unreachable/);
      // /metrics still answers with the ledger's numbers, leaving out what only Redis knows.
      await world.person('engineer@acme.example', ['engineer']);
      const key = await world.apiKey('engineer@acme.example');
      const scraped = await fetch(`${world.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      expect(scraped.status).toBe(200);
      const m = parsePrometheus(await scraped.text());
      expect(m.get('warden_queue_waiting_jobs')!.samples).toEqual([]);
      expect(sampleValue(m, 'warden_job_runs', { kind: 'digest', status: 'queued' })).toBe(0);
    } finally {
      await world.close();
    }
  });
});
