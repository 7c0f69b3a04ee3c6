/**
 * People and their API keys: one action each, called by the CLI
 * (`warden people …`) and, where there is one, an HTTP route. Validation is
 * here, so both faces refuse the same input with the same message; errors
 * name the action's fields (`email`, `roles`, `tenants`, `name`), which a
 * face may rename to its own (the CLI to its flags, src/cli/fields.ts).
 */
import { z } from 'zod';
import { insertApiKey, listApiKeys, revokeApiKeyRow } from '../db/api-keys.repository.js';
import { ROLES, type ApiKey, type Person, type Role } from '../db/database.js';
import { NotFoundError } from '../db/errors.js';
import type { Db } from '../db/executor.js';
import { disablePersonRow, findPersonByEmail, insertPerson, listPeople } from '../db/people.repository.js';
import { endSessionsOf } from '../db/sign-in.repository.js';
import { listTenants } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import { API_KEY_PREFIX, newApiKey, sha256Hex } from '../secrets/tokens.js';

const EMAIL = z.string().trim().toLowerCase().pipe(z.email());

/** A person's address, lower-cased; an input error naming `field` otherwise. */
export function parseEmail(value: string, field = 'email'): string {
  const parsed = EMAIL.safeParse(value);
  if (!parsed.success) throw new InputError(field, 'is not an email address');
  return parsed.data;
}

/** Roles as given (`['admin', 'engineer']`); an unknown or missing role is an input error naming `field`. */
export function parseRoles(given: readonly string[], field = 'roles'): Role[] {
  const roles = given.map((r) => r.trim()).filter((r) => r !== '');
  if (roles.length === 0) throw new InputError(field, `give at least one of ${ROLES.join(', ')}`);
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) throw new InputError(field, `${JSON.stringify(r)} is not a role (${ROLES.join(', ')})`);
  }
  return [...new Set(roles as Role[])];
}

export interface AddPersonInput {
  email: string;
  /** @defaultValue `''` */
  name?: string;
  /** Validated here: one or more of compliance, admin, engineer. */
  roles: readonly string[];
  /** Tenant names; undefined or null: all tenants. */
  tenants?: readonly string[] | null;
}

/**
 * Adds a person. Every refusal is an InputError naming its field (`email`,
 * `roles`, `tenants`, `name`) and writes nothing: an address that is not one
 * or is already known, an unknown role, a tenant that does not exist.
 */
export async function addPerson(db: Db, input: AddPersonInput, actor: string): Promise<Person> {
  const email = parseEmail(input.email);
  const roles = parseRoles(input.roles);
  if (input.tenants != null) {
    if (input.tenants.length === 0) throw new InputError('tenants', 'give at least one tenant, or none for all');
    const known = new Set((await listTenants(db)).map((t) => t.name));
    const unknown = input.tenants.find((t) => !known.has(t));
    if (unknown !== undefined) throw new InputError('tenants', `no tenant named ${JSON.stringify(unknown)}`);
  }
  const name = (input.name ?? '').trim();
  if (name.length > 200) throw new InputError('name', 'at most 200 characters');
  return insertPerson(db, { email, name, roles, tenants: input.tenants == null ? null : [...new Set(input.tenants)] }, actor);
}

/** The person with this address, or a NotFoundError (exit 4, HTTP 404). */
export async function requirePerson(db: Db, email: string): Promise<Person> {
  const person = await findPersonByEmail(db, parseEmail(email));
  if (person === undefined) throw new NotFoundError('person', email.trim().toLowerCase());
  return person;
}

export { listPeople };

/** Whether a person may see a tenant (their list, or all when they have none): the pages, the API and the actions alike. */
export function canSeeTenant(person: { readonly tenants: readonly string[] | null }, tenant: string): boolean {
  return person.tenants === null || person.tenants.includes(tenant);
}

/**
 * Who a person's actions are recorded as in the audit log: their address, as
 * the CLI records the OS login (an auditor must be able to tell who decided).
 */
export function personActor(person: Pick<Person, 'email'>): string {
  return person.email;
}

/** Disables a person: their sessions end now, their API keys stop working. */
export async function disablePerson(db: Db, email: string, actor: string): Promise<Person> {
  const person = await requirePerson(db, email);
  return disablePersonRow(db, person.id, actor);
}

/** Ends every session of a person, who stays enabled and signs in again; returns how many ended. */
export async function endSessions(db: Db, email: string, actor: string): Promise<number> {
  const person = await requirePerson(db, email);
  return endSessionsOf(db, person.id, actor);
}

export interface IssuedApiKey {
  /** Shown once; only its hash is kept. */
  key: string;
  row: ApiKey;
}

/** Makes an API key for an enabled person. */
export async function issueApiKey(db: Db, email: string, name: string, actor: string): Promise<IssuedApiKey> {
  const person = await requirePerson(db, email);
  if (person.disabled_at !== null) throw new InputError('email', 'this person is disabled');
  const label = name.trim();
  if (label === '' || label.length > 100) throw new InputError('name', 'must be 1 to 100 characters');
  const key = newApiKey();
  const row = await insertApiKey(db, { personId: person.id, name: label, prefix: key.slice(0, API_KEY_PREFIX.length + 6), keyHash: sha256Hex(key) }, actor);
  return { key, row };
}

export async function apiKeysOf(db: Db, email: string): Promise<ApiKey[]> {
  return listApiKeys(db, (await requirePerson(db, email)).id);
}

/** Revokes a key by id; a key that is unknown or already revoked is a NotFoundError. */
export async function revokeApiKey(db: Db, id: number, actor: string): Promise<void> {
  if (!(await revokeApiKeyRow(db, id, actor))) throw new NotFoundError('live API key', String(id));
}
