/**
 * Who hears about erasure requests and when: the tenant's engineers (people
 * with the engineer role who may see the tenant, and the tenant's `engineers`
 * digest recipients). Each email is keyed in the request's trail before it is
 * sent (`claimErasureEvent`), so a job that runs twice sends it once; a send
 * that fails gives its key back, so the next run (the erasure sweep re-tells
 * every hour) sends it.
 */
import type { ErasureRequest, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { claimDeadlineEmails, claimErasureEvent, releaseErasureEvents } from '../db/erasure.repository.js';
import { tenantPeopleWithRole } from '../db/people.repository.js';
import type { Logger } from '../log/logger.js';
import { sendErasureAlert } from '../mail/send-erasure.js';
import { erasuresUrl, erasureUrl } from '../mail/templates/digest-links.js';
import type { ErasureAlertItem } from '../mail/templates/erasure-alert.template.js';
import type { Mailer } from '../mail/transports.js';

export interface ErasureNotifyDeps {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  /** `WARDEN_PUBLIC_URL`: without it the emails carry no links. */
  publicUrl?: string;
  logger?: Logger;
}

/** Requests one deadline email lists; the rest are counted, with a link to the list. */
export const MAX_LISTED = 50;

/** The engineers' addresses for `tenant`, once each. */
export async function engineersOf(db: Db, tenant: Tenant): Promise<string[]> {
  const people = await tenantPeopleWithRole(db, tenant.name, 'engineer');
  return [...new Set([...people.map((p) => p.email), ...(tenant.recipients.engineers ?? [])].map((e) => e.toLowerCase()))];
}

function itemOf(deps: ErasureNotifyDeps, request: ErasureRequest, now: Date): ErasureAlertItem {
  return {
    id: request.id,
    status: request.status,
    deadline: request.deadline_at.toISOString(),
    overdue: request.deadline_at.getTime() < now.getTime(),
    ...(deps.publicUrl === undefined ? {} : { page: erasureUrl({ publicUrl: deps.publicUrl }, request.id) }),
  };
}

/** Tells the engineers a request failed; once per failure (a retried request that fails again is told again). */
export async function tellErasureFailed(deps: ErasureNotifyDeps, tenant: Tenant, request: ErasureRequest, now: Date): Promise<boolean> {
  const to = await engineersOf(deps.db, tenant);
  if (to.length === 0) return noEngineers(deps, tenant, 'failed');
  const key = `failed:${request.failed_at?.toISOString() ?? ''}`;
  if (!(await claimErasureEvent(deps.db, request.id, 'emailed', key, { to: to.length }))) return false;
  await orRelease(deps, [{ id: request.id, key }], () =>
    sendErasureAlert(deps.mailer, { from: deps.mailFrom, to, data: { kind: 'failed', tenant: tenant.name, item: itemOf(deps, request, now), reason: request.error ?? 'unknown' }, ...(deps.logger ? { logger: deps.logger } : {}) }),
  );
  return true;
}

/** Tells the engineers a proven erasure came back; once per reopening. */
export async function tellErasureReappeared(deps: ErasureNotifyDeps, tenant: Tenant, request: ErasureRequest, now: Date): Promise<boolean> {
  const to = await engineersOf(deps.db, tenant);
  if (to.length === 0) return noEngineers(deps, tenant, 'reappeared');
  const key = `reappeared:${request.reopened_count}`;
  if (!(await claimErasureEvent(deps.db, request.id, 'emailed', key, { to: to.length }))) return false;
  await orRelease(deps, [{ id: request.id, key }], () =>
    sendErasureAlert(deps.mailer, { from: deps.mailFrom, to, data: { kind: 'reappeared', tenant: tenant.name, item: itemOf(deps, request, now) }, ...(deps.logger ? { logger: deps.logger } : {}) }),
  );
  return true;
}

/**
 * Emails the engineers the tenant's open requests that became due by
 * `before` (within 7 days, or overdue) since they were last told: each request
 * once when due soon, once when overdue, claimed in one statement
 * (`claimDeadlineEmails`). Returns how many requests the email listed (0: none sent).
 */
export async function tellErasureDeadlines(deps: ErasureNotifyDeps, tenant: Tenant, before: Date, now: Date): Promise<number> {
  const to = await engineersOf(deps.db, tenant);
  if (to.length === 0) {
    noEngineers(deps, tenant, 'deadlines');
    return 0;
  }
  const claimed = await claimDeadlineEmails(deps.db, tenant.name, before, now, { to: to.length });
  if (claimed.length === 0) return 0;
  const items = claimed.slice(0, MAX_LISTED).map((c) => itemOf(deps, c.request, now));
  await orRelease(
    deps,
    claimed.map((c) => ({ id: c.request.id, key: c.key })),
    () =>
      sendErasureAlert(deps.mailer, {
        from: deps.mailFrom,
        to,
        data: { kind: 'deadlines', tenant: tenant.name, items, more: claimed.length - items.length, ...(deps.publicUrl === undefined ? {} : { list: erasuresUrl({ publicUrl: deps.publicUrl }, tenant.name) }) },
        ...(deps.logger ? { logger: deps.logger } : {}),
      }),
  );
  return claimed.length;
}

/** Sends; when the send fails, the claims are given back (so a later run sends it) and the error goes on. */
async function orRelease(deps: ErasureNotifyDeps, claims: readonly { id: number; key: string }[], send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    await releaseErasureEvents(deps.db, 'emailed', claims);
    throw err;
  }
}

function noEngineers(deps: ErasureNotifyDeps, tenant: Tenant, what: string): false {
  deps.logger?.warn({ tenant: tenant.name, what }, 'no engineer to email about erasure requests: add a person with the engineer role, or engineers= recipients');
  return false;
}
