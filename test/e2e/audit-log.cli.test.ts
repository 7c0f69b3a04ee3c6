// The audit log from the command line, on the embedded PGlite (its key in the
// data folder's secret.key) and the real Postgres (WARDEN_SECRET_KEY): every
// operator change writes one entry, `audit-log head` prints where the log ends,
// and `audit-log verify --head` catches the newest entries deleted; the real
// binary (node bin/warden.js) does the same, and refuses a sloppy key.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { runCli } from '../support/cli.js';
import { adminQuery, TEST_DATABASE_URL, TEST_SECRET_KEY, uniqueSchema } from '../support/db.js';
import { BIN, compileCli, removeCli } from '../support/warden-bin.js';

afterAll(removeCli);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const backends = [
  {
    name: 'pglite',
    env: (dir: string): NodeJS.ProcessEnv => ({ WARDEN_DATA_DIR: dir }),
    async setUp(env: NodeJS.ProcessEnv): Promise<void> {
      const opened = await openDatabase({ config: loadConfig(env) });
      await migrateToLatest(opened.db);
      await opened.close();
    },
    tearDown: () => Promise.resolve(),
  },
  {
    name: 'postgres',
    schema: uniqueSchema('warden_audit'),
    env(this: { schema: string }, dir: string): NodeJS.ProcessEnv {
      return { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: this.schema, WARDEN_SECRET_KEY: TEST_SECRET_KEY, WARDEN_DATA_DIR: dir };
    },
    async setUp(this: { schema: string }): Promise<void> {
      await adminQuery(`CREATE SCHEMA ${this.schema}`);
      const opened = await openDatabase({ url: TEST_DATABASE_URL, schema: this.schema });
      await migrateToLatest(opened.db, { schema: this.schema });
      await opened.close();
    },
    tearDown(this: { schema: string }): Promise<void> {
      return adminQuery(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    },
  },
];

interface Head {
  id: number | null;
  hash: string;
  count: number;
  at: string | null;
}

describe.each(backends)('warden audit-log on $name', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-'));
  const env = backend.env.call(backend as never, dir);

  beforeAll(async () => {
    await backend.setUp.call(backend as never, env);
  });
  afterAll(async () => {
    await backend.tearDown.call(backend as never);
    rmSync(dir, { recursive: true, force: true });
  });

  const head = async (): Promise<Head> => {
    const run = await runCli(['audit-log', 'head', '--format', 'json'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as Head;
  };

  it('writes one entry per change, and verifies against an earlier head', async () => {
    expect(await head()).toEqual({ id: null, hash: '0'.repeat(64), count: 0, at: null });
    const steps: [string[], string][] = [];
    const allowlist = join(dir, 'allowlist.csv');
    const stores = join(dir, 'stores.csv');
    writeFileSync(allowlist, 'cidr,location_id,approved_remote_access\n203.0.113.0/24,store-01,no\n');
    writeFileSync(stores, 'id,name,closed_at\nstore-01,Sydney CBD,\n');
    const base = ['--base-url', 'https://api.acme.example/api/v3', '--token-env', 'ACME_OMNEO_TOKEN', '--no-check'];
    steps.push([['tenants', 'add', 'acme', ...base, '--recipients', 'compliance=co@acme.example'], 'tenant.added']);
    steps.push([['locations', 'import', stores, '--tenant', 'acme'], 'locations.imported']);
    steps.push([['allowlist', 'import', allowlist, '--tenant', 'acme'], 'allowlist.imported']);
    steps.push([['tenants', 'add', 'short-lived', '--base-url', 'https://api.acme.example/api/v3', '--token-env', 'SHORT_LIVED_TOKEN', '--no-check'], 'tenant.added']);
    steps.push([['tenants', 'remove', 'short-lived'], 'tenant.removed']);
    const heads: Head[] = [];
    for (const [i, [args]] of steps.entries()) {
      expect((await runCli(args, env)).code, args.join(' ')).toBe(0);
      const now = await head();
      expect(now.count).toBe(i + 1);
      heads.push(now);
    }
    // A dry run and a refused change write nothing.
    expect((await runCli(['allowlist', 'import', allowlist, '--tenant', 'acme', '--dry-run'], env)).code).toBe(0);
    expect((await runCli(['tenants', 'remove', 'acme'], env)).code).toBe(2);
    expect((await head()).count).toBe(steps.length);

    const ledger = await openDatabase({ config: loadConfig(env) });
    try {
      const rows = await ledger.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
      expect(rows.map((r) => r.action)).toEqual(steps.map(([, action]) => action));
      expect(rows.every((r) => r.actor !== '' && r.chain === 'hmac-sha256')).toBe(true);
      expect(JSON.stringify(rows)).not.toMatch(/co@acme\.example|203\.0\.113|store-01/);

      // Every earlier head is a prefix of the log.
      for (const h of heads) {
        const run = await runCli(['audit-log', 'verify', '--head', `${h.hash}:${h.count}`], env);
        expect(run).toEqual({ code: 0, stderr: '', stdout: `chain intact, 5 rows; the head of ${h.count} entries is part of it\n` });
      }
      const headFile = join(dir, 'head.json');
      writeFileSync(headFile, JSON.stringify(heads.at(-1)));
      expect((await runCli(['audit-log', 'verify', '--head-file', headFile], env)).code).toBe(0);

      // The newest entry deleted past the trigger: the chain alone holds, the head does not.
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(ledger.db);
      await sql`DELETE FROM audit_log WHERE id = ${rows.at(-1)!.id}`.execute(ledger.db);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(ledger.db);
    } finally {
      await ledger.close();
    }
    expect(await runCli(['audit-log', 'verify'], env)).toMatchObject({ code: 0, stdout: 'chain intact, 4 rows\n' });
    expect(await runCli(['audit-log', 'verify', '--head-file', join(dir, 'head.json')], env)).toEqual({
      code: 1,
      stderr: '',
      stdout: 'chain broken: the log holds 4 entries, fewer than the 5 of the head given: entries were deleted or the table truncated since (4 rows before it intact)\n',
    });
    // About twenty commands in a row; on the embedded ledger (PGlite) that takes more than the default 30 s on a busy machine.
  }, 90_000);

  it('refuses a malformed head with one line naming the flag', async () => {
    expect(await runCli(['audit-log', 'verify', '--head', 'abc:1'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'warden: --head: expected HASH:COUNT (64 lower-case hex digits, a colon, a whole number), as `warden audit-log head` prints it\n',
    });
    const bad = join(dir, 'bad-head.json');
    writeFileSync(bad, '{"hash": 1}');
    expect(await runCli(['audit-log', 'verify', '--head-file', bad], env)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^warden: --head-file: expected HASH:COUNT/) as unknown });
  });
});

describe('the real binary (node bin/warden.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-audit-bin-'));
  const env = { PATH: process.env.PATH, WARDEN_DATA_DIR: dir, NO_COLOR: '1' };
  const node = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...env, ...extra } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
    compileCli();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the head, and verifies against it', () => {
    expect(node(['migrate']).code).toBe(0);
    expect(node(['tenants', 'add', 'acme', '--base-url', 'https://api.acme.example/api/v3', '--token-env', 'ACME_OMNEO_TOKEN', '--no-check']).code).toBe(0);
    const head = node(['audit-log', 'head']);
    expect(head).toMatchObject({ code: 0, stderr: '' });
    expect(head.stdout).toMatch(/^[0-9a-f]{64}:1\n$/);
    const json = JSON.parse(node(['audit-log', 'head', '--format', 'json']).stdout) as Head;
    expect(json).toMatchObject({ id: expect.any(Number) as unknown, count: 1, hash: head.stdout.slice(0, 64) });
    expect(new Date(json.at!).toISOString()).toBe(json.at);
    expect(node(['audit-log', 'verify', '--head', head.stdout.trim()])).toEqual({
      code: 0,
      stderr: '',
      stdout: 'chain intact, 1 rows; the head of 1 entries is part of it\n',
    });
    // A head the log never had: exit 1.
    expect(node(['audit-log', 'verify', '--head', `${'a'.repeat(64)}:1`]).code).toBe(1);
    // Each run starts an embedded PGlite of its own: seconds each on a busy machine.
  }, 180_000);

  it('refuses a WARDEN_SECRET_KEY that is not canonical base64 of 32 bytes, in one line naming it', () => {
    const good = Buffer.alloc(32, 9).toString('base64');
    for (const key of [`${good.slice(0, 5)}!${good.slice(5)}`, good.replace('=', ''), `${good.slice(0, 42)}B=`]) {
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
      const run = node(['audit-log', 'head'], { WARDEN_SECRET_KEY: key });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^warden: [^\n]*WARDEN_SECRET_KEY: must be 32 bytes, base64-encoded[^\n]*\n$/);
    }
  });
});
