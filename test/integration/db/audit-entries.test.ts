// Every change an operator or the fleet makes is written to the audit log, in
// the change's own transaction: tenants added and removed, imports (counts
// only), suppressions set and lifted. And sealed secrets are bound to their row.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceAllowlist, replaceLocations } from '../../../src/db/allowlist.repository.js';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import { addCurrentVersion, listVersions } from '../../../src/db/secret-versions.repository.js';
import { recordCreated, startRotation } from '../../../src/db/secret-rotations.repository.js';
import { liftSuppression, suppressFinding } from '../../../src/db/suppressions.repository.js';
import { addTenant, removeTenant } from '../../../src/db/tenants.repository.js';
import { TenantInUseError } from '../../../src/db/errors.js';
import { newSecretValue, openSecret, sealSecret, secretAad } from '../../../src/secrets/secret-box.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/db.js';

describe.each(BACKENDS)('audit entries on %s', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await t.destroy();
  });

  const log = () => t.db.selectFrom('audit_log').select(['actor', 'action', 'subject', 'details']).orderBy('id').execute();
  const acme = {
    name: 'acme',
    baseUrl: 'https://api.acme.example/api/v3',
    tokenEnv: 'ACME_OMNEO_TOKEN',
    directory: 'csv:/srv/roster.csv',
    recipients: { compliance: ['co@acme.example', 'dpo@acme.example'] },
  };

  it('records a tenant added and removed, never its recipients’ addresses', async () => {
    await addTenant(t.db, acme, 'ann');
    await removeTenant(t.db, 'acme', 'bob');
    expect(await log()).toEqual([
      {
        actor: 'ann',
        action: 'tenant.added',
        subject: 'tenant:acme',
        details: { platform_host: 'api.acme.example', token_env: 'ACME_OMNEO_TOKEN', timezone: 'UTC', directory: 'csv', recipients: { compliance: 2 } },
      },
      { actor: 'bob', action: 'tenant.removed', subject: 'tenant:acme', details: {} },
    ]);
    expect(JSON.stringify(await log())).not.toMatch(/@acme\.example|roster/);
    expect(await verifyChain(t.db)).toMatchObject({ ok: true, rows: 2 });
  });

  it('writes nothing when the change fails', async () => {
    await addTenant(t.db, acme, 'ann');
    await expect(addTenant(t.db, acme, 'ann')).rejects.toThrow(/already exists/);
    await replaceLocations(t.db, 'acme', [{ id: 'store-1', name: 'One', closed_at: null }], { actor: 'ann' });
    await expect(removeTenant(t.db, 'acme', 'bob')).rejects.toBeInstanceOf(TenantInUseError);
    await expect(removeTenant(t.db, 'nobody', 'bob')).rejects.toThrow(/no tenant named/);
    expect((await log()).map((r) => r.action)).toEqual(['tenant.added', 'locations.imported']);
  });

  it('records each import as counts, not entries; a dry run records nothing', async () => {
    await addTenant(t.db, acme);
    const entry = (cidr: string, note: string | null = null) => ({ cidr, location_id: null, approved_remote_access: false, note });
    await replaceAllowlist(t.db, 'acme', [entry('203.0.113.0/24'), entry('198.51.100.7')], { actor: 'ann' });
    await replaceAllowlist(t.db, 'acme', [entry('203.0.113.0/24', 'office'), entry('192.0.2.1')], { actor: 'ann', dryRun: true });
    await replaceAllowlist(t.db, 'acme', [entry('203.0.113.0/24', 'office'), entry('192.0.2.1')], { actor: 'ann' });
    await replaceLocations(t.db, 'acme', [{ id: 'store-1', name: 'One', closed_at: null }], { actor: 'cli' });
    const entries = (await log()).slice(1);
    expect(entries).toEqual([
      { actor: 'ann', action: 'allowlist.imported', subject: 'tenant:acme', details: { added: 2, removed: 0, changed: 0, unchanged: 0 } },
      { actor: 'ann', action: 'allowlist.imported', subject: 'tenant:acme', details: { added: 1, removed: 1, changed: 1, unchanged: 0 } },
      { actor: 'cli', action: 'locations.imported', subject: 'tenant:acme', details: { added: 1, removed: 0, changed: 0, unchanged: 0 } },
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/203\.0\.113|store-1|office/);
    expect((await log())[0]?.actor).toBe('system');
  });

  it('records a suppression with its author, reason and expiry, and its lift', async () => {
    await addTenant(t.db, acme);
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    const fingerprint = 'f'.repeat(64);
    await suppressFinding(t.db, { tenant: 'acme', fingerprint, reason: 'break-glass account, reviewed', author: 'ann', expiresAt });
    expect(await liftSuppression(t.db, 'acme', 'e'.repeat(64), 'bob')).toBe(false);
    expect(await liftSuppression(t.db, 'acme', fingerprint, 'bob')).toBe(true);
    const details = { reason: 'break-glass account, reviewed', expires_at: expiresAt.toISOString() };
    expect((await log()).slice(1)).toEqual([
      { actor: 'ann', action: 'finding.suppressed', subject: `finding:acme/${fingerprint}`, details },
      { actor: 'bob', action: 'finding.unsuppressed', subject: `finding:acme/${fingerprint}`, details },
    ]);
  });

  it('binds each sealed secret to its tenant, name and version: a value copied to another row does not open', async () => {
    const key = randomBytes(32);
    await addTenant(t.db, acme);
    await addTenant(t.db, { ...acme, name: 'beta' });
    const seal = (aad: Buffer) => sealSecret(newSecretValue(), key, aad);
    const current = await addCurrentVersion(t.db, { tenant: 'acme', name: 'webhook-signing', kind: 'webhook-signing', seal });
    const rotation = await startRotation(t.db, { tenant: 'acme', name: 'webhook-signing', reason: 'manual', requestedBy: 'ann', at: new Date() });
    const { version: pending } = await recordCreated(t.db, rotation, { kind: 'webhook-signing', seal }, new Date());
    const other = await addCurrentVersion(t.db, { tenant: 'beta', name: 'webhook-signing', kind: 'webhook-signing', seal });
    const open = async (id: number) => {
      const [v] = (await listVersions(t.db, id === other.id ? 'beta' : 'acme')).filter((r) => r.id === id);
      return openSecret(v!.encrypted_value, key, secretAad(v!.tenant, v!.name, v!.id));
    };
    for (const v of [current, pending, other]) expect(await open(v.id)).toHaveLength(32);

    // Someone with write access swaps values between versions and tenants.
    await sql`UPDATE secret_versions SET encrypted_value = ${current.encrypted_value} WHERE id = ${pending.id}`.execute(t.db);
    await sql`UPDATE secret_versions SET encrypted_value = ${current.encrypted_value} WHERE id = ${other.id}`.execute(t.db);
    await expect(open(pending.id)).rejects.toThrow(/does not open: it was altered, or moved from another row/);
    await expect(open(other.id)).rejects.toThrow(/does not open: it was altered, or moved from another row/);
    expect(await open(current.id)).toHaveLength(32);
  });
});
