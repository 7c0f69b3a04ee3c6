// Another user of the same Postgres database dropping its schemas (another Warden, or this suite's
// own throwaway schemas) must not break a migration check: Kysely's stock introspector failed with
// `schema "…" does not exist` when a schema vanished mid-query (src/db/ledger-dialect.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingMigrations } from '../../../src/db/migrate.js';
import { adminQuery, createTestDatabase, uniqueSchema, type TestDatabase } from '../../support/db.js';

describe('the ledger beside schemas that come and go', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('checks its migrations while other schemas are created and dropped', async () => {
    const schema = t.schema!;
    let stop = false;
    const churn = (async () => {
      // Schemas with a table each, dropped as soon as made: what a parallel test suite does.
      for (let i = 0; i < 200 && !stop; i++) {
        const other = uniqueSchema('warden_churn');
        await adminQuery(`CREATE SCHEMA ${other}; CREATE TABLE ${other}.t (a int, b text, c int, d text)`);
        await adminQuery(`DROP SCHEMA ${other} CASCADE`);
      }
    })();
    try {
      for (let i = 0; i < 60; i++) expect(await pendingMigrations(t.db, { schema })).toEqual([]);
    } finally {
      stop = true;
      await churn;
    }
  });
});
