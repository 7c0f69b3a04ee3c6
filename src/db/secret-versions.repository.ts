/**
 * Versions of a tenant's shared secrets, labelled like the big secret
 * managers: `current`, `pending`, `previous`, `retired`. Values are stored
 * encrypted (by the secrets module); this module never sees a plain value.
 * Each value is sealed with its row's tenant, name and version (the row id,
 * which a label change keeps) as associated data, so a value copied to another
 * row no longer opens: the id is drawn first, then the caller seals.
 */
import { sql } from 'kysely';
import { InputError } from '../errors.js';
import { secretAad } from '../secrets/secret-box.js';
import type { RotationStep, SecretLabel, SecretVersion } from './database.js';
import { NotFoundError } from './errors.js';
import { inTransaction, type Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';

/** A second rotation was started while one is already pending. */
export class RotationInProgressError extends InputError {
  override readonly name = 'RotationInProgressError';
  constructor(tenant: string, secret: string) {
    super('secret', `${JSON.stringify(secret)} of ${JSON.stringify(tenant)} already has a pending version`);
  }
}

export interface NewSecretVersionInput {
  tenant: string;
  /** The secret's name, e.g. `webhook-signing`. */
  name: string;
  kind: string;
  /**
   * Seals the new value with the associated data it is given (`tenant\0name\0version`,
   * src/secrets/secret-box.ts `secretAad`), e.g. `(aad) => sealSecret(value, key, aad)`.
   */
  seal: (aad: Buffer) => Uint8Array;
  /** @defaultValue now */
  at?: Date;
}

/** The id the next version will have: drawn before the insert, since the sealed value is bound to it. */
async function nextVersionId(db: Db): Promise<number> {
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('secret_versions', 'id'))::int AS id`.execute(db);
  return rows[0]!.id;
}

/** Records the first value of a secret as `current` (e.g. one imported at onboarding). */
export async function addCurrentVersion(db: Db, input: NewSecretVersionInput): Promise<SecretVersion> {
  await requireTenant(db, input.tenant);
  const id = await nextVersionId(db);
  return db
    .insertInto('secret_versions')
    .values({
      id,
      tenant: input.tenant,
      name: input.name,
      kind: input.kind,
      label: 'current',
      encrypted_value: input.seal(secretAad(input.tenant, input.name, id)),
      created_at: input.at ?? new Date(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Rotation step 1, create: a new `pending` version. Only one can be pending at a time. */
export async function createPendingVersion(db: Db, input: NewSecretVersionInput): Promise<SecretVersion> {
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, input.tenant);
    const pending = await getVersion(trx, input.tenant, input.name, 'pending');
    if (pending !== undefined) throw new RotationInProgressError(input.tenant, input.name);
    const id = await nextVersionId(trx);
    return trx
      .insertInto('secret_versions')
      .values({
        id,
        tenant: input.tenant,
        name: input.name,
        kind: input.kind,
        label: 'pending',
        encrypted_value: input.seal(secretAad(input.tenant, input.name, id)),
        created_at: input.at ?? new Date(),
        step: 'create',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Rotation steps 2 and 3: the pending version was handed to the other side (`set`) or proven to work (`test`). */
export async function recordRotationStep(db: Db, id: number, step: Extract<RotationStep, 'set' | 'test'>, at: Date): Promise<SecretVersion> {
  const expected: RotationStep = step === 'set' ? 'create' : 'set';
  const row = await db
    .updateTable('secret_versions')
    .set(step === 'set' ? { step, set_at: at } : { step, tested_at: at })
    .where('id', '=', id)
    .where('label', '=', 'pending')
    .where('step', '=', expected)
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row;
  const current = await db.selectFrom('secret_versions').select(['label', 'step']).where('id', '=', id).executeTakeFirst();
  if (current === undefined) throw new NotFoundError('secret_version', id);
  throw new InputError('secret_version', `version ${id} is ${current.label} at step ${current.step ?? 'none'}, it cannot take step ${step}`);
}

/**
 * Rotation step 4, finish, in one transaction: previous → retired,
 * current → previous (still accepted for the overlap window), tested pending → current.
 */
export async function finishRotation(db: Db, tenant: string, name: string, at: Date): Promise<SecretVersion> {
  return inTransaction(db, async (trx) => {
    const pending = await getVersion(trx, tenant, name, 'pending');
    if (pending === undefined) throw new InputError('secret', `${JSON.stringify(name)} of ${JSON.stringify(tenant)} has no pending version`);
    if (pending.step !== 'test') throw new InputError('secret', `the pending version of ${JSON.stringify(name)} has not passed its test step`);
    const scope = (label: SecretLabel) =>
      trx.updateTable('secret_versions').where('tenant', '=', tenant).where('name', '=', name).where('label', '=', label);
    await scope('previous').set({ label: 'retired', retired_at: at }).execute();
    await scope('current').set({ label: 'previous' }).execute();
    return scope('pending').set({ label: 'current', step: 'finish', finished_at: at }).returningAll().executeTakeFirstOrThrow();
  });
}

/**
 * Retires `previous` versions whose overlap window ended (their successor finished before `finishedBefore`).
 * @public kept for a later issue (approvals, erasure, rotation); no command reaches it yet
 */
export async function retirePrevious(db: Db, finishedBefore: Date, at: Date = new Date()): Promise<number[]> {
  const rows = await db
    .updateTable('secret_versions as v')
    .set({ label: 'retired', retired_at: at })
    .where('v.label', '=', 'previous')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('secret_versions as c')
          .select('c.id')
          .whereRef('c.tenant', '=', 'v.tenant')
          .whereRef('c.name', '=', 'v.name')
          .where('c.label', '=', 'current')
          .where('c.finished_at', '<', finishedBefore),
      ),
    )
    .returning('v.id')
    .execute();
  return rows.map((r) => r.id);
}

export function getVersion(db: Db, tenant: string, name: string, label: Exclude<SecretLabel, 'retired'>): Promise<SecretVersion | undefined> {
  return db
    .selectFrom('secret_versions')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .where('label', '=', label)
    .executeTakeFirst();
}

/** Versions a receiver accepts during the overlap: current, pending and previous. */
export function acceptedVersions(db: Db, tenant: string, name: string): Promise<SecretVersion[]> {
  return db
    .selectFrom('secret_versions')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('name', '=', name)
    .where('label', 'in', ['current', 'pending', 'previous'])
    .orderBy('created_at', 'desc')
    .execute();
}

/** Every version of a tenant's secrets (or of one), newest first. */
export function listVersions(db: Db, tenant: string, name?: string): Promise<SecretVersion[]> {
  let query = db.selectFrom('secret_versions').selectAll().where('tenant', '=', tenant);
  if (name !== undefined) query = query.where('name', '=', name);
  return query.orderBy('name').orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}
