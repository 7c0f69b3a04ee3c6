// A tenant's stored policy (`warden tenants set --policy`) reaches its scheduled
// audit jobs and its digest: the simulator's demo tenant over HTTP, a PGlite
// ledger of the test's own, the real inline runner and the outbox transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTenantPolicy, updateTenant } from '../../../src/db/tenants.repository.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

describe('a tenant policy in the scheduled jobs', () => {
  let world: JobsWorld;
  beforeAll(async () => {
    world = await startWorld('pglite', { outbox: true });
  });
  afterAll(async () => {
    await world?.close();
  });

  const openRules = async (rule: string) =>
    [...(await findingsState(world.db.db)).values()].filter((f) => f.rule === rule && f.resolved_at === null);

  it('judges by the stored overrides, and the digest names them', async () => {
    expect((await world.run('stale-accounts')).status).toBe('succeeded');
    const inactive = await openRules('ACC-03');
    // The demo tenant has accounts idle past the default 90 days.
    expect(inactive.length).toBeGreaterThan(0);

    // Thresholds no demo account reaches: every ACC-03 finding must go.
    await setTenantPolicy(world.db.db, TENANT, { inactive_days: 100_000, new_account_grace_days: 100_000 }, 'test');
    const run = await world.run('stale-accounts');
    expect(run.status).toBe('succeeded');
    expect(await openRules('ACC-03')).toEqual([]);
    expect(run.counts).toMatchObject({ resolved: inactive.length });

    await updateTenant(world.db.db, TENANT, { recipients: { compliance: ['compliance@warden.test'] } });
    expect((await world.run('digest')).status).toBe('succeeded');
    const mails = await world.digests();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(
      '\nPolicy: the defaults, except inactive_days = 100000 (default 90), new_account_grace_days = 100000 (default 30).\n',
    );
  });
});
