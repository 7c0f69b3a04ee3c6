/**
 * Secrets and their rotations (docs/architecture.md "Secret rotation"): the
 * `secrets` rows (kind and policy), each rotation's state machine
 * (`create → set → test → finish → overlap → done`, or `rolled_back`), moved
 * by guarded updates so that two workers cannot both take a step, and its
 * journal (`secret_rotation_events`). An effect outside Warden is keyed in
 * the journal before it is made ({@link claimRotationEvent}).
 *
 * Nothing here sees a plain secret value: versions are sealed by the caller
 * (src/db/secret-versions.repository.ts takes a `seal` function).
 */
import { sql } from 'kysely';
import { InputError } from '../errors.js';
import { secretAad } from '../secrets/secret-box.js';
import { appendAuditLog } from './audit-log.repository.js';
import {
  json,
  type RotationReason,
  type RotationState,
  type Secret,
  type SecretKind,
  type SecretRotation,
  type SecretRotationEvent,
  type SecretVersion,
} from './database.js';
import { InvalidTransitionError, NotFoundError } from './errors.js';
import { inTransaction, type Db } from './executor.js';
import { createRuns } from './job-runs.repository.js';
import { RotationInProgressError } from './secret-versions.repository.js';
import { requireTenant } from './tenants.repository.js';

/** States of a rotation still under way (`overlap`: finished, the previous version not yet retired). */
export const OPEN_STATES: readonly RotationState[] = ['create', 'set', 'test', 'finish', 'overlap'];
/** States before `finish`: a rollback is still possible. */
export const PENDING_STATES: readonly RotationState[] = ['create', 'set', 'test', 'finish'];

// Secrets

export interface NewSecretInput {
  tenant: string;
  name: string;
  kind: SecretKind;
  /** @defaultValue 90 */
  rotateEveryDays?: number;
  /** @defaultValue 86 400 */
  overlapS?: number;
  /** api-token and machine-password: the platform user the secret belongs to. */
  machineUserId?: number | null;
}

/** Records a secret; one already held by that name is refused (a typed error naming it). */
export async function addSecret(db: Db, input: NewSecretInput): Promise<Secret> {
  await requireTenant(db, input.tenant);
  const row = await db
    .insertInto('secrets')
    .values({
      tenant: input.tenant,
      name: input.name,
      kind: input.kind,
      ...(input.rotateEveryDays === undefined ? {} : { rotate_every_days: input.rotateEveryDays }),
      ...(input.overlapS === undefined ? {} : { overlap_s: input.overlapS }),
      machine_user_id: input.machineUserId ?? null,
    })
    .onConflict((oc) => oc.columns(['tenant', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new SecretExistsError(input.tenant, input.name);
  return row;
}

/** A secret of that name is already held (an import twice): bad input, nothing written. */
export class SecretExistsError extends InputError {
  override readonly name = 'SecretExistsError';
  constructor(tenant: string, secret: string) {
    super('NAME', `${JSON.stringify(secret)} of ${JSON.stringify(tenant)} is already held (rotate it instead)`);
  }
}

export async function requireSecret(db: Db, tenant: string, name: string): Promise<Secret> {
  const row = await db.selectFrom('secrets').selectAll().where('tenant', '=', tenant).where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('secret', name);
  return row;
}

export function listSecrets(db: Db, tenant?: string): Promise<Secret[]> {
  let query = db.selectFrom('secrets').selectAll();
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.orderBy('tenant').orderBy('name').execute();
}

/** Changes a secret's policy (`warden secrets set`). */
export async function setSecretPolicy(db: Db, tenant: string, name: string, policy: { rotateEveryDays?: number; overlapS?: number }): Promise<Secret> {
  const row = await db
    .updateTable('secrets')
    .set({
      ...(policy.rotateEveryDays === undefined ? {} : { rotate_every_days: policy.rotateEveryDays }),
      ...(policy.overlapS === undefined ? {} : { overlap_s: policy.overlapS }),
    })
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError('secret', name);
  return row;
}

/**
 * The tenant's secrets due for rotation at `now` by their policy (their
 * current version is `rotate_every_days` old) that have no open rotation.
 */
export function secretsDue(db: Db, tenant: string, now: Date): Promise<Secret[]> {
  return db
    .selectFrom('secrets as s')
    .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant', '=', 's.tenant').onRef('v.name', '=', 's.name').on('v.label', '=', 'current'))
    .selectAll('s')
    .where('s.tenant', '=', tenant)
    .where(sql<boolean>`v.created_at + make_interval(days => s.rotate_every_days) <= ${now}`)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('secret_rotations as r').select(sql`1`.as('one')).whereRef('r.tenant', '=', 's.tenant').whereRef('r.name', '=', 's.name').where('r.state', 'in', [...OPEN_STATES]))),
    )
    .orderBy('s.name')
    .execute();
}

