/**
 * A SCIM 2.0 directory (RFC 7644): `GET /Users` paged with `startIndex`/`count`.
 * A person is `terminated` when `active` is false; their email is the primary
 * one (else the first, else a `userName` that looks like an email). SCIM core
 * has no end date or last sign-in: when the directory offers them under the
 * extension {@link SCIM_HR_EXTENSION} (`endDate`, `lastLoginAt`), they are read.
 */
import { InputError } from '../errors.js';
import { parseInstant } from '../rules/time.js';
import type { DirectoryPerson } from './types.js';

/** Warden's SCIM extension schema for HR data that SCIM core lacks. */
export const SCIM_HR_EXTENSION = 'urn:warden:params:scim:schemas:extension:hr:2.0:User';

/** Options of {@link readScimDirectory}. */
export interface ScimOptions {
  /** Bearer token for the SCIM endpoint. @defaultValue none (no Authorization header) */
  token?: string;
  /** Page size asked for. @defaultValue 100 */
  pageSize?: number;
  /** Per-request timeout. @defaultValue 15 000 ms */
  timeoutMs?: number;
  /** Stop after this many pages, against a server that never ends. @defaultValue 10 000 */
  maxPages?: number;
}

/** The SCIM endpoint answered something unusable. Never carries the token. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly url: string,
    readonly status: number | null,
    problem: string,
  ) {
    super(`SCIM directory ${url}: ${problem}`);
  }
}

interface ScimUser {
  userName?: unknown;
  active?: unknown;
  name?: { formatted?: unknown; givenName?: unknown; familyName?: unknown };
  displayName?: unknown;
  emails?: Array<{ value?: unknown; primary?: unknown }>;
  [SCIM_HR_EXTENSION]?: { endDate?: unknown; lastLoginAt?: unknown };
}

interface ListResponse {
  totalResults?: unknown;
  startIndex?: unknown;
  itemsPerPage?: unknown;
  Resources?: unknown;
}

export async function readScimDirectory(baseUrl: string, options: ScimOptions = {}): Promise<DirectoryPerson[]> {
  const { token, pageSize = 100, timeoutMs = 15_000, maxPages = 10_000 } = options;
  const people: DirectoryPerson[] = [];
  const usersUrl = `${baseUrl.replace(/\/+$/, '')}/Users`;
  let startIndex = 1;
  for (let page = 0; page < maxPages; page++) {
    const url = `${usersUrl}?startIndex=${startIndex}&count=${pageSize}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/scim+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'connection failed';
      throw new ScimError(usersUrl, null, reason);
    }
    if (!res.ok) throw new ScimError(usersUrl, res.status, `HTTP ${res.status}`);
    let body: ListResponse;
    try {
      body = (await res.json()) as ListResponse;
    } catch {
      throw new ScimError(usersUrl, res.status, 'the answer is not JSON');
    }
    const resources = body.Resources ?? [];
    if (!Array.isArray(resources)) throw new ScimError(usersUrl, res.status, 'Resources is not a list');
    resources.forEach((r, i) => people.push(toPerson(r as ScimUser, `${usersUrl} startIndex=${startIndex} Resources[${i}]`)));
    const total = typeof body.totalResults === 'number' ? body.totalResults : people.length;
    if (resources.length === 0 || startIndex - 1 + resources.length >= total) return people;
    startIndex += resources.length;
  }
  throw new ScimError(usersUrl, null, `more than ${maxPages} pages`);
}

function toPerson(user: ScimUser, where: string): DirectoryPerson {
  if (typeof user !== 'object' || user === null) throw new InputError(where, 'not a SCIM User');
  const emails = Array.isArray(user.emails) ? user.emails : [];
  const primary = emails.find((e) => e.primary === true) ?? emails[0];
  let email = typeof primary?.value === 'string' ? primary.value : undefined;
  if (email === undefined && typeof user.userName === 'string' && user.userName.includes('@')) email = user.userName;
  if (email === undefined) throw new InputError(where, 'has no email address');
  const given = [user.name?.givenName, user.name?.familyName].filter((x): x is string => typeof x === 'string').join(' ');
  const name =
    (typeof user.name?.formatted === 'string' && user.name.formatted) ||
    (typeof user.displayName === 'string' && user.displayName) ||
    given ||
    null;
  const hr = user[SCIM_HR_EXTENSION];
  const instant = (v: unknown, field: string): string | null => {
    if (v === null || v === undefined || v === '') return null;
    if (typeof v !== 'string' || parseInstant(v) === undefined) throw new InputError(`${where}.${field}`, 'not an ISO 8601 date or timestamp');
    return v;
  };
  return {
    email,
    name,
    status: user.active === false ? 'terminated' : 'active',
    end_date: instant(hr?.endDate, 'endDate'),
    last_login_at: instant(hr?.lastLoginAt, 'lastLoginAt'),
  };
}
