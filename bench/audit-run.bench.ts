/**
 * `npm run bench:audit`: one whole audit run of a simulated tenant of 20 000
 * accounts, phase by phase, as the audit jobs and the digest job do it:
 * snapshot (platform through the client over HTTP, directory over SCIM, the
 * ledger's own parts), validation, rules (all five families), the findings
 * upsert in one transaction on Postgres (a throwaway schema), then the digest
 * of every audience to an outbox folder in a temp dir. A second pass shows the
 * steady state, where every finding persists.
 *
 * The simulator runs in its own process (`warden sim --users N`), so the peak
 * RSS printed is the audit's alone. One untimed gather and evaluation comes
 * first, printed apart: a worker compiles its code paths once per process,
 * not once per run.
 *
 *   npm run bench:audit -- [--users 20000] [--seed bench]
 *   (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestFindings, findingsFor, previousDigestAt } from '../src/audit/digest-findings.js';
import { gatherTenantSnapshot, ALL_PARTS } from '../src/audit/tenant-snapshot.js';
import { recordFindings } from '../src/db/findings.repository.js';
import { claimRun, createRun, endAttempt } from '../src/db/job-runs.repository.js';
import { addTenant } from '../src/db/tenants.repository.js';
import { sendDigest } from '../src/mail/send-digest.js';
import { DIGEST_AUDIENCES, DigestCsvRows } from '../src/mail/templates/digest.template.js';
import { createMailer } from '../src/mail/transports.js';
import { evaluate, RULE_IDS } from '../src/rules/engine.js';
import { DEFAULT_POLICY } from '../src/rules/policy.js';
import { parseSnapshot } from '../src/rules/snapshot.js';
import { BENCH_TENANT_ENV, openBenchLedger, tenantArgs } from './bench-setup.js';
import { startSimProcess } from './sim-process.js';

const values = tenantArgs();
const { users } = values;

const sim = await startSimProcess(users, values.seed);
const { url, origin } = sim;
const outbox = mkdtempSync(join(tmpdir(), 'warden-bench-outbox-'));
const env = BENCH_TENANT_ENV;
const TENANT = 'bench';
const fmt = (ms: number) => `${ms.toFixed(0).padStart(7)} ms`;

const ledger = await openBenchLedger('bench_audit');
const { db, schema } = ledger;
const mailer = createMailer({ outboxDir: outbox });
try {
  await addTenant(db, {
    name: TENANT,
    baseUrl: url,
    tokenEnv: 'BENCH_OMNEO_TOKEN',
    directory: `scim:${origin}/scim/v2`,
    recipients: { compliance: ['c@bench.test'], admins: ['a@bench.test'], engineers: ['e@bench.test'] },
  });
  console.log(`warden audit-run benchmark: ${users} accounts (seed ${values.seed}), node ${process.version}, Postgres schema ${schema}`);

  // A worker process audits tenant after tenant: compiling the code paths and the simulator's
  // warming up happen once per process, not once per run. One untimed gather and evaluation
  // first (nothing written), its figures printed apart, so that the runs below are what each
  // later run costs; the ledger's state is what tells them apart (all new, then all persisting).
  {
    const now = new Date();
    const started = performance.now();
    const raw = await gatherTenantSnapshot(db, TENANT, { env, parts: ALL_PARTS, now });
    const gathered = performance.now();
    evaluate(parseSnapshot(raw), DEFAULT_POLICY, now.getTime());
    console.log(`\nwarm-up, a cold process (not in the runs' totals): snapshot ${fmt(gathered - started).trim()}, validate and rules ${fmt(performance.now() - gathered).trim()}`);
  }

  for (const pass of ['first run (all new)', 'second run (all persisting)']) {
    const t: Record<string, number> = {};
    const clock = async <T>(phase: string, work: () => Promise<T> | T): Promise<T> => {
      const start = performance.now();
      const result = await work();
      t[phase] = performance.now() - start;
      return result;
    };
    // The audit job's part in a function of its own: what it gathered is garbage once it returns, as
    // it is when the digest job runs in production, rather than live through the digest's phase.
    const audit = async () => {
      const now = new Date();
      const runKey = `bench:${now.toISOString()}`;
      const { run } = await createRun(db, { kind: 'bench-audit', tenant: TENANT, scheduledFor: now, idempotencyKey: runKey });
      await claimRun(db, runKey, 1, 60_000);
      const raw = await clock('snapshot', () => gatherTenantSnapshot(db, TENANT, { env, parts: ALL_PARTS, now }));
      const snapshot = await clock('validate', () => parseSnapshot(raw));
      const result = await clock('rules', () => evaluate(snapshot, DEFAULT_POLICY, now.getTime()));
      const outcome = await clock('upsert', () =>
        recordFindings(db, { tenant: TENANT, runId: run.id, rules: Object.values(RULE_IDS).flat(), findings: result.findings, at: now }),
      );
      await endAttempt(db, runKey, { status: 'succeeded', counts: {}, error: null });
      const o = raw.omneo!;
      return {
        gathered: `${o.users.length} accounts, ${o.tokens.length} tokens, ${o.audits.length} audits, ${raw.directory?.people.length ?? 0} people`,
        findings: `${result.findings.length}: ${outcome.created.length} new, ${outcome.persisting.length} persisting, ${outcome.resolved.length} resolved`,
      };
    };
    const audited = await audit();
    const digestStart = new Date();
    const digestKey = `bench-digest:${digestStart.toISOString()}`;
    await createRun(db, { kind: 'digest', tenant: TENANT, scheduledFor: digestStart, idempotencyKey: digestKey });
    await claimRun(db, digestKey, 1, 60_000);
    await clock('digest', async () => {
      const all = await digestFindings(db, TENANT, await previousDigestAt(db, TENANT), digestStart);
      const csvRows = new DigestCsvRows(); // one per run, as the digest job has it
      for (const audience of DIGEST_AUDIENCES) {
        await sendDigest(mailer, { from: 'Warden <warden@bench.test>', to: `${audience}@bench.test`, csvRows, data: { tenant: TENANT, audience, asOf: digestStart.toISOString(), findings: findingsFor(audience, all) } });
      }
    });
    await endAttempt(db, digestKey, { status: 'succeeded', counts: {}, error: null });
    const total = Object.values(t).reduce((a, b) => a + b, 0);
    console.log(`\n${pass}: ${audited.gathered}`);
    console.log(`  findings ${audited.findings}`);
    for (const [phase, ms] of Object.entries(t)) console.log(`  ${phase.padEnd(9)} ${fmt(ms)}`);
    console.log(`  ${'total'.padEnd(9)} ${fmt(total)}`);
  }
  const emls = readdirSync(outbox);
  const bytes = emls.reduce((n, f) => n + statSync(join(outbox, f)).size, 0);
  console.log(`\noutbox: ${emls.length} .eml files, ${(bytes / 1e6).toFixed(1)} MB`);
  console.log(`peak RSS (this process; the simulator is another): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  mailer.close();
  await ledger.close();
  rmSync(outbox, { recursive: true, force: true });
  sim.stop();
}
