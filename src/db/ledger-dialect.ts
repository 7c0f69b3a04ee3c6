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
 *
 * It can also COPY (`COPY … FROM STDIN`), which Kysely cannot express: a COPY
 * needs the `pg` client that a transaction holds, and Kysely keeps it private.
 * So the pool's clients are {@link LedgerClient}s, which run a COPY when a
 * query's only parameter is a {@link CopyIn}; {@link copyIn} sends one through
 * any handle, a transaction included, so it runs on that handle's connection.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DialectAdapter,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

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

/** The adapter of {@link LedgerPostgresDialect}: Kysely's, marking a handle whose connections can COPY. */
class LedgerPostgresAdapter extends PostgresAdapter {}

export class LedgerPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new LedgerIntrospector(db);
  }

  override createAdapter(): DialectAdapter {
    return new LedgerPostgresAdapter();
  }
}

/** The data of one `COPY … FROM STDIN`, passed as the statement's only parameter. */
class CopyIn {
  constructor(readonly data: Iterable<string>) {}
}

/** What Kysely's Postgres connection reads of a query's result. */
interface CopyResult {
  command: 'COPY';
  rowCount: number;
  rows: { copied: number }[];
}

/**
 * The pool's client class (`pg.Pool`'s `Client` option): a `pg.Client` that
 * runs `COPY … FROM STDIN` through pg-copy-streams when it is given a
 * {@link CopyIn} as the only value, and every other query as `pg` does.
 */
export class LedgerClient extends pg.Client {
  // One signature for all of pg's overloads (`never` fits each): only the CopyIn case is handled here.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length === 1 && values[0] instanceof CopyIn) {
      return this.copy(text, values[0]) as never;
    }
    return (super.query as (...all: unknown[]) => never).apply(this, args);
  }

  private async copy(text: string, input: CopyIn): Promise<CopyResult> {
    const stream = super.query(copyFrom(text));
    // A source that throws destroys the stream, which sends CopyFail: the server ends the COPY, the connection stays usable.
    await pipeline(Readable.from(input.data, { objectMode: false }), stream);
    return { command: 'COPY', rowCount: stream.rowCount, rows: [{ copied: stream.rowCount }] };
  }
}

/** Whether `db` can {@link copyIn}: it runs on the ledger's Postgres dialect (PGlite's cannot). */
export function canCopyIn<DB>(db: Kysely<DB> | Transaction<DB>): boolean {
  return db.getExecutor().adapter instanceof LedgerPostgresAdapter;
}

/**
 * Runs `statement` (a `COPY … FROM STDIN` in text format) on `db`'s connection,
 * feeding it `data` (chunks of COPY text, see {@link copyTextRow}); returns the
 * number of rows copied. A temporary table must be filled through the
 * transaction that created it: on a pool, the COPY may take another connection.
 */
export async function copyIn<DB>(db: Kysely<DB> | Transaction<DB>, statement: string, data: Iterable<string>): Promise<number> {
  if (!canCopyIn(db)) throw new Error('COPY needs the ledger on Postgres (LedgerPostgresDialect)');
  const { rows } = await db.executeQuery<{ copied: number }>(CompiledQuery.raw(statement, [new CopyIn(batched(data))]));
  return rows[0]?.copied ?? 0;
}

/**
 * Bytes of COPY data per message, about: each chunk the stream is given is
 * one CopyData message and a socket write or two, so rows go out in batches.
 */
const COPY_BATCH_CHARS = 64 * 1024;

function* batched(data: Iterable<string>): Generator<string> {
  let batch = '';
  for (const piece of data) {
    batch += piece;
    if (batch.length >= COPY_BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  if (batch !== '') yield batch;
}

/** What COPY's text format escapes: its delimiter (tab), line ends and the escape character itself. */
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One line of COPY's text format: fields separated by tabs, `\N` for null.
 * A literal `\N` or `\.` in a value is written with its backslash doubled,
 * so it is never read as null or as the end of the data. A NUL character
 * cannot be stored in Postgres text at all: it is passed through for the
 * server to refuse, as it refuses it in a query parameter.
 */
export function copyTextRow(fields: readonly (string | number | boolean | null | undefined)[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i += 1) {
    const value = fields[i];
    if (i > 0) line += '\t';
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'string') line += value.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]!);
    else line += String(value);
  }
  return `${line}\n`;
}