/**
 * The tenant's api-token secrets whose current version is one of these
 * platform tokens (TOK-05: the owner left), but for those a `departed-owner`
 * rotation has already finished. The platform makes the new token for the
 * integration's own user, so the finding stays open on the new token; the
 * value the leaver may hold is gone, though, and rotating again every day
 * would change nothing but the admins' work.
 */
export function tokenSecretsOf(db: Db, tenant: string, tokenIds: readonly string[]): Promise<Secret[]> {
  if (tokenIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('secrets as s')
    .innerJoin('secret_versions as v', (j) => j.onRef('v.tenant', '=', 's.tenant').onRef('v.name', '=', 's.name').on('v.label', '=', 'current'))
    .selectAll('s')
    .where('s.tenant', '=', tenant)
    .where('s.kind', '=', 'api-token')
    .where('v.platform_ref', 'in', [...tokenIds])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('secret_rotations as r')
            .select(sql`1`.as('one'))
            .whereRef('r.tenant', '=', 's.tenant')
            .whereRef('r.name', '=', 's.name')
            .where('r.reason', '=', 'departed-owner')
            .where('r.state', 'in', ['overlap', 'done']),
        ),
      ),
    )
    .execute();
}

// Rotations

export interface StartRotationInput {
  tenant: string;
  name: string;
  reason: RotationReason;
  /** No overlap: the previous version is retired as soon as the new one is proven. @defaultValue false */
  emergency?: boolean;
  /** A person's email, `cli:…`, `api:…`, or `warden` (the policy). */
  requestedBy: string;
  at: Date;
  /** The run that drives it, written in the same transaction. @defaultValue none: the daily `secret-rotation` job gives it one */
  runKey?: string;
}

/**
 * Opens a rotation (state `create`), its run and its first journal entry, and
 * writes the audit log, in one transaction. A second rotation of the same
 * secret while one is open is refused ({@link RotationInProgressError}),
 * whoever asked first: the partial unique index decides a race.
 */
export async function startRotation(db: Db, input: StartRotationInput): Promise<SecretRotation> {
  return inTransaction(db, async (trx) => {
    const secret = await requireSecret(trx, input.tenant, input.name);
    const current = await trx.selectFrom('secret_versions').select('id').where('tenant', '=', input.tenant).where('name', '=', input.name).where('label', '=', 'current').executeTakeFirst();
    if (current === undefined) throw new NotFoundError('secret_version', `current of ${input.name}`);
    const row = await trx
      .insertInto('secret_rotations')
      .values({
        tenant: secret.tenant,
        name: secret.name,
        reason: input.reason,
        emergency: input.emergency ?? false,
        state: 'create',
        requested_by: input.requestedBy,
        started_at: input.at,
        state_at: input.at,
      })
      .onConflict((oc) => oc.columns(['tenant', 'name']).where(sql<boolean>`state NOT IN ('done', 'rolled_back')`).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      const open = await trx.selectFrom('secret_rotations').select(['state', 'retire_at']).where('tenant', '=', secret.tenant).where('name', '=', secret.name).where('state', 'in', [...OPEN_STATES]).executeTakeFirst();
      throw new RotationInProgressError(input.tenant, input.name, open?.state === 'overlap' ? (open.retire_at ?? undefined) : undefined);
    }
    await trx.insertInto('secret_rotation_events').values({ rotation_id: row.id, at: input.at, actor: input.requestedBy, event: 'started', detail: json({ reason: input.reason, emergency: row.emergency }) }).execute();
    if (input.runKey !== undefined) await createRuns(trx, 'rotation', [{ runKey: input.runKey, tenant: secret.tenant, payload: { rotation_id: row.id } }], input.at);
    await appendAuditLog(trx, {
      actor: input.requestedBy,
      action: 'secret.rotation_started',
      subject: `secret:${secret.tenant}/${secret.name}`,
      details: { rotation: row.id, kind: secret.kind, reason: input.reason, emergency: row.emergency },
      at: input.at,
    });
    return row;
  });
}

