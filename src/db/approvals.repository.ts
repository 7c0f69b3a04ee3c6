/**
 * Approvals of removals, revocations and webhook switch-offs (docs/architecture.md "Approvals and
 * remediation"): `pending → approved | rejected | expired | withdrawn`, then
 * `approved → executed → verified | failed`, or `approved → refused`. Every
 * move is a guarded UPDATE (src/db/transition.ts), so two people or two
 * workers racing over one approval cannot both win, and every move writes its
 * event to the approval's trail in the same transaction.
 */
import { sql, type RawBuilder } from 'kysely';
import { json, type Approval, type ApprovalEvent, type ApprovalStatus } from './database.js';
import { appendAuditLog } from './audit-log.repository.js';
import { inTransaction, type Db } from './executor.js';
import { InvalidTransitionError, NotFoundError } from './errors.js';
import { transition } from './transition.js';

/** The statuses in which an approval is still in flight: one at most per finding and kind. */
export const OPEN_APPROVAL_STATUSES = ['pending', 'approved', 'executed'] as const satisfies readonly ApprovalStatus[];

export interface OpenApprovalInput {
  tenant: string;
  fingerprint: string;
  /** `remove_user`, `revoke_token` or `disable_webhook` (src/approvals/kinds.ts). */
  kind: string;
  rule: string;
  subject: { type: string; id: string; label: string };
  /** What acting would break, as measured now (src/approvals/impact.ts): ids, names and uses, no secret. */
  impact: Record<string, unknown>;
  expiresAt: Date;
  at: Date;
  /** The access-review item whose decision this carries out. @defaultValue none: a finding's */
  reviewItemId?: number;
  /** Who asked: the reviewer who decided. @defaultValue none: an audit asked */
  requestedBy?: string;
}

/**
 * Opens an approval, or returns the one already in flight for the same finding
 * and kind (the partial unique index `approvals_one_open_idx`): a daily re-run
 * does not ask twice.
 */
export async function openApproval(db: Db, input: OpenApprovalInput): Promise<{ approval: Approval; created: boolean }> {
  const [opened] = await openApprovalsFor(db, input.tenant, [input], input.at);
  if (opened !== undefined) return { approval: opened, created: true };
  const existing = await db
    .selectFrom('approvals')
    .selectAll()
    .where('tenant', '=', input.tenant)
    .where('finding_fingerprint', '=', input.fingerprint)
    .where('kind', '=', input.kind)
    .where('status', 'in', [...OPEN_APPROVAL_STATUSES])
    .executeTakeFirstOrThrow();
  return { approval: existing, created: false };
}

/** Rows written per statement when opening many (well under Postgres' 65 535 parameters). */
const CHUNK = 500;

/**
 * Opens the approvals of `inputs` (one tenant's) that are not already in
 * flight, in one transaction, a few statements per 500: an audit of a large
 * tenant may ask thousands. Returns only the approvals it opened.
 */
