/**
 * The rotation engine (docs/architecture.md "Secret rotation"): moves one
 * rotation from where its row stands, through the four steps of the big
 * secret managers and an overlap:
 *
 * - `create`: the rotator makes the new value; it is sealed and stored as the
 *   `pending` version in the same transaction that moves the rotation to
 *   `set` (so a crash leaves either nothing or the version, never two).
 * - `set`: once someone can be told (a public URL, an admin), the rotator's
 *   platform part, then each admin's email with a one-time link to the
 *   value (keyed in the journal before it is sent, marked sent after).
 * - `test`: proof from the outside that the new value works; until then the
 *   step waits on a backoff (propagation, the platform's support).
 * - `finish`: unless an emergency, waits until the consumers are seen using
 *   the new value; then pending → current, current → previous (still
 *   accepted), previous → retired, and the audit log says so.
 * - `overlap`: until `retire_at` (finish + the secret's overlap; finish
 *   itself in an emergency or for a password), then the rotator retires the
 *   previous value outside (an old token revoked) and it is retired here.
 *
 * Each move is a guarded update: a second worker on the same rotation gets
 * `InvalidTransitionError` and stops. A step that cannot finish now records
 * what it waits for and answers when to try again.
 */
import type { Secret, SecretRotation, SecretVersion, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import {
  addRotationEvent,
  getRotation,
  recordCreated,
  recordFinished,
  recordRetired,
  recordRolledBack,
  recordStep,
  recordWaiting,
  requireSecret,
} from '../db/secret-rotations.repository.js';
import { getVersion, getVersionById } from '../db/secret-versions.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { InvalidTransitionError, NotFoundError } from '../db/errors.js';
import { DomainError } from '../errors.js';
import type { Keyring } from '../secrets/secret-box.js';
import { askAdmins, nobodyToAsk, type RotationNotifyDeps } from './notify.js';
import { rotatorFor } from './rotators.js';
import type { Rotator, RotatorContext, StepResult } from './rotator.js';
import { openVersion, sealer } from './secret-values.js';
import type { RotationClients } from './rotation-clients.js';

/** The first wait after a step could not finish; doubled each try up to {@link MAX_WAIT_MS}. */
export const FIRST_WAIT_MS = 2_000;
/** The longest wait between two tries of a step (a propagation delay, a human at the platform's support). */
export const MAX_WAIT_MS = 10 * 60_000;

export interface RotationDeps extends RotationNotifyDeps {
  /** The key new versions are sealed with (`WARDEN_SECRET_KEY`). */
  secretKey(): Buffer;
  /** The keyring versions are opened with (the old key too, during a key change). @defaultValue the sealing key alone */
  keyring?(): Keyring;
  /** The tenant's platform and barcode clients. */
  clients(tenant: Tenant): RotationClients;
  /** @defaultValue the system clock */
  now?: () => Date;
}

export type DriveOutcome =
  | { state: 'done' | 'rolled_back' }
  /** Not finished: try again at `retryAt`. */
  | { state: SecretRotation['state']; waitingFor: string; retryAt: Date };

/** When a step that has waited `tries` times is tried again. */
export function nextTry(now: Date, tries: number): Date {
  return new Date(now.getTime() + Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.min(20, Math.max(0, tries - 1))));
}

