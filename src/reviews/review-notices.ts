/**
 * What the `review-reminders` job does for a tenant on a given instant
 * (docs/architecture.md "Access reviews"), with the clock given, so that a
 * whole campaign is tested day by day:
 *
 * 1. a campaign left `closing` (its closing died) is closed now, resuming
 *    where it stood (src/reviews/close-campaign.ts: one pack);
 * 2. an open campaign whose closing day has come (due date plus grace) is
 *    closed by `warden`;
 * 3. otherwise, for the open campaign: the opening email to the compliance
 *    officers (once); today's reminder (src/reviews/reminder-schedule.ts) to
 *    each reviewer who has undecided items at this moment, and to nobody else
 *    (a reviewer who finished, or whose items were decided or handed on, hears
 *    nothing more); and, once overdue with items undecided, the escalation to
 *    the compliance officers (once);
 * 4. a campaign closed within the last 7 days whose officers were not told:
 *    the closing email, with the outcome and the evidence pack attached.
 *
 * Each email is keyed on the campaign before it is sent (`claimReviewEvent`:
 * `opening:compliance`, `reminder:<stage>:<reviewer>`, `escalation`,
 * `closed:compliance`), which writes the campaign's log entry (`emailed`,
 * `reminded`, `escalated`), so a second run the same day sends nothing again.
 * A send that fails gives its key back and the others still go; the run then
 * fails with {@link ReviewEmailsError}, and its retry (or tomorrow's run) sends
 * what is missing. A process that dies between the claim and the send leaves
 * the email counted as sent: at most once.
 */
