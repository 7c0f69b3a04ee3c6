/** How a command opens the ledger: from the validated environment, refusing an unmigrated one. */
import { loadConfig, ConfigError, type Config } from '../config.js';
import { openDatabase, type OpenedDatabase } from '../db/database.js';
import { pendingMigrations } from '../db/migrate.js';
import { InputError } from '../errors.js';
import type { CliIo } from './io.js';

/** The environment as a command sees it; a bad variable is an input error (exit 2). */
export function configOf(io: CliIo): Config {
  try {
    return loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError('environment', err.problems.join('; '));
    throw err;
  }
}

/** Refuses a ledger with migrations not yet applied: a worker never migrates implicitly. */
export async function assertMigrated(ledger: OpenedDatabase): Promise<void> {
  const pending = await pendingMigrations(ledger.db, ledger.schema === undefined ? {} : { schema: ledger.schema });
  if (pending.length > 0) {
    throw new InputError('ledger', `${pending.length} migration(s) not applied: run \`warden migrate\` first`);
  }
}

/**
 * Opens the ledger, runs `work`, and closes it whatever happens.
 * @param requireMigrated - refuse a ledger with pending migrations (every command but `migrate`); default true
 */
export async function withLedger<T>(
  io: CliIo,
  work: (ledger: OpenedDatabase, config: Config) => Promise<T>,
  { requireMigrated = true } = {},
): Promise<T> {
  const config = configOf(io);
  const ledger = await openDatabase({ env: { ...io.env, WARDEN_DATA_DIR: config.WARDEN_DATA_DIR } });
  try {
    if (requireMigrated) await assertMigrated(ledger);
    return await work(ledger, config);
  } finally {
    await ledger.close();
  }
}
