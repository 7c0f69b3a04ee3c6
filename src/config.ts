/**
 * Warden's environment, validated once at start-up. Every bad variable is
 * reported at once, in one error, so a deployment is fixed in one go.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `DATABASE_URL` | unset → embedded PGlite under `WARDEN_DATA_DIR` | `postgres://` URL of the ledger |
 * | `WARDEN_DB_SCHEMA` | the connection's search_path (`public`) | Postgres schema of the ledger's tables (lower-case identifier) |
 * | `REDIS_URL` | unset → jobs run in-process, node-cron fires schedules | `redis://` or `rediss://` URL of the queue |
 * | `SMTP_URL` | unset → messages written to `WARDEN_OUTBOX` | `smtp://user:pass@host:587` or `smtps://…:465` |
 * | `WARDEN_OUTBOX` | `./outbox` | folder of `.eml` files when there is no SMTP |
 * | `WARDEN_DATA_DIR` | `./.warden` | embedded database and other local state |
 * | `WARDEN_MAIL_FROM` | `Warden <warden@localhost>` | the From of every email |
 * | `WARDEN_PUBLIC_URL` | unset | base URL of the web app, for links in emails |
 * | `WARDEN_QUEUE_PREFIX` | `warden` | BullMQ key prefix, to share a Redis |
 * | `REDIS_SENTINELS` | unset | `host:port,…` of Redis Sentinels; `REDIS_URL` then gives credentials, database and TLS |
 * | `REDIS_SENTINEL_NAME` | `mymaster` | the master group the sentinels watch |
 * | `REDIS_CLUSTER_NODES` | unset | `host:port,…` of a Redis Cluster's seed nodes; `REDIS_URL` gives credentials and TLS |
 * | `WARDEN_SECRET_KEY` | unset → a key file in `WARDEN_DATA_DIR` | 32 bytes, base64: seals secret values at rest |
 * | `WARDEN_OLD_SECRET_KEY` | unset | 32 bytes, base64: the previous key during a key change, opens what it sealed (`warden secrets rewrap`) |
 * | `WARDEN_ALLOW_PRIVATE_NETWORKS` | unset → none | `10.20.0.0/16,…`: private networks a platform or directory URL may point into |
 * | `WARDEN_TRUST_PROXY` | unset → none | `10.0.0.5/32,…`: reverse proxies whose `X-Forwarded-For` `warden serve` believes |
 * | `LOG_LEVEL` | `info` | pino level: fatal, error, warn, info, debug, trace, silent |
 * | `WARDEN_DEBUG` | unset | any value: an unexpected error also prints its stack |
 *
 * The process's environment is read in one place, src/environment.ts ({@link processEnvironment});
 * everything else receives the validated {@link Config}, and a tenant's token
 * variable (whose name the tenant row gives) is read with {@link readVariable}.
 * See docs/operations.md "Environment". What needs no validation (the
 * environment itself, the variables' help, `WARDEN_DEBUG`) lives in
 * src/environment.ts, without zod, which the CLI's start-up does not load.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { processEnvironment, VARIABLE_HELP, type Environment } from './environment.js';
import { decodeKey } from './secrets/key-text.js';

export { readVariable, VARIABLE_HELP, type Environment } from './environment.js';

const url = (schemes: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `not a ${schemes.map((s) => `${s}//`).join(' or ')} URL` },
  );

/** `host:port,host:port`: Redis Sentinels or Cluster seed nodes. */
const hostPorts = z
  .string()
  .refine((v) => v.split(',').every((p) => /^[^\s:,]+:\d{1,5}$/.test(p.trim())), { message: 'expected host:port,host:port' })
  .transform((v) => v.split(',').map((p) => {
    const [host, port] = p.trim().split(':') as [string, string];
    return { host, port: Number(port) };
  }));

/**
 * `cidr,cidr`: networks outbound calls may reach although private
 * (src/outbound/url-policy.ts). Textbook forms only, as the allowlist's.
 */
const cidrList = z
  .string()
  .refine(
    (v) =>
      v.split(',').every((p) => {
        const [address = '', prefix, extra] = p.trim().split('/');
        const kind = isIP(address);
        return kind !== 0 && extra === undefined && (prefix === undefined || (/^(?:0|[1-9]\d{0,2})$/.test(prefix) && Number(prefix) <= (kind === 4 ? 32 : 128)));
      }),
    { message: 'expected CIDR,CIDR, e.g. 10.20.0.0/16,fd00:1::/32' },
  )
  .transform((v) => v.split(',').map((p) => p.trim()));

/** A 32-byte key, canonical base64 (src/secrets/key-text.ts); the value is never echoed. */
const secretKeyText = z.string().refine((v) => decodeKey(v) !== undefined, { message: 'must be 32 bytes, base64-encoded' });

/** Keyed as {@link VARIABLE_HELP}, so that a variable without its line of help, or help without its variable, does not compile. */
const envSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  WARDEN_DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier').optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  WARDEN_OUTBOX: z.string().min(1, 'must not be empty').default('./outbox'),
  WARDEN_DATA_DIR: z.string().min(1, 'must not be empty').default('./.warden'),
  WARDEN_MAIL_FROM: z.string().min(3).default('Warden <warden@localhost>'),
  WARDEN_PUBLIC_URL: url(['http:', 'https:']).optional(),
  WARDEN_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash or underscore').optional(),
  REDIS_SENTINELS: hostPorts.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  WARDEN_SECRET_KEY: secretKeyText.optional(),
  WARDEN_OLD_SECRET_KEY: secretKeyText.optional(),
  WARDEN_ALLOW_PRIVATE_NETWORKS: cidrList.optional(),
  WARDEN_TRUST_PROXY: cidrList.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} satisfies Record<Exclude<keyof typeof VARIABLE_HELP, 'WARDEN_DEBUG'>, z.ZodType>);

export type Config = z.output<typeof envSchema>;

/** Some environment variables are invalid; `problems` has one line per variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
  }
}

/**
 * Reads and validates the environment. Empty strings count as unset, as
 * docker-compose writes `VAR=` for a variable it has no value for.
 */
export function loadConfig(env: Environment = processEnvironment()): Config {
  const given = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((k) => [k, env[k]] as const)
      .filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = envSchema.safeParse(given);
  if (result.success) {
    const config = result.data;
    const problems: string[] = [];
    if (config.REDIS_SENTINELS !== undefined && config.REDIS_CLUSTER_NODES !== undefined) problems.push('REDIS_CLUSTER_NODES: cannot be set together with REDIS_SENTINELS');
    if ((config.REDIS_SENTINELS !== undefined || config.REDIS_CLUSTER_NODES !== undefined) && config.REDIS_URL === undefined) {
      problems.push(`${config.REDIS_SENTINELS !== undefined ? 'REDIS_SENTINELS' : 'REDIS_CLUSTER_NODES'}: needs REDIS_URL (its credentials, database and TLS apply)`);
    }
    // The same key twice is a copy-paste slip: the key that sealed the values would be missing from the ring.
    if (config.WARDEN_OLD_SECRET_KEY !== undefined && config.WARDEN_OLD_SECRET_KEY === config.WARDEN_SECRET_KEY) {
      problems.push('WARDEN_OLD_SECRET_KEY: is the same key as WARDEN_SECRET_KEY; give the previous key, or unset it');
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  }
  // Values are never echoed: a URL may carry a password.
  const problems = result.error.issues.map((i) => `${String(i.path[0])}: ${i.code === 'invalid_value' ? `expected one of ${i.values.join(', ')}` : i.message}`);
  throw new ConfigError(problems);
}