/** Drives rotation `id` as far as it can go now. */
export async function driveRotation(deps: RotationDeps, id: number): Promise<DriveOutcome> {
  const now = deps.now ?? (() => new Date());
  let rotation = await getRotation(deps.db, id);
  if (rotation.state === 'done' || rotation.state === 'rolled_back') return { state: rotation.state };
  const tenant = await requireTenant(deps.db, rotation.tenant);
  const secret = await requireSecret(deps.db, rotation.tenant, rotation.name);
  const rotator = rotatorFor(secret.kind);
  // The key and the row before any step: a worker given another WARDEN_SECRET_KEY (or a current version altered or
  // moved) would otherwise seal a new value nobody else can open and email the admins a link to it.
  openVersion(await currentOf(deps.db, secret), deps.secretKey()).fill(0);
  const clients = deps.clients(tenant);
  const context = (r: SecretRotation): RotatorContext => ({
    db: deps.db,
    tenant,
    secret,
    rotation: r,
    open: (version) => openVersion(version, deps.keyring?.() ?? deps.secretKey()),
    platform: (token) => clients.platform(token),
    barcode: () => clients.barcode(),
    logger: deps.logger,
    now,
  });
  const wait = async (r: SecretRotation, waitingFor: string): Promise<DriveOutcome> => {
    const waited = await recordWaiting(deps.db, r.id, r.state, waitingFor);
    return { state: r.state, waitingFor, retryAt: nextTry(now(), waited.tries) };
  };

  for (;;) {
    const ctx = context(rotation);
    switch (rotation.state) {
      case 'create': {
        const current = await currentOf(deps.db, secret);
        const made = await rotator.create(ctx, current);
        try {
          ({ rotation } = await recordCreated(deps.db, rotation, { kind: secret.kind, seal: sealer(made.value, deps.secretKey()), platformRef: made.platformRef ?? null }, now()));
        } catch (err) {
          // Moved on while the value was made (a rollback): what was made outside must not stay valid unheld.
          if (err instanceof InvalidTransitionError && made.platformRef !== undefined) await discard(rotator, ctx, made.platformRef);
          throw err;
        } finally {
          made.value.fill(0);
        }
        break;
      }
      case 'set': {
        const pending = await pendingOf(deps.db, rotation);
        // Whom to tell comes first: a password changed on the platform with nobody to give the new one to
        // stops its integration, for nothing.
        const nobody = await nobodyToAsk(deps, tenant);
        if (nobody !== undefined) return wait(rotation, nobody);
        const done = await rotator.set(ctx, pending);
        if (!done.done) return wait(rotation, done.waitingFor);
        const overlapH = rotation.emergency || !rotator.overlaps ? 0 : secret.overlap_s / 3600;
        const unsent = await askAdmins(deps, tenant, secret, rotation, pending, overlapH, now());
        if (unsent !== undefined) return wait(rotation, unsent);
        rotation = await recordStep(deps.db, rotation, 'set', now(), detailOf(done));
        break;
      }
      case 'test': {
        const pending = await pendingOf(deps.db, rotation);
        const done = await rotator.test(ctx, pending);
        if (!done.done) return wait(rotation, done.waitingFor);
        rotation = await recordStep(deps.db, rotation, 'test', now(), detailOf(done));
        break;
      }
      case 'finish': {
        const pending = await pendingOf(deps.db, rotation);
        // An emergency does not wait for the consumers: the old value goes the moment the new one is proven.
        const seen: StepResult = rotation.emergency ? { done: true } : await rotator.consumersSeen(ctx, pending);
        if (!seen.done) return wait(rotation, seen.waitingFor);
        const at = now();
        const overlapMs = rotation.emergency || !rotator.overlaps ? 0 : secret.overlap_s * 1000;
        rotation = await recordFinished(deps.db, rotation, at, new Date(at.getTime() + overlapMs));
        deps.logger?.info({ rotation: rotation.id, tenant: rotation.tenant, secret: rotation.name }, 'rotation finished: the new version is current');
        break;
      }
      case 'overlap': {
        const retireAt = rotation.retire_at ?? now();
        if (retireAt.getTime() > now().getTime()) {
          if (rotation.waiting_for === null) rotation = await recordWaiting(deps.db, rotation.id, 'overlap', `the end of the overlap (${retireAt.toISOString()}); the previous version is accepted until then`);
          return { state: 'overlap', waitingFor: rotation.waiting_for!, retryAt: retireAt };
        }
        const previous = await getVersion(deps.db, rotation.tenant, rotation.name, 'previous');
        if (previous !== undefined) await rotator.retire?.(ctx, previous);
        rotation = await recordRetired(deps.db, rotation, now());
        deps.logger?.info({ rotation: rotation.id, tenant: rotation.tenant, secret: rotation.name }, 'rotation done: the previous version is retired');
        return { state: 'done' };
      }
      case 'done':
      case 'rolled_back':
        return { state: rotation.state };
    }
  }
}

