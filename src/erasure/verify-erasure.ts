/**
 * Independent verification of an erasure: whatever the purge call answered,
 * the profile must answer 404, a search by each identifier captured with the
 * request must find nothing, and the profile's transactions must be gone.
 * Each check is recorded with its result; a failing one names how many
 * records were found, never what they hold.
 */
import type { OmneoClient } from '../omneo/client.js';
import type { Identifier } from './identifiers.js';

export interface ErasureCheck {
  /** `profile`, `search` (by one identifier) or `transactions`. */
  check: 'profile' | 'search' | 'transactions';
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
  const profile = await client.getProfile(profileId);
  checks.push({ check: 'profile', call: 'GET /profiles/{id}', passed: profile === null, result: profile === null ? 'not found (404)' : 'the profile is still there', at: now().toISOString() });
  for (const identifier of identifiers) {
    const pages = identifier.kind === 'email' ? client.profilesByEmail(identifier.value) : client.searchProfiles(identifier.value);
    const found = await firstPageCount(pages);
    checks.push({
      check: 'search',
      identifier: identifier.kind,
      call: identifier.kind === 'email' ? 'GET /profiles?filter[email]=…' : 'GET /profiles?search=…',
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
    result: transactions === 0 ? 'none' : `${transactions} transaction(s) still there`,
    at: now().toISOString(),
  });
  return checks;
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
