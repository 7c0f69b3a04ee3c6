/**
 * The application's dependencies that jobs need (the ledger, the environment
 * holding tenant tokens, the mailer, the sender and the app's URL), built once
 * per process by {@link createApp} (src/app/create-app.ts) from the validated
 * configuration and handed to the fleet or the inline runner as `deps.app`.
 */
import type { Config, Environment } from '../config.js';
import type { Db } from '../db/executor.js';
import { createMailer, mailerConfigOf, type MailerConfig } from '../mail/transports.js';
import type { JobDeps } from '../queue/define-job.js';
import { keyring, type Keyring } from '../secrets/secret-box.js';
import type { AppDeps } from '../../jobs/job-deps.js';
import { ledgerKeysLoader, type LedgerKeys } from './ledger-keys.js';

export type { AppDeps };

export interface OpenedAppDeps extends AppDeps {
  /** Closes what the deps opened (the mailer's pooled connections); never the ledger. */
  close(): Promise<void>;
}

export interface CreateAppDepsOptions {
  /** The ledger, already open. */
  db: Db;
  /** The validated environment (src/config.ts `loadConfig`). */
  config: Config;
  /** Where tenant token variables are read. */
  env: Environment;
  /** Overrides the mailer built from `SMTP_URL` / `WARDEN_OUTBOX` (e.g. TLS options of a private relay). @defaultValue from the config */
  mailer?: MailerConfig;
  /** @defaultValue the client's defaults */
  client?: AppDeps['client'];
  /**
   * The process's keyring, when the app already reads it (src/app/create-app.ts).
   * @defaultValue read from the config on first use
   */
  keyring?: () => Keyring;
  /**
   * The process's ledger keys (src/app/ledger-keys.ts), when the app already loads them for its audit key.
   * @defaultValue a loader of these deps' own, over `db`
   */
  ledgerKeys?: (db: Db) => Promise<LedgerKeys>;
}

export function createAppDeps(options: CreateAppDepsOptions): OpenedAppDeps {
  const { config } = options;
  const mailer = createMailer({ ...mailerConfigOf(config), ...options.mailer });
  let ring: Keyring | undefined;
  const keyringOf = options.keyring ?? (() => (ring ??= keyring(config, config.WARDEN_DATA_DIR)));
  const ledgerKeys = options.ledgerKeys ?? ledgerKeysLoader(keyringOf);
  return {
    db: options.db,
    env: options.env,
    mailer,
    mailFrom: config.WARDEN_MAIL_FROM,
    allowPrivateNetworks: config.WARDEN_ALLOW_PRIVATE_NETWORKS ?? [],
    ...(config.WARDEN_PUBLIC_URL === undefined ? {} : { publicUrl: config.WARDEN_PUBLIC_URL }),
    webKey: async () => (await ledgerKeys(options.db)).web,
    secretKey: () => keyringOf().current,
    keyring: keyringOf,
    ...(options.client === undefined ? {} : { client: options.client }),
    close: () => {
      mailer.close();
      return Promise.resolve();
    },
  };
}

/** The job fleet's deps carrying these app deps. */
export function jobDeps(app: AppDeps): JobDeps {
  return { app };
}