import type { ReviewCampaign, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { campaignItems, claimReviewEvent, findActiveCampaign, listCampaigns, packFiles, releaseReviewEvent, type ReviewerProgress } from '../db/reviews.repository.js';
import type { Logger } from '../log/logger.js';
import { sendReviewNotice } from '../mail/send-reviews.js';
import { reviewQueueUrl, reviewUrl } from '../mail/templates/digest-links.js';
import type { ReviewCampaignFacts, ReviewerShare, ReviewNoticeMail } from '../mail/templates/review-notice.template.js';
import type { Mailer } from '../mail/transports.js';
import { daysBetween, localDate } from './calendar.js';
import { closeCampaign } from './close-campaign.js';
import { campaignDates, campaignProgress, type CampaignProgress } from './campaign-progress.js';
import type { FrozenSnapshot } from './frozen-snapshot.js';
import { MANIFEST_NAME } from './evidence-pack.js';
import { noResponseEffect } from './no-response.js';
import { reviewerPools } from './open-campaign.js';
import { closeOn, noticesOn, type NoticesToday } from './reminder-schedule.js';

export interface ReviewNoticeDeps {
  db: Db;
  mailer: Mailer;
  /** The From of every email (`WARDEN_MAIL_FROM`). */
  mailFrom: string;
  /**
   * The web app's base URL (`WARDEN_PUBLIC_URL`): the emails link to the campaign and the reviewer's queue.
   * @defaultValue none: the emails name the CLI instead
   */
  publicUrl?: string;
  /** @defaultValue nothing logged */
  logger?: Logger;
}

/** Some of the emails could not be sent (their keys were given back: a later run sends them). */
export class ReviewEmailsError extends Error {
  override readonly name = 'ReviewEmailsError';
  constructor(
    readonly failed: number,
    first: string,
  ) {
    super(`${failed} access-review email(s) not sent, to be sent by a later run: ${first}`);
  }
}

/** How long after closing the officers may still be told (a closing whose email failed for days is not told a month later). */
const TELL_CLOSED_WITHIN_MS = 7 * 86_400_000;

/**
 * The largest pack attached whole to the closing email; a larger one is
 * downloaded from the campaign page, and only its manifest is attached.
 */
export const MAX_ATTACHED_PACK_BYTES = 10 * 1024 * 1024;

type Counts = Record<string, number>;

interface Pass {
  deps: ReviewNoticeDeps;
  tenant: Tenant;
  now: Date;
  counts: Counts;
  failures: Error[];
  compliance?: string[];
}

const bump = (counts: Counts, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** The reminders, escalation, closing and emails due for the tenant's campaigns at `now`; counts for the run. */
export async function sendReviewNotices(deps: ReviewNoticeDeps, tenant: Tenant, now: Date): Promise<Counts> {
  const pass: Pass = { deps, tenant, now, counts: {}, failures: [] };
  const active = await findActiveCampaign(deps.db, tenant.name);
  if (active?.status === 'closing') {
    // Its closing died (a killed worker, a lost connection): finish it, from where the ledger stands.
    await closeCampaign(deps.db, active.id, active.closed_by ?? 'warden', now);
    deps.logger?.info({ campaign: active.id }, 'review campaign closing resumed and finished');
    bump(pass.counts, 'closings_resumed');
  } else if (active !== undefined) {
    const today = localDate(now, tenant.timezone);
    const notices = noticesOn(campaignDates(active, tenant.timezone), today);
    if (notices.close) {
      await closeCampaign(deps.db, active.id, 'warden', now);
      deps.logger?.info({ campaign: active.id }, 'review campaign closed: its due date and grace period are past');
      bump(pass.counts, 'closed');
    } else {
      await tellOpenCampaign(pass, active, notices, today);
    }
  }
  for (const campaign of await listCampaigns(deps.db, { tenant: tenant.name, status: 'closed', limit: 5 })) {
    if (campaign.closed_at !== null && now.getTime() - campaign.closed_at.getTime() <= TELL_CLOSED_WITHIN_MS) await tellClosed(pass, campaign);
  }
  if (pass.failures.length > 0) throw new ReviewEmailsError(pass.failures.length, pass.failures[0]!.message);
  return pass.counts;
}

/** The tenant's compliance officers (people with the role, and its `compliance` recipients), once each; read once per pass. */
async function complianceOf(pass: Pass): Promise<string[]> {
  if (pass.compliance !== undefined) return pass.compliance;
  const compliance = [...(await reviewerPools(pass.deps.db, pass.tenant)).compliance];
  if (compliance.length === 0) pass.deps.logger?.warn({}, 'no compliance officer to email about the access review: add a person with the compliance role, or compliance= recipients');
  pass.compliance = compliance;
  return compliance;
}

function factsOf(pass: Pass, campaign: ReviewCampaign): ReviewCampaignFacts {
  return {
    tenant: pass.tenant.name,
    campaignId: campaign.id,
    dueOn: campaign.due_on,
    closesOn: closeOn(campaignDates(campaign, pass.tenant.timezone)),
    noResponseEffect: noResponseEffect(campaign.no_response),
    ...(pass.deps.publicUrl === undefined ? {} : { page: reviewUrl({ publicUrl: pass.deps.publicUrl }, campaign.id) }),
  };
}

const shareOf = (r: ReviewerProgress): ReviewerShare => ({ reviewer: r.reviewer, items: r.items, undecided: r.undecided, flaggedUndecided: r.flagged_undecided });

/**
 * Claims `key` on the campaign with its log entry, then sends; a failed send
 * gives the key back and is remembered for the run's error. True when sent now.
 */
async function once(pass: Pass, campaign: ReviewCampaign, key: string, event: string, detail: Record<string, unknown>, send: () => Promise<unknown>): Promise<boolean> {
  const { db, logger } = pass.deps;
  if (!(await claimReviewEvent(db, campaign.id, key, event, detail, pass.now))) return false;
  try {
    await send();
    return true;
  } catch (err) {
    await releaseReviewEvent(db, campaign.id, key);
    const error = err instanceof Error ? err : new Error(String(err));
    logger?.warn({ campaign: campaign.id, email: event, stage: detail['stage'], error: error.message }, 'review email not sent; a later run sends it');
    pass.failures.push(error);
    return false;
  }
}

function send(pass: Pass, to: readonly string[], data: ReviewNoticeMail, files?: readonly { name: string; content: Buffer }[]) {
  const { mailer, mailFrom, logger } = pass.deps;
  return () => sendReviewNotice(mailer, { from: mailFrom, to, data, ...(logger === undefined ? {} : { logger }), ...(files === undefined ? {} : { files }) });
}

async function tellOpenCampaign(pass: Pass, campaign: ReviewCampaign, notices: NoticesToday, today: string): Promise<void> {
  const { db, publicUrl } = pass.deps;
  const facts = factsOf(pass, campaign);
  const progress = await campaignProgress(db, campaign, pass.tenant.timezone, pass.now);

  const compliance = await complianceOf(pass);
  if (compliance.length > 0) {
    const frozen = campaign.snapshot as unknown as Partial<FrozenSnapshot>;
    const c = campaign.counts;
    const opening: ReviewNoticeMail = {
      kind: 'opening',
      campaign: facts,
      takenAt: frozen.taken_at ?? campaign.opened_at.toISOString(),
      snapshotSha256: campaign.snapshot_sha256,
      counts: {
        accounts: c['accounts'] ?? 0,
        admins: c['admins'] ?? 0,
        machineUsers: c['machine_users'] ?? 0,
        liveTokens: c['live_tokens'] ?? 0,
        items: c['items'] ?? progress.items,
        flagged: c['flagged'] ?? 0,
        unassigned: c['unassigned'] ?? 0,
      },
      reviewers: progress.reviewers.map(shareOf),
    };
    if (await once(pass, campaign, 'opening:compliance', 'emailed', { stage: 'opening', email: 'opening', to: compliance.length }, send(pass, compliance, opening))) bump(pass.counts, 'opening_emails');
  }

  const stage = notices.reminder;
  if (stage !== null) {
    const daysLeft = daysBetween(today, campaign.due_on);
    // Read now, not at opening: a reviewer who decided or handed on every item is not reminded.
    for (const r of progress.reviewers) {
      if (r.reviewer === null || r.undecided === 0) continue;
      const reminder: ReviewNoticeMail = {
        kind: 'reminder',
        campaign: facts,
        stage: stage.stage,
        daysLeft,
        undecided: r.undecided,
        flagged: r.flagged_undecided,
        ...(publicUrl === undefined ? {} : { queue: reviewQueueUrl({ publicUrl }, campaign.id) }),
      };
      const detail = { stage: stage.stage, to: 1, reviewer: r.reviewer, undecided: r.undecided, flagged: r.flagged_undecided };
      if (await once(pass, campaign, `reminder:${stage.stage}:${r.reviewer}`, 'reminded', detail, send(pass, [r.reviewer], reminder))) bump(pass.counts, 'reminders');
    }
  }

  if (notices.escalate && progress.undecided > 0 && compliance.length > 0) await escalate(pass, campaign, facts, progress, today, compliance);
}

async function escalate(pass: Pass, campaign: ReviewCampaign, facts: ReviewCampaignFacts, progress: CampaignProgress, today: string, compliance: string[]): Promise<void> {
  const late = progress.reviewers.filter((r) => r.undecided > 0).map(shareOf);
  const mail: ReviewNoticeMail = { kind: 'escalation', campaign: facts, overdueDays: daysBetween(campaign.due_on, today), reviewers: late };
  const detail = { stage: 'escalation', to: compliance.length, undecided: progress.undecided, reviewers: late.length };
  if (await once(pass, campaign, 'escalation', 'escalated', detail, send(pass, compliance, mail))) bump(pass.counts, 'escalations');
}

async function tellClosed(pass: Pass, campaign: ReviewCampaign): Promise<void> {
  const { db } = pass.deps;
  const compliance = await complianceOf(pass);
  if (compliance.length === 0) return;
  const items = await campaignItems(db, campaign.id);
  const files = await packFiles(db, campaign.id);
  const bytes = files.reduce((n, f) => n + f.content.length, 0);
  const attached = bytes <= MAX_ATTACHED_PACK_BYTES;
  const count = (f: (i: (typeof items)[number]) => boolean) => items.filter(f).length;
  const mail: ReviewNoticeMail = {
    kind: 'closed',
    campaign: factsOf(pass, campaign),
    closedAt: (campaign.closed_at ?? pass.now).toISOString(),
    closedBy: campaign.closed_by ?? 'warden',
    outcome: {
      items: items.length,
      keep: count((i) => i.decision === 'keep'),
      revoke: count((i) => i.decision === 'revoke'),
      changeRole: count((i) => i.decision === 'change_role'),
      noResponse: count((i) => i.no_response !== null),
      approvals: count((i) => i.approval_id !== null),
    },
    packSha256: campaign.pack_sha256 ?? '',
    files: files.map((f) => ({ name: f.name, bytes: f.content.length })),
    attached,
  };
  const sent = attached ? files : files.filter((f) => f.name === MANIFEST_NAME);
  const detail = { stage: 'closed', email: 'closed', to: compliance.length, files: sent.length };
  if (await once(pass, campaign, 'closed:compliance', 'emailed', detail, send(pass, compliance, mail, sent))) bump(pass.counts, 'closing_emails');
}
