/**
 * The application's dependencies that jobs need (the ledger, the environment
 * holding tenant tokens, the mailer, the sender and the app's URL), built once
 * per process from the validated configuration and handed to the fleet or the
 * inline runner as `deps.app`.
 */
import { loadConfig, type Config } from '../config.js';
import type { Db } from '../db/executor.js';
import { createMailer, mailerConfigFromEnv, type Mailer, type MailerConfig } from '../mail/transports.js';
import type { OmneoClientOptions } from '../omneo/client.js';
import { PermanentJobError } from '../queue/errors.js';
import type { JobDeps } from '../queue/define-job.js';

export interface AppDeps {
  /** The ledger (owned by whoever opened it: closing the deps leaves it open). */
  db: Db;
  /** Where each tenant's platform token is read, by the variable name the tenant row gives. */
  env: NodeJS.ProcessEnv;
  mailer: Mailer;
  /** The From of every email (`WARDEN_MAIL_FROM`). */
  mailFrom: string;
  /** Base URL of the web app for links in emails (`WARDEN_PUBLIC_URL`); no links when unset. */
  appUrl: string | undefined;
  /**
   * Platform client tuning for every audit (timeouts, retries, page size).
   * @defaultValue the client's defaults
   */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
}

declare module '../queue/define-job.js' {
  interface JobDeps {
    /**
     * Optional so that queue-only code (tests of the machinery, `reconcile`)
     * can run without a mailer or a ledger handle; jobs that need it call {@link requireApp}.
     */
    app?: AppDeps;
  }
}

export interface OpenedAppDeps extends AppDeps {
  /** Closes what the deps opened (the mailer's pooled connections); never the ledger. */
  close(): Promise<void>;
}

export interface CreateAppDepsOptions {
  /** The ledger, already open. */
  db: Db;
  /** The process environment; validated with {@link loadConfig}. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /** Overrides the mailer built from `SMTP_URL` / `WARDEN_OUTBOX` (e.g. TLS options of a private relay). @defaultValue from the environment */
  mailer?: MailerConfig;
  /** @defaultValue the client's defaults */
  client?: AppDeps['client'];
}

/** Builds the deps; a bad environment is a ConfigError listing every bad variable, before anything opens. */
export function createAppDeps(options: CreateAppDepsOptions): OpenedAppDeps {
  const env = options.env ?? process.env;
  const config: Config = loadConfig(env);
  const mailer = createMailer({ ...mailerConfigFromEnv(env), outboxDir: config.WARDEN_OUTBOX, ...options.mailer });
  return {
    db: options.db,
    env,
    mailer,
    mailFrom: config.WARDEN_MAIL_FROM,
    appUrl: config.WARDEN_PUBLIC_URL,
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

/** The app deps of a job's context; a runner started without them fails the run for good (no retry can help). */
export function requireApp(deps: JobDeps, job: string): AppDeps {
  if (deps.app === undefined) throw new PermanentJobError(`job ${job} needs the application's dependencies (ledger, mailer), and this runner was started without them`);
  return deps.app;
}
