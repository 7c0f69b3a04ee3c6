/**
 * Approvals: one action each for the CLI (`warden approvals …`), the pages
 * and the JSON API (docs/architecture.md "Approvals and remediation").
 *
 * Who may decide: an enabled person with the admin role who may see the
 * approval's tenant, never about their own account (the removed user, or the
 * token's owner), and never one they asked for themselves in an access review
 * (four eyes: the reviewer decides, another admin approves). What may be
 * approved: a pending approval before it expires, never a break-glass account
 * nor the tenant's last admin (as measured when it
 * was requested; the remediation re-checks live). Over the tenant's daily cap
 * of removals (`max_removals_per_day` in 24 hours, default 10) a removal needs
 * two admins: the first approval is recorded and it stays pending.
 *
 * Every check of a batch is made before anything is written: one refused id
 * refuses the batch and changes nothing. An approval is a row before it is a
 * job: the decision is committed, then the `remediation` run is enqueued; if
 * that fails, `reconcile` enqueues it later.
 */
import type { Approval, ApprovalEvent, Person, Tenant } from '../db/database.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../db/database.js';
import {
  approvalEvents,
  approvalLinkUsed,
  decideApproval,
  expireApprovals,
  getApproval,
  adminRemovalsInFlight,
  approvalsById,
  listApprovals,
  lockTenantRemovals,
  recordFirstApproval,
  removalsApprovedSince,
  spendApprovalLink,
} from '../db/approvals.repository.js';
import { inTransaction, type Db } from '../db/executor.js';
import { findFinding } from '../db/findings-query.repository.js';
import { findPersonById } from '../db/people.repository.js';
import { NotFoundError } from '../db/errors.js';
import { requireTenant } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { ApprovalRefusedError } from '../approvals/errors.js';
import { linkTokenHash, readApprovalLink, type ApprovalLink } from '../approvals/approval-links.js';
import { affectedEmail, APPROVAL_KINDS, impactSentences } from '../approvals/kinds.js';
import { isBreakGlass } from '../approvals/open-approvals.js';
import { askedBy, reviewRefOf, type ReviewRef } from '../reviews/review-approvals.js';
import { canSeeTenant, personActor } from './people.js';

