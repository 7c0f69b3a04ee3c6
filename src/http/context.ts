/** What every route of the web app is given: the app's parts it needs, built once by src/http/server.ts. */
import type { App } from '../app/create-app.js';
import type { SignInDeps } from '../app/sign-in.js';
import type { Db } from '../db/executor.js';
import type { Logger } from '../log/logger.js';

export interface WebContext {
  /** The composition root: config, registry, queue transport, schedules. */
  app: App;
  db: Db;
  log: Logger;
  /** The web key (src/secrets/tokens.ts): CSRF tokens, sign-in codes and nonces. */
  key: Buffer;
  /** Cookies carry `Secure` (the public URL is https). */
  secureCookies: boolean;
  /** Where links point: `WARDEN_PUBLIC_URL`, else the address the server listens on (known once it does). */
  publicUrl(): string;
  /** What sign-in needs (the mailer, the sender, the public URL). */
  signIn(): SignInDeps;
  /** The clock (tests move it). */
  now(): Date;
  /**
   * Records a run in the ledger and dispatches it (the app's job runner): how
   * an approval made on a page, by API or through an email link gets its
   * `remediation` run. Resolves to the run's id.
   */
  enqueue(kind: string, payload: unknown, tenant: string | null): Promise<string>;
  /**
   * Hands runs already written to the ledger to the job runner (an erasure
   * request's run is written with the request, in one transaction). A run that
   * does not go stays queued in the ledger, and reconcile enqueues it.
   */
  dispatch(kind: string, runs: readonly { id: string; tenant: string | null; payload: Record<string, unknown> }[]): Promise<void>;
  /** The secret box's key: erasure requests' identifiers are sealed with it. */
  secretKey(): Buffer;
}
