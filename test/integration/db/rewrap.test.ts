// `warden secrets rewrap`'s action (src/app/rewrap.ts) on both backends: every sealed value (secret
// versions, open erasure requests' identifiers, the ledger's keys) moved from the old key to the new
// one in batches, a second run a no-op, the values opening and the audit chain verifying with the new
// key alone, the audit and web keys unchanged; refusals (no old key, a value under neither key, a value
// altered or moved) change nothing in their batch.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerKeysLoader, loadLedgerKeys } from '../../../src/app/ledger-keys.js';
import { rewrapSecrets } from '../../../src/app/rewrap.js';
import { receiveWebhook } from '../../../src/app/secrets.js';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import { receiveErasureRequests } from '../../../src/db/erasure.repository.js';
import { bindAuditKey, type Db } from '../../../src/db/executor.js';
import { addCurrentVersion } from '../../../src/db/secret-versions.repository.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { openIdentifiers, sealIdentifiers, type Identifier } from '../../../src/erasure/identifiers.js';
import { auditLogKey, keyId, openSecret, sealedKeyId, sealSecret, secretAad, TamperedSecretError, UnknownSecretKeyError, type Keyring } from '../../../src/secrets/secret-box.js';
import { sign } from '../../../src/secrets/hmac.js';
import { webKey } from '../../../src/secrets/tokens.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/db.js';

/** The audit key as the app binds it: loaded from the ledger with `ring` (a fresh loader: a new process). */
function bindRing<T extends Db>(db: T, ring: Keyring): T {
  const keys = ledgerKeysLoader(() => ring);
  return bindAuditKey(db, async (handle) => (await keys(handle)).audit);
}

