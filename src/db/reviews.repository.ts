/**
 * Access-review campaigns, their items, trail and evidence pack
 * (docs/architecture.md "Access reviews"). A campaign moves `open → closing →
 * closed` by guarded UPDATEs (src/db/transition.ts); a decision, a delegation
 * and the no-response policy only touch items still undecided of a campaign
 * still open, in one statement each, so two people or two runs racing cannot
 * both win. Every decision and every pack is also an entry of the hash-chained
 * audit log, by id only (no email, no comment).
 */
import { sql } from 'kysely';
import {
  json,
  type Approval,
  type NoResponsePolicy,
  type ReviewCampaign,
  type ReviewDecision,
  type ReviewEvent,
  type ReviewFlag,
  type ReviewItem,
  type ReviewStatus,
} from './database.js';
import { appendAuditLog } from './audit-log.repository.js';
import { inTransaction, type Db } from './executor.js';
import { NotFoundError, ReviewStateError, sqlState, SQLSTATE } from './errors.js';
import { transition } from './transition.js';

/** A tenant already has a campaign that is not closed, or had this quarter's. */
export class CampaignConflictError extends ReviewStateError {
  override readonly name = 'CampaignConflictError';
  constructor(
    readonly tenant: string,
    readonly reason: 'open' | 'period',
  ) {
    super(
      reason === 'open'
        ? `review: tenant ${JSON.stringify(tenant)} already has a campaign that is not closed; close it first`
        : `review: tenant ${JSON.stringify(tenant)} already had its campaign for this quarter`,
    );
  }
}

export interface NewCampaign {
  tenant: string;
  period: string | null;
  opened_at: Date;
  opened_by: string;
  due_on: string;
  due_at: Date;
  grace_days: number;
  no_response: NoResponsePolicy;
  snapshot: Record<string, unknown>;
  snapshot_sha256: string;
  counts: Record<string, number>;
}

export interface NewItem {
  user_id: string;
  email: string | null;
  name: string | null;
  role: string;
  machine: boolean;
  flags: ReviewFlag[];
  risk: number;
  reviewer: string | null;
}

/** Rows written per statement (well under Postgres' 65 535 parameters). */
const CHUNK = 500;

/**
 * Opens a campaign with its items, in one transaction with its `opened` event
 * and audit entry. A second campaign of the tenant while one is not closed,
 * or a second for the same quarter, is a {@link CampaignConflictError}: of two
 * opened at once, one wins.
 */
export async function insertCampaign(db: Db, campaign: NewCampaign, items: readonly NewItem[]): Promise<ReviewCampaign> {
  try {
    return await inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto('review_campaigns')
        .values({ ...campaign, snapshot: json(campaign.snapshot), counts: json(campaign.counts) })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (let i = 0; i < items.length; i += CHUNK) {
        await trx
          .insertInto('review_items')
          .values(items.slice(i, i + CHUNK).map((it) => ({ ...it, campaign_id: row.id, flags: json(it.flags) })))
          .execute();
      }
      await trx
        .insertInto('review_events')
        .values({ campaign_id: row.id, actor: campaign.opened_by, event: 'opened', at: campaign.opened_at, detail: json({ ...campaign.counts, due_on: campaign.due_on, snapshot_sha256: campaign.snapshot_sha256 }) })
        .execute();
      await appendAuditLog(trx, {
        actor: campaign.opened_by,
        action: 'review.opened',
        subject: `review_campaign:${row.id}`,
        details: { tenant: campaign.tenant, due_on: campaign.due_on, snapshot_sha256: campaign.snapshot_sha256, ...campaign.counts },
        at: campaign.opened_at,
      });
      return row;
    });
  } catch (err) {
    if (sqlState(err) === SQLSTATE.uniqueViolation) {
      const constraint = (err as { constraint?: string }).constraint ?? String((err as Error).message);
      throw new CampaignConflictError(campaign.tenant, constraint.includes('period') ? 'period' : 'open');
    }
    throw err;
  }
}

export async function getCampaign(db: Db, id: number): Promise<ReviewCampaign> {
  const row = await db.selectFrom('review_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('review_campaign', id);
  return row;
}

/** The tenant's campaign that is not closed, if any. */
export function findActiveCampaign(db: Db, tenant: string): Promise<ReviewCampaign | undefined> {
  return db.selectFrom('review_campaigns').selectAll().where('tenant', '=', tenant).where('status', '!=', 'closed').executeTakeFirst();
}

export interface CampaignFilter {
  /** Only these tenants (a person's); undefined for all. */
  tenants?: readonly string[];
  tenant?: string;
  status?: ReviewStatus;
  /** @defaultValue 100 */
  limit?: number;
}

/** Campaigns, newest first. */
export function listCampaigns(db: Db, filter: CampaignFilter = {}): Promise<ReviewCampaign[]> {
  let query = db.selectFrom('review_campaigns').selectAll();
  if (filter.tenants !== undefined) {
    if (filter.tenants.length === 0) return Promise.resolve([]);
    query = query.where('tenant', 'in', [...filter.tenants]);
  }
  if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 100)
    .execute();
}

