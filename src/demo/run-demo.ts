/**
 * `warden demo`: the whole product on embedded defaults. It starts the
 * simulator in-process, opens the ledger (PGlite under WARDEN_DATA_DIR, or
 * DATABASE_URL), migrates it, sets up the demo tenant, runs every audit job
 * once and then the digest, through the in-process runner (or, with
 * REDIS_URL, through the real BullMQ fleet), and reports what it found.
 * Running it again reports the same findings as persisting.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { auditJobs, jobs } from '../../jobs/index.js';
import { createAppDeps, jobDeps } from '../app/deps.js';
import type { Config } from '../config.js';
import { openDatabase } from '../db/database.js';
import { openFindings } from '../db/findings.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Logger } from '../log/logger.js';
import { startSimulator } from '../omneo/simulator/server.js';
import { transportFromEnv } from '../queue/connection.js';
import { enqueue } from '../queue/enqueue.js';
import { Fleet, QueueSet } from '../queue/fleet.js';
import { InlineRunner } from '../queue/inline-runner.js';
import { PgRunLedger } from '../queue/pg-run-ledger.js';
import { JobRegistry } from '../queue/registry.js';
import type { RunRecord } from '../queue/run-ledger.js';
import { familyOf } from '../rules/engine.js';
import { SEVERITIES, type RuleFamily, type Severity } from '../rules/types.js';
import { secretKey } from '../secrets/secret-box.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from './seed-demo.js';

export interface DemoReport {
  tenant: string;
  simulatorUrl: string;
  ledger: 'pglite' | 'postgres';
  queue: 'in-process' | 'redis';
  runs: RunRecord[];
  /** Open findings in the ledger after the runs, by family and severity. */
  open: Record<RuleFamily, Record<Severity, number>>;
  /** `.eml` files the digest wrote (outbox transport), newest last. */
  emails: string[];
  /** Where the digest went when it was not the outbox. */
  smtp: boolean;
  outbox: string;
  seconds: number;
}

const FAMILIES: readonly RuleFamily[] = ['access', 'tokens', 'network', 'secrets', 'privacy'];

export async function runDemo(env: NodeJS.ProcessEnv, config: Config, log: Logger): Promise<DemoReport> {
  const started = Date.now();
  const sim = await startSimulator({ port: 0 });
  // The tenant's tokens are read by variable name, as for a real tenant.
  const demoEnv: NodeJS.ProcessEnv = { ...env, [DEMO_TOKEN_ENV]: sim.token, [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token };
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({ env: { ...demoEnv, WARDEN_DATA_DIR: config.WARDEN_DATA_DIR } });
  } catch (err) {
    await sim.close();
    throw err;
  }
  try {
    const { db } = database;
    await migrateToLatest(db, database.schema === undefined ? {} : { schema: database.schema });
    const tenant = await seedDemoTenant(db, { simulator: sim, secretKey: secretKey(env, config.WARDEN_DATA_DIR) });

    const registry = new JobRegistry({ definitions: jobs });
    const ledger = new PgRunLedger(db);
    const app = createAppDeps({ db, env: demoEnv });
    // Its own key prefix: a demo next to a production fleet must not take that fleet's jobs, nor they its.
    const transport = transportFromEnv(env, `${env.WARDEN_QUEUE_PREFIX?.trim() || 'warden'}-demo`);
    const runs: RunRecord[] = [];
    try {
      if (transport === undefined) {
        const runner = new InlineRunner({ registry, ledger, deps: jobDeps(app), log });
        const run = async (kinds: readonly string[]) => {
          const ids = await Promise.all(kinds.map((k) => enqueue({ registry, ledger, dispatcher: runner }, k, {}, { tenant: tenant.name })));
          for (const id of ids) await runner.settled(id);
          for (const id of ids) runs.push((await ledger.get(id))!);
        };
        await run(auditJobs.map((j) => j.name));
        await run(['digest']);
        await runner.close();
      } else {
        // No tenants: the demo runs each job once and leaves no schedulers behind.
        const kinds = [...auditJobs.map((j) => j.name), 'digest'];
        const fleet = await Fleet.start({ transport, registry, ledger, deps: jobDeps(app), log, tenants: [], queues: kinds, concurrency: 5 });
        const queues = new QueueSet(transport, registry, {}, []);
        try {
          const run = async (kinds: readonly string[]) => {
            const ids = await Promise.all(kinds.map((k) => enqueue({ registry, ledger, dispatcher: queues }, k, {}, { tenant: tenant.name })));
            for (const id of ids) runs.push(await finished(ledger, id));
          };
          await run(auditJobs.map((j) => j.name));
          await run(['digest']);
        } finally {
          await queues.close();
          await fleet.close();
        }
      }
    } finally {
      await app.close();
    }

    const open = Object.fromEntries(FAMILIES.map((f) => [f, Object.fromEntries(SEVERITIES.map((s) => [s, 0]))])) as DemoReport['open'];
    for (const f of await openFindings(db, tenant.name)) open[familyOf(f.rule)][f.severity as Severity]++;

    return {
      tenant: tenant.name,
      simulatorUrl: sim.url,
      ledger: database.backend,
      queue: transport === undefined ? 'in-process' : 'redis',
      runs,
      open,
      emails: config.SMTP_URL === undefined ? await writtenSince(config.WARDEN_OUTBOX, started) : [],
      smtp: config.SMTP_URL !== undefined,
      outbox: config.WARDEN_OUTBOX,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await database.close();
    await sim.close();
  }
}

async function finished(ledger: PgRunLedger, id: string): Promise<RunRecord> {
  for (;;) {
    const run = await ledger.get(id);
    if (run !== undefined && run.status !== 'queued' && run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function writtenSince(dir: string, since: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.eml')).sort()) {
    const file = path.join(dir, name);
    if ((await stat(file)).mtimeMs >= since) out.push(file);
  }
  return out;
}

/** The report as a person reads it. */
export function formatDemoReport(r: DemoReport): string {
  const lines = [
    `Warden demo: tenant "${r.tenant}" on the built-in simulator (${r.simulatorUrl})`,
    `ledger: ${r.ledger === 'pglite' ? 'embedded PGlite' : 'Postgres (DATABASE_URL)'}; jobs: ${r.queue === 'redis' ? 'BullMQ fleet (REDIS_URL)' : 'in-process runner'}`,
    '',
    'runs:',
  ];
  for (const run of r.runs) {
    const c = run.counts ?? {};
    const detail =
      run.kind === 'digest'
        ? `${c.emails ?? 0} emails`
        : `${c.findings ?? 0} findings: ${c.created ?? 0} new, ${c.persisting ?? 0} persisting, ${c.resolved ?? 0} resolved`;
    lines.push(`  ${run.kind.padEnd(16)} ${run.status.padEnd(10)} ${run.status === 'failed' ? (run.error ?? '') : detail}`);
  }
  lines.push('', 'open findings      critical  high  medium  low');
  for (const [family, counts] of Object.entries(r.open)) {
    lines.push(`  ${family.padEnd(16)}${SEVERITIES.map((s, i) => String(counts[s]).padStart(i === 0 ? 9 : s.length + 2)).join('')}`);
  }
  lines.push('');
  if (r.smtp) lines.push('digest: sent through SMTP (SMTP_URL)');
  else if (r.emails.length > 0) lines.push(`digest: ${r.emails.length} emails in ${r.outbox}:`, ...r.emails.map((e) => `  ${e}`));
  else lines.push('digest: no email was written');
  lines.push('', `done in ${r.seconds.toFixed(1)} s. Run it again: the same findings come back as persisting.`);
  return `${lines.join('\n')}\n`;
}
