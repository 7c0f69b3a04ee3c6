// The audit key and the web key live in the ledger (`ledger_keys`), sealed under the secret key:
// stored on first use with the value the secret key derived until now, read back unchanged after a
// key change, agreed on by two processes starting at once, never stored when the audit log says the
// key is wrong, and never deleted.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ledgerKeysLoader, loadLedgerKeys } from '../../../src/app/ledger-keys.js';
import { appendAuditLog, verifyChain } from '../../../src/db/audit-log.repository.js';
import { openDatabase } from '../../../src/db/database.js';
import { bindAuditKey, inTransaction, type Db } from '../../../src/db/executor.js';
import { readLedgerKeys } from '../../../src/db/ledger-keys.repository.js';
import { InputError } from '../../../src/errors.js';
import { auditLogKey, keyId, sealedKeyId, TamperedSecretError, UnknownSecretKeyError, type Keyring } from '../../../src/secrets/secret-box.js';
import { webKey } from '../../../src/secrets/tokens.js';
import { BACKENDS, createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';

/** The audit key as the app binds it: loaded from the ledger with `ring`. */
function bindRing<T extends Db>(db: T, ring: Keyring): T {
  const keys = ledgerKeysLoader(() => ring);
  return bindAuditKey(db, async (handle) => (await keys(handle)).audit);
}

describe.each(BACKENDS)('ledger keys on %s', (backend) => {
  let t: TestDatabase;
  const A = randomBytes(32);
  const B = randomBytes(32);
  beforeEach(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('stores the keys the secret key derived, sealed, and reads the same keys after a key change', async () => {
    const keys = await loadLedgerKeys(t.db, { current: A });
    // What every earlier version derived: chains and links made before this version keep verifying.
    expect(keys.audit.equals(auditLogKey(A))).toBe(true);
    expect(keys.web.equals(webKey(A))).toBe(true);
    const rows = await readLedgerKeys(t.db);
    expect(rows.map((r) => [r.purpose, sealedKeyId(r.sealed)])).toEqual([
      ['audit-log', keyId(A)],
      ['web', keyId(A)],
    ]);
    for (const r of rows) {
      expect(Buffer.from(r.sealed).includes(keys.audit)).toBe(false);
      expect(Buffer.from(r.sealed).includes(keys.web)).toBe(false);
    }

    // The next process, after WARDEN_SECRET_KEY changed to B with the old key given: the same keys.
    const after = await loadLedgerKeys(t.db, { current: B, old: A });
    expect(after.audit.equals(keys.audit) && after.web.equals(keys.web)).toBe(true);
    // Without the old key: a clear error naming the key ids and the variables, and nothing stored over them.
    const refused = loadLedgerKeys(t.db, { current: B });
    await expect(refused).rejects.toThrow(UnknownSecretKeyError);
    await expect(refused).rejects.toThrow(
      `WARDEN_SECRET_KEY: a value in the ledger is sealed under key ${keyId(A)}, but WARDEN_SECRET_KEY is key ${keyId(B)} and WARDEN_OLD_SECRET_KEY is unset`,
    );
    expect(await readLedgerKeys(t.db)).toEqual(rows);
  });

  it('two processes storing them at once agree on one key each', async () => {
    const ring = { current: A };
    // Postgres: two pools, as two processes would have; each loads inside a transaction of its own.
    const other = backend === 'postgres' ? await openDatabase({ url: TEST_DATABASE_URL, schema: t.schema!, poolSize: 2 }) : undefined;
    try {
      const [first, second] = await Promise.all([
        t.db.transaction().execute((trx) => loadLedgerKeys(trx, ring)),
        (other?.db ?? t.db).transaction().execute((trx) => loadLedgerKeys(trx, ring)),
      ]);
      expect(first.audit.equals(second.audit) && first.web.equals(second.web)).toBe(true);
      expect((await readLedgerKeys(t.db)).map((r) => r.purpose)).toEqual(['audit-log', 'web']);
    } finally {
      await other?.close();
    }
  });

  it('signs the audit log with the key it keeps, loading it inside the entry’s own transaction', async () => {
    bindRing(t.db, { current: A });
    // First use inside a transaction: on PGlite (one connection) a load on another handle would wait forever.
    await inTransaction(t.db, (trx) => appendAuditLog(trx, { actor: 'ann', action: 'x.first', subject: 's:1' }));
    await appendAuditLog(t.db, { actor: 'ann', action: 'x.second', subject: 's:2' });
    expect(await readLedgerKeys(t.db)).toHaveLength(2);
    // A process with a new key, the old one given: the chain still verifies.
    const after = await openAgain(t, backend);
    try {
      bindRing(after.db, { current: B, old: A });
      expect(await verifyChain(after.db)).toEqual({ ok: true, rows: 2, legacy: 0 });
    } finally {
      await after.close();
    }
  });

  it('on a first start that is also a key change, keeps the keys the audit log was signed with', async () => {
    // An audit log written by an earlier version, its key derived from A; no key stored yet.
    bindAuditKey(t.db, auditLogKey(A));
    for (let i = 0; i < 3; i++) await appendAuditLog(t.db, { actor: 'ann', action: 'x', subject: `s:${i}` });
    const keys = await loadLedgerKeys(t.db, { current: B, old: A });
    expect(keys.audit.equals(auditLogKey(A)) && keys.web.equals(webKey(A))).toBe(true);
    // Sealed under the current key: the old one can go once a rewrap ran.
    expect((await readLedgerKeys(t.db)).map((r) => sealedKeyId(r.sealed))).toEqual([keyId(B), keyId(B)]);
    bindRing(t.db, { current: B });
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 3, legacy: 0 });
  });

  it('refuses to store keys from a secret key the audit log was not signed under, storing nothing', async () => {
    bindAuditKey(t.db, auditLogKey(A));
    for (let i = 0; i < 3; i++) await appendAuditLog(t.db, { actor: 'ann', action: 'x', subject: `s:${i}` });
    const refused = loadLedgerKeys(t.db, { current: B });
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      new RegExp(`^WARDEN_SECRET_KEY: the audit log's newest entry \\(row \\d+\\) is not signed under the audit key of WARDEN_SECRET_KEY \\(key ${keyId(B)}\\): `),
    );
    expect(await readLedgerKeys(t.db)).toEqual([]);
    // The right key, given later, is stored as before.
    expect((await loadLedgerKeys(t.db, { current: A })).audit.equals(auditLogKey(A))).toBe(true);
  });

  it('detects a key moved to another purpose, and keeps every row: no delete, no truncate, no new purpose', async () => {
    await loadLedgerKeys(t.db, { current: A });
    await sql`UPDATE ledger_keys SET sealed = (SELECT sealed FROM ledger_keys WHERE purpose = 'audit-log') WHERE purpose = 'web'`.execute(t.db);
    const moved = loadLedgerKeys(t.db, { current: A });
    await expect(moved).rejects.toThrow(TamperedSecretError);
    await expect(moved).rejects.toThrow(`ledger_keys web: a value sealed under key ${keyId(A)} does not open: it was altered, or moved from another row`);
    await expect(sql`DELETE FROM ledger_keys WHERE purpose = 'web'`.execute(t.db)).rejects.toThrow(/ledger_keys rows are kept/);
    await expect(sql`TRUNCATE ledger_keys`.execute(t.db)).rejects.toThrow(/ledger_keys rows are kept/);
    await expect(sql`UPDATE ledger_keys SET purpose = 'other' WHERE purpose = 'web'`.execute(t.db)).rejects.toThrow();
    expect(await readLedgerKeys(t.db)).toHaveLength(2);
  });
});

/** Another handle on the same ledger, as another process would open it (PGlite: the same handle, unbound again). */
async function openAgain(t: TestDatabase, backend: string): Promise<{ db: Db; close(): Promise<void> }> {
  if (backend === 'pglite') return { db: t.db, close: () => Promise.resolve() };
  const opened = await openDatabase({ url: TEST_DATABASE_URL, schema: t.schema!, poolSize: 2 });
  return { db: opened.db, close: () => opened.close() };
}