export async function openApprovalsFor(db: Db, tenant: string, inputs: readonly Omit<OpenApprovalInput, 'tenant' | 'at'>[], at: Date): Promise<Approval[]> {
  if (inputs.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const open = await trx
      .selectFrom('approvals')
      .select(['finding_fingerprint', 'kind'])
      .where('tenant', '=', tenant)
      .where('status', 'in', [...OPEN_APPROVAL_STATUSES])
      .execute();
    const inFlight = new Set(open.map((r) => `${r.kind}\0${r.finding_fingerprint}`));
    const fresh = inputs.filter((i) => !inFlight.has(`${i.kind}\0${i.fingerprint}`));
    const opened: Approval[] = [];
    for (let i = 0; i < fresh.length; i += CHUNK) {
      const rows = await trx
        .insertInto('approvals')
        .values(
          fresh.slice(i, i + CHUNK).map((input) => ({
            tenant,
            finding_fingerprint: input.fingerprint,
            kind: input.kind,
            rule: input.rule,
            subject_type: input.subject.type,
            subject_id: input.subject.id,
            subject_label: input.subject.label,
            impact: json(input.impact),
            requested_at: at,
            expires_at: input.expiresAt,
            evidence: json({}),
            review_item_id: input.reviewItemId ?? null,
            requested_by: input.requestedBy ?? null,
          })),
        )
        // Another run opening the same one meanwhile: theirs stands.
        .onConflict((oc) =>
          oc
            .columns(['tenant', 'finding_fingerprint', 'kind'])
            .where('status', 'in', [...OPEN_APPROVAL_STATUSES])
            .doNothing(),
        )
        .returningAll()
        .execute();
      if (rows.length > 0) {
        await trx
          .insertInto('approval_events')
          .values(
            rows.map((r) => ({
              approval_id: r.id,
              actor: r.requested_by ?? 'warden',
              event: 'requested',
              detail: json({ rule: r.rule, expires_at: r.expires_at.toISOString(), ...(r.review_item_id === null ? {} : { review_item_id: r.review_item_id }) }),
              at,
            })),
          )
          .execute();
      }
      opened.push(...rows);
    }
    return opened;
  });
}

export async function getApproval(db: Db, id: number): Promise<Approval> {
  const row = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('approval', id);
  return row;
}

/** The approvals among these ids that exist, by id. */
export async function approvalsById(db: Db, ids: readonly number[]): Promise<Map<number, Approval>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('approvals').selectAll().where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Whether an approval's trail has an event (e.g. `outcome_emailed`). */
export async function hasApprovalEvent(db: Db, id: number, event: string): Promise<boolean> {
  const row = await db.selectFrom('approval_events').select('id').where('approval_id', '=', id).where('event', '=', event).executeTakeFirst();
  return row !== undefined;
}

/**
 * Removals of the tenant's admins approved and not yet ended (approved or
 * executed): at decision time, each counts as gone already, so that no batch
 * or pair of decisions takes the last admin.
 */
export async function adminRemovalsInFlight(db: Db, tenant: string): Promise<Set<number>> {
  const rows = await db
    .selectFrom('approvals')
    .select('id')
    .where('tenant', '=', tenant)
    .where('kind', '=', 'remove_user')
    .where('status', 'in', ['approved', 'executed'])
    .where(sql<boolean>`impact->'roles' ? 'admin'`)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** Refused or failed approvals whose admins have not been told yet (the outcome email's send failed, or its process died). */
export function untoldOutcomes(db: Db, since: Date): Promise<Approval[]> {
  return db
    .selectFrom('approvals as a')
    .selectAll('a')
    .where('a.status', 'in', ['refused', 'failed'])
    .where('a.ended_at', '>=', since)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('approval_events as e').select('e.id').whereRef('e.approval_id', '=', 'a.id').where('e.event', '=', 'outcome_emailed'))),
    )
    .orderBy('a.id')
    .execute();
}

export interface ApprovalFilter {
  /** Only these tenants (a person's); undefined for all. */
  tenants?: readonly string[];
  tenant?: string;
  kind?: string;
  status?: ApprovalStatus;
  /** @defaultValue 200 */
  limit?: number;
  /** @defaultValue 0 */
  offset?: number;
}

/** Approvals matching the filter, oldest request first (the order they should be decided in). */
export function listApprovals(db: Db, filter: ApprovalFilter = {}): Promise<Approval[]> {
  let query = db.selectFrom('approvals').selectAll();
  if (filter.tenants !== undefined) {
    if (filter.tenants.length === 0) return Promise.resolve([]);
    query = query.where('tenant', 'in', [...filter.tenants]);
  }
  if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query
    .orderBy('requested_at')
    .orderBy('id')
    .limit(filter.limit ?? 200)
    .offset(filter.offset ?? 0)
    .execute();
}

