// The tenants dashboard and the runs pages over HTTP, on the demo tenant audited
// once against the simulator and then re-audited for a trend and a second page
// of runs: the dashboard's numbers are the ledger's, a person restricted to one
// tenant sees nothing of another (404, as for one that does not exist), runs
// page by 50, and bad queries are a 400 problem naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../../jobs/index.js';
import { countApprovals, openApproval } from '../../../src/db/approvals.repository.js';
import { listFindings } from '../../../src/db/findings.repository.js';
import { createRun } from '../../../src/db/job-runs.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { familyOf } from '../../../src/rules/engine.js';
import type { TenantDashboard, TenantSettings } from '../../../src/app/tenants-view.js';
import type { RunsPage, RunView } from '../../../src/app/runs-view.js';
import { RULE_FAMILIES } from '../../../src/rules/registry.js';
import { SEVERITIES } from '../../../src/rules/types.js';
import { startWebWorld, type Agent, type WebWorld } from '../../support/web.js';

const JSON_ACCEPT = { headers: { accept: 'application/json' } };
/** Extra secret-rotation runs: with the six of the first audit, more than one page of 50. */
const EXTRA_RUNS = 50;

let world: WebWorld;
let everyone: Agent;
let restricted: Agent;
let otherRunId: number;
let fleetRunId: number;

async function json<T>(agent: Agent, path: string): Promise<{ status: number; type: string | null; body: T }> {
  const res = await agent.get(path, JSON_ACCEPT);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as T };
}

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
  const { db } = world.app.database;
  // A second tenant (never audited: it has one queued run) and a fleet-wide run nobody's tenant owns.
  await addTenant(db, { name: 'other', baseUrl: 'https://other.example', tokenEnv: 'OTHER_TOKEN', timezone: 'Australia/Sydney' }, 'test');
  otherRunId = (await createRun(db, { kind: 'stale-accounts', tenant: 'other', scheduledFor: new Date(), idempotencyKey: 'test-other-1' })).run.id;
  fleetRunId = (await createRun(db, { kind: 'reconcile', tenant: null, scheduledFor: new Date(), idempotencyKey: 'test-fleet-1' })).run.id;

  // One suppressed finding and one pending approval, so neither count is trivially zero.
  const open = await listFindings(db, { tenant: 'demo' });
  await suppressFinding(db, { tenant: 'demo', fingerprint: open[0]!.fingerprint, reason: 'accepted risk', author: 'test', expiresAt: new Date(Date.now() + 86_400_000) });
  await openApproval(db, { tenant: 'demo', fingerprint: open[1]!.fingerprint, kind: 'remove_user', rule: 'ACC-03', subject: { type: 'user', id: '999', label: 'test' }, impact: {}, expiresAt: new Date(Date.now() + 86_400_000), at: new Date() });

  const runner = await world.app.openRunner({ work: true });
  try {
    for (let i = 0; i < EXTRA_RUNS; i++) await runner.outcome(await runner.enqueue('secret-rotation', {}, 'demo'), true);
  } finally {
    await runner.close();
  }

  await world.person('all@acme.example', ['engineer']);
  await world.person('demo-only@acme.example', ['compliance'], ['demo']);
  everyone = await world.signIn('all@acme.example');
  restricted = await world.signIn('demo-only@acme.example');
}, 120_000);

afterAll(async () => world?.close());

