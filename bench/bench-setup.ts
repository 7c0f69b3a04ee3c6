/** What the benchmarks that talk to Postgres and the simulator share: their arguments and the throwaway schema's set-up. */
import { parseArgs } from 'node:util';
import pg from 'pg';

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
