/**
 * A fresh, migrated ledger per test file, on either backend: a throwaway
 * schema on the real Postgres (dropped afterwards), or an in-memory PGlite.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { bindAuditKey } from '../../src/db/executor.js';
import { auditLogKey } from '../../src/secrets/secret-box.js';

export type Backend = 'postgres' | 'pglite';
export const BACKENDS: readonly Backend[] = ['postgres', 'pglite'];

/** The test Postgres of RULES/CI: trust auth, database `test`. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The `WARDEN_SECRET_KEY` of tests (32 fixed bytes): a test ledger's audit log
 * is signed with the key derived from it, so a CLI run given this variable
 * verifies what the test wrote.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_AUDIT_KEY = auditLogKey(Buffer.from(TEST_SECRET_KEY, 'base64'));

export interface TestDatabase extends OpenedDatabase {
  /** Drops the schema (Postgres) and closes every connection. */
  destroy(): Promise<void>;
}

let template: Promise<Blob> | undefined;

/**
 * PGlite's initdb takes seconds; every PGlite test starts from a copy of one
 * migrated instance (made once per test file), so each still gets its own database.
 */
function migratedPgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const opened = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrateToLatest(opened.db);
      return await opened.dumpDataDir!();
    } finally {
      await opened.close();
    }
  })();
  return template;
}

/** A schema name no other test file can be using. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Runs SQL on the test Postgres outside any Kysely instance (schema set-up and tear-down). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Opens a ledger on `backend`, migrated to the latest schema unless
 * `migrate: false`.
 */
export async function createTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  let opened: OpenedDatabase;
  let schema: string | undefined;
  if (backend === 'postgres') {
    schema = uniqueSchema('warden_test');
    await adminQuery(`CREATE SCHEMA ${schema}`);
    opened = await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: 4 });
  } else {
    const template = options.migrate === false ? undefined : await migratedPgliteTemplate();
    opened = await openDatabase(template === undefined ? { dataDir: 'memory://' } : { loadDataDir: template });
  }
  if (options.migrate !== false && backend === 'postgres') await migrateToLatest(opened.db, { schema });
  bindAuditKey(opened.db, TEST_AUDIT_KEY);
  return {
    ...opened,
    destroy: async () => {
      await opened.close();
      if (schema !== undefined) await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}