describe('the dashboard', () => {
  it('counts open findings by family and severity as the ledger has them, suppressed ones apart', async () => {
    const { db } = world.app.database;
    const findings = await listFindings(db, { tenant: 'demo' });
    const expected: Record<string, Record<string, number>> = Object.fromEntries(RULE_FAMILIES.map((f) => [f, { critical: 0, high: 0, medium: 0, low: 0 }]));
    let suppressed = 0;
    for (const f of findings) {
      if (f.suppressed) suppressed++;
      else expected[familyOf(f.rule)]![f.severity]!++;
    }

    const { status, body } = await json<{ dashboard: TenantDashboard; settings: TenantSettings }>(everyone, '/api/v1/tenants/demo');
    expect(status).toBe(200);
    const d = body.dashboard;
    expect(Object.fromEntries(d.open.families.map((f) => [f.family, f.open]))).toEqual(expected);
    expect(d.open.suppressed).toBe(1);
    expect(suppressed).toBe(1);
    expect(d.open.open_total).toBe(findings.length - 1);
    for (const s of SEVERITIES) expect(d.open.total[s]).toBe(findings.filter((f) => !f.suppressed && f.severity === s).length);
    // The demo's audits opened some, and the test one more.
    expect(d.pending_approvals).toBe(await countApprovals(db, 'demo', 'pending'));
    expect(d.pending_approvals).toBeGreaterThan(1);

    // The tenants list agrees, and the page shows the same figures.
    const list = await json<{ tenants: { name: string; open_total: number; suppressed: number; pending_approvals: number }[] }>(everyone, '/api/v1/tenants');
    expect(list.body.tenants.find((t) => t.name === 'demo')).toMatchObject({ open_total: d.open.open_total, suppressed: 1, pending_approvals: d.pending_approvals });
    const page = await (await everyone.get('/tenants/demo')).text();
    expect(page).toContain(`<span class="figure-value">${d.open.open_total}</span> open findings`);
    expect(page).toContain('<span class="figure-value">1</span> suppressed');
    expect(page).toContain(`<span class="figure-value">${d.pending_approvals}</span> pending approvals`);
    const high = d.open.families.find((f) => f.family === 'tokens')!.open.high;
    expect(page).toContain(`href="/findings?tenant=demo&amp;family=tokens&amp;severity=high"`);
    expect(page).toContain(`>${high}</a>`);
  });

  it('follows the last 12 runs of each family’s audit job, oldest first, and each job’s last run and next tick', async () => {
    const { body } = await json<{ dashboard: TenantDashboard }>(everyone, '/api/v1/tenants/demo');
    const trend = Object.fromEntries(body.dashboard.trend.map((t) => [t.family, t]));
    expect(Object.keys(trend)).toEqual([...RULE_FAMILIES]);
    expect(trend.secrets!.kind).toBe('secret-rotation');
    expect(trend.secrets!.points).toHaveLength(12);
    const ids = trend.secrets!.points.map((p) => p.run_id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(trend.access!.points).toHaveLength(1);
    expect(trend.access!.points[0]).toMatchObject({ status: 'succeeded', findings: expect.any(Number) as unknown, created: expect.any(Number) as unknown });

    const secretJob = body.dashboard.jobs.find((j) => j.kind === 'secret-rotation')!;
    expect(secretJob.last_run?.id).toBe(ids.at(-1));
    expect(secretJob.family).toBe('secrets');
    expect(new Date(secretJob.next_fire_at!).getTime()).toBeGreaterThan(Date.now());
    // Fleet-wide jobs are no tenant's.
    expect(body.dashboard.jobs.map((j) => j.kind)).not.toContain('reconcile');
  });

  it('shows settings without secrets or addresses', async () => {
    const { body } = await json<{ settings: TenantSettings }>(everyone, '/api/v1/tenants/demo');
    expect(body.settings).toMatchObject({ name: 'demo', token_variable: 'DEMO_OMNEO_TOKEN', time_zone: 'UTC', directory: 'scim' });
    expect(body.settings.recipients).toEqual([
      { audience: 'admins', count: 1 },
      { audience: 'compliance', count: 1 },
      { audience: 'engineers', count: 1 },
    ]);
    expect(body.settings.schedules.map((s) => s.job)).toContain('digest');
    const page = await (await everyone.get('/tenants/demo/settings')).text();
    for (const text of [JSON.stringify(body), page]) {
      expect(text).not.toContain(world.sim.token);
      expect(text).not.toContain('@demo.example');
      expect(text).not.toContain('/scim/v2');
    }
    expect(page).toContain('DEMO_OMNEO_TOKEN');
  });

  it('shows another tenant’s next ticks in its own time zone', async () => {
    const { body } = await json<{ settings: TenantSettings }>(everyone, '/api/v1/tenants/other');
    const access = body.settings.schedules.find((s) => s.job === 'stale-accounts')!;
    expect(access.time_zone).toBe('Australia/Sydney');
    // 06:00 in Sydney, whatever the offset of the day.
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Australia/Sydney', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(access.next_fire_at!));
    expect(local).toBe('06:00');
  });
});

describe('a person restricted to one tenant', () => {
  it('sees only that tenant, and is sent straight to its dashboard', async () => {
    const { body } = await json<{ tenants: { name: string }[] }>(restricted, '/api/v1/tenants');
    expect(body.tenants.map((t) => t.name)).toEqual(['demo']);
    const home = await restricted.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/tenants/demo');
    const all = await everyone.get('/');
    expect(all.headers.get('location')).toBe('/tenants');
    expect(await (await restricted.get('/tenants')).text()).not.toContain('href="/tenants/other"');
    expect(await (await everyone.get('/tenants')).text()).toContain('href="/tenants/other"');
  });

  it('gets 404 for every view of another tenant, as for one that does not exist', async () => {
    for (const path of ['/tenants/other', '/tenants/other/settings', '/runs?tenant=other', `/runs/${otherRunId}`]) {
      const res = await restricted.get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
    }
    for (const path of ['/api/v1/tenants/other', '/api/v1/runs?tenant=other', '/api/v1/tenants/nowhere']) {
      const res = await json<{ status: number; field?: string }>(restricted, path);
      expect(res.status, path).toBe(404);
      expect(res.type, path).toMatch(/^application\/problem\+json/);
      expect(res.body.field, path).toBe('tenant');
    }
    // Its run answers exactly as a run that does not exist: no tenant named, nothing to tell them apart.
    const hidden = await json<{ detail: string }>(restricted, `/api/v1/runs/${otherRunId}`);
    const missing = await json<{ detail: string }>(restricted, '/api/v1/runs/99999999');
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.body.detail).toBe(`job_run: no job run ${otherRunId}`);
    expect(missing.body.detail).toBe('job_run: no job run 99999999');
    expect(JSON.stringify(hidden.body)).not.toContain('other');
    // Someone who may see it does.
    expect((await json<RunView>(everyone, `/api/v1/runs/${otherRunId}`)).body).toMatchObject({ tenant: 'other', status: 'queued', duration_ms: null });
  });

  it('lists runs of its tenant and fleet-wide ones, never another tenant’s', async () => {
    const seen = new Set<string | null>();
    for (let page = 1; ; page++) {
      const { body } = await json<RunsPage>(restricted, `/api/v1/runs?page=${page}`);
      for (const r of body.runs) seen.add(r.tenant);
      if (page >= body.pages) break;
    }
    expect([...seen].sort()).toEqual(['demo', null].sort());
    expect((await json<RunView>(restricted, `/api/v1/runs/${fleetRunId}`)).status).toBe(200);
  });
});

