/**
 * Carrying out an approved removal, revocation or webhook switch-off
 * (docs/architecture.md "Approvals and remediation"), in three steps that the
 * `remediation` job drives and journals:
 *
 * 1. **Re-check** right before acting, on live data: the finding's family is
 *    gathered and judged again exactly as the audit would, now. The approval
 *    goes ahead only when the same finding (same fingerprint) still holds; an
 *    account or token that is already gone, or a webhook already off, counts
 *    as done (done by hand); anything else (re-hired, the token used
 *    yesterday, the role changed, the webhook moved to https) is refused. The
 *    guardrails are checked again on the live state: never a break-glass
 *    account, never the tenant's last admin. An approval an access review
 *    asked for has no finding to judge: its account is compared with the
 *    campaign's frozen snapshot instead ({@link reviewRecheck}), and what
 *    differs (the drift) is part of the re-check.
 * 2. **Act**: the kind's one platform call (./kinds.ts: `DELETE /users/{id}`,
 *    `DELETE /auth/api-tokens/{id}`, `PUT /webhooks/{id}` with `is_active`
 *    false, `PUT /users/{id}` with the roles after a role change); a 404
 *    means already gone.
 * 3. **Verify** independently of the act's answer: the user answers 404, the
 *    token is gone from `/auth/access-tokens`, the webhook reads `is_active`
 *    false (or 404), the user no longer holds the role taken (and holds the
 *    one given). Not yet is a `NotYetVerifiedError` (./errors.ts), retried on the
 *    job's backoff.
 */
