/**
 * The web app under a realistic ledger: one tenant with 20 000 open findings
 * (the size of the 20 000-account audit) on the real Postgres, in a throwaway
 * schema; `warden serve`'s server built through createApp; each route asked
 * sequentially (median and 95th percentile of 40 requests after 5 warm-ups),
 * then the findings API under 10 concurrent clients (requests per second).
 *
 *   npm run bench:web        (DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)
 *   FINDINGS=100000 npm run bench:web
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app/create-app.js';
import { addPerson, issueApiKey } from '../src/app/people.js';
import { loadConfig } from '../src/config.js';
import { recordFindings } from '../src/db/findings.repository.js';
import { createRun } from '../src/db/job-runs.repository.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { addTenant } from '../src/db/tenants.repository.js';
import { buildServer } from '../src/http/server.js';
import { fingerprint } from '../src/rules/engine.js';
import type { Finding } from '../src/rules/types.js';
import { adminQuery, BENCH_DATABASE_URL } from './bench-setup.js';

const URL = BENCH_DATABASE_URL;
const COUNT = Number(process.env.FINDINGS ?? 20_000);
const TENANT = 'bench';
const RULES = ['ACC-01', 'ACC-03', 'TOK-01', 'TOK-02'] as const;

function makeFindings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `u_${i.toString(36)}`;
    const rule = RULES[i % RULES.length]!;
    return {
      rule,
      name: 'bench',
      severity: (['critical', 'high', 'medium', 'low'] as const)[i % 4]!,
      subject: { type: 'user', id, label: `Person ${i}` },
      title: `Account ${i} needs a look`,
      evidence: { last_login_at: '2026-01-01T00:00:00.000Z', days: 100 + (i % 300) },
      action: 'review',
      requires_approval: false,
      fingerprint: fingerprint(rule, TENANT, 'user', id),
    };
  });
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const schema = `bench_web_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-web-'));
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const env = {
    DATABASE_URL: URL,
    WARDEN_DB_SCHEMA: schema,
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
    WARDEN_SECRET_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
  };
  const app = await createApp(loadConfig(env), { stderr: process.stderr, env });
  try {
    const { db } = app.database;
    await migrateToLatest(db, { schema });
    await addTenant(db, { name: TENANT, baseUrl: 'https://api.bench.example/api/v3', tokenEnv: 'BENCH_OMNEO_TOKEN' });
    const { run } = await createRun(db, { kind: 'stale-accounts', tenant: TENANT, scheduledFor: new Date(), idempotencyKey: `bench:${schema}` });
    const seeded = Date.now();
    await recordFindings(db, { tenant: TENANT, runId: run.id, rules: [...RULES], findings: makeFindings(COUNT), at: new Date() });
    console.log(`seeded ${COUNT} open findings in ${Date.now() - seeded} ms (schema ${schema})`);
    await addPerson(db, { email: 'bench@bench.example', roles: ['compliance', 'admin', 'engineer'] }, 'bench');
    const { key } = await issueApiKey(db, 'bench@bench.example', 'bench', 'bench');
    const web = await buildServer(app);
    const base = (await web.listen(0, '127.0.0.1')).replace(/\/+$/, '');
    const headers = { authorization: `Bearer ${key}` };
    try {
      const routes: [string, string][] = [
        ['GET /healthz', '/healthz'],
        ['GET /api/v1/me', '/api/v1/me'],
        ['GET /api/v1/findings (page 1 of 50)', `/api/v1/findings?tenant=${TENANT}`],
        ['GET /api/v1/findings (last page)', `/api/v1/findings?tenant=${TENANT}&page=${Math.ceil(COUNT / 50)}`],
        ['GET /findings (HTML, page 1)', `/findings?tenant=${TENANT}`],
        ['GET /tenants/:tenant (dashboard)', `/tenants/${TENANT}`],
        ['GET /metrics', '/metrics'],
      ];
      for (const [name, path] of routes) {
        const times: number[] = [];
        for (let i = 0; i < 45; i++) {
          const t0 = performance.now();
          const res = await fetch(`${base}${path}`, { headers });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
          if (i >= 5) times.push(performance.now() - t0);
        }
        console.log(`${name.padEnd(40)} ${stats(times)}`);
      }
      const csv: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/findings.csv?tenant=${TENANT}`, { headers });
        bytes = (await res.arrayBuffer()).byteLength;
        csv.push(performance.now() - t0);
      }
      console.log(`${`GET /findings.csv (${COUNT} rows, ${(bytes / 1e6).toFixed(1)} MB)`.padEnd(40)} median of 3: ${[...csv].sort((a, b) => a - b)[1]!.toFixed(0)} ms`);
      const clients = 10;
      const perClient = 40;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = 0; i < perClient; i++) await (await fetch(`${base}/api/v1/findings?tenant=${TENANT}`, { headers })).arrayBuffer();
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      console.log(`GET /api/v1/findings, ${clients} concurrent clients: ${((clients * perClient) / seconds).toFixed(0)} requests/s`);
    } finally {
      await web.close();
    }
  } finally {
    await app.close();
    await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
