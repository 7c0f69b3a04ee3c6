/**
 * Who hears about approvals, and what each is sent: the approval email goes to
 * each enabled admin of the tenant (people with the admin role who may see it),
 * with links signed for that admin; the failure and refusal emails go to the
 * same admins and the tenant's `admins` digest recipients.
 */
import type { Approval, Person, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { pendingNotEmailedTo, recordApprovalEvents } from '../db/approvals.repository.js';
import { tenantAdmins } from '../db/people.repository.js';
import type { Logger } from '../log/logger.js';
import { sendApprovalRequest, sendRemediationOutcome } from '../mail/send-approvals.js';
import type { RemediationOutcomeMail } from '../mail/templates/remediation-outcome.template.js';
import type { Delivery, Mailer } from '../mail/transports.js';
import { approvalLinkUrl, approvalUrl, pendingApprovalsUrl } from '../mail/templates/digest-links.js';
import { APPROVAL_LINK_TTL_MS, signApprovalLink } from './approval-links.js';
import { askedBy, askedInReview, reviewRefOf } from '../reviews/review-approvals.js';
import { affectedEmail, impactSentences } from './kinds.js';

export interface NotifyDeps {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  /** `WARDEN_PUBLIC_URL`: without it the emails carry no links. */
  publicUrl?: string;
  /** The web key that signs links (kept in the ledger: src/app/ledger-keys.ts). */
  webKey?: () => Promise<Buffer>;
  logger?: Logger;
}

/** Items one approval email lists; the rest are counted, with a link to the list (a first audit of a large tenant may open thousands). */
export const MAX_ITEMS_LISTED = 50;

/** One admin's approval email, ready to send (the job sends each once). */
export interface PendingApprovalEmail {
  person: Person;
  /** The pending approvals not yet emailed to this admin. */
  items: Approval[];
  send(): Promise<Delivery>;
}

/**
 * The approval emails to send now: to each admin of the tenant, the pending
 * approvals not yet emailed to them (so a retried or a later run, or an admin
 * added since, gets what they have not seen, and nobody gets an item twice).
 */
export async function approvalEmails(deps: NotifyDeps, tenant: Tenant, at: Date): Promise<PendingApprovalEmail[]> {
  const admins = await tenantAdmins(deps.db, tenant.name);
  const expiresAt = new Date(at.getTime() + APPROVAL_LINK_TTL_MS);
  const key = deps.publicUrl !== undefined && deps.webKey !== undefined ? await deps.webKey() : undefined;
  const emails: PendingApprovalEmail[] = [];
  for (const person of admins) {
    const pending = await pendingNotEmailedTo(deps.db, tenant.name, person.id);
    if (pending.length === 0) continue;
    emails.push({
      person,
      items: pending,
      async send() {
        const items = pending.slice(0, MAX_ITEMS_LISTED).map((a) => {
          const link = (decision: 'approved' | 'rejected') => approvalLinkUrl({ publicUrl: deps.publicUrl! }, signApprovalLink(key!, { approvalId: a.id, personId: person.id, decision, expiresAt }));
          // About their own account, or asked for by them in an access review: no links (they could not use them); another admin decides.
          const own = affectedEmail(a.impact) === person.email.toLowerCase();
          const askedByYou = askedBy(a.requested_by, person.email);
          const review = reviewRefOf(a);
          return {
            id: a.id,
            own,
            askedByYou,
            ...(review === null ? {} : { origin: askedInReview(a.requested_by, review) }),
            rule: a.rule,
            kind: a.kind,
            label: a.subject_label,
            expiresAt: a.expires_at.toISOString(),
            impact: impactSentences(a.impact),
            ...(key === undefined || own || askedByYou ? {} : { links: { approve: link('approved'), reject: link('rejected'), page: approvalUrl({ publicUrl: deps.publicUrl! }, a.id) } }),
          };
        });
        const delivery = await sendApprovalRequest(deps.mailer, {
          from: deps.mailFrom,
          to: [person.email],
          data: {
            tenant: tenant.name,
            name: person.name,
            items,
            more: pending.length - items.length,
            ...(deps.publicUrl === undefined ? {} : { listUrl: pendingApprovalsUrl({ publicUrl: deps.publicUrl }, tenant.name) }),
          },
          ...(deps.logger === undefined ? {} : { logger: deps.logger }),
        });
        // All of them count as told, the ones past the list too: the email names how many more wait on the approvals page.
        await recordApprovalEvents(deps.db, pending.map((a) => a.id), 'warden', 'emailed', { person_id: person.id, links: key !== undefined }, new Date());
        return delivery;
      },
    });
  }
  return emails;
}

/** The admins' addresses for a failure or refusal: the tenant's admins and its `admins` digest recipients, once each. */
export async function outcomeRecipients(db: Db, tenant: Tenant): Promise<string[]> {
  const people = (await tenantAdmins(db, tenant.name)).map((p) => p.email);
  const listed = (tenant.recipients['admins'] ?? []).map((r) => r.trim().toLowerCase()).filter((r) => r !== '');
  return [...new Set([...people, ...listed])];
}

/**
 * Tells the admins that an ended approval was refused or failed, with the
 * reason its evidence records (the re-check's, or the last error), and marks
 * it told (`outcome_emailed`) so that neither another run nor reconcile tells
 * them again. The callers wrap it in `ctx.once`.
 */
export async function tellOutcome(deps: NotifyDeps, tenant: Tenant, approval: Approval): Promise<Delivery | undefined> {
  const outcome: RemediationOutcomeMail['outcome'] = approval.status === 'refused' ? 'refused' : 'failed';
  const evidence = approval.evidence as { recheck?: { reason?: string }; failure?: { error?: string } };
  const reason = (outcome === 'refused' ? evidence.recheck?.reason : evidence.failure?.error) ?? 'see the approval’s trail';
  const to = await outcomeRecipients(deps.db, tenant);
  let delivery: Delivery | undefined;
  if (to.length === 0) deps.logger?.warn({ approval: approval.id, outcome }, 'no admin to tell: the tenant has no admin and no admins recipient');
  else {
    delivery = await sendRemediationOutcome(deps.mailer, {
      from: deps.mailFrom,
      to,
      data: {
        tenant: tenant.name,
        approvalId: approval.id,
        rule: approval.rule,
        kind: approval.kind,
        label: approval.subject_label,
        outcome,
        reason,
        ...(deps.publicUrl === undefined ? {} : { page: approvalUrl({ publicUrl: deps.publicUrl }, approval.id) }),
      },
      ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    });
  }
  await recordApprovalEvents(deps.db, [approval.id], 'warden', 'outcome_emailed', { outcome });
  return delivery;
}