export async function getRotation(db: Db, id: number): Promise<SecretRotation> {
  const row = await db.selectFrom('secret_rotations').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('secret_rotation', id);
  return row;
}

/** The open rotation of a secret, if any. */
export function openRotation(db: Db, tenant: string, name: string): Promise<SecretRotation | undefined> {
  return db.selectFrom('secret_rotations').selectAll().where('tenant', '=', tenant).where('name', '=', name).where('state', 'in', [...OPEN_STATES]).executeTakeFirst();
}

/** Rotations of a tenant's secrets (or every tenant's), newest first. */
export function listRotations(db: Db, options: { tenant?: string; open?: boolean; limit?: number } = {}): Promise<SecretRotation[]> {
  let query = db.selectFrom('secret_rotations').selectAll();
  if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
  if (options.open === true) query = query.where('state', 'in', [...OPEN_STATES]);
  return query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 1000).execute();
}

/** What to set alongside a move: plain values only. */
type RotationSet = Partial<Pick<SecretRotation, 'version_id' | 'waiting_for' | 'finished_at' | 'retire_at' | 'ended_at' | 'tries'>>;

/**
 * Moves a rotation from `from` to `to` (a guarded update: a second worker's
 * move of the same step finds the row gone on and gets {@link InvalidTransitionError}).
 * The step's tries and what it waited for are reset.
 */
export async function moveRotation(db: Db, id: number, from: RotationState | readonly RotationState[], to: RotationState, at: Date, set: RotationSet = {}): Promise<SecretRotation> {
  const states = typeof from === 'string' ? [from] : [...from];
  const row = await db
    .updateTable('secret_rotations')
    .set({ tries: 0, waiting_for: null, ...set, state: to, state_at: at })
    .where('id', '=', id)
    .where('state', 'in', states)
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row;
  const current = await getRotation(db, id);
  throw new InvalidTransitionError('secret_rotation', id, current.state, to);
}

/** The step could not finish now: one more try, and what it waits for (shown everywhere the rotation is). */
export async function recordWaiting(db: Db, id: number, state: RotationState, waitingFor: string): Promise<SecretRotation> {
  const row = await db
    .updateTable('secret_rotations')
    .set((eb) => ({ tries: eb('tries', '+', 1), waiting_for: waitingFor }))
    .where('id', '=', id)
    .where('state', '=', state)
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row;
  const current = await getRotation(db, id);
  throw new InvalidTransitionError('secret_rotation', id, current.state, state);
}

// The journal

export async function addRotationEvent(db: Db, rotationId: number, actor: string, event: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.insertInto('secret_rotation_events').values({ rotation_id: rotationId, actor, event, detail: json(detail) }).execute();
}

/**
 * Records a once-only journal entry (`detail.key`): true when this call
 * recorded it, false when it was there already. An effect is keyed so
 * before it is made.
 */
