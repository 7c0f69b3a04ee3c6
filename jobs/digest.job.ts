/**
 * digest: one email per tenant and audience, weekly (Mondays 08:00, tenant time
 * zone), after the morning audits. Payload: `{}`.
 *
 * - **Who**: the tenant's `recipients` (`{ compliance: [...], admins: [...],
 *   engineers: [...] }`); an audience with no address gets nothing, and a key
 *   that is not an audience is ignored (logged by name).
 * - **What each audience gets** (src/audit/digest-findings.ts `AUDIENCE_FAMILIES`):
 *   compliance every family; admins access, tokens and network (they approve
 *   removals and revocations); engineers tokens, secrets and privacy (they run
 *   integrations, rotations and purges).
 * - **Policy**: each email names the tenant's policy overrides (`warden tenants
 *   set --policy`), the thresholds its audits judged by.
 * - **New / persisting / resolved** are relative to the start of the tenant's
 *   previous successful digest run (`job_runs`); the first digest lists every
 *   open finding as new and every resolved one as resolved. Suppressed findings
 *   are left out. Every finding of the audience is in the CSV attachment.
 * - **Links** (with `WARDEN_PUBLIC_URL`): to the findings page filtered as the
 *   audience's share (tenant, families, open), and from each listed finding to its page.
 * - **Pending approvals** (admins and compliance): how many of the tenant's
 *   approvals wait for an admin, and the oldest 20 with their age in days,
 *   each linked to its page with `WARDEN_PUBLIC_URL`. Approvals past their
 *   deadline are expired first, so none is listed that nobody can decide.
 * - **Shared secrets** (admins and engineers): each secret's age, next
 *   rotation by policy, and the rotation under way with what it waits for,
 *   linked to the tenant's secrets page with `WARDEN_PUBLIC_URL`. Never a value.
 * - **Access review** (compliance): the tenant's campaign not closed yet, if
 *   any: decided and undecided items, its due date, how late it is and when it
 *   closes, linked to its page with `WARDEN_PUBLIC_URL`.
 * - **The audit log's head** (hash and entry count) is in each email, so any
 *   reader holds an anchor to check the log against later (`warden audit-log verify --head`).
 * - Each audience's email is sent once per run (`ctx.once`, effect
 *   `email:AUDIENCE`, docs/architecture.md "A run's life"): a retry after a
 *   partial failure, or a second execution of the run, sends only the emails
 *   not sent yet. An email whose send failed is sent again by the retry; one
 *   whose process died mid-send (intent recorded, end not) is not sent again:
 *   at most once, reported (a warning, and the count `emails_interrupted`).
 */
import { z } from 'zod';
import { AUDIENCE_FAMILIES, digestFindings, findingsFor, previousDigestAt } from '../src/audit/digest-findings.js';
import { digestSecrets } from '../src/audit/digest-secrets.js';
import { countApprovals, expireApprovals, listApprovals } from '../src/db/approvals.repository.js';
import { auditLogHead } from '../src/db/audit-log.repository.js';
import type { Db } from '../src/db/executor.js';
import { requireApp } from './job-deps.js';
import { requireTenant } from '../src/db/tenants.repository.js';
import { sendDigest } from '../src/mail/send-digest.js';
import { APPROVALS_AUDIENCES, DIGEST_AUDIENCES, DigestCsvRows, REVIEW_AUDIENCES, SECRETS_AUDIENCES, type DigestData, type DigestReview } from '../src/mail/templates/digest.template.js';
import { findActiveCampaign } from '../src/db/reviews.repository.js';
import { campaignProgress } from '../src/reviews/campaign-progress.js';
import type { Tenant } from '../src/db/database.js';
import { defineJob } from '../src/queue/define-job.js';
import { PermanentJobError } from '../src/queue/errors.js';

/** How many pending approvals a digest lists (the oldest); the rest are counted. */
const DIGEST_APPROVALS_LISTED = 20;

