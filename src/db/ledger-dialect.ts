/**
 * The Postgres dialect of the ledger: Kysely's own, with a narrower
 * introspector. Kysely's Migrator asks the introspector whether its tables
 * exist, and Kysely's Postgres introspector reads every column of every schema
 * and calls `has_schema_privilege(name, …)` on each schema's *name*: when any
 * other schema of the database is dropped while that query runs (another
 * Warden sharing the database, or the test suite's throwaway schemas), the
 * query fails with `schema "…" does not exist`. The Migrator only needs table
 * names and their schemas, which the catalogues give consistently in one
 * snapshot, without resolving names again.
 */
import {
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

class LedgerIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace`.execute(this.db);
    return rows.map((r) => ({ name: r.name }));
  }

  /** Tables and views with their schema; no columns (nothing in Warden reads them). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      SELECT c.relname AS name, n.nspname AS schema, c.relkind AS kind
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'v', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

export class LedgerPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new LedgerIntrospector(db);
  }
}
