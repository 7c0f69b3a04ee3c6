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
 *    account, never the tenant's last admin.
 * 2. **Act**: the kind's one platform call (./kinds.ts: `DELETE /users/{id}`,
 *    `DELETE /auth/api-tokens/{id}`, `PUT /webhooks/{id}` with `is_active`
 *    false); a 404 means already gone.
 * 3. **Verify** independently of the act's answer: the user answers 404, the
 *    token is gone from `/auth/access-tokens`, the webhook reads `is_active`
 *    false (or 404). Not yet is a `NotYetVerifiedError` (./errors.ts), retried on the
 *    job's backoff.
 */
import type { Environment } from '../config.js';
import type { Approval, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import type { Logger } from '../log/logger.js';
import type { OmneoClient } from '../omneo/client.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';
import { evaluate, familyOf } from '../rules/engine.js';
import { parsePolicy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import { FAMILY_PARTS } from '../audit/run-audit.js';
import { clientFor, gatherTenantSnapshot, type GatherOptions } from '../audit/tenant-snapshot.js';
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
}

function kindOf(approval: Approval): ApprovalKind {
  if (!isApprovalKind(approval.kind)) throw new Error(`approval ${approval.id} is of kind ${JSON.stringify(approval.kind)}, which Warden does not carry out`);
  return approval.kind;
}

/** Re-reads the live state and judges the approval's finding again, now. */
export async function recheckApproval(deps: RemediationDeps, tenant: Tenant, approval: Approval, at: Date): Promise<Recheck> {
  const kind = kindOf(approval);
  const family = familyOf(approval.rule);
  const raw = await gatherTenantSnapshot(deps.db, tenant.name, {
    parts: FAMILY_PARTS[family],
    now: at,
    env: deps.env,
    ...(deps.allowPrivateNetworks === undefined ? {} : { allowPrivateNetworks: deps.allowPrivateNetworks }),
    ...(deps.client === undefined ? {} : { client: deps.client }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });
  const snapshot = parseSnapshot(raw);
  const asOf = at.getTime();
  const impact = impactOf(kind, snapshot, approval.subject_id, asOf);
  const base = { checked_at: at.toISOString(), impact_now: { ...impact } };
  if (!impact.found) {
    return { ...base, verdict: 'already_gone', reason: kindSpec(kind).alreadyGone };
  }
  if (impact.kind === 'remove_user') {
    if (isBreakGlass(tenant, impact.email)) return { ...base, verdict: 'guarded', reason: 'the account is on the tenant’s break-glass list' };
    if (impact.roles.includes('admin') && impact.other_admins === 0) return { ...base, verdict: 'guarded', reason: 'the account is the tenant’s last admin' };
    const shown = new Set(((approval.impact['tokens_deleted'] as { id: string }[] | undefined) ?? []).map((t) => t.id));
    const unseen = impact.tokens_deleted.filter((t) => !shown.has(t.id));
    if (unseen.length > 0) {
      return {
        ...base,
        verdict: 'impact_changed',
        reason: `since it was approved the account gained ${unseen.length} live API token(s) its removal would delete (${unseen.map((t) => t.name ?? t.id).join(', ')}): nobody approved breaking them`,
      };
    }
  }
  // The tenant row in hand holds its policy overrides: checked again as every audit checks them.
  const policy = parsePolicy(tenant.policy);
  const { findings } = evaluate(snapshot, policy, asOf, [family]);
  const still = findings.some((f) => f.fingerprint === approval.finding_fingerprint);
  return still
    ? { ...base, verdict: 'holds', reason: `${approval.rule} still holds` }
    : { ...base, verdict: 'no_longer_holds', reason: `${approval.rule} no longer holds for this ${approval.subject_type}: it changed since it was flagged` };
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

/** Acts on the approval's subject (the kind's platform call); what the platform answered. */
export async function actOn(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  return { ...(await kindSpec(kindOf(approval)).act(client, approval.subject_id)), at: at.toISOString() };
}

/** Checks, independently of the act's answer, that it took (gone, or off); throws a `NotYetVerifiedError` otherwise. */
export async function verifyDone(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  return { ...(await kindSpec(kindOf(approval)).verify(client, approval.subject_id, at)), at: at.toISOString() };
}
