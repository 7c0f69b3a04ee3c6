/**
 * People who may use the web app: their roles and the tenants they may see.
 * Never deleted, only disabled (the audit log keeps naming them); each change
 * is written to the audit log in the same transaction.
 */
import { sql } from 'kysely';
import { appendAuditLog } from './audit-log.repository.js';
import type { Person, Role } from './database.js';
import { SQLSTATE, sqlState } from './errors.js';
import { inTransaction, type Db } from './executor.js';
import { InputError } from '../errors.js';

export interface NewPersonInput {
  /** Lower-cased before it is stored. */
  email: string;
  /** @defaultValue `''` */
  name?: string;
  roles: readonly Role[];
  /** The tenants they may see. @defaultValue null: all */
  tenants?: readonly string[] | null;
}

/** Adds a person; an email already known is an input error naming `email`. */
export async function insertPerson(db: Db, input: NewPersonInput, actor: string): Promise<Person> {
  try {
    return await inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto('people')
        .values({
          email: input.email.toLowerCase(),
          name: input.name ?? '',
          roles: sql<Role[]>`${[...input.roles]}::text[]`,
          tenants: input.tenants == null ? null : sql<string[]>`${[...input.tenants]}::text[]`,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendAuditLog(trx, {
        actor,
        action: 'person.added',
        subject: `person:${row.id}`,
        details: { roles: row.roles, tenants: row.tenants },
      });
      return row;
    });
  } catch (err) {
    if (sqlState(err) === SQLSTATE.uniqueViolation) throw new InputError('email', 'a person with this address already exists');
    throw err;
  }
}

export function findPersonByEmail(db: Db, email: string): Promise<Person | undefined> {
  return db.selectFrom('people').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** Everyone, in the order they were added. */
export function listPeople(db: Db): Promise<Person[]> {
  return db.selectFrom('people').selectAll().orderBy('id').execute();
}

/**
 * Disables a person and ends their sessions, in one transaction; their API keys
 * stop working with them (authentication checks `disabled_at`). Disabling twice
 * changes nothing and returns the row as it is.
 */
export async function disablePersonRow(db: Db, id: number, actor: string, at: Date = new Date()): Promise<Person> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('people')
      .set({ disabled_at: at })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return (await trx.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    await trx
      .updateTable('sessions')
      .set({ ended_at: at, ended_reason: 'disabled' })
      .where('person_id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
    await appendAuditLog(trx, { actor, action: 'person.disabled', subject: `person:${id}`, details: {} });
    return row;
  });
}

/** The first admin still enabled, for `warden serve`'s start-up link. */
export function firstAdmin(db: Db): Promise<Person | undefined> {
  return db
    .selectFrom('people')
    .selectAll()
    .where(sql<boolean>`'admin' = any(roles)`)
    .where('disabled_at', 'is', null)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** The enabled people with the admin role who may see `tenant` (their tenants include it, or they see all). */
export function tenantAdmins(db: Db, tenant: string): Promise<Person[]> {
  return tenantPeopleWithRole(db, tenant, 'admin');
}

/** The enabled people with `role` who may see `tenant` (their tenants include it, or they see all). */
export function tenantPeopleWithRole(db: Db, tenant: string, role: string): Promise<Person[]> {
  return db
    .selectFrom('people')
    .selectAll()
    .where(sql<boolean>`${role} = any(roles)`)
    .where('disabled_at', 'is', null)
    .where((eb) => eb.or([eb('tenants', 'is', null), eb(sql<boolean>`${tenant} = any(tenants)`, '=', true)]))
    .orderBy('id')
    .execute();
}

/** A person by id (the one an approval link was sent to). */
export function findPersonById(db: Db, id: number): Promise<Person | undefined> {
  return db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}
