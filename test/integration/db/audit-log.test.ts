import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Migrator, sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { appendAuditLog, auditLogHead, rowHash, verifyChain, GENESIS_HASH } from '../../../src/db/audit-log.repository.js';
import type { AuditLogRow } from '../../../src/db/database.js';
import { bindAuditKey } from '../../../src/db/executor.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { main } from '../../../src/cli/main.js';
import { adminQuery, BACKENDS, createTestDatabase, TEST_AUDIT_KEY, TEST_DATABASE_URL, TEST_SECRET_KEY, uniqueSchema, type TestDatabase } from '../../support/db.js';
import { MIGRATIONS } from '../../../src/db/migrations/index.js';
import { captureIo } from '../../support/cli.js';

const TRIGGERS = ['audit_log_append_only', 'audit_log_no_truncate'];

/** Changes rows "by hand": what someone with database access would do, past the append-only triggers. */
async function tamper(t: TestDatabase, statement: ReturnType<typeof sql>): Promise<void> {
  for (const name of TRIGGERS) await sql`ALTER TABLE audit_log DISABLE TRIGGER ${sql.id(name)}`.execute(t.db);
  await statement.execute(t.db);
  for (const name of TRIGGERS) await sql`ALTER TABLE audit_log ENABLE TRIGGER ${sql.id(name)}`.execute(t.db);
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

const rowsOf = (t: TestDatabase) => t.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

/**
 * What an attacker who can write the table but lacks the key does after editing
 * row `fromId`: re-hash it and every later row, so each `prev_hash` matches again.
 */
async function rechain(t: TestDatabase, fromId: number, hash: (prev: string, row: AuditLogRow) => string, chain?: string): Promise<void> {
  const rows = await rowsOf(t);
  let prev = rows.find((r) => r.id === fromId - 1)?.hash ?? GENESIS_HASH;
  for (const row of rows.filter((r) => r.id >= fromId)) {
    const next = hash(prev, row);
    await tamper(t, sql`UPDATE audit_log SET prev_hash = ${prev}, hash = ${next}, chain = ${chain ?? row.chain} WHERE id = ${row.id}`);
    prev = next;
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

  it('chains each row to the one before it, each under the key', async () => {
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 0, legacy: 0 });
    await appendFive(t);
    const rows = await rowsOf(t);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]?.prev_hash).toBe(rows[0]?.hash);
    expect(rows.every((r) => r.chain === 'hmac-sha256')).toBe(true);
    expect(rows[0]?.hash).toBe(rowHash(GENESIS_HASH, rows[0]!, TEST_AUDIT_KEY));
    expect(rows[0]?.hash).not.toBe(rowHash(GENESIS_HASH, rows[0]!));
    expect(await verifyChain(t.db, { batchSize: 2 })).toEqual({ ok: true, rows: 5, legacy: 0 });
  });

  it('refuses UPDATE, DELETE and TRUNCATE through the append-only triggers', async () => {
    await appendFive(t);
    await expect(sql`UPDATE audit_log SET actor = 'mallory'`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_log`.execute(t.db)).rejects.toThrow(/append-only/);
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 5, legacy: 0 });
  });

  it('names a row changed by hand', async () => {
    await appendFive(t);
    await tamper(t, sql`UPDATE audit_log SET details = jsonb_set(details, '{n}', '42') WHERE id = 3`);
    const verdict = await verifyChain(t.db, { batchSize: 2 });
    expect(verdict).toMatchObject({ ok: false, brokenId: 3, rows: 2, reason: 'content-changed' });
  });

  it('refuses a row edited and re-hashed with plain SHA-256, the whole chain after it re-hashed too', async () => {
    await appendFive(t);
    await tamper(t, sql`UPDATE audit_log SET actor = 'mallory' WHERE id = 3`);
    await rechain(t, 3, (prev, row) => rowHash(prev, row));
    expect(await verifyChain(t.db)).toMatchObject({ ok: false, brokenId: 3, rows: 2, reason: 'content-changed' });
  });

  it('refuses keyed rows relabelled as pre-keyed SHA-256 rows', async () => {
    await appendFive(t);
    // The CHECK constraint refuses a new `sha256` row; an owner of the table can drop it.
    await expect(tamperOrThrow(t, sql`UPDATE audit_log SET chain = 'sha256' WHERE id = 3`)).rejects.toThrow(/audit_log_chain_scheme/);
    await sql`ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_scheme`.execute(t.db);
    await tamper(t, sql`UPDATE audit_log SET actor = 'mallory' WHERE id = 3`);
    await rechain(t, 3, (prev, row) => rowHash(prev, row), 'sha256');
    expect(await verifyChain(t.db)).toMatchObject({ ok: false, brokenId: 3, rows: 2, reason: 'unkeyed-after-keyed' });
  });

  it('refuses a row re-hashed under another key, naming the key as a possible cause', async () => {
    await appendFive(t);
    const wrong = randomBytes(32);
    await tamper(t, sql`UPDATE audit_log SET subject = 'approval:9' WHERE id = 2`);
    await rechain(t, 2, (prev, row) => rowHash(prev, row, wrong));
    const verdict = await verifyChain(t.db);
    expect(verdict).toMatchObject({ ok: false, brokenId: 2, rows: 1, reason: 'content-changed' });
    if (!verdict.ok) expect(verdict.message).toContain('or the audit key is not the one it was written under');
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

  it('gives the head: last id, hash and the row count', async () => {
    expect(await auditLogHead(t.db)).toEqual({ id: null, hash: GENESIS_HASH, count: 0, at: null });
    await appendFive(t);
    const last = (await rowsOf(t)).at(-1)!;
    expect(await auditLogHead(t.db)).toEqual({ id: last.id, hash: last.hash, count: 5, at: last.at });
    expect(await verifyChain(t.db, { head: { hash: last.hash, count: 5 } })).toEqual({ ok: true, rows: 5, legacy: 0 });
  });

  it('catches the newest row deleted, by an earlier head; the chain alone still holds', async () => {
    await appendFive(t);
    const head = await auditLogHead(t.db);
    await appendAuditLog(t.db, { actor: 'ann', action: 'later', subject: 'approval:6' });
    // A head taken before later appends is still a prefix of the log.
    expect(await verifyChain(t.db, { head })).toMatchObject({ ok: true, rows: 6 });

    await tamper(t, sql`DELETE FROM audit_log WHERE id IN (5, 6)`);
    expect(await verifyChain(t.db)).toMatchObject({ ok: true, rows: 4 });
    const verdict = await verifyChain(t.db, { head });
    expect(verdict).toMatchObject({ ok: false, rows: 4, brokenId: null, reason: 'head-missing' });
    if (!verdict.ok) expect(verdict.message).toBe('the log holds 4 entries, fewer than the 5 of the head given: entries were deleted or the table truncated since');
  });

  it('catches a truncation past the disabled trigger, by an earlier head', async () => {
    await appendFive(t);
    const head = await auditLogHead(t.db);
    await tamper(t, sql`TRUNCATE audit_log`);
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 0, legacy: 0 });
    expect(await verifyChain(t.db, { head })).toMatchObject({ ok: false, rows: 0, reason: 'head-missing' });
  });

  it('catches a whole log rewritten as pre-keyed rows, by an earlier head', async () => {
    await appendFive(t);
    const head = await auditLogHead(t.db);
    await sql`ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_scheme`.execute(t.db);
    await tamper(t, sql`UPDATE audit_log SET actor = 'mallory' WHERE id = 5`);
    await rechain(t, 1, (prev, row) => rowHash(prev, row), 'sha256');
    // Without a head, a log that is all SHA-256 looks like one from before the keyed chain: verify says so.
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 5, legacy: 5 });
    const verdict = await verifyChain(t.db, { head });
    expect(verdict).toMatchObject({ ok: false, brokenId: 5, rows: 5, reason: 'head-mismatch' });
  });

  it('accepts rows chained with plain SHA-256 before the keyed chain, and only those', async () => {
    const old = await createTestDatabase(backend, { migrate: false });
    try {
      const schema = old.schema;
      const migrator = new Migrator({
        db: old.db,
        provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
        ...(schema === undefined ? {} : { migrationTableSchema: schema }),
      });
      expect((await migrator.migrateTo('2026-11-29T2230_tenant-policy')).error).toBeUndefined();
      // Two rows as the first migration's code wrote them: plain SHA-256, no `chain` column yet.
      let prev = GENESIS_HASH;
      for (const id of [1, 2]) {
        const row = { id, at: new Date(Date.UTC(2026, 10, id)), actor: 'ann', action: 'tenant.policy_set', subject: 'tenant:acme', details: { id } };
        const hash = rowHash(prev, row);
        await sql`INSERT INTO audit_log (id, at, actor, action, subject, details, prev_hash, hash)
          VALUES (${id}, ${row.at}, ${row.actor}, ${row.action}, ${row.subject}, ${JSON.stringify(row.details)}::jsonb, ${prev}, ${hash})`.execute(old.db);
        prev = hash;
      }
      await sql`SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 2)`.execute(old.db);
      await migrateToLatest(old.db, schema === undefined ? {} : { schema });
      await appendAuditLog(old.db, { actor: 'bob', action: 'tenant.added', subject: 'tenant:beta' });
      expect((await rowsOf(old)).map((r) => r.chain)).toEqual(['sha256', 'sha256', 'hmac-sha256']);
      expect(await verifyChain(old.db)).toEqual({ ok: true, rows: 3, legacy: 2 });
      // No later row can claim the old scheme.
      await expect(
        sql`INSERT INTO audit_log (at, actor, action, subject, details, prev_hash, hash, chain)
          VALUES (now(), 'm', 'x', 'y', '{}', ${GENESIS_HASH}, ${GENESIS_HASH}, 'sha256')`.execute(old.db),
      ).rejects.toThrow(/audit_log_chain_scheme/);
    } finally {
      await old.destroy();
    }
  });
});

/** An UPDATE with only the triggers disabled: constraints still apply. */
async function tamperOrThrow(t: TestDatabase, statement: ReturnType<typeof sql>): Promise<void> {
  try {
    await tamper(t, statement);
  } finally {
    for (const name of TRIGGERS) await sql`ALTER TABLE audit_log ENABLE TRIGGER ${sql.id(name)}`.execute(t.db);
  }
}

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
    expect(await verifyChain(t.db)).toEqual({ ok: true, rows: 24, legacy: 0 });
  });
});

describe('a handle without the audit key', () => {
  it('refuses to write or verify, naming where the key is bound', async () => {
    const t = await createTestDatabase('pglite');
    try {
      // Another handle on the same database, as one opened elsewhere would be: nothing bound to it.
      const unbound = t.db.withPlugin({ transformQuery: (a) => a.node, transformResult: (a) => Promise.resolve(a.result) });
      await expect(appendAuditLog(unbound, { actor: 'a', action: 'b', subject: 'c' })).rejects.toThrow(/no audit-log key is bound .*create-app\.ts/);
      await expect(verifyChain(unbound)).rejects.toThrow(/no audit-log key is bound/);
      expect(await t.db.selectFrom('audit_log').select('id').execute()).toEqual([]);
    } finally {
      await t.destroy();
    }
  });
});

describe('warden migrate and warden audit-log verify|head (CLI, real Postgres)', () => {
  const schema = uniqueSchema('warden_cli');
  const env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema, WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  afterEach(async () => {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('migrates once, verifies an intact chain against its head, then exits 1 naming a tampered row', async () => {
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
    bindAuditKey(ledger.db, TEST_AUDIT_KEY);
    try {
      for (let i = 0; i < 3; i++) await appendAuditLog(ledger.db, { actor: 'ann', action: 'x', subject: `s:${i}` });
      const head = captureIo(env);
      expect(await main(['node', 'warden', 'audit-log', 'head'], head)).toBe(0);
      const last = (await ledger.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow());
      expect(head.out()).toBe(`${last.hash}:3\n`);
      const ok = captureIo(env);
      expect(await main(['node', 'warden', 'audit-log', 'verify', '--head', head.out().trim()], ok)).toBe(0);
      expect(ok.out()).toBe('chain intact, 3 rows; the head of 3 entries is part of it\n');

      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(ledger.db);
      await sql`UPDATE audit_log SET subject = 's:9' WHERE id = 2`.execute(ledger.db);
      const broken = captureIo(env);
      expect(await main(['node', 'warden', 'audit-log', 'verify'], broken)).toBe(1);
      expect(broken.out()).toMatch(/^chain broken at row 2: /);

      // Another key (a fresh WARDEN_SECRET_KEY) does not open the audit key the ledger keeps: said in one line, nothing verified.
      const otherKey = captureIo({ ...env, WARDEN_SECRET_KEY: randomBytes(32).toString('base64') });
      expect(await main(['node', 'warden', 'audit-log', 'verify'], otherKey)).toBe(2);
      expect(otherKey.out()).toBe('');
      expect(otherKey.err()).toMatch(/^warden: WARDEN_SECRET_KEY: a value in the ledger is sealed under key [0-9a-f]{8}, but WARDEN_SECRET_KEY is key [0-9a-f]{8} and WARDEN_OLD_SECRET_KEY is unset: [^\n]*\n$/);
    } finally {
      await ledger.close();
    }
  });
});
