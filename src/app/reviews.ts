/**
 * Access reviews: one action each for the CLI (`warden review …`), the pages
 * and the JSON API (docs/architecture.md "Access reviews").
 *
 * Who may do what:
 * - open, close: a compliance officer or an admin of the tenant, or the
 *   operator at the terminal (the CLI without `--as`);
 * - read a campaign, its items and its pack: anyone who may see the tenant,
 *   and the operator;
 * - decide: only the item's reviewer (a person), never about their own account;
 * - delegate: the item's reviewer, or a compliance officer or admin of the
 *   tenant (who may reassign anyone's share, e.g. the unassigned items);
 *   never to someone unknown, someone who may not see the tenant, or the
 *   item's own account.
 *
 * Every check of a batch is made before anything is written: one refused item
 * refuses the batch and changes nothing. A revoke or role change becomes an
 * approval in the same transaction as the decision; the emails (approval
 * requests, opening, closing) are the `review-reminders` job's, enqueued
 * after the write (if that fails, the daily run sends them).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Environment } from '../config.js';
import type { Person, ReviewCampaign, ReviewDecision, ReviewItem, Tenant } from '../db/database.js';
import { REVIEW_DECISIONS } from '../db/database.js';
import { inTransaction, type Db } from '../db/executor.js';
import { NotFoundError } from '../db/errors.js';
import { findPersonByEmail } from '../db/people.repository.js';
import {
  campaignItems,
  delegateItems,
  getCampaign,
  itemsById,
  listCampaigns,
  packAuditEntry,
  packFiles,
  recordDecisions,
  reviewerProgress,
  reviewEvents,
  undecidedItemsOf,
  type ReviewerProgress,
  type StoredPackFile,
} from '../db/reviews.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { askApprovals } from '../reviews/ask-approvals.js';
import { addDays, daysBetween, isCalendarDate, localDate } from '../reviews/calendar.js';
import { campaignDates } from '../reviews/campaign-progress.js';
import { closeCampaign } from '../reviews/close-campaign.js';
import { ReviewRefusedError } from '../reviews/errors.js';
import { MANIFEST_NAME, verifyPack, type PackVerdict } from '../reviews/evidence-pack.js';
import { noResponsePlan, type NoResponseOutcome } from '../reviews/no-response.js';
import { openCampaign, type OpenCampaignDeps } from '../reviews/open-campaign.js';
import { closeOn } from '../reviews/reminder-schedule.js';
import { lowerRoles } from '../reviews/review-items.js';
import { canSeeTenant, parseEmail, personActor } from './people.js';

/** Who acts: a person (web, API, CLI `--as`), or the operator at the terminal (the CLI without `--as`). */
export type ReviewActor = { person: Person } | { operator: string };

