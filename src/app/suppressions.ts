/**
 * Suppressing a finding and lifting the suppression: one action each, called
 * by the CLI (`warden findings suppress|unsuppress`), the finding's page and
 * the JSON API alike, so every face refuses the same input with the same
 * message. The repository writes each change and its audit-log entry in one
 * transaction (src/db/suppressions.repository.ts).
 *
 * A suppression is a person's reasoned, expiring acceptance of one finding:
 * it leaves the open list and the digests until it expires, then comes back
 * by itself if it still holds.
 */
import type { Suppression } from '../db/database.js';
import { NotFoundError } from '../db/errors.js';
import type { Db } from '../db/executor.js';
import { findFinding, findSuppression } from '../db/findings-query.repository.js';
import { liftSuppression, suppressFinding } from '../db/suppressions.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import { parseInstant } from '../rules/time.js';

/** The longest reason, in characters. */
export const MAX_REASON_LENGTH = 500;
/** How far ahead a suppression may end: one calendar year from now. */
export const MAX_SUPPRESSION_YEARS = 1;

export interface SuppressRequest {
  tenant: string;
  fingerprint: string;
  /** Why the finding is accepted: 1 to {@link MAX_REASON_LENGTH} characters once trimmed. */
  reason: string;
  /**
   * When the suppression ends: an instant, or ISO 8601 text (a date alone is
   * 00:00:00 UTC of that day, as everywhere in Warden). In the future, and at
   * most {@link MAX_SUPPRESSION_YEARS} year ahead.
   */
  expiresAt: Date | string;
}

/** How each face names the inputs in its errors. @defaultValue `reason`, `expires_at` */
export interface SuppressFields {
  reason?: string;
  expiresAt?: string;
}

/** The latest end a suppression made at `at` may have. */
export function latestExpiry(at: Date): Date {
  const latest = new Date(at);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_SUPPRESSION_YEARS);
  return latest;
}

/** Checks a suppression's reason and end (pure); the trimmed reason and the end as an instant. */
export function validateSuppression(reason: string, expiresAt: Date | string, at: Date, fields: SuppressFields = {}): { reason: string; expiresAt: Date } {
  const reasonField = fields.reason ?? 'reason';
  const expiryField = fields.expiresAt ?? 'expires_at';
  const trimmed = reason.trim();
  if (trimmed === '') throw new InputError(reasonField, 'must not be empty: say why the finding is accepted');
  if (trimmed.length > MAX_REASON_LENGTH) throw new InputError(reasonField, `at most ${MAX_REASON_LENGTH} characters (this one has ${trimmed.length})`);
  let end: Date;
  if (typeof expiresAt === 'string') {
    const ms = parseInstant(expiresAt.trim());
    if (ms === undefined) throw new InputError(expiryField, 'not a date (YYYY-MM-DD) or an ISO 8601 instant');
    end = new Date(ms);
  } else {
    end = expiresAt;
  }
  if (Number.isNaN(end.getTime())) throw new InputError(expiryField, 'not a date');
  if (!(end.getTime() > at.getTime())) throw new InputError(expiryField, `must be in the future (it is ${at.toISOString()} now)`);
  const latest = latestExpiry(at);
  if (end.getTime() > latest.getTime()) throw new InputError(expiryField, `at most ${MAX_SUPPRESSION_YEARS} year ahead (by ${latest.toISOString()})`);
  return { reason: trimmed, expiresAt: end };
}

/** The finding, or NotFoundError; an unknown tenant is an UnknownTenantError (both 404 over HTTP). */
async function requireFinding(db: Db, tenant: string, fingerprint: string): Promise<void> {
  await requireTenant(db, tenant);
  if ((await findFinding(db, tenant, fingerprint)) === undefined) throw new NotFoundError('finding', `${tenant}/${fingerprint}`);
}

/**
 * Suppresses one finding until `expiresAt` (replacing a suppression it has),
 * recorded in the audit log under `actor`.
 * @param actor - `personActor(person)` for the web, `cliActor()` for the CLI
 * @param at - now @defaultValue the system clock
 */
export async function suppress(db: Db, request: SuppressRequest, actor: string, at: Date = new Date(), fields: SuppressFields = {}): Promise<Suppression> {
  const valid = validateSuppression(request.reason, request.expiresAt, at, fields);
  await requireFinding(db, request.tenant, request.fingerprint);
  return suppressFinding(db, { tenant: request.tenant, fingerprint: request.fingerprint, reason: valid.reason, expiresAt: valid.expiresAt, author: actor, at });
}

/**
 * Lifts the suppression in force on one finding, recorded in the audit log
 * under `actor`. A finding without one (never suppressed, lifted already, or
 * expired) is a NotFoundError, and nothing is logged.
 */
export async function unsuppress(db: Db, tenant: string, fingerprint: string, actor: string, at: Date = new Date()): Promise<void> {
  await requireFinding(db, tenant, fingerprint);
  const current = await findSuppression(db, tenant, fingerprint);
  const inForce = current !== undefined && current.expires_at > at;
  if (!inForce || !(await liftSuppression(db, tenant, fingerprint, actor))) throw new NotFoundError('suppression', `${tenant}/${fingerprint}`);
}