describe('runs', () => {
  it('pages by 50, newest first, with the filter kept', async () => {
    const first = await json<RunsPage>(everyone, '/api/v1/runs?tenant=demo');
    const second = await json<RunsPage>(everyone, '/api/v1/runs?tenant=demo&page=2');
    // The first secret-rotation run starts the policy rotation of the demo's 90-day-old secret and gives a run
    // to the demo's stuck one: two `rotation` runs, left queued (no runner of this test serves them then).
    const rotationRuns = (await json<RunsPage>(everyone, '/api/v1/runs?tenant=demo&kind=rotation')).body.total;
    expect(rotationRuns).toBe(2);
    // The web world's own runs: every audit job and the digest, once each (test/support/web.ts).
    const demoRuns = auditJobs.length + 1 + EXTRA_RUNS + rotationRuns;
    expect(first.body).toMatchObject({ page: 1, per_page: 50, total: demoRuns, pages: 2 });
    expect(first.body.runs).toHaveLength(50);
    expect(second.body.runs).toHaveLength(demoRuns - 50);
    const ids = [...first.body.runs, ...second.body.runs].map((r) => r.id);
    expect(new Set(ids).size).toBe(demoRuns);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(first.body.runs.every((r) => r.tenant === 'demo')).toBe(true);
    // Past the last page: nothing, and the total still says how many.
    expect((await json<RunsPage>(everyone, '/api/v1/runs?tenant=demo&page=3')).body).toMatchObject({ runs: [], total: demoRuns });

    const html = await (await everyone.get('/runs?tenant=demo&kind=&status=')).text();
    expect(html).toContain(`Runs, newest first: 1–50 of ${demoRuns}`);
    expect(html).toContain('href="/runs?tenant=demo&amp;page=2" rel="next"');
    expect(html).toContain('<option value="demo" selected>demo</option>');
    const page2 = await (await everyone.get('/runs?tenant=demo&page=2')).text();
    expect(page2).toContain(`Runs, newest first: 51–${demoRuns} of ${demoRuns}`);
    expect(page2).toContain('href="/runs?tenant=demo" rel="prev"');
  });

  it('filters by kind and status', async () => {
    const { body } = await json<RunsPage>(everyone, '/api/v1/runs?kind=secret-rotation&status=succeeded');
    expect(body.total).toBe(1 + EXTRA_RUNS);
    expect(body.runs.every((r) => r.kind === 'secret-rotation' && r.status === 'succeeded')).toBe(true);
    const queued = (await json<RunsPage>(everyone, '/api/v1/runs?status=queued')).body.runs.filter((r) => r.kind !== 'rotation');
    expect(queued.map((r) => r.id).sort()).toEqual([otherRunId, fleetRunId].sort());
  });

  it('shows one run: status, duration, attempts, counts', async () => {
    const { body } = await json<RunsPage>(everyone, '/api/v1/runs?kind=stale-accounts&tenant=demo');
    const run = body.runs[0]!;
    const one = await json<RunView>(everyone, `/api/v1/runs/${run.id}`);
    expect(one.body).toEqual(run);
    expect(run).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(run.duration_ms).toBe(new Date(run.finished_at!).getTime() - new Date(run.started_at!).getTime());
    const html = await (await everyone.get(`/runs/${run.id}`)).text();
    expect(html).toContain(`<h1>Run #${run.id}: stale-accounts</h1>`);
    expect(html).toContain(`<tr><th scope="row">findings</th><td class="num">${run.counts.findings}</td></tr>`);
  });

  it('answers an unknown run 404', async () => {
    const res = await json<{ status: number }>(everyone, '/api/v1/runs/99999999');
    expect(res.status).toBe(404);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect((await everyone.get('/runs/99999999')).status).toBe(404);
  });

  it('answers a bad query 400, naming the field', async () => {
    for (const [path, field] of [
      ['/api/v1/runs?status=bogus', 'querystring.status'],
      ['/api/v1/runs?page=0', 'querystring.page'],
      ['/api/v1/runs?page=two', 'querystring.page'],
      ['/api/v1/runs?kind=nope', 'querystring.kind'],
      ['/api/v1/runs/abc', 'params.id'],
    ] as const) {
      const res = await json<{ status: number; field: string; detail: string }>(everyone, path);
      expect(res.status, path).toBe(400);
      expect(res.type, path).toMatch(/^application\/problem\+json/);
      expect(res.body.field, path).toBe(field);
      expect(res.body.detail, path).toContain(field);
    }
    const page = await everyone.get('/runs?status=bogus');
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('querystring.status');
  });
});