export interface ReviewActionDeps extends Omit<OpenCampaignDeps, 'env'> {
  db: Db;
  /** Where tenant tokens are read (opening gathers the platform). */
  env: Environment;
  /** Records and dispatches a `review-reminders` run for the tenant (its emails); resolves to its run id. */
  enqueue(kind: 'review-reminders', payload: Record<string, never>, tenant: string): Promise<string>;
  log?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

/** A campaign as `review status` and the pages show it. */
export interface ReviewStatus {
  id: number;
  tenant: string;
  status: ReviewCampaign['status'];
  period: string | null;
  opened_at: string;
  opened_by: string;
  due_on: string;
  due_at: string;
  /** The day it closes on its own (due date plus grace). */
  closes_on: string;
  overdue: boolean;
  no_response: ReviewCampaign['no_response'];
  items: number;
  flagged: number;
  decided: number;
  undecided: number;
  counts: Record<string, number>;
  snapshot_sha256: string;
  reviewers: ReviewerProgress[];
  closed_at: string | null;
  pack_sha256: string | null;
}

const MAX_COMMENT = 2000;
const MAX_BATCH = 500;
/** How far ahead a due date may be set. */
const MAX_DUE_DAYS = 90;

function actorName(actor: ReviewActor): string {
  return 'person' in actor ? personActor(actor.person) : actor.operator;
}

/** The campaign, if the actor may see its tenant; an unknown id and another tenant's answer alike. */
async function visibleCampaign(db: Db, actor: ReviewActor, id: number): Promise<ReviewCampaign> {
  const campaign = await getCampaign(db, id);
  if ('person' in actor && !canSeeTenant(actor.person, campaign.tenant)) throw new NotFoundError('review_campaign', id);
  return campaign;
}

function isOfficer(person: Person, tenant: string): boolean {
  return person.disabled_at === null && canSeeTenant(person, tenant) && (person.roles.includes('compliance') || person.roles.includes('admin'));
}

function requireOfficer(actor: ReviewActor, tenant: string, what: string): void {
  if ('person' in actor && !isOfficer(actor.person, tenant)) throw new ReviewRefusedError(403, `only a compliance officer or an admin of tenant ${tenant} may ${what}`);
}

/** A campaign id as given (CLI argument, path parameter). */
export function parseCampaignId(given: string | number, field = 'id'): number {
  const text = String(given).trim();
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new InputError(field, `${JSON.stringify(text.slice(0, 40))} is not a campaign id`);
  return Number(text);
}

function parseItemIds(given: readonly (string | number)[], field: string): number[] {
  if (given.length === 0) throw new InputError(field, 'give at least one item id');
  if (given.length > MAX_BATCH) throw new InputError(field, `at most ${MAX_BATCH} items at once`);
  return [
    ...new Set(
      given.map((g) => {
        const text = String(g).trim();
        if (!/^[1-9]\d{0,9}$/.test(text)) throw new InputError(field, `${JSON.stringify(text.slice(0, 40))} is not an item id`);
        return Number(text);
      }),
    ),
  ];
}

export async function reviewStatus(db: Db, actor: ReviewActor, id: number, at = new Date()): Promise<ReviewStatus> {
  return statusOf(db, await visibleCampaign(db, actor, id), at);
}

/** @param timezones - tenants' time zones already read (a list reads each tenant once, not once per campaign) */
async function statusOf(db: Db, c: ReviewCampaign, at: Date, timezones = new Map<string, string>()): Promise<ReviewStatus> {
  const reviewers = await reviewerProgress(db, c.id);
  const items = reviewers.reduce((n, r) => n + r.items, 0);
  const decided = reviewers.reduce((n, r) => n + r.decided, 0);
  let timezone = timezones.get(c.tenant);
  if (timezone === undefined) {
    timezone = (await requireTenant(db, c.tenant)).timezone;
    timezones.set(c.tenant, timezone);
  }
  return {
    id: c.id,
    tenant: c.tenant,
    status: c.status,
    period: c.period,
    opened_at: c.opened_at.toISOString(),
    opened_by: c.opened_by,
    due_on: c.due_on,
    due_at: c.due_at.toISOString(),
    closes_on: closeOn(campaignDates(c, timezone)),
    overdue: c.status === 'open' && at.getTime() >= c.due_at.getTime(),
    no_response: c.no_response,
    items,
    flagged: c.counts['flagged'] ?? 0,
    decided,
    undecided: items - decided,
    counts: c.counts,
    snapshot_sha256: c.snapshot_sha256,
    reviewers,
    closed_at: c.closed_at === null ? null : c.closed_at.toISOString(),
    pack_sha256: c.pack_sha256,
  };
}

/** The campaigns the actor may see, newest first, with their progress. */
export async function listReviews(db: Db, actor: ReviewActor, filter: { tenant?: string; status?: ReviewCampaign['status'] } = {}, at = new Date()): Promise<ReviewStatus[]> {
  const tenants = 'person' in actor && actor.person.tenants !== null ? actor.person.tenants : undefined;
  const campaigns = await listCampaigns(db, { ...(tenants === undefined ? {} : { tenants }), ...filter });
  const timezones = new Map<string, string>();
  const out: ReviewStatus[] = [];
  for (const c of campaigns) out.push(await statusOf(db, c, at, timezones));
  return out;
}

export interface OpenReviewInput {
  tenant: string;
  /** `YYYY-MM-DD` in the tenant's time zone. @defaultValue today + the tenant's `review_due_days` */
  due?: string | undefined;
}

/** Opens a campaign for the tenant now; then its emails go (the `review-reminders` run it enqueues). */
export async function openReview(deps: ReviewActionDeps, actor: ReviewActor, input: OpenReviewInput): Promise<ReviewStatus> {
  const at = deps.now?.() ?? new Date();
  const tenant = await requireTenant(deps.db, input.tenant);
  if ('person' in actor && !canSeeTenant(actor.person, tenant.name)) throw new NotFoundError('tenant', tenant.name);
  requireOfficer(actor, tenant.name, 'open a campaign');
  const dueOn = input.due === undefined ? undefined : parseDue(input.due, localDate(at, tenant.timezone));
  const campaign = await openCampaign(deps, tenant, { by: actorName(actor), period: null, ...(dueOn === undefined ? {} : { dueOn }), at });
  await emailsLater(deps, tenant.name, campaign.id);
  return statusOf(deps.db, campaign, at);
}

/** A due date: a calendar date after today and at most 90 days ahead. */
export function parseDue(given: string, today: string, field = 'due'): string {
  const text = given.trim();
  if (!isCalendarDate(text)) throw new InputError(field, `${JSON.stringify(text.slice(0, 40))} is not a date (YYYY-MM-DD)`);
  const ahead = daysBetween(today, text);
  if (ahead < 1) throw new InputError(field, `must be after today (${today}) in the tenant's time zone`);
  if (ahead > MAX_DUE_DAYS) throw new InputError(field, `at most ${MAX_DUE_DAYS} days ahead (${addDays(today, MAX_DUE_DAYS)})`);
  return text;
}

async function emailsLater(deps: ReviewActionDeps, tenant: string, campaign: number): Promise<void> {
  try {
    await deps.enqueue('review-reminders', {}, tenant);
  } catch (err) {
    // The campaign is committed: the daily review-reminders run sends what this one would have.
    deps.log?.warn({ campaign, error: (err as Error).message }, 'review emails not enqueued now; the daily run sends them');
  }
}

/** An item as the queue, the campaign page and `review status --items` show it, with what no response would do to it. */
export interface ReviewItemView {
  id: number;
  account_id: string;
  email: string | null;
  name: string | null;
  role: string;
  machine: boolean;
  flags: ReviewItem['flags'];
  risk: number;
  reviewer: string | null;
  decision: ReviewDecision | null;
  new_role: string | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
  no_response: ReviewItem['no_response'];
  approval_id: number | null;
  drift: Record<string, unknown> | null;
  /** The roles a change may go to. */
  lower_roles: string[];
  /** The dry run: what the no-response policy will do to it at closing, while undecided. */
  if_no_response: string | null;
}

function itemView(i: ReviewItem, plan: ReadonlyMap<number, NoResponseOutcome>): ReviewItemView {
  return {
    id: i.id,
    account_id: i.user_id,
    email: i.email,
    name: i.name,
    role: i.role,
    machine: i.machine,
    flags: i.flags,
    risk: i.risk,
    reviewer: i.reviewer,
    decision: i.decision,
    new_role: i.new_role,
    comment: i.comment,
    decided_by: i.decided_by,
    decided_at: i.decided_at === null ? null : i.decided_at.toISOString(),
    no_response: i.no_response,
    approval_id: i.approval_id,
    drift: i.drift,
    lower_roles: lowerRoles(i.role),
    if_no_response: plan.get(i.id)?.effect ?? null,
  };
}

export interface ItemsFilter {
  /** Only the items assigned to this reviewer (a reviewer's queue). */
  reviewer?: string;
  /** Only undecided ones. @defaultValue false */
  undecided?: boolean;
}

/** A campaign's items, riskiest first, with the no-response dry run on the undecided ones. */
export async function reviewItems(db: Db, actor: ReviewActor, id: number, filter: ItemsFilter = {}): Promise<ReviewItemView[]> {
  const campaign = await visibleCampaign(db, actor, id);
  const items = await campaignItems(db, id);
  const plan = new Map(campaign.status === 'closed' ? [] : noResponsePlan(items.filter((i) => i.no_response === null), campaign.no_response).map((o) => [o.item_id, o]));
  const reviewer = filter.reviewer?.toLowerCase();
  return items
    .filter((i) => (reviewer === undefined || i.reviewer === reviewer) && (filter.undecided !== true || (i.decision === null && i.no_response === null)))
    .map((i) => itemView(i, plan));
}

/** A campaign's trail (opened, delegated, decided, reminded, escalated, closed), oldest first. */
export async function reviewTrail(db: Db, actor: ReviewActor, id: number) {
  await visibleCampaign(db, actor, id);
  return (await reviewEvents(db, id)).map((e) => ({ id: e.id, at: e.at.toISOString(), actor: e.actor, event: e.event, item_id: e.item_id, detail: e.detail }));
}

export interface DecisionInput {
  item: string | number;
  decision: string;
  /** The lower role of `change_role`. */
  new_role?: string | null | undefined;
  comment?: string | null | undefined;
}

export interface DecideReviewInput {
  decisions: readonly DecisionInput[];
  /** How: `web`, `api`, `cli`. */
  via: 'web' | 'api' | 'cli';
}

export interface DecideReviewOutcome {
  decided: { id: number; decision: ReviewDecision; new_role: string | null }[];
  /** Approvals opened for revokes and role changes. */
  approvals: number;
}

function parseDecision(value: string, field: string): ReviewDecision {
  const text = value.trim().toLowerCase().replace(/-/g, '_');
  if (!(REVIEW_DECISIONS as readonly string[]).includes(text)) throw new InputError(field, `must be one of ${REVIEW_DECISIONS.join(', ')}`);
  return text as ReviewDecision;
}

/**
 * Decides items as their reviewer. Refuses the whole batch, writing nothing,
 * on any unknown item, closed campaign, item of someone else or of one's own
 * account, keep of a flagged item without a comment, or role that is not lower.
 */
export async function decideReview(deps: ReviewActionDeps, person: Person, campaignId: number, input: DecideReviewInput): Promise<DecideReviewOutcome> {
  const at = deps.now?.() ?? new Date();
  const actor = { person };
  const campaign = await visibleCampaign(deps.db, actor, campaignId);
  if (input.decisions.length === 0) throw new InputError('decisions', 'give at least one decision');
  if (input.decisions.length > MAX_BATCH) throw new InputError('decisions', `at most ${MAX_BATCH} decisions at once`);
  const ids = parseItemIds(
    input.decisions.map((d) => d.item),
    'item',
  );
  if (ids.length !== input.decisions.length) throw new InputError('item', 'an item is given twice');
  if (campaign.status !== 'open') throw new ReviewRefusedError(409, `review campaign ${campaign.id} is ${campaign.status}: its items can no longer be decided`);
  const items = await itemsById(deps.db, campaign.id, ids);
  const me = person.email.toLowerCase();
  const parsed = input.decisions.map((d, n) => {
    const item = items.get(ids[n]!);
    if (item === undefined) throw new NotFoundError('review_item', ids[n]!);
    if (item.reviewer !== me) throw new ReviewRefusedError(403, `review item ${item.id} is assigned to ${item.reviewer === null ? 'nobody yet' : 'another reviewer'}: only its reviewer decides it (or ask them to delegate it to you)`);
    if ((item.email ?? '').toLowerCase() === me) throw new ReviewRefusedError(403, `review item ${item.id} is your own account: nobody reviews their own access`);
    if (item.decision !== null || item.no_response !== null) throw new ReviewRefusedError(409, `review item ${item.id} is decided already`);
    const decision = parseDecision(d.decision, 'decision');
    const comment = (d.comment ?? '').trim();
    if (comment.length > MAX_COMMENT) throw new InputError('comment', `at most ${MAX_COMMENT} characters`);
    if (decision === 'keep' && item.flags.length > 0 && comment === '') {
      throw new InputError('comment', `is required to keep item ${item.id}: it is flagged (${item.flags.map((f) => f.rule).join(', ')}); say why the access is still needed`);
    }
    let newRole: string | null = null;
    if (decision === 'change_role') {
      const allowed = lowerRoles(item.role);
      newRole = (d.new_role ?? '').trim().toLowerCase();
      if (allowed.length === 0) throw new InputError('new_role', `item ${item.id}'s role ${item.role} has no lower role: revoke it instead`);
      if (!allowed.includes(newRole)) throw new InputError('new_role', `must be a role lower than ${item.role}: ${allowed.join(' or ')}`);
    }
    return { id: item.id, decision, new_role: newRole, comment: comment === '' ? null : comment };
  });
  const tenant = await requireTenant(deps.db, campaign.tenant);
  const approvals = await inTransaction(deps.db, async (trx) => {
    const decided = await recordDecisions(trx, parsed, { campaignId: campaign.id, by: personActor(person), via: input.via, at, snapshotSha256: campaign.snapshot_sha256 });
    return askApprovals(trx, campaign, tenant, decided, personActor(person), at);
  });
  if (approvals > 0) await emailsLater(deps, tenant.name, campaign.id);
  return { decided: parsed.map((p) => ({ id: p.id, decision: p.decision, new_role: p.new_role })), approvals };
}

export interface DelegateReviewInput {
  /** The items to hand over; omitted with `all`. */
  items?: readonly (string | number)[];
  /** The actor's whole undecided share (or, for an officer, `from`'s). */
  all?: boolean;
  /** Whose share `all` hands over. @defaultValue the actor's own */
  from?: string;
  to: string;
}

/** Hands items to another reviewer. Refuses the batch on an unknown person, one who may not see the tenant, or an item of `to`'s own account. */
export async function delegateReview(deps: Pick<ReviewActionDeps, 'db' | 'now'>, person: Person, campaignId: number, input: DelegateReviewInput): Promise<{ delegated: number[]; to: string }> {
  const at = deps.now?.() ?? new Date();
  const campaign = await visibleCampaign(deps.db, { person }, campaignId);
  const to = parseEmail(input.to, 'to');
  const target = await findPersonByEmail(deps.db, to);
  if (target === undefined || target.disabled_at !== null) throw new InputError('to', `no person ${to} in Warden (see \`warden people list\`)`);
  if (!canSeeTenant(target, campaign.tenant)) throw new InputError('to', `${to} may not see tenant ${campaign.tenant}`);
  if (campaign.status !== 'open') throw new ReviewRefusedError(409, `review campaign ${campaign.id} is ${campaign.status}: its items can no longer be delegated`);
  const me = person.email.toLowerCase();
  const officer = isOfficer(person, campaign.tenant);
  let items: ReviewItem[];
  if (input.all === true) {
    if (input.items !== undefined && input.items.length > 0) throw new InputError('items', 'give items or all, not both');
    const from = input.from === undefined ? me : parseEmail(input.from, 'from');
    if (from !== me && !officer) throw new ReviewRefusedError(403, `only a compliance officer or an admin of tenant ${campaign.tenant} may hand over someone else's share`);
    items = await undecidedItemsOf(deps.db, campaign.id, from);
    if (items.length === 0) throw new InputError('from', `${from === me ? 'you have' : `${from} has`} no undecided items in campaign ${campaign.id}`);
  } else {
    const ids = parseItemIds(input.items ?? [], 'items');
    const found = await itemsById(deps.db, campaign.id, ids);
    items = ids.map((id) => {
      const item = found.get(id);
      if (item === undefined) throw new NotFoundError('review_item', id);
      return item;
    });
  }
  for (const item of items) {
    if (item.reviewer !== me && !officer) throw new ReviewRefusedError(403, `review item ${item.id} is not yours to delegate`);
    if (item.decision !== null || item.no_response !== null) throw new ReviewRefusedError(409, `review item ${item.id} is decided already`);
    if ((item.email ?? '').toLowerCase() === to) throw new InputError('to', `${to} is item ${item.id}'s own account: nobody reviews their own access`);
  }
  const moved = await delegateItems(deps.db, { campaignId: campaign.id, itemIds: items.map((i) => i.id), to, by: personActor(person), at });
  return { delegated: moved.map((i) => i.id), to };
}

/**
 * Closes a campaign now (before its due date too): the undecided items take
 * its no-response policy, the pack is made and recorded; the closing email
 * goes by the `review-reminders` run this enqueues.
 */
export async function closeReview(deps: ReviewActionDeps, actor: ReviewActor, id: number): Promise<ReviewStatus> {
  const at = deps.now?.() ?? new Date();
  const campaign = await visibleCampaign(deps.db, actor, id);
  requireOfficer(actor, campaign.tenant, 'close a campaign');
  if (campaign.status === 'closed') throw new ReviewRefusedError(409, `review campaign ${id} is closed already`);
  const closed = await closeCampaign(deps.db, id, actorName(actor), at);
  await emailsLater(deps, closed.tenant, closed.id);
  return statusOf(deps.db, closed, at);
}

export interface ReviewPack {
  campaign: number;
  tenant: string;
  pack_sha256: string;
  /** Every file, `manifest.json` included. */
  files: StoredPackFile[];
}

/** A closed campaign's evidence pack, as stored at closing. */
export async function reviewPack(db: Db, actor: ReviewActor, id: number): Promise<ReviewPack> {
  const campaign = await visibleCampaign(db, actor, id);
  if (campaign.status !== 'closed' || campaign.pack_sha256 === null) throw new ReviewRefusedError(409, `review campaign ${id} is ${campaign.status}: its evidence pack is made when it closes`);
  return { campaign: id, tenant: campaign.tenant, pack_sha256: campaign.pack_sha256, files: await packFiles(db, id) };
}

export interface PackCheck {
  verdict: PackVerdict;
  /** When checked against the ledger: the audit entry that recorded the pack, and whether its hash matches. */
  ledger?: { entry: number | null; matches: boolean };
}

/**
 * Checks an exported pack in `dir` (its `manifest.json` and files) by SHA-256
 * alone; with `db`, also that the ledger's audit log recorded the same pack
 * hash for its campaign (a pack rewritten with a matching manifest fails there).
 */
export async function verifyPackDir(dir: string, db?: Db): Promise<PackCheck> {
  const files = new Map<string, Buffer>();
  const read = async (name: string) => {
    try {
      files.set(name, await readFile(path.join(dir, name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError('DIR', `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  await read(MANIFEST_NAME);
  const manifestText = files.get(MANIFEST_NAME)?.toString('utf8');
  let names: string[] = [];
  try {
    const parsed = JSON.parse(manifestText ?? '{}') as { files?: { name?: unknown }[] };
    names = (parsed.files ?? []).map((f) => f.name).filter((n): n is string => typeof n === 'string' && !n.includes('/') && !n.includes('\\') && n !== '..');
  } catch {
    // verifyPack names manifest.json.
  }
  for (const name of names) await read(name);
  const verdict = verifyPack(manifestText, (name) => files.get(name));
  if (db === undefined || !verdict.ok) return { verdict };
  const campaignId = (JSON.parse(manifestText!) as { campaign_id?: unknown }).campaign_id;
  const entry = typeof campaignId === 'number' ? await packAuditEntry(db, campaignId) : undefined;
  return { verdict, ledger: { entry: entry?.id ?? null, matches: entry !== undefined && entry.details['pack_sha256'] === verdict.pack_sha256 } };
}

/** The tenant's campaign settings, as `tenants show` and the campaign pages show them. */
export function reviewSettings(tenant: Tenant) {
  return {
    reviewers: tenant.review_reviewers,
    machine_reviewers: tenant.review_machine_reviewers,
    due_days: tenant.review_due_days,
    grace_days: tenant.review_grace_days,
    no_response: tenant.review_no_response,
  };
}
