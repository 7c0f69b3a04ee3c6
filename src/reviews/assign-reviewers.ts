/**
 * Who reviews which item (docs/architecture.md "Access reviews"): human
 * accounts go to the tenant's reviewers (by default its admins), machine
 * accounts to its machine reviewers (by default its engineers). All the
 * items of one account go to one reviewer, spread evenly in turn; nobody
 * reviews their own account, so such an account goes to the next reviewer,
 * then to the other pool, then to the compliance officers. An account nobody
 * else can review stays unassigned, shown on the campaign page for a
 * compliance officer to delegate.
 */
import type { ItemDraft } from './review-items.js';

export interface ReviewerPools {
  /** Reviewers of human accounts, lower-cased emails, in order. */
  reviewers: readonly string[];
  /** Reviewers of machine accounts. */
  machineReviewers: readonly string[];
  /** The last resort: the tenant's compliance officers. */
  compliance: readonly string[];
}

/** The reviewer of each item, by index in `items` (null: nobody but the account itself could review it). */
export function assignReviewers(items: readonly ItemDraft[], pools: ReviewerPools): (string | null)[] {
  const turn = { human: 0, machine: 0 };
  const byAccount = new Map<string, string | null>();
  return items.map((item) => {
    const known = byAccount.get(item.user_id);
    if (known !== undefined) return known;
    const own = (item.email ?? '').trim().toLowerCase();
    const kind = item.machine ? 'machine' : 'human';
    const first = item.machine ? pools.machineReviewers : pools.reviewers;
    const others = item.machine ? pools.reviewers : pools.machineReviewers;
    let chosen: string | null = null;
    // The pool's next in turn who is not the account; else anyone else who may review.
    for (let i = 0; i < first.length && chosen === null; i++) {
      const candidate = first[(turn[kind] + i) % first.length]!;
      if (candidate !== own) {
        chosen = candidate;
        turn[kind] = (turn[kind] + i + 1) % first.length;
      }
    }
    chosen ??= [...others, ...pools.compliance].find((c) => c !== own) ?? null;
    byAccount.set(item.user_id, chosen);
    return chosen;
  });
}