/** A campaign's items, riskiest first (the order they were drafted in: the ids follow it). */
export function campaignItems(db: Db, campaignId: number): Promise<ReviewItem[]> {
  return db.selectFrom('review_items').selectAll().where('campaign_id', '=', campaignId).orderBy('risk', 'desc').orderBy('id').execute();
}

/** The items among `ids` of the campaign, by id. */
export async function itemsById(db: Db, campaignId: number, ids: readonly number[]): Promise<Map<number, ReviewItem>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('review_items').selectAll().where('campaign_id', '=', campaignId).where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export async function getItem(db: Db, id: number): Promise<ReviewItem> {
  const row = await db.selectFrom('review_items').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('review_item', id);
  return row;
}

export interface ReviewerProgress {
  /** Null: the items nobody could be assigned. */
  reviewer: string | null;
  items: number;
  decided: number;
  undecided: number;
  flagged_undecided: number;
}

/** Each reviewer's share of a campaign, counted by the database; decided includes what the no-response policy settled. */
export async function reviewerProgress(db: Db, campaignId: number): Promise<ReviewerProgress[]> {
  const rows = await db
    .selectFrom('review_items')
    .select((eb) => [
      'reviewer',
      eb.fn.countAll<string | number>().as('items'),
      sql<string | number>`count(*) FILTER (WHERE decision IS NOT NULL OR no_response IS NOT NULL)`.as('decided'),
      sql<string | number>`count(*) FILTER (WHERE decision IS NULL AND no_response IS NULL AND jsonb_array_length(flags) > 0)`.as('flagged_undecided'),
    ])
    .where('campaign_id', '=', campaignId)
    .groupBy('reviewer')
    .orderBy('reviewer')
    .execute();
  return rows.map((r) => ({
    reviewer: r.reviewer,
    items: Number(r.items),
    decided: Number(r.decided),
    undecided: Number(r.items) - Number(r.decided),
    flagged_undecided: Number(r.flagged_undecided),
  }));
}

export interface ItemDecisionInput {
  id: number;
  decision: ReviewDecision;
  new_role: string | null;
  comment: string | null;
}

export interface DecisionMeta {
  campaignId: number;
  /** The person deciding (their email). */
  by: string;
  /** `web`, `api`, `cli`, or `no-response`. */
  via: string;
  at: Date;
  snapshotSha256: string;
}

/**
 * Records decisions on undecided items of an open campaign, with their events
 * and audit entries, in the caller's transaction. An item decided meanwhile
 * (by another tab, another person) is a conflict: the whole batch is refused.
 */
export async function recordDecisions(db: Db, decisions: readonly ItemDecisionInput[], meta: DecisionMeta): Promise<ReviewItem[]> {
  return inTransaction(db, async (trx) => {
    await lockOpenCampaign(trx, meta.campaignId);
    const out: ReviewItem[] = [];
    for (const d of decisions) {
      const row = await trx
        .updateTable('review_items')
        .set({ decision: d.decision, new_role: d.new_role, comment: d.comment, decided_by: meta.by, decided_at: meta.at, decided_via: meta.via })
        .where('id', '=', d.id)
        .where('campaign_id', '=', meta.campaignId)
        .where('decision', 'is', null)
        .where('no_response', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) throw new InvalidItemStateError(d.id, 'was decided meanwhile');
      out.push(row);
    }
    await trx
      .insertInto('review_events')
      .values(
        out.map((r) => ({
          campaign_id: meta.campaignId,
          item_id: r.id,
          actor: meta.by,
          event: 'decided',
          at: meta.at,
          detail: json({ decision: r.decision, ...(r.new_role === null ? {} : { new_role: r.new_role }), via: meta.via, snapshot_sha256: meta.snapshotSha256 }),
        })),
      )
      .execute();
    await appendAuditLog(trx, {
      actor: meta.by,
      action: 'review.decided',
      subject: `review_campaign:${meta.campaignId}`,
      details: { items: out.map((r) => ({ id: r.id, decision: r.decision, ...(r.new_role === null ? {} : { new_role: r.new_role }) })), via: meta.via, snapshot_sha256: meta.snapshotSha256 },
      at: meta.at,
    });
    return out;
  });
}

