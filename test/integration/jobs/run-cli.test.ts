// `warden run stale-accounts --tenant demo --wait` through main(), against the
// simulator and a Postgres schema of the test's own: in-process without
// REDIS_URL, and on Redis (own key prefix) with a fleet worker that has the
// app's deps, as `warden worker` builds them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createAppDeps, jobDeps } from '../../../src/app/deps.js';
import { createLogger } from '../../../src/log/logger.js';
import { Fleet } from '../../../src/queue/fleet.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { TEST_DATABASE_URL } from '../../support/db.js';
import { runCli } from '../../support/cli.js';
import { cleanQueues, testTransport } from '../../support/queue.js';
import { startWorld, type JobsWorld } from './support.js';

describe('warden run <audit job> --wait', () => {
  let world: JobsWorld;
  let env: NodeJS.ProcessEnv;
  const transport = testTransport();

  // A fresh world per test (simulator, seeded schema): no test depends on another having run.
  beforeEach(async () => {
    world = await startWorld('postgres');
    env = {
      ...world.env,
      DATABASE_URL: `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${world.db.schema}`)}`,
    };
  });
  afterEach(async () => {
    await cleanQueues(transport, world.registry);
    await world?.close();
  });

  it('runs in-process without REDIS_URL and records the findings', async () => {
    const out = await runCli(['run', 'stale-accounts', '--tenant', 'demo', '--wait', '--format', 'json'], env);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const run = JSON.parse(out.stdout) as { status: string; counts: Record<string, number> };
    expect(run).toMatchObject({ status: 'succeeded' });
    // The deterministic demo tenant: 7 access findings (as `warden demo` reports them).
    expect(run.counts).toMatchObject({ findings: 7, created: 7, persisting: 0, resolved: 0 });
    const rows = await world.db.db.selectFrom('findings').select('rule').execute();
    expect(rows).toHaveLength(run.counts.findings!);
  });

  it('runs on the fleet with REDIS_URL: a worker with the app deps picks it up, findings persist', async () => {
    const app = createAppDeps({ db: world.db.db, config: loadConfig(world.env), env: world.env });
    const fleet = await Fleet.start({
      transport,
      registry: world.registry,
      ledger: new JobRunsLedger(world.db.db),
      deps: jobDeps(app),
      log: createLogger({ level: 'silent' }),
      queues: ['stale-accounts'],
      upsertSchedules: false,
    });
    try {
      const out = await runCli(['run', 'stale-accounts', '--tenant', 'demo', '--wait', '--format', 'json'], {
        ...env,
        REDIS_URL: transport.url,
        WARDEN_QUEUE_PREFIX: transport.prefix,
      });
      expect(out.code).toBe(0);
      const run = JSON.parse(out.stdout) as { status: string; counts: Record<string, number> };
      expect(run).toMatchObject({ status: 'succeeded' });
      expect(run.counts).toMatchObject({ findings: 7, created: 7, persisting: 0, resolved: 0 });
      expect(await world.db.db.selectFrom('findings').select('rule').execute()).toHaveLength(7);
    } finally {
      await fleet.close();
      await app.close();
    }
  });

  it('a tenant whose token variable is unset: the run fails, exit 1, the message names the variable only', async () => {
    const { DEMO_OMNEO_TOKEN: token, ...without } = env;
    const out = await runCli(['run', 'stale-accounts', '--tenant', 'demo', '--format', 'json'], without);
    expect(out.code).toBe(1);
    const run = JSON.parse(out.stdout) as { status: string; error: string };
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/DEMO_OMNEO_TOKEN: not set/);
    expect(out.stdout + out.stderr).not.toContain(token!);
  });
});
