/** How a command reaches the app: the validated environment, then the composition root (src/app/create-app.ts). */
import type { App, CreateAppOptions } from '../app/create-app.js';
import { loadConfig, ConfigError, type Config } from '../config.js';
import type { OpenedDatabase } from '../db/database.js';
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

/**
 * Checks the environment, builds the app, runs `work`, and closes the app whatever happens.
 * @param requireMigrated - refuse a ledger with pending migrations (every command but `migrate`). @defaultValue true
 */
export async function withApp<T>(io: CliIo, work: (app: App) => Promise<T>, { requireMigrated = true, ...options }: CreateAppOptions & { requireMigrated?: boolean } = {}): Promise<T> {
  const config = configOf(io);
  // Loaded here, not at the top: a command module imports withApp, and the composition root brings in
  // the whole app (BullMQ, fastify, nodemailer…), ~0.25 s that `warden worker --help` or a rejected flag
  // would otherwise pay before printing a line (README, "Speed").
  const { createApp } = await import('../app/create-app.js');
  const app = await createApp(config, io, options);
  try {
    if (requireMigrated) await app.assertMigrated();
    return await work(app);
  } finally {
    await app.close();
  }
}

/**
 * Opens the ledger, runs `work`, and closes it whatever happens.
 * @param requireMigrated - refuse a ledger with pending migrations (every command but `migrate`). @defaultValue true
 */
export function withLedger<T>(
  io: CliIo,
  work: (ledger: OpenedDatabase, config: Config) => Promise<T>,
  { requireMigrated = true } = {},
): Promise<T> {
  return withApp(io, (app) => work(app.database, app.config), { requireMigrated });
}
