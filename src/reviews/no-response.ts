/**
 * What the campaign's no-response policy does to each item nobody decided
 * (docs/architecture.md "Access reviews"). The same function gives the
 * campaign page's dry run beforehand and the closing's act, so the page shows
 * exactly what closing will do:
 *
 * - `flag` (the default): the item is flagged for follow-up and reported in
 *   the closing email and the pack; nothing changes on the platform;
 * - `keep`: the access is kept, recorded as kept for want of an answer;
 * - `revoke`: a revoke is asked (an approval, like a reviewer's revoke: an
 *   admin approves it, and it is re-checked before anything is removed).
 *   Never the default.
 */
import type { NoResponsePolicy } from '../db/database.js';

export interface NoResponseOutcome {
  item_id: number;
  policy: NoResponsePolicy;
  /** In words, for the page and the closing email. */
  effect: string;
}

const EFFECT: Readonly<Record<NoResponsePolicy, string>> = {
  flag: 'flagged for follow-up and reported; the access is left as it is',
  keep: 'kept for want of an answer, and reported',
  revoke: 'a revoke is asked of the admins (an approval, re-checked before anything is removed)',
};

/** What the policy does to each undecided item, in the items' order. */
export function noResponsePlan(items: readonly { id: number; decision: string | null }[], policy: NoResponsePolicy): NoResponseOutcome[] {
  return items.filter((i) => i.decision === null).map((i) => ({ item_id: i.id, policy, effect: EFFECT[policy] }));
}

/** The effect of a policy in words. */
export function noResponseEffect(policy: NoResponsePolicy): string {
  return EFFECT[policy];
}
