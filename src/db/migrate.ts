/**
 * Runs the ledger's migrations. Only `warden migrate` (and test set-up) calls
 * this: a worker never migrates implicitly, so a fleet rolling out a new
 * version cannot race itself over the schema.
 */
import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { Database } from './database.js';
import { MIGRATIONS } from './migrations/index.js';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly migration: string | undefined,
    readonly applied: readonly string[],
    options: { cause: unknown },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`migration ${migration ?? '(set-up)'} failed: ${why}`, options);
  }
}

export interface MigrateOptions {
  /**
   * The schema the tables live in (the one given to `openDatabase`); Kysely's
   * own bookkeeping tables go there too, and it is created when missing.
   * @defaultValue the connection's search_path
   */
  schema?: string;
}

export interface MigrateOutcome {
  /** Names of the migrations this call applied, in order (empty when already up to date). */
  applied: string[];
}

function migrator(db: Kysely<Database>, options: MigrateOptions): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }),
  });
}

export async function migrateToLatest(db: Kysely<Database>, options: MigrateOptions = {}): Promise<MigrateOutcome> {
  const { error, results = [] } = await migrator(db, options).migrateToLatest();
  const applied = results.filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, applied, { cause: error });
  }
  return { applied };
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Kysely<Database>, options: MigrateOptions = {}): Promise<string[]> {
  const all = await migrator(db, options).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