/** The tenant's pending approvals as of `at`, oldest first: past their deadline ones are expired first. */
async function pendingApprovals(db: Db, tenant: string, at: Date): Promise<NonNullable<DigestData['approvals']>> {
  await expireApprovals(db, at, tenant);
  const [total, oldest] = await Promise.all([
    countApprovals(db, tenant, 'pending'),
    listApprovals(db, { tenant, status: 'pending', limit: DIGEST_APPROVALS_LISTED }),
  ]);
  return {
    // Counted and listed in two reads: one decided in between must not make the count smaller than the list.
    total: Math.max(total, oldest.length),
    oldest: oldest.map((a) => ({
      id: a.id,
      kind: a.kind,
      rule: a.rule,
      label: a.subject_label,
      requestedAt: a.requested_at.toISOString(),
      expiresAt: a.expires_at.toISOString(),
    })),
  };
}

/** The tenant's access-review campaign not closed yet, as the compliance digest shows it; undefined when none. */
async function reviewUnderWay(db: Db, tenant: Tenant, at: Date): Promise<DigestReview | undefined> {
  const campaign = await findActiveCampaign(db, tenant.name);
  if (campaign === undefined || campaign.status === 'closed') return undefined;
  // The digest shows counts and dates, never who reviews what.
  const { reviewers: _reviewers, ...progress } = await campaignProgress(db, campaign, tenant.timezone, at);
  return { ...progress, status: campaign.status };
}

export const digestJob = defineJob({
  name: 'digest',
  payload: z.strictObject({}),
  schedule: '0 8 * * 1',
  scope: 'tenant',
  async run(_payload, ctx) {
    const app = requireApp(ctx.deps, 'digest');
    if (ctx.tenant === null) throw new PermanentJobError('job digest runs for a tenant, and this run has none');
    const at = new Date();
    const tenant = await requireTenant(app.db, ctx.tenant);
    const unknown = Object.keys(tenant.recipients).filter((k) => !(DIGEST_AUDIENCES as readonly string[]).includes(k));
    if (unknown.length > 0) ctx.log.warn({ keys: unknown }, 'recipients under unknown audiences are ignored');

    const since = await previousDigestAt(app.db, tenant.name);
    const all = await digestFindings(app.db, tenant.name, since, at);
    // Exported with every digest: a head kept by a reader later proves the log was not cut (docs/operations.md).
    const { hash, count } = await auditLogHead(app.db);
    const approvals = await pendingApprovals(app.db, tenant.name, at);
    const secrets = await digestSecrets(app.db, tenant.name);
    const review = await reviewUnderWay(app.db, tenant, at);

    // The audiences get shares of the same findings: each one's CSV record is written once, for all of them.
    const csvRows = new DigestCsvRows();
    let emails = 0;
    let interrupted = 0;
    for (const audience of DIGEST_AUDIENCES) {
      const to = (tenant.recipients[audience] ?? []).filter((r) => r.trim() !== '');
      if (to.length === 0) continue;
      const sent = await ctx.once(`email:${audience}`, async () => {
        const delivery = await sendDigest(app.mailer, {
          from: app.mailFrom,
          to,
          logger: ctx.log,
          csvRows,
          data: {
            tenant: tenant.name,
            audience,
            asOf: at.toISOString(),
            findings: findingsFor(audience, all),
            policy: tenant.policy,
            auditLogHead: { hash, count },
            ...(APPROVALS_AUDIENCES.includes(audience) ? { approvals } : {}),
            ...(SECRETS_AUDIENCES.includes(audience) ? { secrets } : {}),
            ...(REVIEW_AUDIENCES.includes(audience) && review !== undefined ? { review } : {}),
            // With WARDEN_PUBLIC_URL: the findings page filtered as this audience's share, and each finding's page.
            ...(app.publicUrl === undefined ? {} : { links: { publicUrl: app.publicUrl, families: AUDIENCE_FAMILIES[audience] } }),
          },
        });
        // What the ledger keeps of it: where it went, never the recipients.
        return { transport: delivery.transport, message_id: delivery.messageId };
      });
      if (sent.state === 'interrupted') interrupted++;
      else emails++;
    }
    return {
      emails,
      ...(interrupted > 0 ? { emails_interrupted: interrupted } : {}),
      new: all.created.length,
      persisting: all.persisting.length,
      resolved: all.resolved.length,
    };
  },
});
