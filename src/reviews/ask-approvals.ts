/**
 * Opens the approvals that review decisions ask for (./review-approvals.ts)
 * and ties each item to its approval, in the caller's transaction: a
 * decision and its approval are written together or not at all.
 */
import { openApprovalsFor, type OpenApprovalInput } from '../db/approvals.repository.js';
import type { ReviewCampaign, ReviewItem, Tenant } from '../db/database.js';
import { inTransaction, type Db } from '../db/executor.js';
import { setItemApproval } from '../db/reviews.repository.js';
import { approvalRequestFor } from './review-approvals.js';

/** Opens an approval for each item decided `revoke` or `change_role` (or settled `revoke` by the no-response policy) that has none. */
export async function askApprovals(
  db: Db,
  campaign: Pick<ReviewCampaign, 'id' | 'snapshot'>,
  tenant: Tenant,
  items: readonly ReviewItem[],
  requestedBy: string,
  at: Date,
): Promise<number> {
  const requests: Omit<OpenApprovalInput, 'tenant' | 'at'>[] = [];
  const byFingerprint = new Map<string, number>();
  for (const item of items) {
    if (item.approval_id !== null) continue;
    const decision = item.decision === 'revoke' || item.decision === 'change_role' ? item.decision : item.no_response === 'revoke' ? 'revoke' : null;
    if (decision === null) continue;
    const request = approvalRequestFor(campaign, tenant, item, decision, item.new_role, at);
    if (request === null) continue;
    requests.push({ ...request, reviewItemId: item.id, requestedBy: item.decided_by ?? requestedBy });
    byFingerprint.set(request.fingerprint, item.id);
  }
  if (requests.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const opened = await openApprovalsFor(trx, tenant.name, requests, at);
    for (const a of opened) {
      const itemId = byFingerprint.get(a.finding_fingerprint);
      if (itemId !== undefined) await setItemApproval(trx, itemId, a.id);
    }
    return opened.length;
  });
}
