/**
 * A reviewer's revoke or role change is not an act: it becomes an approval
 * (docs/architecture.md "Access reviews"), decided by an admin who is not the
 * reviewer, re-checked against the live platform and verified like any
 * removal. What it asks is measured from the campaign's frozen snapshot:
 *
 * - revoking the account's only role removes the account (`remove_user`,
 *   showing the live tokens the removal deletes with it);
 * - revoking one of several roles, or changing a role to a lower one, is a
 *   `change_role` (its impact and arithmetic are the kind's,
 *   src/approvals/impact.ts): the role is taken away (and the lower one
 *   given), the account and its tokens stay.
 *
 * Each approval is keyed by its item (`review:<campaign>:<item>`), so asking
 * twice (a retried closing) opens one.
 */
import { rolesAfter, type RoleChangeImpact } from '../approvals/impact.js';
import type { OpenApprovalInput } from '../db/approvals.repository.js';
import type { Approval, ReviewCampaign, ReviewItem, Tenant } from '../db/database.js';
import type { FrozenAccount, FrozenSnapshot } from './frozen-snapshot.js';

/** The rule an approval of a review decision carries in place of a finding's. */
export const REVIEW_RULE = 'REVIEW';

export function reviewFingerprint(campaignId: number, itemId: number): string {
  return `review:${campaignId}:${itemId}`;
}

/** The review item an approval carries out, read from its fingerprint; null for a finding's approval. */
export interface ReviewRef {
  campaign_id: number;
  item_id: number;
}

export function reviewRefOf(approval: Pick<Approval, 'review_item_id' | 'finding_fingerprint'>): ReviewRef | null {
  if (approval.review_item_id === null) return null;
  const m = /^review:(\d+):(\d+)$/.exec(approval.finding_fingerprint);
  return m === null ? null : { campaign_id: Number(m[1]), item_id: Number(m[2]) };
}

/** Whether `email` asked for an approval (a reviewer's revoke or role change): four eyes, they do not decide it too. */
export function askedBy(requestedBy: string | null, email: string): boolean {
  return requestedBy !== null && requestedBy.toLowerCase() === email.toLowerCase();
}

/** Where a review's approval came from, as the pages, the CLI and the email say it. */
export function askedInReview(requestedBy: string | null, review: ReviewRef): string {
  return `asked by ${requestedBy ?? 'a reviewer'} in access review #${review.campaign_id}`;
}

function accountOf(frozen: FrozenSnapshot, userId: string): FrozenAccount | undefined {
  return frozen.accounts.find((a) => a.id === userId);
}

/**
 * The approval a decision asks for: `revoke`, or `change_role` to `newRole`.
 * Null when the frozen snapshot has no such account (it cannot be: items come
 * from it). An item of role `none` (an account without roles) has nothing to
 * revoke but the account, so its revoke removes the account.
 */
export function approvalRequestFor(
  campaign: Pick<ReviewCampaign, 'id' | 'snapshot'>,
  tenant: Pick<Tenant, 'approval_expiry_days'>,
  item: Pick<ReviewItem, 'id' | 'user_id' | 'role' | 'email' | 'name'>,
  decision: 'revoke' | 'change_role',
  newRole: string | null,
  at: Date,
): Omit<OpenApprovalInput, 'tenant' | 'at'> | null {
  const frozen = campaign.snapshot as unknown as FrozenSnapshot;
  const account = accountOf(frozen, item.user_id);
  if (account === undefined) return null;
  const expiresAt = new Date(at.getTime() + tenant.approval_expiry_days * 86_400_000);
  const label = `${item.name ?? item.email ?? `user ${item.user_id}`} (${item.role})`;
  const base = { fingerprint: reviewFingerprint(campaign.id, item.id), rule: REVIEW_RULE, expiresAt };
  const otherRoles = account.roles.filter((r) => r !== item.role);
  if (decision === 'revoke' && otherRoles.length === 0) {
    const otherAdmins = frozen.accounts.filter((a) => a.id !== account.id && a.roles.includes('admin')).length;
    return {
      ...base,
      kind: 'remove_user',
      subject: { type: 'user', id: account.id, label },
      impact: {
        kind: 'remove_user',
        found: true,
        user_id: account.id,
        email: account.email,
        roles: account.roles,
        other_admins: otherAdmins,
        tokens_deleted: account.tokens.map((t) => ({ id: t.id, name: t.name, scopes: t.scopes, last_used_at: t.last_used_at, integration: null })),
      },
    };
  }
  const add = decision === 'change_role' ? newRole : null;
  const impact: RoleChangeImpact = {
    kind: 'change_role',
    found: true,
    user_id: account.id,
    email: account.email,
    roles: account.roles,
    remove_role: item.role,
    add_role: add,
    roles_after: rolesAfter(account.roles, item.role, add),
  };
  return { ...base, kind: 'change_role', subject: { type: 'user', id: account.id, label }, impact: { ...impact } };
}
