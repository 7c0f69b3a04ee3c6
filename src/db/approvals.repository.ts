/**
 * Approvals of removals and revocations (the approvals lifecycle: pending → approved | rejected | expired, then executed → verified | failed):
 * `pending → approved | rejected | expired`, then `approved → executed → verified | failed`.
 */
import { createHash } from 'node:crypto';
import { json, type Approval, type ApprovalStatus } from './database.js';
import { InputError } from '../errors.js';
import type { Db } from './executor.js';
import { requireTenant } from './tenants.repository.js';
import { transition } from './transition.js';
import { NotFoundError } from './errors.js';

/** SHA-256 (hex) of a one-time link token: only this is stored. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface RequestApprovalInput {
  tenant: string;
  fingerprint: string;
  /** e.g. `remove_user`, `revoke_token`. */
  kind: string;
  expiresAt: Date;
  /** The plain one-time token that goes in the email link; stored only as its hash. */
  linkToken?: string;
  /** What the approver needs to see (e.g. the tokens a removal destroys). Ids and labels, no secrets. */
  evidence?: Record<string, unknown>;
  /** @defaultValue now */
  at?: Date;
}

/**
 * Opens an approval, or returns the one already in flight for the same finding
 * and kind: re-running a daily job does not ask twice.
 */
export async function requestApproval(db: Db, input: RequestApprovalInput): Promise<{ approval: Approval; created: boolean }> {
  const at = input.at ?? new Date();
  if (!(input.expiresAt.getTime() > at.getTime())) throw new InputError('expires_at', 'must be after the request');
  await requireTenant(db, input.tenant);
  const inserted = await db
    .insertInto('approvals')
    .values({
      tenant: input.tenant,
      finding_fingerprint: input.fingerprint,
      kind: input.kind,
      requested_at: at,
      expires_at: input.expiresAt,
      link_token_hash: input.linkToken === undefined ? null : hashLinkToken(input.linkToken),
      evidence: json(input.evidence ?? {}),
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant', 'finding_fingerprint', 'kind'])
        .where('status', 'in', ['pending', 'approved', 'executed'])
        .doNothing(),
    )
    .returningAll()
    .executeTakeFirst();
  if (inserted !== undefined) return { approval: inserted, created: true };
  const existing = await db
    .selectFrom('approvals')
    .selectAll()
    .where('tenant', '=', input.tenant)
    .where('finding_fingerprint', '=', input.fingerprint)
    .where('kind', '=', input.kind)
    .where('status', 'in', ['pending', 'approved', 'executed'])
    .executeTakeFirstOrThrow();
  return { approval: existing, created: false };
}

export async function getApproval(db: Db, id: number): Promise<Approval> {
  const row = await db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('approval', id);
  return row;
}

export interface DecideInput {
  decision: 'approved' | 'rejected';
  /** Who decided: an admin's name or login, recorded as evidence. */
  by: string;
  comment?: string;
  /** @defaultValue now */
  at?: Date;
}

/** pending → approved | rejected, only before the approval expires. */
export async function decideApproval(db: Db, id: number, input: DecideInput): Promise<Approval> {
  const at = input.at ?? new Date();
  if (input.by.trim() === '') throw new InputError('decided_by', 'must not be empty');
  const current = await getApproval(db, id);
  if (current.status === 'pending' && current.expires_at.getTime() <= at.getTime()) {
    await transition(db, 'approvals', id, ['pending'], 'expired');
  }
  return transition(db, 'approvals', id, ['pending'], input.decision, {
    decided_by: input.by,
    decided_at: at,
    comment: input.comment ?? null,
  });
}

/**
 * Redeems a one-time link: the approval it belongs to, once, while it is
 * pending and unexpired; undefined for an unknown, used or expired link.
 */
export async function redeemLinkToken(db: Db, token: string, at: Date = new Date()): Promise<Approval | undefined> {
  return db
    .updateTable('approvals')
    .set({ link_used_at: at })
    .where('link_token_hash', '=', hashLinkToken(token))
    .where('link_used_at', 'is', null)
    .where('status', '=', 'pending')
    .where('expires_at', '>', at)
    .returningAll()
    .executeTakeFirst();
}

/** approved → executed: remediation acted (after re-checking the live state). */
export function markApprovalExecuted(db: Db, id: number, at: Date, evidence?: Record<string, unknown>): Promise<Approval> {
  return transition(db, 'approvals', id, ['approved'], 'executed', {
    executed_at: at,
    ...(evidence === undefined ? {} : { evidence: json(evidence) }),
  });
}

/** executed → verified: the action is confirmed after the fact; the verification is the evidence. */
export function markApprovalVerified(db: Db, id: number, at: Date, evidence: Record<string, unknown>): Promise<Approval> {
  return transition(db, 'approvals', id, ['executed'], 'verified', { verified_at: at, evidence: json(evidence) });
}

/**
 * approved | executed → failed: the re-check refused, or acting or verifying failed.
 * @public kept for a later issue (approvals, erasure, rotation); no command reaches it yet
 */
export function markApprovalFailed(db: Db, id: number, evidence: Record<string, unknown>): Promise<Approval> {
  return transition(db, 'approvals', id, ['approved', 'executed'], 'failed', { evidence: json(evidence) });
}

/** Expires every pending approval past its deadline; returns their ids. */
export async function expireApprovals(db: Db, at: Date = new Date()): Promise<number[]> {
  const rows = await db
    .updateTable('approvals')
    .set({ status: 'expired' })
    .where('status', '=', 'pending')
    .where('expires_at', '<=', at)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** @public kept for a later issue (approvals, erasure, rotation); no command reaches it yet */
export function listApprovals(
  db: Db,
  options: { tenant?: string; status?: ApprovalStatus | readonly ApprovalStatus[]; limit?: number } = {},
): Promise<Approval[]> {
  let query = db.selectFrom('approvals').selectAll();
  if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
  if (options.status !== undefined) {
    query = query.where('status', 'in', typeof options.status === 'string' ? [options.status] : [...options.status]);
  }
  return query.orderBy('requested_at').orderBy('id').limit(options.limit ?? 500).execute();
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