/** How many approvals a tenant has in a status, counted by the database (a digest's headline). */
export async function countApprovals(db: Db, tenant: string, status: ApprovalStatus): Promise<number> {
  const row = await db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('tenant', '=', tenant)
    .where('status', '=', status)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The trail of an approval, oldest first. */
export function approvalEvents(db: Db, id: number): Promise<ApprovalEvent[]> {
  return db.selectFrom('approval_events').selectAll().where('approval_id', '=', id).orderBy('id').execute();
}

function addEvent(db: Db, id: number, actor: string, event: string, detail: Record<string, unknown>, at: Date): Promise<unknown> {
  return db.insertInto('approval_events').values({ approval_id: id, actor, event, detail: json(detail), at }).execute();
}

/** Adds the same event to the trails of many approvals, a statement per 500 (e.g. `emailed`). */
export async function recordApprovalEvents(db: Db, ids: readonly number[], actor: string, event: string, detail: Record<string, unknown>, at = new Date()): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) {
    await db
      .insertInto('approval_events')
      .values(ids.slice(i, i + CHUNK).map((id) => ({ approval_id: id, actor, event, detail: json(detail), at })))
      .execute();
  }
}

/** Adds an event to an approval's trail that does not move it (e.g. `attempt_failed`). */
export async function recordApprovalEvent(db: Db, id: number, actor: string, event: string, detail: Record<string, unknown> = {}, at = new Date()): Promise<void> {
  await addEvent(db, id, actor, event, detail, at);
}

export interface DecisionInput {
  decision: 'approved' | 'rejected';
  /** Who decided: a person's email, recorded in the trail and the audit log. */
  by: string;
  comment: string | null;
  /** How: `web`, `email link`, `api`, `cli`. */
  via: string;
  at: Date;
}

/**
 * pending → approved | rejected, with its event and audit-log entry in one
 * transaction. The caller has checked who may decide; this only guards the status.
 */
export async function decideApproval(db: Db, id: number, input: DecisionInput): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'approvals', id, ['pending'], input.decision, {
      decided_by: input.by,
      decided_at: input.at,
      comment: input.comment,
      ...(input.decision === 'rejected' ? { ended_at: input.at } : {}),
    });
    await addEvent(trx, id, input.by, input.decision, { via: input.via, ...(input.comment === null ? {} : { comment: input.comment }) }, input.at);
    await appendAuditLog(trx, {
      actor: input.by,
      action: `approval.${input.decision}`,
      subject: `approval:${id}`,
      details: { tenant: row.tenant, kind: row.kind, rule: row.rule, via: input.via, ...(input.comment === null ? {} : { comment: input.comment }) },
      at: input.at,
    });
    return row;
  });
}

/**
 * The first of two approvals a removal over the daily cap needs: recorded on the
 * row (it stays pending) with its event and audit entry, only while nobody has.
 */
export async function recordFirstApproval(db: Db, id: number, input: Omit<DecisionInput, 'decision'> & { cap: number }): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('approvals')
      .set({ first_approved_by: input.by, first_approved_at: input.at })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('first_approved_by', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      // Someone decided it, or gave the first approval, since the caller read it: a conflict, not a 500.
      const current = await getApproval(trx, id);
      throw new InvalidTransitionError('approval', id, current.status === 'pending' ? 'already first-approved by another admin' : current.status, 'approved');
    }
    const detail = { via: input.via, daily_cap: input.cap, ...(input.comment === null ? {} : { comment: input.comment }) };
    await addEvent(trx, id, input.by, 'first_approval', detail, input.at);
    await appendAuditLog(trx, { actor: input.by, action: 'approval.first_approval', subject: `approval:${id}`, details: { tenant: row.tenant, kind: row.kind, ...detail }, at: input.at });
    return row;
  });
}

/**
 * Serialises decisions on one tenant's removals until the transaction ends, so
 * two admins approving at the same moment cannot both pass the daily cap.
 */