/**
 * Returns a rotation not yet finished to the current version. The ledger
 * moves first (a guarded update from a step before `finish`, so the engine's
 * next move finds it gone on and stops, and a rotation that finished
 * meanwhile is refused): the pending version is retired and the rotation ends
 * `rolled_back` (journal and audit log). Then what the rotator did outside is
 * undone (a new token revoked, the old password put back); if that fails, it
 * is journalled and the error says what is left to do by hand.
 */
export async function rollBackRotation(deps: RotationDeps, rotation: SecretRotation, actor: string): Promise<SecretRotation> {
  const now = deps.now ?? (() => new Date());
  const tenant = await requireTenant(deps.db, rotation.tenant);
  const secret = await requireSecret(deps.db, rotation.tenant, rotation.name);
  const rotator: Rotator = rotatorFor(secret.kind);
  const ended = await recordRolledBack(deps.db, rotation, actor, now());
  if (rotator.rollback === undefined) return ended;
  const clients = deps.clients(tenant);
  const pending = rotation.version_id === null ? undefined : await getVersionById(deps.db, rotation.version_id);
  const current = await currentOf(deps.db, secret);
  try {
    await rotator.rollback(
      { db: deps.db, tenant, secret, rotation, open: (v) => openVersion(v, deps.keyring?.() ?? deps.secretKey()), platform: (t) => clients.platform(t), barcode: () => clients.barcode(), logger: deps.logger, now },
      pending,
      current,
    );
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]!.slice(0, 300);
    await addRotationEvent(deps.db, rotation.id, actor, 'rollback_undo_failed', { error: reason });
    throw new RollbackIncompleteError(rotation, secret.kind, reason);
  }
  return ended;
}

/** The rotation was rolled back in Warden, and the platform could not be told: what is left to do, in words. */
export class RollbackIncompleteError extends DomainError {
  override readonly name = 'RollbackIncompleteError';
  constructor(rotation: SecretRotation, kind: Secret['kind'], reason: string) {
    const left =
      kind === 'api-token'
        ? rotation.version_id === null
          ? `a token made by rotation ${rotation.id}'s cut-short create may still be valid on the platform: revoke any token of the integration's name made since ${rotation.started_at.toISOString()}`
          : `the new token made by rotation ${rotation.id} is still valid on the platform: revoke it there (version ${rotation.version_id})`
        : `the platform still has the new password of rotation ${rotation.id}; Warden holds the old one as current: rotate again (warden secrets rotate ${rotation.name} --tenant ${rotation.tenant})`;
    super(`secret: rotation ${rotation.id} is rolled back in Warden, but the platform could not be told (${reason}); ${left}`);
  }
}

/** A create's result that could not be stored, undone outside; a failure is journalled and logged (with the token's id) for a person to finish. */
async function discard(rotator: Rotator, ctx: RotatorContext, platformRef: string): Promise<void> {
  try {
    await rotator.discard?.(ctx, platformRef);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]!.slice(0, 300);
    await addRotationEvent(ctx.db, ctx.rotation.id, 'warden', 'orphan_token_left', { token: platformRef, error: reason });
    ctx.logger?.error({ rotation: ctx.rotation.id, token: platformRef, error: reason }, 'a token made after the rotation moved on could not be revoked: revoke it on the platform');
  }
}

async function currentOf(db: Db, secret: Secret): Promise<SecretVersion> {
  const current = await getVersion(db, secret.tenant, secret.name, 'current');
  if (current === undefined) throw new NotFoundError('secret_version', `current of ${secret.name}`);
  return current;
}

async function pendingOf(db: Db, rotation: SecretRotation): Promise<SecretVersion> {
  if (rotation.version_id === null) throw new NotFoundError('secret_version', `pending of rotation ${rotation.id}`);
  return getVersionById(db, rotation.version_id);
}

function detailOf(result: StepResult): Record<string, unknown> {
  return result.done ? (result.detail ?? {}) : {};
}
