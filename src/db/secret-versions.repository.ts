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
import type { SecretKind, SecretLabel, SecretVersion } from './database.js';
import { NotFoundError } from './errors.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';

/**
 * A second rotation was asked for while one is under way: refused, whoever
 * asked first. One in its overlap (finished, the previous version still
 * accepted) can no longer be rolled back: the message says when it ends instead.
 */
export class RotationInProgressError extends InputError {
  override readonly name = 'RotationInProgressError';
  constructor(tenant: string, secret: string, overlapUntil?: Date) {
    super(
      'NAME',
      overlapUntil === undefined
        ? `${JSON.stringify(secret)} of ${JSON.stringify(tenant)} already has a rotation under way: let it finish, or roll it back (warden secrets rollback)`
        : `${JSON.stringify(secret)} of ${JSON.stringify(tenant)} was just rotated, and its previous version is accepted until ${overlapUntil.toISOString()}: rotate it again after that`,
    );
  }
}

export interface NewSecretVersionInput {
  tenant: string;
  /** The secret's name, e.g. `webhook-signing`. */
  name: string;
  /** One of `SECRET_KINDS` (src/db/database.ts): the database refuses any other. */
  kind: string;
  /** An API token's id on the platform. @defaultValue null */
  platformRef?: string | null;
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
  // The secret's row (its kind and rotation policy, at their defaults) comes with its first version.
  await db
    .insertInto('secrets')
    .values({ tenant: input.tenant, name: input.name, kind: input.kind as SecretKind, ...(input.at === undefined ? {} : { created_at: input.at }) })
    .onConflict((oc) => oc.columns(['tenant', 'name']).doNothing())
    .execute();
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
      platform_ref: input.platformRef ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getVersionById(db: Db, id: number): Promise<SecretVersion> {
  const row = await db.selectFrom('secret_versions').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('secret_version', id);
  return row;
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
