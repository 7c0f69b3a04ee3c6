/** What the benchmarks that talk to Postgres and the simulator share: their arguments and the throwaway schema's set-up. */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/database.js';
import { bindAuditKey } from '../src/db/executor.js';
import { migrateToLatest } from '../src/db/migrate.js';

/** The Postgres the benchmarks use: `DATABASE_URL`, else the local test database. */
export const BENCH_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `--users N` (default 20 000) and `--seed S` (default `bench`): the simulated tenant; exits 2 on a bad `--users`. */
export function tenantArgs(): { users: number; seed: string } {
  const { values } = parseArgs({
    options: { users: { type: 'string', default: '20000' }, seed: { type: 'string', default: 'bench' } },
  });
  const users = Number(values.users);
  if (!Number.isInteger(users) || users < 1) {
    console.error('bench: --users must be a positive integer');
    process.exit(2);
  }
  return { users, seed: values.seed };
}

/** Runs SQL outside any Kysely instance (creating and dropping the throwaway schema). */
export async function adminQuery(sql: string, url = BENCH_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A migrated ledger in a throwaway schema of the bench Postgres; `close` drops the schema. */
export interface BenchLedger {
  db: Kysely<Database>;
  schema: string;
  close(): Promise<void>;
}

export async function openBenchLedger(prefix: string): Promise<BenchLedger> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const ledger = await openDatabase({ url: BENCH_DATABASE_URL, schema, poolSize: 4 });
  // A throwaway key for the audit entries the set-up writes (the app derives the real one from WARDEN_SECRET_KEY).
  bindAuditKey(ledger.db, randomBytes(32));
  const close = async () => {
    await ledger.close();
    await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
  };
  try {
    await migrateToLatest(ledger.db, { schema });
  } catch (err) {
    await close();
    throw err;
  }
  return { db: ledger.db, schema, close };
}

/** Where the simulated tenant's platform and SCIM tokens are read (`warden sim` takes `sim-token`). */
export const BENCH_TENANT_ENV = { BENCH_OMNEO_TOKEN: 'sim-token', BENCH_OMNEO_TOKEN_SCIM: 'sim-token' };