/** An item that cannot take the step asked (decided meanwhile). */
export class InvalidItemStateError extends ReviewStateError {
  override readonly name = 'InvalidItemStateError';
  constructor(
    readonly itemId: number,
    why: string,
  ) {
    super(`review item ${itemId} ${why}`);
  }
}

/** The campaign is not open (closing or closed): nothing on it can be decided or delegated. */
export class CampaignClosedError extends ReviewStateError {
  override readonly name = 'CampaignClosedError';
  constructor(
    readonly campaignId: number,
    readonly status: string,
  ) {
    super(`review campaign ${campaignId} is ${status}: its items can no longer be decided or delegated`);
  }
}

/** Locks the campaign row for the transaction and checks it is open (a closing waits for the decision, or the decision for the closing). */
async function lockOpenCampaign(trx: Db, id: number): Promise<void> {
  const row = await trx.selectFrom('review_campaigns').select('status').where('id', '=', id).forUpdate().executeTakeFirst();
  if (row === undefined) throw new NotFoundError('review_campaign', id);
  if (row.status !== 'open') throw new CampaignClosedError(id, row.status);
}

/** Ties an item to the approval its decision became. */
export async function setItemApproval(db: Db, itemId: number, approvalId: number): Promise<void> {
  await db.updateTable('review_items').set({ approval_id: approvalId }).where('id', '=', itemId).execute();
}

/** Records what differed from the frozen snapshot when the item's approval was carried out. */
export async function recordItemDrift(db: Db, itemId: number, drift: Record<string, unknown>): Promise<void> {
  await db.updateTable('review_items').set({ drift: json(drift) }).where('id', '=', itemId).execute();
}

export interface DelegationInput {
  campaignId: number;
  itemIds: readonly number[];
  to: string;
  by: string;
  at: Date;
}

/**
 * Reassigns undecided items of an open campaign to `to`, with an event per
 * item naming who had it; an item decided meanwhile refuses the batch.
 */
export async function delegateItems(db: Db, input: DelegationInput): Promise<ReviewItem[]> {
  return inTransaction(db, async (trx) => {
    await lockOpenCampaign(trx, input.campaignId);
    const before = await itemsById(trx, input.campaignId, input.itemIds);
    const out: ReviewItem[] = [];
    for (const id of input.itemIds) {
      const row = await trx
        .updateTable('review_items')
        .set({ reviewer: input.to })
        .where('id', '=', id)
        .where('campaign_id', '=', input.campaignId)
        .where('decision', 'is', null)
        .where('no_response', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) throw new InvalidItemStateError(id, 'was decided meanwhile');
      out.push(row);
    }
    await trx
      .insertInto('review_events')
      .values(out.map((r) => ({ campaign_id: input.campaignId, item_id: r.id, actor: input.by, event: 'delegated', at: input.at, detail: json({ from: before.get(r.id)?.reviewer ?? null, to: input.to }) })))
      .execute();
    await appendAuditLog(trx, {
      actor: input.by,
      action: 'review.delegated',
      subject: `review_campaign:${input.campaignId}`,
      details: { items: out.map((r) => r.id) },
      at: input.at,
    });
    return out;
  });
}

/** The undecided items of an open campaign assigned to `reviewer`. */
export function undecidedItemsOf(db: Db, campaignId: number, reviewer: string): Promise<ReviewItem[]> {
  return db
    .selectFrom('review_items')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .where('reviewer', '=', reviewer)
    .where('decision', 'is', null)
    .where('no_response', 'is', null)
    .orderBy('risk', 'desc')
    .orderBy('id')
    .execute();
}

/**
 * Claims an effect of the campaign keyed `key` (an email) before it is done:
 * true when this caller claimed it, false when it was claimed already. A send
 * that fails gives it back ({@link releaseReviewEvent}).
 */
