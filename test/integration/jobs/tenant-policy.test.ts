// A tenant's stored policy (`warden tenants set --policy`) reaches its scheduled
// audit jobs and its digest: the simulator's demo tenant over HTTP, a PGlite
// ledger of the test's own, the real inline runner and the outbox transport.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTenantPolicy, updateTenant } from '../../../src/db/tenants.repository.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

describe('a tenant policy in the scheduled jobs', () => {
  const outbox = mkdtempSync(join(tmpdir(), 'warden-policy-outbox-'));
  let world: JobsWorld;
  beforeAll(async () => {
    world = await startWorld('pglite', { outboxDir: outbox });
  });
  afterAll(async () => {
    await world?.close();
    rmSync(outbox, { recursive: true, force: true });
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
    const [file] = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    const mail = await simpleParser(readFileSync(join(outbox, file!)));
    expect(mail.text).toContain(
      '\nPolicy: the defaults, except inactive_days = 100000 (default 90), new_account_grace_days = 100000 (default 30).\n',
    );
  });
});
