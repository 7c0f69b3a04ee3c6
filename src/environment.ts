/**
 * The environment as Warden is given it, before any validation: the one place
 * that reads `process.env`, the help line of each variable, and `WARDEN_DEBUG`,
 * which must work when the rest of the environment is bad. Validation (zod, a
 * tenth of a second to load) is src/config.ts's; the CLI loads it only for the
 * commands that read their configuration, not for `warden --help` or
 * `warden check`.
 */

/** The environment as given to a command: variable name to value. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The process's environment: the one place Warden reads `process.env`. */
export function processEnvironment(): Environment {
  return process.env;
}

/**
 * A variable whose name is data, not code: a tenant's token variable, named by
 * its `token_env` column. Empty counts as unset, as in `loadConfig` (src/config.ts).
 */
export function readVariable(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** `WARDEN_DEBUG` set (to anything): an unexpected error also prints its stack. Read apart from `loadConfig` (src/config.ts) because it must work when the rest of the environment is bad. */
export function debugEnabled(env: Environment): boolean {
  return readVariable(env, 'WARDEN_DEBUG') !== undefined;
}

/**
 * One line of help per variable, for `warden --help`: every variable src/config.ts
 * validates (its schema is keyed by these names, so neither compiles without the
 * other), and `WARDEN_DEBUG`.
 */
export const VARIABLE_HELP = {
  DATABASE_URL: 'postgres:// URL of the ledger (unset: embedded PGlite under WARDEN_DATA_DIR)',
  WARDEN_DB_SCHEMA: 'Postgres schema of the ledger’s tables (unset: the search_path)',
  REDIS_URL: 'redis:// or rediss:// URL of the job queue (unset: jobs run in-process)',
  REDIS_SENTINELS: 'host:port,… of Redis Sentinels (REDIS_URL gives credentials, database, TLS)',
  REDIS_SENTINEL_NAME: 'the master group the sentinels watch (default: mymaster)',
  REDIS_CLUSTER_NODES: 'host:port,… of a Redis Cluster’s seed nodes (REDIS_URL gives credentials, TLS)',
  WARDEN_QUEUE_PREFIX: 'BullMQ key prefix, to share a Redis (default: warden)',
  SMTP_URL: 'smtp://user:pass@host:587 or smtps://…:465 (unset: emails go to WARDEN_OUTBOX)',
  WARDEN_OUTBOX: 'folder of .eml files when there is no SMTP (default: ./outbox)',
  WARDEN_DATA_DIR: 'embedded database and secret key file (default: ./.warden)',
  WARDEN_SECRET_KEY: '32 bytes, base64: seals secret values in the ledger (unset: a key file in WARDEN_DATA_DIR)',
  WARDEN_OLD_SECRET_KEY: '32 bytes, base64: the previous WARDEN_SECRET_KEY while the key is changed; opens what it sealed (see `warden secrets rewrap`)',
  WARDEN_MAIL_FROM: 'From of every email (default: Warden <warden@localhost>)',
  WARDEN_PUBLIC_URL: 'base URL of the web app, for links in emails (unset: digests carry no links)',
  WARDEN_ALLOW_PRIVATE_NETWORKS: 'CIDR,… of private networks a platform or SCIM URL may point into, https still (unset: none)',
  WARDEN_TRUST_PROXY: 'CIDR,… of reverse proxies in front of `warden serve`, whose X-Forwarded-For gives the client address (unset: none)',
  LOG_LEVEL: 'pino level: fatal, error, warn, info, debug, trace, silent (default: info)',
  WARDEN_DEBUG: 'any value: an unexpected error also prints its stack',
} as const satisfies Record<string, string>;
