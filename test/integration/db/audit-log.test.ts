import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { appendAuditLog, verifyChain, GENESIS_HASH } from '../../../src/db/audit-log.repository.js';
import { main } from '../../../src/cli/main.js';
import { adminQuery, BACKENDS, createTestDatabase, TEST_DATABASE_URL, uniqueSchema, type TestDatabase } from '../../support/db.js';
import { MIGRATIONS } from '../../../src/db/migrations/index.js';
import { captureIo } from '../../support/cli.js';

/** Changes rows "by hand": what someone with database access would do, past the append-only trigger. */
async function tamper(t: TestDatabase, statement: ReturnType<typeof sql>): Promise<void> {
  await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(t.db);
  await statement.execute(t.db);
  await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(t.db);
}

async function appendFive(t: TestDatabase): Promise<void> {
  for (let i = 1; i <= 5; i++) {
    await appendAuditLog(t.db, {
      actor: 'ann',
      action: 'approval.approved',
      subject: `approval:${i}`,
      details: { n: i, nested: { z: 1, a: [true, null, 'x'] }, skipped: undefined },
      at: new Date(Date.UTC(2026, 10, i, 9, 0, 0, 123)),
    });
  }
}

describe.each(BACKENDS)('audit log on %s', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('chains each row to the one before it', async () => {
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 0 });
    await appendFive(t);
    const rows = await t.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(await verifyChain(t.db, { batchSize: 2 })).toEqual({ ok: true, rows: 5 });
  });

  it('refuses UPDATE and DELETE through the append-only trigger', async () => {
    await appendFive(t);
    await expect(sql`UPDATE audit_log SET actor = 'mallory'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
  });

  it('names a row changed by hand', async () => {
    await appendFive(t);
    await tamper(t, sql`UPDATE audit_log SET details = jsonb_set(details, '{n}', '42') WHERE id = 3`);
    const verdict = await verifyChain(t.db, { batchSize: 2 });
    expect(verdict).toMatchObject({ ok: false, brokenId: 3, rows: 2, reason: 'content-changed' });
  });

  it('names the row after a deleted one', async () => {
    await appendFive(t);
    await tamper(t, sql`DELETE FROM audit_log WHERE id = 2`);
    const verdict = await verifyChain(t.db);
    expect(verdict).toMatchObject({ ok: false, brokenId: 3, rows: 1, reason: 'predecessor-missing' });
    if (!verdict.ok) expect(verdict.message).toBe('row 3: the row before it is missing (deleted after row 1)');
  });

  it('names a row whose stored hash was overwritten', async () => {
    await appendFive(t);
    await tamper(t, sql`UPDATE audit_log SET actor = 'mallory', hash = repeat('a', 64) WHERE id = 4`);
    const verdict = await verifyChain(t.db);
    expect(verdict).toMatchObject({ ok: false, brokenId: 4, reason: 'content-changed' });
  });
});

describe('audit log on postgres, concurrently', () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase('postgres');
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('keeps one chain when appends race on several connections', async () => {
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => appendAuditLog(t.db, { actor: 'system:test', action: 'race', subject: `n:${i}` })),
    );
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 24 });
  });
});


describe('warden migrate and warden audit-log verify (CLI, real Postgres)', () => {
  const schema = uniqueSchema('warden_cli');
  const env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema };
  afterEach(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('migrates once, verifies an intact chain, then exits 1 naming a tampered row', async () => {
    const before = captureIo(env);
    expect(await main(['node', 'warden', 'audit-log', 'verify'], before)).toBe(2);
    // Every migration is pending on a fresh schema; the list grows as the ledger does.
    const names = Object.keys(MIGRATIONS);
    expect(names.length).toBeGreaterThan(1);
    expect(before.err()).toMatch(new RegExp(`^warden: ledger: ${names.length} migration\\(s\\) not applied`));

    const first = captureIo(env);
    expect(await main(['node', 'warden', 'migrate'], first)).toBe(0);
    expect(first.out()).toBe(`${names.map((n) => `applied ${n}\n`).join('')}ledger (postgres) migrated: ${names.length} migration(s) applied\n`);
    const again = captureIo(env);
    expect(await main(['node', 'warden', 'migrate'], again)).toBe(0);
    expect(again.out()).toBe('ledger (postgres) already up to date\n');

    const { openDatabase } = await import('../../../src/db/database.js');
    const ledger = await openDatabase({ url: TEST_DATABASE_URL, schema });
    try {
      for (let i = 0; i < 3; i++) await appendAuditLog(ledger.db, { actor: 'ann', action: 'x', subject: `s:${i}` });
      const ok = captureIo(env);
      expect(await main(['node', 'warden', 'audit-log', 'verify'], ok)).toBe(0);
      expect(ok.out()).toBe('chain intact, 3 rows\n');

      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(ledger.db);
      await sql`UPDATE audit_log SET subject = 's:9' WHERE id = 2`.execute(ledger.db);
      const broken = captureIo(env);
      expect(await main(['node', 'warden', 'audit-log', 'verify'], broken)).toBe(1);
      expect(broken.out()).toMatch(/^chain broken at row 2: /);
    } finally {
      await ledger.close();
    }
  });
});