export async function claimReviewEvent(db: Db, campaignId: number, key: string, event: string, detail: Record<string, unknown>, at: Date): Promise<boolean> {
  const row = await db
    .insertInto('review_events')
    .values({ campaign_id: campaignId, key, event, actor: 'warden', at, detail: json(detail) })
    .onConflict((oc) => oc.columns(['campaign_id', 'key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function releaseReviewEvent(db: Db, campaignId: number, key: string): Promise<void> {
  await db.deleteFrom('review_events').where('campaign_id', '=', campaignId).where('key', '=', key).execute();
}

export async function recordReviewEvent(db: Db, campaignId: number, actor: string, event: string, detail: Record<string, unknown>, at: Date, itemId: number | null = null): Promise<void> {
  await db.insertInto('review_events').values({ campaign_id: campaignId, item_id: itemId, actor, event, at, detail: json(detail) }).execute();
}

/** A campaign's trail, oldest first. */
export function reviewEvents(db: Db, campaignId: number): Promise<ReviewEvent[]> {
  return db.selectFrom('review_events').selectAll().where('campaign_id', '=', campaignId).orderBy('id').execute();
}

/** open → closing, recording who closes it and when (the closing itself resumes from this row). */
export async function markClosing(db: Db, id: number, by: string, at: Date): Promise<ReviewCampaign> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'review_campaigns', id, ['open'], 'closing', { closing_at: at, closed_by: by });
    await recordReviewEvent(trx, id, by, 'closing', {}, at);
    return row;
  });
}

/**
 * Settles the undecided items of a closing campaign with its no-response
 * policy (each once: only items neither decided nor settled), with their
 * events. Returns the items settled now.
 */
export async function applyNoResponse(db: Db, campaignId: number, policy: NoResponsePolicy, at: Date): Promise<ReviewItem[]> {
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable('review_items')
      .set({ no_response: policy })
      .where('campaign_id', '=', campaignId)
      .where('decision', 'is', null)
      .where('no_response', 'is', null)
      .where(sql<boolean>`EXISTS (SELECT 1 FROM review_campaigns c WHERE c.id = ${campaignId} AND c.status = 'closing')`)
      .returningAll()
      .execute();
    if (rows.length > 0) {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx
          .insertInto('review_events')
          .values(rows.slice(i, i + CHUNK).map((r) => ({ campaign_id: campaignId, item_id: r.id, actor: 'warden', event: 'no_response', at, detail: json({ policy }) })))
          .execute();
      }
    }
    return rows;
  });
}

export interface StoredPackFile {
  name: string;
  content: Buffer;
  sha256: string;
}

/**
 * Stores the pack and closes the campaign, in one transaction with the audit
 * entry that records the pack's hash: either all of it is there or none. Of
 * two closings racing, the second finds the campaign closed (an
 * InvalidTransitionError) and stores nothing.
 */
export async function storePackAndClose(
  db: Db,
  id: number,
  pack: { files: readonly StoredPackFile[]; manifest: Record<string, unknown>; packSha256: string },
  by: string,
  at: Date,
): Promise<ReviewCampaign> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'review_campaigns', id, ['closing'], 'closed', { closed_at: at, manifest: json(pack.manifest), pack_sha256: pack.packSha256 });
    await trx
      .insertInto('review_pack_files')
      .values(pack.files.map((f) => ({ campaign_id: id, name: f.name, content: f.content, sha256: f.sha256 })))
      .execute();
    await recordReviewEvent(trx, id, by, 'closed', { pack_sha256: pack.packSha256, files: pack.files.length }, at);
    await appendAuditLog(trx, {
      actor: by,
      action: 'review.pack',
      subject: `review_campaign:${id}`,
      details: { tenant: row.tenant, pack_sha256: pack.packSha256, files: pack.files.map((f) => ({ name: f.name, sha256: f.sha256 })) },
      at,
    });
    return row;
  });
}

/** The stored pack's files (manifest included), by name. */
export async function packFiles(db: Db, id: number): Promise<StoredPackFile[]> {
  const rows = await db.selectFrom('review_pack_files').select(['name', 'content', 'sha256']).where('campaign_id', '=', id).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, content: Buffer.from(r.content), sha256: r.sha256 }));
}

/** The audit-log entry that recorded a campaign's pack, if any. */
export function packAuditEntry(db: Db, id: number): Promise<{ id: number; details: Record<string, unknown> } | undefined> {
  return db.selectFrom('audit_log').select(['id', 'details']).where('action', '=', 'review.pack').where('subject', '=', `review_campaign:${id}`).executeTakeFirst();
}

/** The approvals of a campaign's items, by id. */
export async function campaignApprovals(db: Db, campaignId: number): Promise<Map<number, Approval>> {
  const rows = await db
    .selectFrom('approvals')
    .selectAll('approvals')
    .where('review_item_id', 'in', (eb) => eb.selectFrom('review_items').select('id').where('campaign_id', '=', campaignId))
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Campaigns not closed whose status is `closing` (a closing that died: resumed by the reminders job and reconcile). */
export function campaignsClosing(db: Db, tenant?: string): Promise<ReviewCampaign[]> {
  let query = db.selectFrom('review_campaigns').selectAll().where('status', '=', 'closing');
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.orderBy('id').execute();
}
