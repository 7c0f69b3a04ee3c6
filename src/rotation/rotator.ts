/**
 * What a rotator does for one kind of secret, step by step
 * (docs/architecture.md "Secret rotation"). The engine
 * (./drive-rotation.ts) journals each step and moves the rotation; a rotator
 * only says whether its part is done, or what it still waits for. A rotator
 * is called again after a crash or a wait, so each of its parts is safe to
 * repeat, or keys its effect in the journal before making it.
 */
import type { Secret, SecretKind, SecretRotation, SecretVersion, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import type { Logger } from '../log/logger.js';
import type { BarcodeClient } from '../omneo/barcode-client.js';
import type { OmneoClient } from '../omneo/client.js';

/** Done, or not yet and why (in words: it is shown on the status, the page and the digest). */
export type StepResult = { done: true; detail?: Record<string, unknown> } | { done: false; waitingFor: string };

export const DONE: StepResult = { done: true };

export interface RotatorContext {
  db: Db;
  tenant: Tenant;
  secret: Secret;
  rotation: SecretRotation;
  /** A version's plain value (opened with the secret key). Never logged, never in an error. */
  open(version: SecretVersion): Buffer;
  /** The tenant's platform client, as Warden (the tenant's token), or as the holder of `token`. */
  platform(token?: string): OmneoClient;
  /** The tenant's barcode service. */
  barcode(): BarcodeClient;
  logger: Logger | undefined;
  now(): Date;
}

export interface Rotator {
  readonly kind: SecretKind;
  /**
   * Step `create`: the new value, made here (random) or by the platform (an
   * API token, whose id is the `platformRef`). Nothing is stored yet: the
   * engine seals and stores it with the move to `set`, in one transaction.
   */
  create(ctx: RotatorContext, current: SecretVersion): Promise<{ value: Buffer; platformRef?: string }>;
  /** Step `set`, the platform's part (the admins' email with the retrieval link is the engine's). */
  set(ctx: RotatorContext, pending: SecretVersion): Promise<StepResult>;
  /** Step `test`: proof that the new value works, from the outside. */
  test(ctx: RotatorContext, pending: SecretVersion): Promise<StepResult>;
  /** Before `finish` (unless an emergency): the consumers are seen using the new value. */
  consumersSeen(ctx: RotatorContext, pending: SecretVersion): Promise<StepResult>;
  /** Whether the previous value still works anywhere after `set` (a password does not: the platform holds one). */
  readonly overlaps: boolean;
  /** At the end of the overlap, before the previous version is retired (an old token revoked). */
  retire?(ctx: RotatorContext, previous: SecretVersion): Promise<void>;
  /**
   * Undoing what `create` and `set` did outside, on a rollback (a new token
   * revoked, the old password put back). `pending` is undefined when the
   * rotation is rolled back at `create`, nothing stored: a create killed after
   * its platform call may still have made something.
   */
  rollback?(ctx: RotatorContext, pending: SecretVersion | undefined, current: SecretVersion): Promise<void>;
  /**
   * Undoing a `create` whose value could not be stored: the rotation moved on
   * meanwhile (rolled back, or another worker's create won), and what it made
   * outside (a token) would stay valid with nobody holding it.
   */
  discard?(ctx: RotatorContext, platformRef: string): Promise<void>;
}
