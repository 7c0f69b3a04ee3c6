/**
 * Closing a campaign (docs/architecture.md "Access reviews"), from
 * `warden review close`, the campaign page, or the reminders job at the due
 * date plus the grace period. Each step is idempotent and starts from what
 * the ledger holds, so a closing killed at any point resumes where it stood
 * and makes one pack:
 *
 * 1. `open → closing` (who closes it, and when);
 * 2. the undecided items take the no-response policy (each once), and a
 *    `revoke` policy asks its approvals;
 * 3. the evidence pack is built from the ledger and stored with the move to
 *    `closed` and the audit entry of its hash, in one transaction.
 *
 * The closing email is the reminders job's (keyed once per campaign).
 */
import type { ReviewCampaign, ReviewItem, Approval } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { InvalidTransitionError } from '../db/errors.js';
import {
  applyNoResponse,
  campaignApprovals,
  campaignItems,
  getCampaign,
  markClosing,
  reviewerProgress,
  reviewEvents,
  storePackAndClose,
} from '../db/reviews.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { askApprovals } from './ask-approvals.js';
import { buildEvidencePack, type PackApproval, type PackItem } from './evidence-pack.js';
import type { FrozenSnapshot } from './frozen-snapshot.js';

const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

function packApproval(a: Approval | undefined): PackApproval | null {
  if (a === undefined) return null;
  const evidence = a.evidence;
  const failure = (evidence['failure'] as { error?: string } | undefined)?.error;
  const refusal = (evidence['recheck'] as { reason?: string; verdict?: string } | undefined)?.verdict;
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    requested_by: a.requested_by,
    decided_by: a.decided_by,
    decided_at: isoOrNull(a.decided_at),
    executed_at: isoOrNull(a.executed_at),
    verified_at: isoOrNull(a.verified_at),
    verification: (evidence['verification'] as Record<string, unknown> | undefined) ?? null,
    outcome: a.status === 'failed' ? (failure ?? 'failed') : a.status === 'refused' ? ((evidence['recheck'] as { reason?: string } | undefined)?.reason ?? refusal ?? 'refused') : null,
  };
}

/** The pack's view of the items: frozen state, flags, decision, and the approval each became. */
export function packItems(campaign: ReviewCampaign, items: readonly ReviewItem[], approvals: ReadonlyMap<number, Approval>): PackItem[] {
  const frozen = campaign.snapshot as unknown as FrozenSnapshot;
  const accounts = new Map(frozen.accounts.map((a) => [a.id, a]));
  return items.map((i) => {
    const account = accounts.get(i.user_id);
    return {
      id: i.id,
      account_id: i.user_id,
      email: i.email,
      name: i.name,
      role: i.role,
      roles: account?.roles ?? [],
      machine: i.machine,
      last_activity: account?.last_activity ?? null,
      live_tokens: account?.tokens.length ?? 0,
      flags: i.flags,
      reviewer: i.reviewer,
      decision: i.decision,
      new_role: i.new_role,
      comment: i.comment,
      decided_by: i.decided_by,
      decided_at: isoOrNull(i.decided_at),
      decided_via: i.decided_via,
      no_response: i.no_response,
      approval: i.approval_id === null ? null : packApproval(approvals.get(i.approval_id)),
      drift: i.drift,
    };
  });
}

/** Closes the campaign (or finishes a closing that died); returns it closed. */
export async function closeCampaign(db: Db, id: number, by: string, at: Date): Promise<ReviewCampaign> {
  let campaign = await getCampaign(db, id);
  if (campaign.status === 'closed') return campaign;
  if (campaign.status === 'open') {
    try {
      campaign = await markClosing(db, id, by, at);
    } catch (err) {
      // Another closing moved it first: carry on from where it stands.
      if (!(err instanceof InvalidTransitionError)) throw err;
      campaign = await getCampaign(db, id);
      if (campaign.status === 'closed') return campaign;
    }
  }
  const closedBy = campaign.closed_by ?? by;
  await applyNoResponse(db, id, campaign.no_response, at);
  const tenant = await requireTenant(db, campaign.tenant);
  if (campaign.no_response === 'revoke') await askApprovals(db, campaign, tenant, await campaignItems(db, id), closedBy, at);
  const items = await campaignItems(db, id);
  const approvals = await campaignApprovals(db, id);
  const events = await reviewEvents(db, id);
  const closedAt = campaign.closing_at ?? at;
  const pack = buildEvidencePack({
    campaign: {
      id: campaign.id,
      tenant: campaign.tenant,
      period: campaign.period,
      opened_at: campaign.opened_at.toISOString(),
      opened_by: campaign.opened_by,
      due_on: campaign.due_on,
      due_at: campaign.due_at.toISOString(),
      grace_days: campaign.grace_days,
      no_response: campaign.no_response,
      closed_by: closedBy,
      closed_at: closedAt.toISOString(),
      snapshot_sha256: campaign.snapshot_sha256,
      counts: campaign.counts,
      reviewers: await reviewerProgress(db, id),
      // The trail without its ids: who did what when (reminders, escalations, delegations, decisions).
      trail: events.map((e) => ({ at: e.at.toISOString(), actor: e.actor, event: e.event, ...(e.item_id === null ? {} : { item_id: e.item_id }), detail: e.detail })),
    },
    snapshot: campaign.snapshot,
    items: packItems(campaign, items, approvals),
    createdAt: closedAt.toISOString(),
  });
  try {
    return await storePackAndClose(db, id, { files: pack.files, manifest: { ...pack.manifest }, packSha256: pack.manifest.pack_sha256 }, closedBy, at);
  } catch (err) {
    // A racing closing stored its pack first: that one stands.
    if (err instanceof InvalidTransitionError) return getCampaign(db, id);
    throw err;
  }
}
