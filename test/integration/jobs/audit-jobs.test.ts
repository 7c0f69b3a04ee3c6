// Every audit job against the simulator's demo tenant over HTTP and a migrated
// Postgres ledger of its own: the family's findings are recorded, a second run
// finds them persisting, a finding that disappears (a token deleted on the
// platform, an allowlist entry removed from the ledger) is resolved by the next
// run of its family and no other family's findings move.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditJobs } from '../../../jobs/index.js';
import { FAMILY_PARTS } from '../../../src/audit/run-audit.js';
import { clientFor } from '../../../src/audit/tenant-snapshot.js';
import { listAllowlist, replaceAllowlist } from '../../../src/db/allowlist.repository.js';
import { requireTenant } from '../../../src/db/tenants.repository.js';
import { DEMO_TOKEN_ENV } from '../../../src/demo/seed-demo.js';
import { familyOf, RULE_IDS } from '../../../src/rules/engine.js';
import type { RuleFamily } from '../../../src/rules/types.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

/** Findings of each job on the deterministic demo tenant (the counts `warden demo` reports). */
const FINDINGS_OF_JOB: Record<string, number> = {
  'stale-accounts': 7,
  'token-hygiene': 8,
  'allowlist-audit': 8,
  'secret-rotation': 2,
  'erasure-sweep': 4,
  'data-handling': 8,
};

const FAMILY_OF_JOB: Record<string, RuleFamily> = {
  'stale-accounts': 'access',
  'token-hygiene': 'tokens',
  'allowlist-audit': 'network',
  'secret-rotation': 'secrets',
  'erasure-sweep': 'privacy',
  'data-handling': 'data',
};

/** Runs every audit job once (each must succeed), as the tests that change the world start from. */
async function auditAll(world: JobsWorld): Promise<void> {
  for (const job of auditJobs) expect((await world.run(job.name)).status, job.name).toBe('succeeded');
}

