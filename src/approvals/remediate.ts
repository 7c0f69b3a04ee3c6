/**
 * Carrying out an approved removal or revocation (docs/architecture.md
 * "Approvals and remediation"), in three steps that the `remediation` job
 * drives and journals:
 *
 * 1. **Re-check** right before acting, on live data: the finding's family is
 *    gathered and judged again exactly as the audit would, now. The approval
 *    goes ahead only when the same finding (same fingerprint) still holds; an
 *    account or token that is already gone counts as done (removed by hand);
 *    anything else (re-hired, the token used yesterday, the role changed) is
 *    refused. The guardrails are checked again on the live state: never a
 *    break-glass account, never the tenant's last admin.
 * 2. **Act**: `DELETE /users/{id}` or `DELETE /auth/api-tokens/{id}`; a 404
 *    means already gone.
 * 3. **Verify** independently of the act's answer: the user answers 404, or
 *    the token is gone from `/auth/access-tokens`. Still there is a
 *    {@link NotYetVerifiedError}, retried on the job's backoff.
 */
import type { Environment } from '../config.js';
import type { Approval, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import type { Logger } from '../log/logger.js';
import type { OmneoClient } from '../omneo/client.js';
import { evaluate, familyOf } from '../rules/engine.js';
import { parsePolicy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import { FAMILY_PARTS } from '../audit/run-audit.js';
import { clientFor, gatherTenantSnapshot, type GatherOptions } from '../audit/tenant-snapshot.js';
import { impactOf, isApprovalKind, type ApprovalKind } from './impact.js';
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

/** The act went through, but the platform still shows the account or token: tried again on the job's backoff. */
export class NotYetVerifiedError extends Error {
  override readonly name = 'NotYetVerifiedError';
}

export type RecheckVerdict =
  /** The finding still holds: act. */
  | 'holds'
  /** The account or token is already gone: done without acting. */
  | 'already_gone'
  /** The finding no longer holds (re-hired, used again, changed): refuse. */
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
    return { ...base, verdict: 'already_gone', reason: kind === 'remove_user' ? 'the account is already gone from the platform' : 'the token is already gone from the platform' };
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

/** The platform client of the approval's tenant. */
export function remediationClient(deps: RemediationDeps, tenant: Tenant): OmneoClient {
  return clientFor(tenant, deps.env, { ...deps.client, ...(deps.logger === undefined ? {} : { logger: deps.logger }) });
}

/** Removes the user or revokes the token; what the platform answered. */
export async function actOn(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  const kind = kindOf(approval);
  const deleted = kind === 'remove_user' ? await client.deleteUser(approval.subject_id) : await client.deleteToken(approval.subject_id);
  const call = kind === 'remove_user' ? `DELETE /users/${approval.subject_id}` : `DELETE /auth/api-tokens/${approval.subject_id}`;
  return { call, answer: deleted ? 'deleted' : 'already gone (404)', at: at.toISOString() };
}

/** Checks, independently of the act's answer, that the account or token is gone; throws {@link NotYetVerifiedError} otherwise. */
export async function verifyGone(client: OmneoClient, approval: Approval, at: Date): Promise<Record<string, unknown>> {
  const kind = kindOf(approval);
  if (kind === 'remove_user') {
    const user = await client.getUser(approval.subject_id);
    if (user !== null) throw new NotYetVerifiedError(`user ${approval.subject_id} still answers on the platform`);
    return { check: `GET /users/${approval.subject_id}`, result: '404: the account is gone', at: at.toISOString() };
  }
  const tokens = await client.listTokens();
  // Revoked or expired counts as gone, as in the re-check (src/approvals/impact.ts).
  const live = (t: (typeof tokens)[number]) => !t.revoked && (t.expires_at === null || Date.parse(t.expires_at) > at.getTime());
  if (tokens.some((t) => String(t.id) === approval.subject_id && live(t))) throw new NotYetVerifiedError(`token ${approval.subject_id} is still listed by the platform`);
  return { check: 'GET /auth/access-tokens', result: `token ${approval.subject_id} is no longer live: not among the ${tokens.length} listed, or listed revoked or expired`, at: at.toISOString() };
}
