/**
 * What jobs need from the application (the ledger, the environment holding
 * tenant tokens, the mailer, the sender and the web app's URL). The app builds it
 * (src/app/deps.ts `createAppDeps`) and hands it to the fleet or the inline
 * runner as `deps.app`; jobs only read it, so they never import the app
 * (docs/architecture.md "Layers").
 */
import type { Environment } from '../src/config.js';
import type { Db } from '../src/db/executor.js';
import type { Mailer } from '../src/mail/transports.js';
import type { OmneoClientOptions } from '../src/omneo/client.js';
import type { Keyring } from '../src/secrets/secret-box.js';
import { PermanentJobError } from '../src/queue/errors.js';
import type { JobDeps } from '../src/queue/define-job.js';

export interface AppDeps {
  /** The ledger (owned by whoever opened it: closing the deps leaves it open). */
  db: Db;
  /**
   * Where each tenant's platform and SCIM tokens are read, by the variable name
   * the tenant row gives (never anything else: the rest is in the Config).
   */
  env: Environment;
  mailer: Mailer;
  /** The From of every email (`WARDEN_MAIL_FROM`). */
  mailFrom: string;
  /** Private networks outbound calls may reach (`WARDEN_ALLOW_PRIVATE_NETWORKS`); none when unset. */
  allowPrivateNetworks: readonly string[];
  /**
   * The web app's base URL (`WARDEN_PUBLIC_URL`), which digests link to.
   * @defaultValue none: digests carry no links
   */
  publicUrl?: string;
  /**
   * The web key (kept sealed in the ledger, src/app/ledger-keys.ts) that signs
   * the approval email's links; loaded on first use.
   * @defaultValue none: approval emails carry no links
   */
  webKey?: () => Promise<Buffer>;
  /**
   * The secret box's sealing key (`WARDEN_SECRET_KEY`, or the embedded key
   * file), read on first use.
   * @defaultValue none: nothing is sealed
   */
  secretKey?: () => Buffer;
  /**
   * The keys that open sealed values (the sealing key, and `WARDEN_OLD_SECRET_KEY`
   * during a key change), read on first use: the erasure job opens a request's
   * sealed identifiers with it.
   * @defaultValue `secretKey` alone; without either, requests with identifiers cannot be verified by search
   */
  keyring?: () => Keyring;
  /**
   * Platform client tuning for every audit (timeouts, retries, page size).
   * @defaultValue the client's defaults
   */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  /**
   * The clock of the jobs whose work follows the calendar (`access-review`,
   * `review-reminders`), so that a test drives a whole campaign day by day.
   * @defaultValue the system clock
   */
  now?: () => Date;
}

declare module '../src/queue/define-job.js' {
  interface JobDeps {
    /**
     * Optional so that queue-only code (tests of the machinery, `reconcile`)
     * can run without a mailer or a ledger handle; jobs that need it call {@link requireApp}.
     */
    app?: AppDeps;
  }
}

/** The app deps of a job's context; a runner started without them fails the run for good (no retry can help). */
export function requireApp(deps: JobDeps, job: string): AppDeps {
  if (deps.app === undefined) throw new PermanentJobError(`job ${job} needs the application's dependencies (ledger, mailer), and this runner was started without them`);
  return deps.app;
}
