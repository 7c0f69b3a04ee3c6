/**
 * Independent verification of an erasure: whatever the purge call answered,
 * the profile must answer 404, a search by each identifier captured with the
 * request must find nothing, and the profile's transactions must be gone.
 * Each check is recorded with its result; a failing one names how many
 * records were found, never what they hold.
 *
 * A 404 proves something only from a platform that answers: the checks start
 * with a control call that must succeed (the profile list), so a wrong base
 * URL or a route the platform moved (everything 404) fails the verification
 * instead of certifying every request. What no public call can tell apart: a
 * profile soft-deleted earlier (hidden, 404) whose purge the platform then
 * dropped; PRV-03 flags the soft delete while the request is open.
 */
import type { OmneoClient } from '../omneo/client.js';
import type { Identifier } from './identifiers.js';

export interface ErasureCheck {
  /** `profile`, `search` (by one identifier) or `transactions`. */
  check: 'control' | 'profile' | 'search' | 'transactions';
  /** For a search: which kind of identifier (never its value). */
  identifier?: Identifier['kind'];
  /** The platform call, as a route template. */
  call: string;
  passed: boolean;
  /** What the platform answered, in words. */
  result: string;
  /** ISO instant. */
  at: string;
}

/**
 * The checks, in order: the profile, each identifier's search, the
 * transactions. With no identifiers (wiped, on a re-verification) only the
 * profile and its transactions can be checked.
 */
export async function verifyErasure(client: OmneoClient, profileId: string, identifiers: readonly Identifier[], now: () => Date = () => new Date()): Promise<ErasureCheck[]> {
  const checks: ErasureCheck[] = [];
  // Throws (and the run is retried) when the platform does not answer its profile list.
  const listed = await firstPageCount(client.profilePages());
  checks.push({ check: 'control', call: 'GET /profiles', passed: true, result: `the platform answers (${listed} profile(s) on the first page)`, at: now().toISOString() });
  const profile = await client.getProfile(profileId);
  checks.push({ check: 'profile', call: 'GET /profiles/{id}', passed: profile === null, result: profile === null ? 'not found (404)' : 'the profile is still there', at: now().toISOString() });
  for (const identifier of identifiers) {
    let found = 0;
    if (identifier.kind === 'email') found = await firstPageCount(client.profilesByEmail(identifier.value));
    else for (const form of phoneForms(identifier.value)) found += await firstPageCount(client.searchProfiles(form));
    checks.push({
      check: 'search',
      identifier: identifier.kind,
      call: identifier.kind === 'email' ? 'GET /profiles?filter[email]=…' : `GET /profiles?search=… (${phoneForms(identifier.value).length} forms of the number)`,
      passed: found === 0,
      result: found === 0 ? 'no profile matches' : `${found} profile(s) match`,
      at: now().toISOString(),
    });
  }
  const transactions = await firstPageCount(client.transactionPages(profileId));
  checks.push({
    check: 'transactions',
    call: 'GET /profiles/{id}/transactions',
    passed: transactions === 0,
    result: transactions === 0 ? 'none (the list answers 404 or is empty)' : `${transactions} transaction(s) still there`,
    at: now().toISOString(),
  });
  return checks;
}

/**
 * The forms a phone number is searched by: as normalised (`+61400000000`)
 * and without its `+` (`61400000000`); the platform's free-text search matches
 * parts of fields, so a number stored with spaces may still escape both: the
 * email search is the stronger proof.
 */
export function phoneForms(value: string): string[] {
  return value.startsWith('+') ? [value, value.slice(1)] : [value];
}

/** How many records the first page holds (one is enough to fail; the rest are not fetched). */
async function firstPageCount<T>(pages: AsyncGenerator<T[]>): Promise<number> {
  try {
    const first = await pages.next();
    return first.done === true ? 0 : first.value.length;
  } finally {
    await pages.return(undefined);
  }
}