export async function claimRotationEvent(db: Db, rotationId: number, event: string, key: string, detail: Record<string, unknown> = {}): Promise<boolean> {
  const row = await db
    .insertInto('secret_rotation_events')
    .values({ rotation_id: rotationId, actor: 'warden', event, detail: json({ ...detail, key }) })
    .onConflict((oc) => oc.expression(sql`rotation_id, event, (detail->>'key')`).where(sql<boolean>`detail ? 'key'`).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a claim back: its effect was not made (an email that could not be sent), so a later run may make it. */
export async function releaseRotationEvent(db: Db, rotationId: number, event: string, key: string): Promise<void> {
  await db.deleteFrom('secret_rotation_events').where('rotation_id', '=', rotationId).where('event', '=', event).where(sql<string>`detail->>'key'`, '=', key).execute();
}

export function rotationEvents(db: Db, rotationId: number, event?: string): Promise<SecretRotationEvent[]> {
  let query = db.selectFrom('secret_rotation_events').selectAll().where('rotation_id', '=', rotationId);
  if (event !== undefined) query = query.where('event', '=', event);
  return query.orderBy('id').execute();
}

/** Open rotations without a queued or running `rotation` run (a lost enqueue, a run that gave up): reconcile gives them one. */
export function rotationsWithoutLiveRun(db: Db, tenant?: string, limit = 1000): Promise<SecretRotation[]> {
  let query = db
    .selectFrom('secret_rotations as r')
    .selectAll('r')
    .where('r.state', 'in', [...OPEN_STATES])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('job_runs as j')
            .select(sql`1`.as('one'))
            .where('j.kind', '=', 'rotation')
            .where(sql`j.payload->>'rotation_id'`, '=', sql`r.id::text`)
            .where('j.status', 'in', ['queued', 'running']),
        ),
      ),
    );
  if (tenant !== undefined) query = query.where('r.tenant', '=', tenant);
  return query.orderBy('r.id').limit(limit).execute();
}

/**
 * Whether an older run of rotation `rotationId` than run `runKey` is queued
 * or running (a live lease or not: a run whose worker died comes back).
 * That one drives the rotation: two runs of one rotation at once (two daily
 * jobs giving it one each) would both make a token or send an email, each
 * step being guarded only when it is stored.
 */
export async function olderLiveRun(db: Db, rotationId: number, runKey: string): Promise<boolean> {
  const row = await db
    .selectFrom('job_runs as j')
    .select('j.idempotency_key')
    .where('j.kind', '=', 'rotation')
    .where(sql`j.payload->>'rotation_id'`, '=', String(rotationId))
    .where('j.status', 'in', ['queued', 'running'])
    .where('j.idempotency_key', '!=', runKey)
    .where('j.id', '<', (eb) => eb.selectFrom('job_runs').select('id').where('idempotency_key', '=', runKey))
    .executeTakeFirst();
  return row !== undefined;
}

// Versions, as a rotation moves them

/**
 * Step `create`, in one transaction: the sealed pending version is written and
 * the rotation moves to `set` holding it, so a worker killed after this has
 * the version and one killed before has nothing to undo (never two pending).
 */
