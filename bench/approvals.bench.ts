/**
 * `npm run bench:approvals`: the approvals path on a simulated tenant of
 * 20 000 accounts, phase by phase:
 *
 * - **open**: after the access and tokens rules, one approval per finding that
 *   needs one (impact from the snapshot), and the same again when every
 *   approval is already open (the daily re-run);
 * - **email**: the approval email of one admin listing every pending approval;
 * - **list**: the first and the last page of the pending approvals (each list
 *   expires what is past its deadline first);
 * - **decide**: a bulk approval of 50 removals (checks, trail, audit log, one
 *   transaction), their remediation runs recorded but not executed;
 * - **remediate**: one approval carried out as the job does it, re-check
 *   (the whole access family gathered and judged again, live), act, verify.
 *
 * The simulator runs in its own process (`warden sim --users N`).
 *
 *   npm run bench:approvals -- [--users 20000] [--seed bench]
 *   (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideApprovals, listApprovalViews } from '../src/app/approvals.js';
import { addPerson } from '../src/app/people.js';
import { approvalEmails } from '../src/approvals/notify.js';
import { openApprovals } from '../src/approvals/open-approvals.js';
import { actOn, recheckApproval, remediationClient, verifyDone } from '../src/approvals/remediate.js';
import { gatherTenantSnapshot } from '../src/audit/tenant-snapshot.js';
import { getApproval, listApprovals } from '../src/db/approvals.repository.js';
import { addTenant, requireTenant, updateTenant } from '../src/db/tenants.repository.js';
import { createMailer } from '../src/mail/transports.js';
import { evaluate } from '../src/rules/engine.js';
import { DEFAULT_POLICY } from '../src/rules/policy.js';
import { parseSnapshot } from '../src/rules/snapshot.js';
import { BENCH_TENANT_ENV, openBenchLedger, tenantArgs } from './bench-setup.js';
import { startSimProcess } from './sim-process.js';

const values = tenantArgs();
const { users } = values;
const BATCH = 50;

const fmt = (ms: number) => `${ms.toFixed(0).padStart(7)} ms`;
async function clock<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  console.log(`  ${label.padEnd(48)} ${fmt(performance.now() - start)}`);
  return result;
}

const sim = await startSimProcess(users, values.seed);
const outbox = mkdtempSync(join(tmpdir(), 'warden-bench-outbox-'));
const env = BENCH_TENANT_ENV;
const TENANT = 'bench';

const ledger = await openBenchLedger('bench_approvals');
const { db, schema } = ledger;
const mailer = createMailer({ outboxDir: outbox });
try {
  await addTenant(db, { name: TENANT, baseUrl: sim.url, tokenEnv: 'BENCH_OMNEO_TOKEN', directory: `scim:${sim.origin}/scim/v2`, recipients: {} });
  // No cap in the way of the bulk decision: the cap's own path is tested, not measured.
  await updateTenant(db, TENANT, { maxRemovalsPerDay: 10_000 });
  const boss = await addPerson(db, { email: 'boss@bench.example', roles: ['admin'] }, 'bench');
  console.log(`warden approvals benchmark: ${users} accounts (seed ${values.seed}), node ${process.version}, Postgres schema ${schema}`);

  const now = new Date();
  const raw = await gatherTenantSnapshot(db, TENANT, { env, parts: ['platform', 'directory'], now });
  const snapshot = parseSnapshot(raw);
  const { findings } = evaluate(snapshot, DEFAULT_POLICY, now.getTime(), ['access', 'tokens']);
  const needing = findings.filter((f) => f.requires_approval);
  console.log(`\n${snapshot.omneo.users.length} accounts, ${snapshot.omneo.tokens.length} tokens: ${findings.length} findings, ${needing.length} need an approval`);
  const tenant = await requireTenant(db, TENANT);
  const first = await clock(`open (${needing.length} new)`, () => openApprovals(db, { tenant, findings, resolved: [], snapshot, at: now }));
  const again = await clock('open again (all already open)', () => openApprovals(db, { tenant, findings, resolved: [], snapshot, at: now }));
  console.log(`  opened ${first.opened.length}, then ${again.opened.length}`);

  const emails = await approvalEmails({ db, mailer, mailFrom: 'Warden <warden@bench.test>', publicUrl: 'https://warden.bench.test', webKey: () => Promise.resolve(randomBytes(32)) }, tenant, now);
  await clock(`email (1 admin, ${emails[0]?.items.length ?? 0} items)`, async () => {
    for (const e of emails) await e.send();
  });

  // What every approvals page, API list and decision does first: expire what is past its deadline, then read one page.
  await clock('list: first page of 100 pending (after expiry)', () => listApprovalViews(db, { tenant: TENANT, status: 'pending' }));
  await clock('list: last page of pending', () => listApprovalViews(db, { tenant: TENANT, status: 'pending', page: Math.ceil(first.opened.length / 100) }));

  const removals = (await listApprovals(db, { tenant: TENANT, kind: 'remove_user', status: 'pending', limit: BATCH + 1 })).filter(
    (a) => !((a.impact['roles'] as string[] | undefined) ?? []).includes('admin'),
  );
  const batch = removals.slice(0, BATCH);
  let runs = 0;
  await clock(`decide (bulk approve of ${batch.length})`, () =>
    decideApprovals({ db, enqueue: () => Promise.resolve(`bench-${++runs}`) }, boss, { ids: batch.map((a) => a.id), decision: 'approved', via: 'cli' }),
  );

  const one = await getApproval(db, batch[0]!.id);
  const client = remediationClient({ db, env }, tenant);
  const recheck = await clock('remediate: re-check (access family, live)', () => recheckApproval({ db, env }, tenant, one, new Date()));
  await clock('remediate: act (DELETE /users/{id})', () => actOn(client, one, new Date()));
  await clock('remediate: verify (GET /users/{id} → 404)', () => verifyDone(client, one, new Date()));
  console.log(`  re-check verdict: ${recheck.verdict}`);
  console.log(`\npeak RSS (this process; the simulator is another): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  mailer.close();
  await ledger.close();
  rmSync(outbox, { recursive: true, force: true });
  sim.stop();
}
