// A service down when a command starts (docs/operations.md "Services down"),
// through the real binary: one line naming the variable (never its password),
// exit 1, nothing written. Also what `run` refuses or reports (a flag the job
// does not take, a wait with no worker), a demo that leaves nothing in Redis,
// and a worker started by npm that outlives its parent. A "down" service is a
// closed port: a server bound to port 0, then closed.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs, jobs } from '../../jobs/index.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { JobRegistry } from '../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/db.js';
import { cleanQueues, countKeys, testTransport } from '../support/queue.js';
import { closedPort } from '../support/tcp-proxy.js';
import { BIN, compileCli, removeCli, startWarden, warden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-services-'));
let db: TestDatabase;
let env: Record<string, string>;
const cwd = dir;

beforeAll(async () => {
  compileCli();
  db = await createTestDatabase('postgres');
  await addTenant(db.db, { name: 'acme', baseUrl: 'http://127.0.0.1:9/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
  env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: db.schema!, ACME_OMNEO_TOKEN: 'x', WARDEN_DATA_DIR: join(dir, 'data'), WARDEN_OUTBOX: join(dir, 'outbox') };
}, 180_000);

afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

const runCount = async () => (await db.db.selectFrom('job_runs').select('id').execute()).length;

describe('a service down at start-up', () => {
  it('Redis: `run` and `worker` say REDIS_URL cannot be reached, exit 1, and `run` writes no ledger row', async () => {
    const port = await closedPort();
    const redis = { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` };
    const line = `warden: REDIS_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`;

    const run = await warden(['run', 'stale-accounts', '--tenant', 'acme'], { ...env, ...redis }, { cwd, timeoutMs: 20_000 });
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: line });
    expect(await runCount()).toBe(0);

    const worker = await warden(['worker'], { ...env, ...redis }, { cwd, timeoutMs: 20_000 });
    expect(worker).toMatchObject({ code: 1, stdout: '', stderr: line });
    // Bounded: one attempt, not a retry loop.
    expect(worker.ms).toBeLessThan(10_000);
    expect(await runCount()).toBe(0);
  });

  it('Postgres: one line naming DATABASE_URL and where, never the password', async () => {
    const port = await closedPort();
    const pgDown = { ...env, DATABASE_URL: `postgres://warden:hunter2@127.0.0.1:${port}/test` };
    const line = `warden: DATABASE_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`;
    for (const args of [['runs'], ['worker'], ['run', 'stale-accounts', '--tenant', 'acme']]) {
      const r = await warden(args, pgDown, { cwd, timeoutMs: 20_000 });
      expect(r, args.join(' ')).toMatchObject({ code: 1, stdout: '', stderr: line });
    }
  });

  it('SMTP: `worker` and `demo` say SMTP_URL cannot be reached before any run, never the password', async () => {
    const port = await closedPort();
    const smtp = { SMTP_URL: `smtp://mailer:hunter2@127.0.0.1:${port}?tls=none` };
    const line = `warden: SMTP_URL: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)\n`;
    const worker = await warden(['worker'], { ...env, ...smtp }, { cwd, timeoutMs: 20_000 });
    expect(worker).toMatchObject({ code: 1, stdout: '', stderr: line });
    const demoDir = mkdtempSync(join(dir, 'demo-smtp-'));
    const demo = await warden(['demo'], { WARDEN_DATA_DIR: join(demoDir, 'data'), ...smtp }, { cwd: demoDir, timeoutMs: 120_000 });
    expect(demo).toMatchObject({ code: 1, stdout: '', stderr: line });
    expect(await runCount()).toBe(0);
  }, 150_000);
});

describe('a worker stopped during start-up', () => {
  it('honours SIGTERM while Redis accepts connections but never answers', async () => {
    // A server that takes the connection and says nothing: the start-up check waits for it (5 s at most).
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const worker = startWarden(['worker'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: 'debug' }, { cwd });
      await worker.waitFor(/"msg":"checking Redis"/);
      const signalled = Date.now();
      worker.proc.kill('SIGTERM');
      const { at } = await worker.exited;
      expect(at - signalled).toBeLessThan(10_000);
      expect(worker.logged('stopping during start-up')).toBe(1);
    } finally {
      silent.close();
    }
  }, 60_000);
});

describe('warden run', () => {
  it('refuses --tenant for a fleet-wide job and requires it for a per-tenant one: exit 2, nothing written', async () => {
    const fleetWide = await warden(['run', 'reconcile', '--tenant', 'acme'], env, { cwd });
    expect(fleetWide).toMatchObject({ code: 2, stderr: 'warden: --tenant: job "reconcile" is fleet-wide: it takes no --tenant\n' });
    const perTenant = await warden(['run', 'stale-accounts'], env, { cwd });
    expect(perTenant).toMatchObject({ code: 2, stderr: 'warden: --tenant: required for job "stale-accounts"\n' });
    const badTimeout = await warden(['run', 'stale-accounts', '--tenant', 'acme', '--wait', '--timeout', 'soon'], env, { cwd });
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toMatch(/^warden: --timeout: /);
    expect(await runCount()).toBe(0);
  });

  it('--wait with no worker says what it waits for, that no worker runs, and gives up after --timeout with exit 1', async () => {
    const transport = testTransport();
    try {
      const r = await warden(['run', 'stale-accounts', '--tenant', 'acme', '--wait', '--timeout', '2s'], { ...env, REDIS_URL: transport.url, WARDEN_QUEUE_PREFIX: transport.prefix! }, { cwd });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      // The one row `run` wrote: its run id is the queue's job id.
      const rows = await db.db.selectFrom('job_runs').select(['idempotency_key', 'status']).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('queued');
      const runId = rows[0]!.idempotency_key;
      expect(r.stderr.split('\n')).toEqual([
        `waiting for run ${runId} (stale-accounts, tenant acme)…`,
        'no worker is running for stale-accounts: start `warden worker`',
        `warden: run ${runId} is still queued after 2 s: gave up waiting (it stays in the ledger; a worker runs it when one takes it)`,
        '',
      ]);
      expect(r.ms).toBeGreaterThanOrEqual(2_000);
      expect(r.ms).toBeLessThan(15_000);
    } finally {
      await cleanQueues(transport, new JobRegistry({ definitions: jobs }));
      await db.db.deleteFrom('job_runs').execute();
    }
  });
});

describe('warden demo with REDIS_URL', () => {
  it('leaves no key under its queue prefix', async () => {
    const transport = testTransport();
    const demoPrefix = { ...transport, prefix: `${transport.prefix}-demo` };
    const demoDir = mkdtempSync(join(dir, 'demo-'));
    try {
      const r = await warden(['demo', '--format', 'json'], { WARDEN_DATA_DIR: join(demoDir, 'data'), WARDEN_OUTBOX: join(demoDir, 'outbox'), REDIS_URL: transport.url, WARDEN_QUEUE_PREFIX: transport.prefix! }, { cwd: demoDir, timeoutMs: 150_000 });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { queue: string; runs: { status: string }[] };
      expect(report.queue).toBe('redis');
      // Every audit job, then the digest.
      expect(report.runs.map((run) => run.status)).toEqual(Array(auditJobs.length + 1).fill('succeeded'));
      expect(await countKeys(demoPrefix)).toBe(0);
    } finally {
      await cleanQueues(demoPrefix, new JobRegistry({ definitions: jobs }));
    }
  }, 180_000);
});

describe('a worker started through npm', () => {
  it('drains and exits when its parent dies (npm does not pass SIGTERM on)', async () => {
    // The parent stands for `npm exec`: it starts the worker as npm does (npm_command set), then is killed.
    const parent = spawn(
      process.execPath,
      ['-e', `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(BIN)}, 'worker'], { stdio: ['ignore', 'inherit', 'inherit'] }); console.log(c.pid);`],
      { cwd, env: { PATH: process.env.PATH ?? '/usr/bin', ...env, npm_command: 'exec' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    parent.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const started = Date.now();
    while (!err.includes('worker started without REDIS_URL') && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain('worker started without REDIS_URL');
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);

    parent.kill('SIGKILL');
    const killed = Date.now();
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() - killed < 15_000) await new Promise((r) => setTimeout(r, 100));
    const stillAlive = alive();
    if (stillAlive) process.kill(pid, 'SIGKILL');
    expect(stillAlive).toBe(false);
    expect(err).toContain('"signal":"parent exited","msg":"draining"');
  }, 60_000);
});
