/** How token rules read a token's usage log. */
import type { Token } from '../snapshot.js';

/**
 * The integration fingerprint of a usage entry: the user agent's product name
 * (text before the first `/` or space), lower-cased; `unknown` when the user
 * agent is empty or missing (docs/rules.md, "Definitions").
 */
export function integrationFingerprint(userAgent: string | null): string {
  if (userAgent === null) return 'unknown';
  const end = userAgent.search(/[/ ]/);
  const product = (end === -1 ? userAgent : userAgent.slice(0, end)).toLowerCase();
  return product === '' ? 'unknown' : product;
}

/**
 * The sorted integration fingerprints of a token's usage after `after` when
 * there are two or more; undefined otherwise (most tokens: no set is made for them).
 */
export function sharedBy(token: Token, after: number): string[] | undefined {
  let first: string | undefined;
  let all: Set<string> | undefined;
  for (const u of token.usage) {
    if (u.used_at <= after) continue;
    const fp = integrationFingerprint(u.user_agent);
    if (first === undefined) first = fp;
    else if (fp !== first || all !== undefined) (all ??= new Set([first])).add(fp);
  }
  return all !== undefined && all.size >= 2 ? [...all].sort() : undefined;
}
