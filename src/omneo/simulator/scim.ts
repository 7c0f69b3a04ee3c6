/** The demo's HR roster as a SCIM 2.0 `/Users` resource (RFC 7643/7644), with its ListResponse paging. */
import type { DirectoryPerson } from './demo-tenant.js';
// The HR extension (end date, last sign-in) is the directory client's contract; the simulator serves it.
import { SCIM_HR_EXTENSION } from '../../directory/scim-client.js';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimEmail {
  value: string;
  type: string;
  primary: boolean;
}

export interface ScimUser {
  schemas: string[];
  id: string;
  userName: string;
  displayName: string;
  name: { formatted: string };
  active: boolean;
  emails: ScimEmail[];
  meta: { resourceType: 'User' };
  [SCIM_HR_EXTENSION]: { endDate: string | null; lastLoginAt: string | null };
}

export interface ScimListResponse {
  schemas: [typeof SCIM_LIST_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimUser[];
}

/**
 * A person as SCIM renders them. `active` is false once they have left (terminated,
 * or their end date has passed). Every third person also has a personal address
 * listed first, so that a client must pick the `primary` email, not the first.
 */
export function toScimUser(person: DirectoryPerson, index: number, nowMs: number): ScimUser {
  const left = person.status === 'terminated' || (person.end_date !== null && Date.parse(person.end_date) <= nowMs);
  const work: ScimEmail = { value: person.email, type: 'work', primary: true };
  const emails = index % 3 === 0 ? [{ value: `person${index}@home.example`, type: 'home', primary: false }, work] : [work];
  return {
    schemas: [SCIM_USER_SCHEMA, SCIM_HR_EXTENSION],
    id: `u-${index + 1}`,
    userName: person.email,
    displayName: person.name,
    name: { formatted: person.name },
    active: !left,
    emails,
    meta: { resourceType: 'User' },
    [SCIM_HR_EXTENSION]: { endDate: person.end_date, lastLoginAt: person.last_login_at },
  };
}

/** The most resources a page holds unless the simulator is told otherwise (Slack's SCIM cap; many servers cap at 100 or 200). */
export const SCIM_MAX_COUNT = 1000;

/**
 * One page of the roster. `startIndex` is 1-based; `filter` supports the one
 * form directory clients use to look a person up: `userName eq "…"`.
 * @param maxCount - the server's cap on `count`: a larger one is answered with
 *   this many, as RFC 7644 §3.4.2.4 allows. @defaultValue {@link SCIM_MAX_COUNT}
 * @returns the list, or the problem with the query (answered as a SCIM 400)
 */
export function scimList(
  people: readonly DirectoryPerson[],
  query: URLSearchParams,
  nowMs: number,
  maxCount = SCIM_MAX_COUNT,
): ScimListResponse | { problem: string } {
  const startIndex = query.has('startIndex') ? Number(query.get('startIndex')) : 1;
  const asked = query.has('count') ? Number(query.get('count')) : 100;
  if (!Number.isInteger(startIndex)) return { problem: 'startIndex must be an integer' };
  if (!Number.isInteger(asked)) return { problem: 'count must be an integer' };
  // RFC 7644 §3.4.2.4: a negative count is read as 0 (totalResults only).
  const count = Math.max(0, asked);
  // Only the page asked for is rendered. A person keeps their roster index, from which their id and emails derive.
  let indices: number[] | undefined;
  const filter = query.get('filter');
  if (filter !== null) {
    const m = /^userName eq "([^"]*)"$/i.exec(filter.trim());
    if (!m) return { problem: 'unsupported filter' };
    const wanted = m[1]!.toLowerCase();
    // A SCIM user's userName is the person's email.
    indices = [];
    people.forEach((p, i) => {
      if (p.email.toLowerCase() === wanted) indices!.push(i);
    });
  }
  const total = indices?.length ?? people.length;
  // RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1.
  const start = Math.max(1, startIndex);
  const end = Math.min(total, start - 1 + Math.min(count, maxCount));
  const page: ScimUser[] = [];
  for (let k = start - 1; k < end; k++) {
    const i = indices ? indices[k]! : k;
    page.push(toScimUser(people[i]!, i, nowMs));
  }
  return { schemas: [SCIM_LIST_SCHEMA], totalResults: total, startIndex: start, itemsPerPage: page.length, Resources: page };
}
