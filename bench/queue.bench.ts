/**
 * Throughput of no-op jobs through defineJob (the fleet's adapter) vs a bare
 * BullMQ Worker, on the same Redis in the same run, concurrency 100. Jobs are
 * enqueued first with addBulk (not timed); the figure is processing
 * throughput, from worker start to the last completion.
 *
 * The adapter is measured with a ledger that records nothing, as the issue
 * asks; then again with the Postgres ledger (two UPDATEs per run), when
 * DATABASE_URL or the local test database answers.
 *
 * Usage: npm run bench:queue [-- JOBS]   (default 20 000)
 * This file (with src/queue) is the only importer of bullmq: the bare worker is the baseline.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { openDatabase } from '../src/db/database.js';
import { createRun } from '../src/db/job-runs.repository.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/log/logger.js';
import type { QueueTransport } from '../src/queue/connection.js';
import { defineJob } from '../src/queue/define-job.js';
import { Fleet, QueueSet, jobOptionsFor } from '../src/queue/fleet.js';
import { JobRunsLedger } from '../src/app/job-runs-ledger.js';
import { JobRegistry } from '../src/queue/registry.js';
import type { EffectStart, RunLedger, RunRecord } from '../src/queue/run-ledger.js';

/** A ledger that records nothing: only for measuring the adapter's own cost against bare BullMQ. */
class NullRunLedger implements RunLedger {
  createRun(): Promise<boolean> {
    return Promise.resolve(true);
  }
  markRunning(): Promise<boolean> {
    return Promise.resolve(true);
  }
  renew(): Promise<boolean> {
    return Promise.resolve(true);
  }
  finish(): Promise<boolean> {
    return Promise.resolve(true);
  }
  settle(): Promise<boolean> {
    return Promise.resolve(true);
  }
  beginEffect(): Promise<EffectStart> {
    return Promise.resolve({ state: 'begun' });
  }
  completeEffect(): Promise<void> {
    return Promise.resolve();
  }
  abandonEffect(): Promise<void> {
    return Promise.resolve();
  }
  listUnfinished(): Promise<RunRecord[]> {
    return Promise.resolve([]);
  }
  listRecent(): Promise<RunRecord[]> {
    return Promise.resolve([]);
  }
  get(): Promise<RunRecord | undefined> {
    return Promise.resolve(undefined);
  }
}

const N = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = 100;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const transport: QueueTransport = { url: REDIS_URL, prefix: `wbench-${randomBytes(4).toString('hex')}` };

const noop = defineJob({ name: 'noop', payload: z.object({ n: z.number().int() }), run: () => Promise.resolve() });
const registry = new JobRegistry({ definitions: [noop] });
const jobOpts = jobOptionsFor(noop, { attempts: 1 });
const log = createLogger({ level: 'silent' });

function waitForCompletions(worker: Worker, n: number): Promise<void> {
  return new Promise((resolve) => {
    let done = 0;
    worker.on('completed', () => {
      if (++done === n) resolve();
    });
  });
}

async function bare(n: number): Promise<number> {
  const queue = new Queue('bare', { connection: { url: REDIS_URL }, prefix: transport.prefix });
  for (let i = 0; i < n; i += 1000) {
    const chunk = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
      name: 'bare',
      data: { tenant: null, payload: { n: i + k } },
      opts: { ...jobOpts, jobId: randomUUID() },
    }));
    await queue.addBulk(chunk);
  }
  const t0 = performance.now();
  const worker = new Worker('bare', () => Promise.resolve(), {
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix: transport.prefix,
    concurrency: CONCURRENCY,
  });
  await waitForCompletions(worker, n);
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return n / seconds;
}

async function adapter(n: number, ledger: RunLedger, prepare?: (ids: string[]) => Promise<void>): Promise<number> {
  const queues = new QueueSet(transport, registry, { attempts: 1 }, []);
  const runs = Array.from({ length: n }, (_, i) => ({ id: randomUUID(), tenant: null, payload: { n: i } }));
  await prepare?.(runs.map((r) => r.id));
  await queues.addBulk('noop', runs);
  const t0 = performance.now();
  const fleet = await Fleet.start({ transport, registry, ledger, deps: {}, log, concurrency: CONCURRENCY, upsertSchedules: false, attempts: 1 });
  await waitForCompletions(fleet.workers[0]!, n);
  const seconds = (performance.now() - t0) / 1000;
  await fleet.close();
  await queues.obliterate();
  await queues.close();
  return n / seconds;
}

async function postgresLedger(n: number): Promise<number | string> {
  const schema = `wbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  try {
    await admin.connect();
  } catch (err) {
    return `skipped (${(err as Error).message})`;
  }
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const opened = await openDatabase({ url: DATABASE_URL, schema, poolSize: 20 });
    try {
      await migrateToLatest(opened.db, { schema });
      const ledger = new JobRunsLedger(opened.db);
      return await adapter(n, ledger, async (ids) => {
        // Rows first, as enqueue would write them; not timed.
        for (let i = 0; i < ids.length; i += 100) {
          await Promise.all(ids.slice(i, i + 100).map((id, k) => createRun(opened.db, { kind: 'noop', tenant: null, scheduledFor: new Date(), payload: { n: i + k }, idempotencyKey: id })));
        }
      });
    } finally {
      await opened.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const info = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  redis.disconnect();
  console.log(`queue bench: ${fmt(N)} no-op jobs, concurrency ${CONCURRENCY}, Redis ${info}, node ${process.version}`);
  // Warm-up: JIT, Lua script loading, connections.
  await bare(Math.min(2000, N));
  await adapter(Math.min(2000, N), new NullRunLedger());
  const bareRates: number[] = [];
  const adapterRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    bareRates.push(await bare(N));
    adapterRates.push(await adapter(N, new NullRunLedger()));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const b = median(bareRates);
  const a = median(adapterRates);
  console.log(`bare BullMQ worker      ${fmt(b).padStart(8)} jobs/s  (rounds: ${bareRates.map(fmt).join(', ')})`);
  console.log(`defineJob, no-op ledger ${fmt(a).padStart(8)} jobs/s  (rounds: ${adapterRates.map(fmt).join(', ')})`);
  console.log(`ratio                   ${((a / b) * 100).toFixed(1).padStart(8)} %  (target >= 80 %)`);
  const pgN = Math.min(N, 5000);
  const withPg = await postgresLedger(pgN);
  console.log(
    typeof withPg === 'number'
      ? `defineJob, Postgres ledger ${fmt(withPg)} jobs/s on ${fmt(pgN)} jobs (${((withPg / b) * 100).toFixed(1)} % of bare)`
      : `defineJob, Postgres ledger ${withPg}`,
  );
}

await main();