describe.each(BACKENDS)('rewrap on %s', (backend) => {
  let t: TestDatabase;
  const OLD = randomBytes(32);
  const NEW = randomBytes(32);
  /** Every value sealed, by row: what must open, unchanged, after the rewrap. */
  const values = new Map<number, Buffer>();
  const identifiers = new Map<number, Identifier[]>();

  beforeEach(async () => {
    values.clear();
    identifiers.clear();
    t = await createTestDatabase(backend);
    // Before the key change: every process runs with OLD alone; the tenant's audit entry stores the ledger keys under it.
    bindRing(t.db, { current: OLD });
    await addTenant(t.db, { name: 'acme', baseUrl: 'https://api.acme.example/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' }, 'ann');
  });
  afterEach(async () => {
    await t.destroy();
  });

  /** A secret with its current version sealed under `key`; its version's id. */
  async function addSecret(name: string, key: Buffer): Promise<number> {
    const value = randomBytes(32);
    const row = await addCurrentVersion(t.db, { tenant: 'acme', name, kind: 'webhook-signing', seal: (aad) => sealSecret(value, key, aad) });
    values.set(row.id, value);
    return row.id;
  }

  async function addErasures(key: Buffer, profiles: string[]): Promise<void> {
    const received = await receiveErasureRequests(
      t.db,
      profiles.map((profileId) => {
        const list: Identifier[] = [{ kind: 'email', value: `customer-${profileId}@example.com` }];
        identifiers.set(Number(profileId), list);
        return {
          tenant: 'acme',
          profileId,
          receivedAt: new Date(),
          deadlineAt: new Date(Date.now() + 30 * 86_400_000),
          reference: null,
          requestedBy: 'ann',
          identifiers: sealIdentifiers(list, key, 'acme', profileId),
          identifierKinds: ['email'],
          identifierHashes: [],
        };
      }),
    );
    expect(received.every((r) => r.created)).toBe(true);
  }

  const sealedVersions = () => t.db.selectFrom('secret_versions').select(['id', 'tenant', 'name', 'encrypted_value']).orderBy('id').execute();
  const sealedErasures = () => t.db.selectFrom('erasure_requests').select(['id', 'tenant', 'profile_id', 'identifiers']).orderBy('id').execute();
  const sealedLedgerKeys = () => t.db.selectFrom('ledger_keys').select(['purpose', 'sealed']).orderBy('purpose').execute();
  const auditRows = () => t.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

  it('moves every value to the new key in batches; then the old key can go: values open, the chain verifies, the keys are the same', async () => {
    await addSecret('webhook-signing', OLD);
    await addSecret('barcode', OLD);
    await addSecret('pos-sync', OLD);
    // Sealed by a process already restarted with the new key: left as it is.
    await addSecret('api-token', NEW);
    await addErasures(OLD, ['1001', '1002', '1003']);
    // An ended request: its identifiers were wiped, nothing to move.
    await receiveErasureRequests(t.db, [
      { tenant: 'acme', profileId: '1004', receivedAt: new Date(), deadlineAt: new Date(), reference: null, requestedBy: 'ann', identifiers: null, identifierKinds: [], identifierHashes: [] },
    ]);
    const before = await loadLedgerKeys(t.db, { current: OLD });
    const entriesBefore = (await auditRows()).length;

    // The key change: every process runs with NEW, and OLD as the old key.
    const ring = { current: NEW, old: OLD };
    bindRing(t.db, ring);
    const result = await rewrapSecrets({ db: t.db, keyring: ring }, { actor: 'ann', batchSize: 2 });
    expect(result).toEqual({
      from: keyId(OLD),
      to: keyId(NEW),
      rewrapped: { ledger_keys: 2, secret_versions: 3, erasure_requests: 3 },
      total: 8,
    });

    // Every value is under the new key, and opens with it alone, unchanged, bound to its row as before.
    for (const v of await sealedVersions()) {
      expect(sealedKeyId(v.encrypted_value)).toBe(keyId(NEW));
      expect(openSecret(v.encrypted_value, NEW, secretAad(v.tenant, v.name, v.id)).equals(values.get(v.id)!)).toBe(true);
    }
    for (const r of await sealedErasures()) {
      if (r.profile_id === '1004') {
        expect(r.identifiers).toBeNull();
        continue;
      }
      expect(sealedKeyId(r.identifiers!)).toBe(keyId(NEW));
      expect(openIdentifiers(r.identifiers!, NEW, r.tenant, r.profile_id)).toEqual(identifiers.get(Number(r.profile_id)));
    }
    expect((await sealedLedgerKeys()).map((k) => sealedKeyId(k.sealed))).toEqual([keyId(NEW), keyId(NEW)]);

    // The old variable dropped: the audit and web keys are the ones derived from the old key, and the chain verifies.
    const after = await loadLedgerKeys(t.db, { current: NEW });
    expect(after.audit.equals(before.audit) && after.audit.equals(auditLogKey(OLD))).toBe(true);
    expect(after.web.equals(before.web) && after.web.equals(webKey(OLD))).toBe(true);
    bindRing(t.db, { current: NEW });
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: entriesBefore + 1, legacy: 0 });

    // One entry, with the counts and the key ids: no key, no value.
    const entries = await auditRows();
    expect(entries).toHaveLength(entriesBefore + 1);
    expect(entries.at(-1)).toMatchObject({
      actor: 'ann',
      action: 'secrets.rewrapped',
      subject: `secret-key:${keyId(NEW)}`,
      details: { from: keyId(OLD), to: keyId(NEW), rewrapped: { ledger_keys: 2, secret_versions: 3, erasure_requests: 3 }, total: 8, complete: true },
    });
    const logged = JSON.stringify(entries);
    for (const secret of [OLD, NEW, before.audit, before.web, ...values.values()]) {
      for (const text of [secret.toString('base64'), secret.toString('hex'), secret.toString('base64url')]) expect(logged).not.toContain(text);
    }
    expect(logged).not.toContain('customer-1001@example.com');

    // A second run finds nothing to move, changes nothing, and writes no entry.
    const snapshot = { versions: await sealedVersions(), erasures: await sealedErasures(), keys: await sealedLedgerKeys() };
    const again = await rewrapSecrets({ db: t.db, keyring: ring }, { actor: 'ann', batchSize: 2 });
    expect(again).toEqual({ from: keyId(OLD), to: keyId(NEW), rewrapped: { ledger_keys: 0, secret_versions: 0, erasure_requests: 0 }, total: 0 });
    expect({ versions: await sealedVersions(), erasures: await sealedErasures(), keys: await sealedLedgerKeys() }).toEqual(snapshot);
    expect(await auditRows()).toHaveLength(entriesBefore + 1);
  });

  it('the webhook receiver accepts every delivery through the change: before, during, after the rewrap, and with the old key dropped', async () => {
    const value = Buffer.from(randomBytes(32).toString('base64url'), 'utf8');
    await addCurrentVersion(t.db, { tenant: 'acme', name: 'omneo-webhooks', kind: 'webhook-signing', seal: (aad) => sealSecret(value, OLD, aad) });
    let n = 0;
    const deliver = (ring: Keyring) => {
      const body = JSON.stringify({ event: 'profile.updated', n: ++n });
      return receiveWebhook({ db: t.db, secretKey: () => ring.current, keyring: () => ring }, 'acme', Buffer.from(body), sign(value.toString('utf8'), body));
    };
    expect(await deliver({ current: OLD })).toMatchObject({ accepted: true });
    // Restarted with the new key and the old one: the version, still under the old key, opens.
    const ring = { current: NEW, old: OLD };
    expect(await deliver(ring)).toMatchObject({ accepted: true });
    await rewrapSecrets({ db: bindRing(t.db, ring), keyring: ring }, { actor: 'ann' });
    expect(await deliver(ring)).toMatchObject({ accepted: true });
    expect(await deliver({ current: NEW })).toMatchObject({ accepted: true });
    // What the keyring spares: a secret still under the old key is refused by a process that has only the new one.
    const other = Buffer.from(randomBytes(32).toString('base64url'), 'utf8');
    await addCurrentVersion(t.db, { tenant: 'acme', name: 'other-hooks', kind: 'webhook-signing', seal: (aad) => sealSecret(other, OLD, aad) });
    const signed = (body: string) => [Buffer.from(body), sign(other.toString('utf8'), body)] as const;
    expect(await receiveWebhook({ db: t.db, secretKey: () => NEW }, 'acme', ...signed('{"n":"a"}'))).toEqual({ accepted: false, reason: 'bad-signature' });
    expect(await receiveWebhook({ db: t.db, secretKey: () => NEW, keyring: () => ring }, 'acme', ...signed('{"n":"b"}'))).toMatchObject({ accepted: true });
  });

  it('refuses to run without the old key, reading and changing nothing', async () => {
    await addSecret('webhook-signing', OLD);
    const before = { versions: await sealedVersions(), keys: await sealedLedgerKeys(), audit: await auditRows() };
    await expect(rewrapSecrets({ db: t.db, keyring: { current: NEW } }, { actor: 'ann' })).rejects.toThrow(
      'WARDEN_OLD_SECRET_KEY: must be the previous secret key, the one the values are sealed under: rewrap moves them from it to WARDEN_SECRET_KEY',
    );
    expect({ versions: await sealedVersions(), keys: await sealedLedgerKeys(), audit: await auditRows() }).toEqual(before);
  });

  it('stops at a value under neither key, naming its row: its batch is unchanged, the batches before it stay moved and are recorded', async () => {
    const STRANGER = randomBytes(32);
    const ids = [await addSecret('s1', OLD), await addSecret('s2', OLD), await addSecret('s3', OLD), await addSecret('s4', STRANGER), await addSecret('s5', OLD)];
    const ring = { current: NEW, old: OLD };
    bindRing(t.db, ring);
    const refused = rewrapSecrets({ db: t.db, keyring: ring }, { actor: 'ann', batchSize: 2 });
    await expect(refused).rejects.toThrow(UnknownSecretKeyError);
    await expect(refused).rejects.toThrow(
      `WARDEN_SECRET_KEY: secret_versions row ${ids[3]} is sealed under key ${keyId(STRANGER)}, but WARDEN_SECRET_KEY is key ${keyId(NEW)} and WARDEN_OLD_SECRET_KEY is key ${keyId(OLD)}`,
    );
    // Batches of two: [s1, s2] moved; [s3, s4] refused whole; s5 not reached.
    const under = Object.fromEntries((await sealedVersions()).map((v) => [v.id, sealedKeyId(v.encrypted_value)]));
    expect(under).toEqual({ [ids[0]!]: keyId(NEW), [ids[1]!]: keyId(NEW), [ids[2]!]: keyId(OLD), [ids[3]!]: keyId(STRANGER), [ids[4]!]: keyId(OLD) });
    const last = (await auditRows()).at(-1)!;
    expect(last).toMatchObject({ action: 'secrets.rewrapped', details: { rewrapped: { ledger_keys: 2, secret_versions: 2, erasure_requests: 0 }, complete: false } });
  });

  it('stops at a value altered or moved from another row, naming the row and changing nothing in its batch', async () => {
    const [first, second] = [await addSecret('s1', OLD), await addSecret('s2', OLD)];
    await addErasures(OLD, ['2001']);
    const ring = { current: NEW, old: OLD };
    bindRing(t.db, ring);

    // Someone with write access copies one version's value over another's.
    const copied = (await sealedVersions()).find((v) => v.id === first)!.encrypted_value;
    await sql`UPDATE secret_versions SET encrypted_value = ${copied} WHERE id = ${second}`.execute(t.db);
    const before = await sealedVersions();
    const moved = rewrapSecrets({ db: t.db, keyring: ring }, { actor: 'ann' });
    await expect(moved).rejects.toThrow(TamperedSecretError);
    await expect(moved).rejects.toThrow(`secret_versions row ${second} (key ${keyId(OLD)}) does not open: it was altered, or moved from another row`);
    expect(await sealedVersions()).toEqual(before);

    // Its own value sealed back in its place; then a bit of an erasure request's identifiers flipped.
    await sql`UPDATE secret_versions SET encrypted_value = ${sealSecret(values.get(second)!, OLD, secretAad('acme', 's2', second))} WHERE id = ${second}`.execute(t.db);
    const [erasure] = await sealedErasures();
    const altered = Buffer.from(erasure!.identifiers!);
    altered[altered.length - 1]! ^= 1;
    await sql`UPDATE erasure_requests SET identifiers = ${altered} WHERE id = ${erasure!.id}`.execute(t.db);
    const tampered = rewrapSecrets({ db: t.db, keyring: ring }, { actor: 'ann' });
    await expect(tampered).rejects.toThrow(`erasure_requests row ${erasure!.id} (key ${keyId(OLD)}) does not open: it was altered, or moved from another row`);
    expect(Buffer.from((await sealedErasures())[0]!.identifiers!).equals(altered)).toBe(true);
  });
});
