/** Facts about an account that several access rules report. */
import type { Account } from '../snapshot-index.js';
import type { User } from '../snapshot.js';
import { isoOrNull } from '../time.js';

/** The account's role handles, lower-cased, in the order the platform lists them. */
export function roleHandles(user: User): string[] {
  return user.roles.map((r) => r.handle.toLowerCase());
}

/**
 * The live tokens a removal would destroy: on the platform, deleting a user
 * deletes every token it created. Shown so nobody approves blind
 * (docs/rules.md, ACC-01 and ACC-03).
 */
export function tokensDestroyed(account: Account) {
  return account.liveTokens.map(({ token, lastUsed }) => ({
    id: token.id,
    name: token.name,
    last_used_at: isoOrNull(lastUsed),
  }));
}

/** Evidence field `tokens_destroyed`, as the docs describe it. */
export const TOKENS_DESTROYED_DOC = 'the live tokens removing the account would delete with it: `id`, `name`, `last_used_at` of each';
