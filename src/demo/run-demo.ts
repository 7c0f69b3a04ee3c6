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
import { auditJobs } from '../../jobs/index.js';
import { createApp, type AppIo } from '../app/create-app.js';
import type { JobRunner } from '../app/job-runner.js';
import type { Config } from '../config.js';
import { openFindings } from '../db/findings.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { maskEmails } from '../mail/templates/mask.js';
import { startSimulator } from '../omneo/simulator/server.js';
import type { RunRecord } from '../queue/run-ledger.js';
import { ALL_RULE_IDS, familyOf, RULE_FAMILIES } from '../rules/registry.js';
import { SEVERITIES, type RuleFamily, type Severity } from '../rules/types.js';
import { secretKey } from '../secrets/secret-box.js';
import { printable } from '../text/sanitize.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from './seed-demo.js';

/** How many open findings the report lists, most severe first (as the digest's top list, without evidence). */
export const DEMO_TOP_FINDINGS = 5;

/** One open finding as the report lists it: labels and title only, email-shaped text masked, never evidence. */
export interface DemoFinding {
  rule: string;
  severity: string;
  subject_type: string;
  subject_label: string;
  title: string;
}

export interface DemoReport {
  tenant: string;
  simulatorUrl: string;
  ledger: 'pglite' | 'postgres';
  queue: 'in-process' | 'redis';
  runs: RunRecord[];
  /** Open findings in the ledger after the runs, by family and severity. */
  open: Record<RuleFamily, Record<Severity, number>>;
  /** Open findings by rule, for each rule with any, in the registry's order: which rules the demo shows firing. */
  rules: Record<string, number>;
  /** The most severe open findings, at most {@link DEMO_TOP_FINDINGS}. */
  top: DemoFinding[];
  /** `.eml` files the digest wrote (outbox transport), newest last. */
  emails: string[];
  /** Where the digest went when it was not the outbox. */
  smtp: boolean;
  outbox: string;
  seconds: number;
}

export async function runDemo(config: Config, io: AppIo): Promise<DemoReport> {
  const started = Date.now();
  const sim = await startSimulator({ port: 0 });
  try {
    const app = await createApp(config, io, {
      // The tenant's tokens are read by variable name, as for a real tenant.
      variables: { [DEMO_TOKEN_ENV]: sim.token, [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token },
      // Its own key prefix: a demo next to a production fleet must not take that fleet's jobs, nor they its.
      queuePrefixSuffix: '-demo',
      // Job logs go to stderr at warn and above, so the report on stdout stays readable.
      defaultLogLevel: 'warn',
      sendsMail: true,
    });
    try {
      const { db } = app.database;
      await migrateToLatest(db, app.database.schema === undefined ? {} : { schema: app.database.schema });
      const tenant = await seedDemoTenant(db, { simulator: sim, secretKey: secretKey(config, config.WARDEN_DATA_DIR) });
      const kinds = [...auditJobs.map((j) => j.name), 'digest'];
      // No schedules: the demo runs each job once and leaves no schedulers behind.
      const runner = await app.openRunner({ work: true, queues: kinds, concurrency: 5 });
      const runs: RunRecord[] = [];
      try {
        const runAll = async (r: JobRunner, names: readonly string[]) => {
          const ids = await Promise.all(names.map((k) => r.enqueue(k, {}, tenant.name)));
          for (const id of ids) runs.push(await r.outcome(id, true));
        };
        await runAll(runner, auditJobs.map((j) => j.name));
        await runAll(runner, ['digest']);
      } finally {
        await runner.close();
        // The demo's queue prefix is its own: nothing of it stays in Redis (jobs, schedulers, events).
        await runner.clear();
      }

      const open = Object.fromEntries(RULE_FAMILIES.map((f) => [f, Object.fromEntries(SEVERITIES.map((s) => [s, 0]))])) as DemoReport['open'];
      const findings = await openFindings(db, tenant.name);
      const byRule = new Map<string, number>();
      for (const f of findings) {
        open[familyOf(f.rule)][f.severity as Severity]++;
        byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
      }
      const rules: Record<string, number> = {};
      for (const id of RULE_FAMILIES.flatMap((f) => ALL_RULE_IDS[f])) if (byRule.has(id)) rules[id] = byRule.get(id)!;

      return {
        tenant: tenant.name,
        simulatorUrl: sim.url,
        ledger: app.database.backend,
        queue: runner.mode,
        runs,
        open,
        rules,
        // openFindings is ordered by severity (critical first), then rule and subject.
        top: findings.slice(0, DEMO_TOP_FINDINGS).map((f) => ({
          rule: f.rule,
          severity: f.severity,
          subject_type: f.subject_type,
          subject_label: maskEmails(f.subject_label),
          title: maskEmails(f.title),
        })),
        emails: config.SMTP_URL === undefined ? await writtenSince(config.WARDEN_OUTBOX, started) : [],
        smtp: config.SMTP_URL !== undefined,
        outbox: config.WARDEN_OUTBOX,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      await app.close();
    }
  } finally {
    await sim.close();
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

/** The report as a person reads it; each line shown, never executed (src/text/sanitize.ts). */
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
        : `${c.findings ?? 0} findings: ${c.created ?? 0} new, ${c.persisting ?? 0} persisting, ${c.resolved ?? 0} resolved` +
          (c.approvals_opened ? `; ${c.approvals_opened} approvals opened` : '');
    lines.push(`  ${run.kind.padEnd(16)} ${run.status.padEnd(10)} ${run.status === 'failed' ? (run.error ?? '') : detail}`);
  }
  lines.push('', 'open findings      critical  high  medium  low');
  for (const [family, counts] of Object.entries(r.open)) {
    lines.push(`  ${family.padEnd(16)}${SEVERITIES.map((s, i) => String(counts[s]).padStart(i === 0 ? 9 : s.length + 2)).join('')}`);
  }
  lines.push('', 'rules firing (open findings):');
  for (const family of Object.keys(r.open) as RuleFamily[]) {
    const fired = Object.entries(r.rules).filter(([id]) => familyOf(id) === family);
    if (fired.length > 0) lines.push(`  ${family.padEnd(16)}${fired.map(([id, n]) => `${id} ${n}`).join(', ')}`);
  }
  if (r.top.length > 0) {
    lines.push('', `top findings (of ${Object.values(r.open).reduce((n, c) => n + SEVERITIES.reduce((m, sv) => m + c[sv], 0), 0)} open; the evidence is in the digest's CSV):`);
    for (const f of r.top) {
    // A label that already says what it is (`webhook 2 (profile.updated)`) is not prefixed with its type again.
    const type = f.subject_type.replace(/_/g, ' ');
    const subject = f.subject_label.startsWith(`${type} `) ? f.subject_label : `${type} ${f.subject_label}`;
    lines.push(`  [${f.severity.toUpperCase()}] ${f.rule} ${subject}: ${f.title}`);
  }
  }
  lines.push('');
  if (r.smtp) lines.push('digest: sent through SMTP (SMTP_URL)');
  else if (r.emails.length > 0) lines.push(`email: ${r.emails.length} written to ${r.outbox} (digests and approval requests):`, ...r.emails.map((e) => `  ${e}`));
  else lines.push('digest: no email was written');
  lines.push('', `done in ${r.seconds.toFixed(1)} s. Run it again: the same findings come back as persisting.`);
  return `${lines.map(printable).join('\n')}\n`;
}