// Each test has a world of its own (simulator, schema, seeded tenant), so none depends on
// another having run first, and vitest may run them in any order.
describe('audit jobs on Postgres', () => {
  let world: JobsWorld;
  beforeEach(async () => {
    world = await startWorld('postgres');
  });
  afterEach(async () => {
    await world?.close();
  });

  it('registers one job per rule family, each accepting {} and nothing else', () => {
    expect(auditJobs.map((j): RuleFamily | undefined => FAMILY_OF_JOB[j.name]).sort()).toEqual(Object.keys(FAMILY_PARTS).sort());
    for (const job of auditJobs) {
      expect(job.parse({})).toEqual({});
      expect(() => void job.parse({ email: 'someone@example.com' })).toThrow(/payload/);
      expect(job.schedule).toBeDefined();
    }
  });

  it('each job records its own family’s findings, with counts on its run', async () => {
    for (const job of auditJobs) {
      const family = FAMILY_OF_JOB[job.name]!;
      const before = await findingsState(world.db.db);
      const run = await world.run(job.name);
      expect(run, job.name).toMatchObject({ status: 'succeeded', error: null, attempts: 1 });
      const after = await findingsState(world.db.db);
      const added = [...after.entries()].filter(([fp]) => !before.has(fp)).map(([, f]) => f);
      // The demo tenant triggers every family.
      expect(run.counts.findings, job.name).toBe(FINDINGS_OF_JOB[job.name]);
      expect(run.counts.created).toBe(run.counts.findings);
      expect(run.counts.persisting).toBe(0);
      expect(run.counts.resolved).toBe(0);
      expect(run.counts.critical! + run.counts.high! + run.counts.medium! + run.counts.low!).toBe(run.counts.findings);
      // Exactly this family's rows are new; nothing of another family appeared.
      expect(added).toHaveLength(run.counts.findings!);
      for (const f of added) expect(RULE_IDS[family]).toContain(f.rule);
    }
  });

  it('a second run reports the same findings as persisting', async () => {
    await auditAll(world);
    for (const job of auditJobs) {
      const run = await world.run(job.name);
      expect(run.status).toBe('succeeded');
      expect(run.counts, job.name).toMatchObject({ created: 0, resolved: 0 });
      expect(run.counts.persisting).toBe(run.counts.findings);
      expect(run.counts.findings, job.name).toBe(FINDINGS_OF_JOB[job.name]);
    }
  });

  it('a token deleted on the platform is resolved by token-hygiene; other families are untouched', async () => {
    await auditAll(world);
    const before = await findingsState(world.db.db);
    const tokenFindings = [...before.entries()].filter(([, f]) => familyOf(f.rule) === 'tokens' && f.resolved_at === null);
    const victim = tokenFindings[0]![1].subject_id;
    const gone = tokenFindings.filter(([, f]) => f.subject_id === victim).map(([fp]) => fp);

    const tenant = await requireTenant(world.db.db, TENANT);
    expect(await clientFor(tenant, world.env).deleteToken(victim)).toBe(true);

    const run = await world.run('token-hygiene');
    expect(run.status).toBe('succeeded');
    const after = await findingsState(world.db.db);
    expect(run.counts.resolved).toBe(gone.length);
    for (const fp of gone) expect(after.get(fp)!.resolved_at).not.toBeNull();
    // The rest of the family persists; no other family's row changed at all.
    for (const [fp, f] of before) {
      if (gone.includes(fp)) continue;
      if (familyOf(f.rule) === 'tokens') expect(after.get(fp)!.resolved_at).toBeNull();
      else expect(after.get(fp)).toEqual(f);
    }
  });

  it('an allowlist entry removed from the ledger is resolved by allowlist-audit; other families are untouched', async () => {
    await auditAll(world);
    const before = await findingsState(world.db.db);
    const entries = await listAllowlist(world.db.db, TENANT);
    const flagged = new Set([...before.values()].filter((f) => familyOf(f.rule) === 'network').map((f) => f.subject_id));
    const victim = entries.find((e) => flagged.has(e.cidr))!;
    await replaceAllowlist(
      world.db.db,
      TENANT,
      entries
        .filter((e) => e.cidr !== victim.cidr)
        .map((e) => ({ cidr: e.cidr, location_id: e.location_id, approved_remote_access: e.approved_remote_access, note: e.note })),
    );
    const run = await world.run('allowlist-audit');
    const after = await findingsState(world.db.db);
    const gone = [...before.entries()].filter(([, f]) => familyOf(f.rule) === 'network' && f.subject_id === victim.cidr);
    expect(gone.length).toBeGreaterThan(0);
    expect(run.counts.resolved).toBe(gone.length);
    for (const [fp] of gone) expect(after.get(fp)!.resolved_at).not.toBeNull();
    for (const [fp, f] of before) if (familyOf(f.rule) !== 'network') expect(after.get(fp)).toEqual(f);
  });

  it('a tenant whose token variable is unset fails the run at once, naming the variable, never a token', async () => {
    await auditAll(world);
    const before = await findingsState(world.db.db);
    const run = await world.run('stale-accounts', { env: { LOG_LEVEL: 'silent' } });
    expect(run.status).toBe('failed');
    // Permanent: a missing variable does not appear between retries.
    expect(run.attempts).toBe(1);
    expect(run.error).toContain(DEMO_TOKEN_ENV);
    expect(run.error).toContain('not set');
    expect(run.error).not.toContain(world.sim.token);
    // A failed run resolves nothing.
    expect(await findingsState(world.db.db)).toEqual(before);
  });
});

describe('audit jobs on PGlite', () => {
  let world: JobsWorld;
  beforeAll(async () => {
    world = await startWorld('pglite');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('stale-accounts records the access findings, then finds them persisting', async () => {
    const first = await world.run('stale-accounts');
    expect(first).toMatchObject({ status: 'succeeded', error: null });
    expect(first.counts).toMatchObject({ findings: 7, created: 7 });
    const rows = [...(await findingsState(world.db.db)).values()];
    expect(rows).toHaveLength(first.counts.findings!);
    for (const r of rows) expect(RULE_IDS.access).toContain(r.rule);
    const second = await world.run('stale-accounts');
    expect(second.counts).toMatchObject({ created: 0, resolved: 0, persisting: first.counts.findings });
  });
});