import type { Environment } from '../config.js';
import type { Approval, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { getCampaign, getItem } from '../db/reviews.repository.js';
import type { Logger } from '../log/logger.js';
import type { OmneoClient } from '../omneo/client.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';
import { evaluate, familyOf } from '../rules/engine.js';
import { parsePolicy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import { FAMILY_PARTS } from '../audit/run-audit.js';
import { clientFor, gatherOptionsOf, gatherTenantSnapshot, type GatherOptions, type SnapshotPart } from '../audit/tenant-snapshot.js';
import { roleHandles } from '../rules/access/accounts.js';
import { accountDrift, driftWords, hasDrift, type AccountDrift } from '../reviews/account-drift.js';
import type { FrozenAccount, FrozenSnapshot } from '../reviews/frozen-snapshot.js';
import { impactIndex, type Impact, type RoleChangeImpact, type UserRemovalImpact } from './impact.js';
import { impactOf, isApprovalKind, kindSpec, type ApprovalKind } from './kinds.js';
import { isBreakGlass } from './open-approvals.js';

/** What remediation needs to reach the tenant's platform. */
export interface RemediationDeps {
  db: Db;
  env: Environment;
  /** @defaultValue none */
  allowPrivateNetworks?: readonly string[];
  /** Client tuning (timeouts, retries). @defaultValue the client's defaults */
  client?: GatherOptions['client'];
  logger?: Logger;
}

export type RecheckVerdict =
  /** The finding still holds: act. */
  | 'holds'
  /** The account or token is already gone, or the webhook off: done without acting. */
  | 'already_gone'
  /** The finding no longer holds (re-hired, used again, moved to https, changed): refuse. */
  | 'no_longer_holds'
  /** A guardrail stands in the way (break-glass account, last admin): refuse. */
  | 'guarded'
  /** Removing the account would now delete live tokens the approver was not shown: refuse (the next audit asks again, with them). */
  | 'impact_changed';

export interface Recheck {
  verdict: RecheckVerdict;
  checked_at: string;
  /** In words, for the trail and the page. */
  reason: string;
  /** The impact as it is now (what acting will break). */
  impact_now: Record<string, unknown>;
  /**
   * An access review's approval only: what differs between the campaign's
   * frozen snapshot of the account and the platform now. Absent when nothing
   * does (the account is as the reviewer saw it), so that only a real drift is
   * recorded, here and on the review item.
   */
  drift?: AccountDrift;
}

function kindOf(approval: Approval): ApprovalKind {
  if (!isApprovalKind(approval.kind)) throw new Error(`approval ${approval.id} is of kind ${JSON.stringify(approval.kind)}, which Warden does not carry out`);
  return approval.kind;
}

/** The frozen account an access review's approval is about, from its item's campaign. */
async function frozenAccountOf(db: Db, approval: Approval, itemId: number): Promise<FrozenAccount> {
  const item = await getItem(db, itemId);
  const frozen = (await getCampaign(db, item.campaign_id)).snapshot as unknown as FrozenSnapshot;
  const account = frozen.accounts.find((a) => a.id === approval.subject_id);
  // Items are drawn from the snapshot: an approval without its account is a ledger edited by hand.
  if (account === undefined) throw new Error(`approval ${approval.id}: access review item ${item.id} has no account ${approval.subject_id} in its campaign's snapshot`);
  return account;
}

/** Re-reads the live state and judges the approval's finding again, now (or, for an access review's, compares the account with the frozen snapshot). */
export async function recheckApproval(deps: RemediationDeps, tenant: Tenant, approval: Approval, at: Date): Promise<Recheck> {
  const kind = kindOf(approval);
  const frozen = approval.review_item_id === null ? undefined : await frozenAccountOf(deps.db, approval, approval.review_item_id);
  // A role change needs the users only; a removal also their tokens (it deletes them). A finding's family gathers what its rules read.
  const parts: readonly SnapshotPart[] = frozen === undefined ? FAMILY_PARTS[familyOf(approval.rule)] : kind === 'change_role' ? ['users'] : ['platform'];
  const raw = await gatherTenantSnapshot(deps.db, tenant.name, {
    parts,
    now: at,
    ...gatherOptionsOf(deps),
  });
  const snapshot = parseSnapshot(raw);
  const asOf = at.getTime();
  const index = impactIndex(snapshot, asOf);
  const impact = impactOf(kind, snapshot, approval.subject_id, asOf, index, approval.impact);
  const base = { checked_at: at.toISOString(), impact_now: { ...impact } };
  if (frozen !== undefined) {
    const live = index.liveUsers.get(approval.subject_id);
    const drift = accountDrift(
      frozen,
      live === undefined
        ? undefined
        : { email: live.email, roles: roleHandles(live), ...(kind === 'change_role' ? {} : { tokens: index.liveTokensByOwner.get(live.id) ?? [] }) },
    );
    const otherAdmins = index.admins - (live !== undefined && roleHandles(live).includes('admin') ? 1 : 0);
    return { ...base, ...reviewRecheck(tenant, approval, impact, drift, otherAdmins), ...(hasDrift(drift) ? { drift } : {}) };
  }
  if (!impact.found) {
    return { ...base, verdict: 'already_gone', reason: kindSpec(kind).alreadyGone };
  }
  if (impact.kind === 'remove_user') {
    const guard = removalGuard(tenant, approval, impact);
    if (guard !== undefined) return { ...base, ...guard };
  }
  // The tenant row in hand holds its policy overrides: checked again as every audit checks them.
  const policy = parsePolicy(tenant.policy);
  const { findings } = evaluate(snapshot, policy, asOf, [familyOf(approval.rule)]);
  const still = findings.some((f) => f.fingerprint === approval.finding_fingerprint);
  return still
    ? { ...base, verdict: 'holds', reason: `${approval.rule} still holds` }
    : { ...base, verdict: 'no_longer_holds', reason: `${approval.rule} no longer holds for this ${approval.subject_type}: it changed since it was flagged` };
}

type Judged = Pick<Recheck, 'verdict' | 'reason'>;

/** The guardrails of a removal on the live state: break-glass, the last admin, live tokens the approver was not shown. */
function removalGuard(tenant: Tenant, approval: Approval, impact: UserRemovalImpact): Judged | undefined {
  if (isBreakGlass(tenant, impact.email)) return { verdict: 'guarded', reason: 'the account is on the tenant’s break-glass list' };
  if (impact.roles.includes('admin') && impact.other_admins === 0) return { verdict: 'guarded', reason: 'the account is the tenant’s last admin' };
  const shown = new Set(((approval.impact['tokens_deleted'] as { id: string }[] | undefined) ?? []).map((t) => t.id));
  const unseen = impact.tokens_deleted.filter((t) => !shown.has(t.id));
  if (unseen.length > 0) {
    return {
      verdict: 'impact_changed',
      reason: `since it was approved the account gained ${unseen.length} live API token(s) its removal would delete (${unseen.map((t) => t.name ?? t.id).join(', ')}): nobody approved breaking them`,
    };
  }
  return undefined;
}

/**
 * An access review's decision, judged on the live account (`impact`, measured
 * now) against what the reviewer saw (`drift`). There is no finding: the
 * decision stands unless the platform already shows its result (gone, or the
 * role already changed: done by hand), a guardrail stands in the way, or
 * carrying it out would now take more than anyone reviewed.
 */
function reviewRecheck(tenant: Tenant, approval: Approval, impact: Impact, drift: AccountDrift, otherAdmins: number): Judged {
  const since = hasDrift(drift) ? `; since the review's snapshot: ${driftWords(drift)}` : '; the account is as the reviewer saw it';
  if (!impact.found) return { verdict: 'already_gone', reason: 'the account is already gone from the platform' };
  if (impact.kind === 'remove_user') {
    const guard = removalGuard(tenant, approval, impact);
    if (guard !== undefined) return guard;
    // The reviewer judged the roles the snapshot showed: a role given since would go with the account, unreviewed.
    const gained = drift.roles === undefined ? [] : drift.roles.now.filter((r) => !drift.roles!.then.includes(r));
    if (gained.length > 0) {
      return { verdict: 'impact_changed', reason: `since the review the account gained the role(s) ${gained.join(', ')}: removing it would take them too, and nobody reviewed them` };
    }
    return { verdict: 'holds', reason: `the review's decision still applies${since}` };
  }
  if (impact.kind !== 'change_role') throw new Error(`approval ${approval.id}: an access review asks for a removal or a role change, not ${impact.kind}`);
  return roleChangeRecheck(tenant, impact, since, otherAdmins);
}

function roleChangeRecheck(tenant: Tenant, impact: RoleChangeImpact, since: string, otherAdmins: number): Judged {
  const { remove_role: remove, add_role: add, roles } = impact;
  if (!roles.includes(remove) && (add === null || roles.includes(add))) {
    return { verdict: 'already_gone', reason: `the role change is already made on the platform: the account holds ${roles.join(', ') || 'no role'}${since}` };
  }
  if (remove === 'admin' && roles.includes('admin')) {
    if (isBreakGlass(tenant, impact.email)) return { verdict: 'guarded', reason: 'the account is on the tenant’s break-glass list: Warden does not take its admin role' };
    if (otherAdmins === 0) return { verdict: 'guarded', reason: 'the account is the tenant’s last admin' };
  }
  // Roles lost since the review can leave nothing once this one goes: that would be a removal in all but name.
  if (impact.roles_after.length === 0) {
    return { verdict: 'impact_changed', reason: `taking the role ${remove} would now leave the account no role${since}: that is a removal, which nobody approved` };
  }
  return { verdict: 'holds', reason: `the review's decision still applies${since}` };
}

/**
 * The platform client of the tenant, under the same outbound-URL policy as the
 * gathering (the private networks the operator allowed): a tenant the re-check
 * can read is one the act can reach.
 */
export function remediationClient(deps: RemediationDeps, tenant: Tenant): OmneoClient {
  const urlPolicy = new OutboundUrlPolicy(deps.allowPrivateNetworks === undefined ? {} : { allowPrivateNetworks: deps.allowPrivateNetworks });
  return clientFor(tenant, deps.env, { urlPolicy, ...deps.client, ...(deps.logger === undefined ? {} : { logger: deps.logger }) });
}

/** Acts on the approval's subject (the kind's platform call, with what the approval asked); what the platform answered. */
export async function actOn(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  return { ...(await kindSpec(kindOf(approval)).act(client, approval.subject_id, approval.impact)), at: at.toISOString() };
}

/** Checks, independently of the act's answer, that it took (gone, off, the role changed); throws a `NotYetVerifiedError` otherwise. */
export async function verifyDone(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  return { ...(await kindSpec(kindOf(approval)).verify(client, approval.subject_id, at, approval.impact)), at: at.toISOString() };
}