export async function lockTenantRemovals(trx: Db, tenant: string): Promise<void> {
  // Keyed by schema too: tenants of the same name in two schemas (test ledgers) do not wait on each other.
  await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ${`:warden:approvals:${tenant}`}))`.execute(trx);
}

/**
 * Removals a tenant's admins have approved since `since` (a rolling day), for
 * the daily cap: approved, executed, verified or failed (a failed one was still approved).
 */
export async function removalsApprovedSince(db: Db, tenant: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('tenant', '=', tenant)
    .where('kind', '=', 'remove_user')
    .where('status', 'in', ['approved', 'executed', 'verified', 'failed', 'refused'])
    .where('decided_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records the use of a signed email link, by its token's hash: true the first
 * time, false when it was used before (a link works once).
 */
export async function spendApprovalLink(db: Db, tokenHash: string, approvalId: number, personId: number, at: Date): Promise<boolean> {
  const row = await db
    .insertInto('approval_link_uses')
    .values({ token_hash: tokenHash, approval_id: approvalId, person_id: personId, used_at: at })
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .returning('token_hash')
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether a signed email link has been used already. */
export async function approvalLinkUsed(db: Db, tokenHash: string): Promise<boolean> {
  const row = await db.selectFrom('approval_link_uses').select('token_hash').where('token_hash', '=', tokenHash).executeTakeFirst();
  return row !== undefined;
}

async function endPending(db: Db, ids: readonly number[], to: 'expired' | 'withdrawn', detail: Record<string, unknown>, at: Date): Promise<number[]> {
  if (ids.length === 0) return [];
  return inTransaction(db, async (trx) => {
    const ended: number[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await trx
        .updateTable('approvals')
        .set({ status: to, ended_at: at })
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .where('status', '=', 'pending')
        .returning(['id', 'tenant', 'kind'])
        .execute();
      if (rows.length === 0) continue;
      await trx
        .insertInto('approval_events')
        .values(rows.map((r) => ({ approval_id: r.id, actor: 'warden', event: to, detail: json(detail), at })))
        .execute();
      for (const r of rows) {
        await appendAuditLog(trx, { actor: 'warden', action: `approval.${to}`, subject: `approval:${r.id}`, details: { tenant: r.tenant, kind: r.kind, ...detail }, at });
      }
      ended.push(...rows.map((r) => r.id));
    }
    return ended;
  });
}

/** Expires the pending approvals past their deadline (of one tenant, or all); returns their ids. */
export async function expireApprovals(db: Db, at: Date, tenant?: string): Promise<number[]> {
  let query = db.selectFrom('approvals').select('id').where('status', '=', 'pending').where('expires_at', '<=', at);
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  const ids = (await query.execute()).map((r) => r.id);
  return endPending(db, ids, 'expired', { reason: 'nobody decided before it expired' }, at);
}

/**
 * Withdraws the pending approvals of these findings (no longer open, or suppressed); returns their ids.
 * @param reason - recorded in the trail and the audit log @defaultValue `the finding was resolved`
 */
export async function withdrawApprovals(db: Db, tenant: string, fingerprints: readonly string[], at: Date, reason = 'the finding was resolved'): Promise<number[]> {
  if (fingerprints.length === 0) return [];
  const gone = new Set(fingerprints);
  const pending = await db.selectFrom('approvals').select(['id', 'finding_fingerprint']).where('tenant', '=', tenant).where('status', '=', 'pending').execute();
  const ids = pending.filter((r) => gone.has(r.finding_fingerprint)).map((r) => r.id);
  return endPending(db, ids, 'withdrawn', { reason }, at);
}

/** What remediation recorded: merged into the approval's `evidence` under its own key. */
type EvidencePatch = Record<string, unknown>;

function mergeEvidence(patch: EvidencePatch) {
  return sql<string>`evidence || ${json(patch)}::jsonb`;
}

/** How {@link claimApprovalAct} ended. */
export type ActClaim =
  /** This run holds the act. */
  | 'claimed'
  /** Another live run of this approval holds it. */
  | 'held'
  /** Another removal of one of the tenant's admins is being carried out: wait for it (its end may make this one the last admin's). */
  | 'admin_busy';

/** The run named by `runRef` (an approval's `evidence.acting.run`) is still queued or running. */
function liveClaim(runRef: RawBuilder<string>) {
  return sql<boolean>`exists (select 1 from job_runs r where r.idempotency_key = ${runRef} and r.status in ('queued', 'running'))`;
}

/**
 * Claims the act of an approved approval for run `runId`: one run acts on an
 * approval at a time; the claim passes to another run only once its holder has
 * ended. The removals of a tenant's admins (and the role changes that take the
 * admin role) are carried out one at a time too (under the tenant's lock): the
 * second re-checks after the first, so two never take the last admin between them.
 */
export async function claimApprovalAct(db: Db, id: number, runId: string, at: Date): Promise<ActClaim> {
  return inTransaction(db, async (trx) => {
    const approval = await getApproval(trx, id);
    // A role change that takes the admin role counts as an admin's removal here: it leaves one admin fewer all the same.
    const removesAdmin =
      (approval.kind === 'remove_user' && ((approval.impact['roles'] as string[] | undefined) ?? []).includes('admin')) ||
      (approval.kind === 'change_role' && approval.impact['remove_role'] === 'admin');
    if (removesAdmin) {
      await lockTenantRemovals(trx, approval.tenant);
      const busy = await trx
        .selectFrom('approvals as a')
        .select('a.id')
        .where('a.tenant', '=', approval.tenant)
        .where('a.id', '<>', id)
        .where('a.status', '=', 'approved')
        .where(sql<boolean>`((a.kind = 'remove_user' and a.impact->'roles' ? 'admin') or (a.kind = 'change_role' and a.impact->>'remove_role' = 'admin'))`)
        .where(liveClaim(sql<string>`a.evidence->'acting'->>'run'`))
        .executeTakeFirst();
      if (busy !== undefined) return 'admin_busy';
    }
    const row = await trx
      .updateTable('approvals as a')
      .set({ evidence: mergeEvidence({ acting: { run: runId, at: at.toISOString() } }) })
      .where('a.id', '=', id)
      .where('a.status', '=', 'approved')
      .where((eb) =>
        eb.or([
          eb(sql<string | null>`a.evidence->'acting'->>'run'`, 'is', null),
          eb(sql<string>`a.evidence->'acting'->>'run'`, '=', runId),
          eb.not(liveClaim(sql<string>`a.evidence->'acting'->>'run'`)),
        ]),
      )
      .returning('a.id')
      .executeTakeFirst();
    return row === undefined ? 'held' : 'claimed';
  });
}

/** approved → executed: remediation acted; `patch` holds the re-check and the platform's answer. */
export async function markApprovalExecuted(db: Db, id: number, at: Date, patch: EvidencePatch): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'approvals', id, ['approved'], 'executed', { executed_at: at, evidence: mergeEvidence(patch) });
    await addEvent(trx, id, 'warden', 'executed', patch, at);
    return row;
  });
}

/** executed → verified: the result was seen independently; the verification is the evidence. */
export async function markApprovalVerified(db: Db, id: number, at: Date, patch: EvidencePatch): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'approvals', id, ['executed'], 'verified', { verified_at: at, ended_at: at, evidence: mergeEvidence(patch) });
    await addEvent(trx, id, 'warden', 'verified', patch, at);
    await appendAuditLog(trx, { actor: 'warden', action: 'approval.verified', subject: `approval:${id}`, details: { tenant: row.tenant, kind: row.kind, rule: row.rule }, at });
    return row;
  });
}

/** approved → refused: the re-check before acting found the finding no longer holds (or a guardrail stood in the way). */
export async function markApprovalRefused(db: Db, id: number, at: Date, patch: EvidencePatch): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'approvals', id, ['approved'], 'refused', { ended_at: at, evidence: mergeEvidence(patch) });
    await addEvent(trx, id, 'warden', 'refused', patch, at);
    await appendAuditLog(trx, { actor: 'warden', action: 'approval.refused', subject: `approval:${id}`, details: { tenant: row.tenant, kind: row.kind, rule: row.rule }, at });
    return row;
  });
}

/** approved | executed → failed: acting or verifying kept failing after every retry. */
export async function markApprovalFailed(db: Db, id: number, at: Date, patch: EvidencePatch): Promise<Approval> {
  return inTransaction(db, async (trx) => {
    const row = await transition(trx, 'approvals', id, ['approved', 'executed'], 'failed', { ended_at: at, evidence: mergeEvidence(patch) });
    await addEvent(trx, id, 'warden', 'failed', patch, at);
    await appendAuditLog(trx, { actor: 'warden', action: 'approval.failed', subject: `approval:${id}`, details: { tenant: row.tenant, kind: row.kind, rule: row.rule }, at });
    return row;
  });
}

/**
 * Approved (or executed) approvals whose remediation has no run in the ledger
 * that is queued or running, with how many finished runs they had: what
 * `reconcile` re-enqueues (none yet) or fails (every run ended and the approval did not).
 */
export async function approvalsAwaitingRemediation(db: Db): Promise<{ approval: Approval; finishedRuns: number }[]> {
  const rows = await db
    .selectFrom('approvals as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('job_runs as r')
        .select((e) => e.fn.countAll<string | number>().as('n'))
        .where('r.kind', '=', 'remediation')
        .where(sql<string>`r.payload->>'approval_id'`, '=', sql<string>`a.id::text`)
        .as('finished_runs'),
    )
    .where('a.status', 'in', ['approved', 'executed'])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('job_runs as r')
            .select(sql`1`.as('one'))
            .where('r.kind', '=', 'remediation')
            .where('r.status', 'in', ['queued', 'running'])
            .where(sql<string>`r.payload->>'approval_id'`, '=', sql<string>`a.id::text`),
        ),
      ),
    )
    .orderBy('a.id')
    .execute();
  return rows.map(({ finished_runs, ...approval }) => ({ approval, finishedRuns: Number(finished_runs ?? 0) }));
}

/**
 * Fingerprints of the tenant's open findings whose removal or revocation an
 * admin rejected during the finding's current occurrence (since it was first
 * seen, or last came back after being resolved): a rejection stands, and the
 * audits do not ask again until the finding resolves and returns.
 */
export async function standingRejections(db: Db, tenant: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('approvals as a')
    .innerJoin('findings as f', (join) => join.onRef('f.tenant', '=', 'a.tenant').onRef('f.fingerprint', '=', 'a.finding_fingerprint'))
    .select('a.finding_fingerprint')
    .where('a.tenant', '=', tenant)
    .where('a.status', '=', 'rejected')
    .where('f.resolved_at', 'is', null)
    .where(sql<boolean>`a.decided_at >= coalesce(f.reopened_at, f.first_seen)`)
    .execute();
  return new Set(rows.map((r) => r.finding_fingerprint));
}

/** A tenant's pending approvals that have not been emailed to this person yet (the approval email lists only those). */
export function pendingNotEmailedTo(db: Db, tenant: string, personId: number): Promise<Approval[]> {
  return db
    .selectFrom('approvals as a')
    .selectAll('a')
    .where('a.tenant', '=', tenant)
    .where('a.status', '=', 'pending')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('approval_events as e')
            .select(sql`1`.as('one'))
            .whereRef('e.approval_id', '=', 'a.id')
            .where('e.event', '=', 'emailed')
            .where(sql<string>`e.detail->>'person_id'`, '=', String(personId)),
        ),
      ),
    )
    .orderBy('a.requested_at')
    .orderBy('a.id')
    .execute();
}