export interface ApprovalActionDeps {
  db: Db;
  /** Records and dispatches a `remediation` run (the app's job runner); resolves to its run id. */
  enqueue(kind: 'remediation', payload: { approval_id: number }, tenant: string): Promise<string>;
  log?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

/** How a decision reached Warden: recorded in the trail and the audit log. */
export type DecisionVia = 'web' | 'email link' | 'api' | 'cli';

export interface DecideInput {
  ids: readonly number[];
  decision: 'approved' | 'rejected';
  /** Required to reject; at most 2 000 characters. */
  comment?: string | undefined;
  via: DecisionVia;
}

export interface DecisionOutcome {
  id: number;
  /** `approved`, `rejected`, or `first_approval` (over the daily cap: a second admin must approve too). */
  outcome: 'approved' | 'rejected' | 'first_approval';
  /** The remediation run enqueued for an approval; null when enqueueing failed (reconcile enqueues it). */
  run: string | null;
}

const MAX_COMMENT = 2000;
const MAX_BATCH = 500;
const DAY_MS = 86_400_000;

function isAdminOf(person: Person, tenant: string): boolean {
  return person.disabled_at === null && person.roles.includes('admin') && canSeeTenant(person, tenant);
}

/** Ids as given (CLI arguments, form fields, JSON): positive integers, at least one, each once. */
export function parseApprovalIds(given: readonly (string | number)[], field = 'ids'): number[] {
  if (given.length === 0) throw new InputError(field, 'give at least one approval id');
  if (given.length > MAX_BATCH) throw new InputError(field, `at most ${MAX_BATCH} approvals at once`);
  const ids = given.map((g) => {
    const text = String(g).trim();
    if (!/^[1-9]\d{0,8}$/.test(text)) throw new InputError(field, `${JSON.stringify(text.slice(0, 40))} is not an approval id`);
    return Number(text);
  });
  return [...new Set(ids)];
}

function parseComment(decision: DecideInput['decision'], comment: string | undefined): string | null {
  const text = (comment ?? '').trim();
  if (text.length > MAX_COMMENT) throw new InputError('comment', `at most ${MAX_COMMENT} characters`);
  if (decision === 'rejected' && text === '') throw new InputError('comment', 'is required to reject: say why');
  return text === '' ? null : text;
}

/** What stops `person` deciding `approval` now, as a refusal; nothing when they may. */
function refusal(approval: Approval, tenant: Tenant, person: Person, decision: DecideInput['decision'], at: Date, adminsGoing = 0): Error | undefined {
  // A tenant the person may not see answers like an unknown id (docs/architecture.md "The web app").
  if (!canSeeTenant(person, approval.tenant)) return new NotFoundError('approval', approval.id);
  if (!isAdminOf(person, approval.tenant)) return new ApprovalRefusedError(403, `approval ${approval.id}: only an admin of tenant ${approval.tenant} may decide it`);
  const own = affectedEmail(approval.impact);
  if (own !== null && own === person.email.toLowerCase()) {
    return new ApprovalRefusedError(403, `approval ${approval.id}: it is about your own account; another admin must decide it`);
  }
  if (askedBy(approval.requested_by, person.email)) {
    const review = reviewRefOf(approval);
    return new ApprovalRefusedError(403, `approval ${approval.id}: you asked for it in access review${review === null ? '' : ` #${review.campaign_id}`}; another admin must decide it`);
  }
  if (approval.status !== 'pending') return new ApprovalRefusedError(409, `approval ${approval.id} is ${approval.status}: only a pending approval can be ${decision}`);
  if (approval.expires_at.getTime() <= at.getTime()) return new ApprovalRefusedError(409, `approval ${approval.id} expired at ${approval.expires_at.toISOString()}`);
  if (decision === 'approved' && approval.kind === 'remove_user') {
    const impact = approval.impact as { email?: string | null; roles?: string[]; other_admins?: number };
    if (isBreakGlass(tenant, impact.email ?? null)) return new ApprovalRefusedError(409, `approval ${approval.id}: the account is on the tenant's break-glass list and is never removed`);
    // Admins whose removal is approved and not ended count as gone already (adminsGoing), so no two decisions take the last one.
    if ((impact.roles ?? []).includes('admin') && (impact.other_admins ?? 0) - adminsGoing <= 0) {
      return new ApprovalRefusedError(409, `approval ${approval.id}: the account is the tenant's last admin and is never removed`);
    }
    if (approval.first_approved_by === person.email) return new ApprovalRefusedError(409, `approval ${approval.id}: you approved it already; it needs a second admin`);
  }
  return undefined;
}

/**
 * Approves or rejects approvals as `person`. Refuses the whole batch, writing
 * nothing, when any id is unknown (NotFoundError) or refused (ApprovalRefusedError).
 */
export async function decideApprovals(deps: ApprovalActionDeps, person: Person, input: DecideInput): Promise<DecisionOutcome[]> {
  const at = deps.now?.() ?? new Date();
  const comment = parseComment(input.decision, input.comment);
  const ids = parseApprovalIds(input.ids);
  await expireApprovals(deps.db, at);
  const byId = await approvalsById(deps.db, ids);
  // In the order given, an unknown id and one of a tenant the person may not see answer alike (nothing to learn from which).
  const approvals = ids.map((id) => {
    const a = byId.get(id);
    if (a === undefined || !canSeeTenant(person, a.tenant)) throw new NotFoundError('approval', id);
    return a;
  });
  const tenants = new Map<string, Tenant>();
  const going = new Map<string, Set<number>>();
  for (const a of approvals) {
    if (tenants.has(a.tenant)) continue;
    tenants.set(a.tenant, await requireTenant(deps.db, a.tenant));
    going.set(a.tenant, await adminRemovalsInFlight(deps.db, a.tenant));
  }
  for (const a of approvals) {
    const gone = going.get(a.tenant)!;
    const problem = refusal(a, tenants.get(a.tenant)!, person, input.decision, at, gone.size);
    if (problem !== undefined) throw problem;
    // Approving an admin's removal in this batch makes the next one's count smaller.
    if (input.decision === 'approved' && a.kind === 'remove_user' && ((a.impact['roles'] as string[] | undefined) ?? []).includes('admin')) gone.add(a.id);
  }
  return applyDecisions(deps, person, approvals, tenants, { decision: input.decision, comment, via: input.via }, at);
}

async function applyDecisions(
  deps: ApprovalActionDeps,
  person: Person,
  approvals: readonly Approval[],
  tenants: ReadonlyMap<string, Tenant>,
  d: { decision: DecideInput['decision']; comment: string | null; via: DecisionVia },
  at: Date,
  inTrx?: (db: Db) => Promise<void>,
): Promise<DecisionOutcome[]> {
  const by = personActor(person);
  const decided = await inTransaction(deps.db, async (trx) => {
    await inTrx?.(trx);
    const out: { approval: Approval; outcome: DecisionOutcome['outcome'] }[] = [];
    const removalsToday = new Map<string, number>();
    for (const a of approvals) {
      if (d.decision === 'approved' && a.kind === 'remove_user' && a.first_approved_by === null) {
        const tenant = tenants.get(a.tenant)!;
        if (!removalsToday.has(a.tenant)) await lockTenantRemovals(trx, a.tenant);
        const count = removalsToday.get(a.tenant) ?? (await removalsApprovedSince(trx, a.tenant, new Date(at.getTime() - DAY_MS)));
        if (count >= tenant.max_removals_per_day) {
          out.push({ approval: await recordFirstApproval(trx, a.id, { by, comment: d.comment, via: d.via, at, cap: tenant.max_removals_per_day }), outcome: 'first_approval' });
          continue;
        }
        removalsToday.set(a.tenant, count + 1);
      }
      out.push({ approval: await decideApproval(trx, a.id, { decision: d.decision, by, comment: d.comment, via: d.via, at }), outcome: d.decision });
    }
    return out;
  });
  const outcomes: DecisionOutcome[] = [];
  for (const { approval, outcome } of decided) {
    let run: string | null = null;
    if (outcome === 'approved') {
      try {
        run = await deps.enqueue('remediation', { approval_id: approval.id }, approval.tenant);
      } catch (err) {
        // The approval is committed: reconcile gives it a run (jobs/reconcile.job.ts).
        deps.log?.warn({ approval: approval.id, error: (err as Error).message }, 'remediation not enqueued now; reconcile will');
      }
    }
    outcomes.push({ id: approval.id, outcome, run });
  }
  return outcomes;
}

// Email links

/** What an approval link's page shows before the confirming click. */
export interface LinkPreview {
  link: ApprovalLink;
  approval: ApprovalView;
  /** The admin the link was sent to (their email). */
  sentTo: string;
}

function linkRefusal(problem: 'malformed' | 'forged' | 'expired'): ApprovalRefusedError {
  if (problem === 'expired') return new ApprovalRefusedError(410, 'this approval link has expired (links work for 7 days): open the approval in Warden instead');
  return new ApprovalRefusedError(403, 'this approval link is not valid: open the approval in Warden instead');
}

/**
 * Checks a link token without spending it: signature, expiry, use, that the
 * admin it was sent to may still decide, and, when someone is signed in, that
 * it is that admin. Opening a link decides nothing.
 */
export async function previewApprovalLink(deps: Pick<ApprovalActionDeps, 'db' | 'now'>, key: Buffer, token: string, viewer: Person | undefined): Promise<LinkPreview & { person: Person }> {
  const at = deps.now?.() ?? new Date();
  const link = readApprovalLink(key, token, at);
  if (typeof link === 'string') throw linkRefusal(link);
  if (await approvalLinkUsed(deps.db, linkTokenHash(token))) throw new ApprovalRefusedError(410, 'this approval link has been used already: each link works once');
  const person = await findPersonById(deps.db, link.personId);
  if (person === undefined || person.disabled_at !== null) throw new ApprovalRefusedError(403, 'this approval link was sent to someone who may no longer decide');
  if (viewer !== undefined && viewer.id !== person.id) throw new ApprovalRefusedError(403, 'this approval link was sent to another admin: it is theirs alone');
  const approval = await getApproval(deps.db, link.approvalId);
  if (!isAdminOf(person, approval.tenant)) throw new ApprovalRefusedError(403, 'this approval link was sent to someone who may no longer decide');
  return { link, person, sentTo: person.email, approval: approvalView(approval) };
}

/**
 * The confirming click: checks the link again, spends it and decides, in one
 * transaction (a link that fails to decide is not spent), then enqueues remediation.
 */
export async function redeemApprovalLink(
  deps: ApprovalActionDeps,
  key: Buffer,
  token: string,
  viewer: Person | undefined,
  comment: string | undefined,
): Promise<DecisionOutcome> {
  const at = deps.now?.() ?? new Date();
  const { link, person } = await previewApprovalLink(deps, key, token, viewer);
  const parsed = parseComment(link.decision, comment);
  await expireApprovals(deps.db, at);
  const approval = await getApproval(deps.db, link.approvalId);
  const tenant = await requireTenant(deps.db, approval.tenant);
  const problem = refusal(approval, tenant, person, link.decision, at, (await adminRemovalsInFlight(deps.db, tenant.name)).size);
  if (problem !== undefined) throw problem;
  const [outcome] = await applyDecisions(deps, person, [approval], new Map([[tenant.name, tenant]]), { decision: link.decision, comment: parsed, via: 'email link' }, at, async (trx) => {
    if (!(await spendApprovalLink(trx, linkTokenHash(token), approval.id, person.id, at))) {
      throw new ApprovalRefusedError(410, 'this approval link has been used already: each link works once');
    }
  });
  return outcome!;
}

// Read models

/** An approval as scripts read it (`approvals list --format json`, `/api/v1/approvals`): the JSON contract. */
export interface ApprovalView {
  id: number;
  tenant: string;
  kind: string;
  status: ApprovalStatus;
  rule: string;
  subject: { type: string; id: string; label: string };
  fingerprint: string;
  requested_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  first_approved_by: string | null;
  executed_at: string | null;
  verified_at: string | null;
  ended_at: string | null;
  /** What acting would break, measured when requested. */
  impact: Record<string, unknown>;
  /** The same, in words. */
  impact_summary: string[];
  /** Who asked for it: the reviewer of an access review's decision; null when an audit asked. */
  requested_by: string | null;
  /** The access-review item it carries out; null for a finding's approval. */
  review: ReviewRef | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function approvalView(a: Approval): ApprovalView {
  return {
    id: a.id,
    tenant: a.tenant,
    kind: a.kind,
    status: a.status,
    rule: a.rule,
    subject: { type: a.subject_type, id: a.subject_id, label: a.subject_label },
    fingerprint: a.finding_fingerprint,
    requested_at: a.requested_at.toISOString(),
    expires_at: a.expires_at.toISOString(),
    decided_by: a.decided_by,
    decided_at: iso(a.decided_at),
    comment: a.comment,
    first_approved_by: a.first_approved_by,
    executed_at: iso(a.executed_at),
    verified_at: iso(a.verified_at),
    ended_at: iso(a.ended_at),
    impact: a.impact,
    impact_summary: impactSentences(a.impact),
    requested_by: a.requested_by,
    review: reviewRefOf(a),
  };
}

/** The whole trail of an approval (`approvals show`, its page): the finding, the impact, every event, what remediation found and did. */
export interface ApprovalDetail extends ApprovalView {
  finding: {
    title: string;
    severity: string;
    evidence: Record<string, unknown>;
    first_seen: string;
    last_seen: string;
    resolved_at: string | null;
  } | null;
  /** Remediation's evidence: `recheck`, `act`, `verification`, `failure`. */
  outcome: Record<string, unknown>;
  trail: { at: string; actor: string; event: string; detail: Record<string, unknown> }[];
}

export interface ApprovalFilterInput {
  tenant?: string | undefined;
  kind?: string | undefined;
  status?: string | undefined;
  /** @defaultValue 1 */
  page?: number | undefined;
}

/** Page size of the approvals list. */
export const APPROVALS_PAGE_SIZE = 100;

function parseFilter(input: ApprovalFilterInput): { tenant?: string; kind?: string; status?: ApprovalStatus; page: number } {
  const out: { tenant?: string; kind?: string; status?: ApprovalStatus; page: number } = { page: input.page ?? 1 };
  if (input.tenant !== undefined && input.tenant !== '') out.tenant = input.tenant;
  if (input.kind !== undefined && input.kind !== '') {
    if (!(APPROVAL_KINDS as readonly string[]).includes(input.kind)) throw new InputError('kind', `must be one of ${APPROVAL_KINDS.join(', ')}`);
    out.kind = input.kind;
  }
  if (input.status !== undefined && input.status !== '') {
    if (!(APPROVAL_STATUSES as readonly string[]).includes(input.status)) throw new InputError('state', `must be one of ${APPROVAL_STATUSES.join(', ')}`);
    out.status = input.status as ApprovalStatus;
  }
  if (!Number.isInteger(out.page) || out.page < 1 || out.page > 100_000) throw new InputError('page', 'must be a whole number from 1 to 100000');
  return out;
}

/**
 * Approvals `viewer` may see (their tenants; undefined viewer: the CLI, all),
 * filtered, oldest request first. Expires what is past its deadline at `now`
 * (the system clock unless given) first, so a list never shows a pending
 * approval nobody can decide any more.
 */
export async function listApprovalViews(db: Db, filter: ApprovalFilterInput, viewer?: Pick<Person, 'tenants'>, now: Date = new Date()): Promise<ApprovalView[]> {
  const f = parseFilter(filter);
  if (f.tenant !== undefined) await requireTenant(db, f.tenant);
  await expireApprovals(db, now);
  const rows = await listApprovals(db, {
    ...(viewer?.tenants == null ? {} : { tenants: viewer.tenants }),
    ...(f.tenant === undefined ? {} : { tenant: f.tenant }),
    ...(f.kind === undefined ? {} : { kind: f.kind }),
    ...(f.status === undefined ? {} : { status: f.status }),
    limit: APPROVALS_PAGE_SIZE,
    offset: (f.page - 1) * APPROVALS_PAGE_SIZE,
  });
  return rows.map(approvalView);
}

/** The statuses of approvals now, by id, in one query (what a decision ended in, for the CLI's report). */
export async function approvalStatuses(db: Db, ids: readonly number[]): Promise<Map<number, ApprovalStatus>> {
  return new Map([...(await approvalsById(db, ids))].map(([id, a]) => [id, a.status]));
}

/** One approval with its trail; a NotFoundError for an unknown id or one of a tenant `viewer` may not see. */
export async function approvalDetail(db: Db, id: number, viewer?: Pick<Person, 'tenants'>): Promise<ApprovalDetail> {
  const approval = await getApproval(db, id);
  if (viewer !== undefined && !canSeeTenant(viewer, approval.tenant)) throw new NotFoundError('approval', id);
  const [finding, events] = await Promise.all([findFinding(db, approval.tenant, approval.finding_fingerprint), approvalEvents(db, id)]);
  return {
    ...approvalView(approval),
    finding:
      finding === undefined
        ? null
        : {
            title: finding.title,
            severity: finding.severity,
            evidence: finding.evidence,
            first_seen: finding.first_seen.toISOString(),
            last_seen: finding.last_seen.toISOString(),
            resolved_at: iso(finding.resolved_at),
          },
    outcome: approval.evidence,
    trail: events.map((e: ApprovalEvent) => ({ at: e.at.toISOString(), actor: e.actor, event: e.event, detail: e.detail })),
  };
}