export async function recordCreated(
  db: Db,
  rotation: SecretRotation,
  version: { kind: SecretKind; seal: (aad: Buffer) => Uint8Array; platformRef?: string | null },
  at: Date,
): Promise<{ rotation: SecretRotation; version: SecretVersion }> {
  return inTransaction(db, async (trx) => {
    const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('secret_versions', 'id'))::int AS id`.execute(trx);
    const id = rows[0]!.id;
    const created = await trx
      .insertInto('secret_versions')
      .values({
        id,
        tenant: rotation.tenant,
        name: rotation.name,
        kind: version.kind,
        label: 'pending',
        encrypted_value: version.seal(secretAad(rotation.tenant, rotation.name, id)),
        created_at: at,
        step: 'create',
        platform_ref: version.platformRef ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const moved = await moveRotation(trx, rotation.id, 'create', 'set', at, { version_id: id });
    await trx.insertInto('secret_rotation_events').values({ rotation_id: rotation.id, at, actor: 'warden', event: 'created', detail: json({ version: id }) }).execute();
    return { rotation: moved, version: created };
  });
}

/** Steps `set` and `test`: the version records the step, the rotation moves on, the journal says so; one transaction. */
export async function recordStep(db: Db, rotation: SecretRotation, step: 'set' | 'test', at: Date, detail: Record<string, unknown> = {}): Promise<SecretRotation> {
  return inTransaction(db, async (trx) => {
    const next: RotationState = step === 'set' ? 'test' : 'finish';
    const moved = await moveRotation(trx, rotation.id, step, next, at);
    await trx
      .updateTable('secret_versions')
      .set(step === 'set' ? { step: 'set', set_at: at } : { step: 'test', tested_at: at })
      .where('id', '=', rotation.version_id!)
      .where('label', '=', 'pending')
      .execute();
    await trx.insertInto('secret_rotation_events').values({ rotation_id: rotation.id, at, actor: 'warden', event: step === 'set' ? 'set' : 'tested', detail: json(detail) }).execute();
    return moved;
  });
}

/**
 * Step `finish`, in one transaction: previous → retired, current → previous,
 * pending → current; the rotation moves to `overlap` until `retireAt`, the
 * journal and the hash-chained audit log say so.
 */
export async function recordFinished(db: Db, rotation: SecretRotation, at: Date, retireAt: Date): Promise<SecretRotation> {
  return inTransaction(db, async (trx) => {
    const moved = await moveRotation(trx, rotation.id, 'finish', 'overlap', at, { finished_at: at, retire_at: retireAt });
    const scope = (label: 'previous' | 'current' | 'pending') =>
      trx.updateTable('secret_versions').where('tenant', '=', rotation.tenant).where('name', '=', rotation.name).where('label', '=', label);
    await scope('previous').set({ label: 'retired', retired_at: at }).execute();
    await scope('current').set({ label: 'previous' }).execute();
    await scope('pending').set({ label: 'current', step: 'finish', finished_at: at }).execute();
    await trx.insertInto('secret_rotation_events').values({ rotation_id: rotation.id, at, actor: 'warden', event: 'finished', detail: json({ version: rotation.version_id, retire_at: retireAt.toISOString() }) }).execute();
    await appendAuditLog(trx, {
      actor: 'system:rotation',
      action: 'secret.rotated',
      subject: `secret:${rotation.tenant}/${rotation.name}`,
      details: { rotation: rotation.id, version: rotation.version_id, emergency: rotation.emergency, retire_previous_at: retireAt.toISOString() },
      at,
    });
    return moved;
  });
}

/** The end of the overlap: the previous version is retired and the rotation done; audit-logged. */
export async function recordRetired(db: Db, rotation: SecretRotation, at: Date): Promise<SecretRotation> {
  return inTransaction(db, async (trx) => {
    const moved = await moveRotation(trx, rotation.id, 'overlap', 'done', at, { ended_at: at });
    const retired = await trx
      .updateTable('secret_versions')
      .set({ label: 'retired', retired_at: at })
      .where('tenant', '=', rotation.tenant)
      .where('name', '=', rotation.name)
      .where('label', '=', 'previous')
      .returning('id')
      .execute();
    await trx.insertInto('secret_rotation_events').values({ rotation_id: rotation.id, at, actor: 'warden', event: 'previous_retired', detail: json({ versions: retired.map((r) => r.id) }) }).execute();
    await appendAuditLog(trx, {
      actor: 'system:rotation',
      action: 'secret.previous_retired',
      subject: `secret:${rotation.tenant}/${rotation.name}`,
      details: { rotation: rotation.id, versions: retired.map((r) => r.id) },
      at,
    });
    return moved;
  });
}

/**
 * Rollback before `finish`: the pending version is retired (never used
 * again), the rotation ends `rolled_back`, the current version stays; journal
 * and audit log, one transaction.
 */
export async function recordRolledBack(db: Db, rotation: SecretRotation, actor: string, at: Date): Promise<SecretRotation> {
  return inTransaction(db, async (trx) => {
    const moved = await moveRotation(trx, rotation.id, PENDING_STATES, 'rolled_back', at, { ended_at: at });
    if (rotation.version_id !== null) {
      await trx.updateTable('secret_versions').set({ label: 'retired', retired_at: at }).where('id', '=', rotation.version_id).where('label', '=', 'pending').execute();
    }
    await trx.insertInto('secret_rotation_events').values({ rotation_id: rotation.id, at, actor, event: 'rolled_back', detail: json({ from: rotation.state, version: rotation.version_id }) }).execute();
    await appendAuditLog(trx, {
      actor,
      action: 'secret.rotation_rolled_back',
      subject: `secret:${rotation.tenant}/${rotation.name}`,
      details: { rotation: rotation.id, from: rotation.state },
      at,
    });
    return moved;
  });
}
