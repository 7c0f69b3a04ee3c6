/**
 * The `access-review` job through the real inline runner with a controlled
 * clock, against the simulator's demo tenant in Pacific/Auckland (13 hours
 * ahead of UTC in January, 12 from April to September): it opens the
 * quarter's campaign on the first Monday of the quarter's first month in the
 * tenant's date (a Sunday in UTC), emails the compliance officers and the
 * reviewers, and opens one per quarter: a second tick, two workers at once, a
 * campaign opened by hand in the quarter; one still open is skipped with a
 * log line (the run succeeds) and the quarter's opens the first morning after
 * it closes. And the `review-reminders` job's own part: the approvals a
 * revoke asked are emailed to the admins with the day's reminders, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessReviewJob } from '../../../jobs/access-review.job.js';
import { reviewRemindersJob } from '../../../jobs/review-reminders.job.js';
import { decideReview } from '../../../src/app/reviews.js';
import { listApprovals } from '../../../src/db/approvals.repository.js';
import type { ReviewCampaign } from '../../../src/db/database.js';
import { campaignItems, getCampaign, listCampaigns } from '../../../src/db/reviews.repository.js';
import { closeCampaign } from '../../../src/reviews/close-campaign.js';
import { ADMIN, COMPLIANCE, ENGINEER, SECOND_ADMIN, startReviewsWorld, summary, TENANT, type ReviewsWorld } from './support.js';

let w: ReviewsWorld;

beforeAll(async () => {
  w = await startReviewsWorld();
}, 60_000);

afterAll(async () => {
  await w?.close();
});

const campaigns = (): Promise<ReviewCampaign[]> => listCampaigns(w.db.db, { tenant: TENANT });
const run = async (at: string) => w.runJob('access-review', { now: new Date(at) });
const close = async (id: number, at: string) => closeCampaign(w.db.db, id, 'cli:test', new Date(at));

describe('access-review job', () => {
  it('fires every morning of the quarters’ first months (cron cannot say "first Monday")', () => {
    expect(accessReviewJob.schedule).toBe('0 9 * 1,4,7,10 *');
    expect(accessReviewJob.scope).toBe('tenant');
  });

  it('opens on the first Monday in the tenant’s date, then emails; the Sunday before and a second tick open nothing', async () => {
    // Sunday 3 January 2027, 23:00 in Auckland: not yet.
    const sunday = await run('2027-01-03T23:00:00+13:00');
    expect(sunday).toMatchObject({ status: 'succeeded', counts: { skipped: 1 } });
    expect(await campaigns()).toEqual([]);

    // Monday 4 January, 09:00 in Auckland: still Sunday in UTC.
    const monday = await run('2027-01-04T09:00:00+13:00');
    expect(monday.status, monday.error ?? '').toBe('succeeded');
    const [q1] = await campaigns();
    expect(q1).toMatchObject({ period: '2027-Q1', opened_by: 'warden', status: 'open', due_on: '2027-01-18' });
    expect(q1!.opened_at.toISOString()).toBe('2027-01-03T20:00:00.000Z');
    expect(monday.counts).toEqual({ opened: 1, items: q1!.counts['items'], flagged: q1!.counts['flagged'], opening_emails: 1, reminders: 3 });
    expect(summary(w.smtp.inbox)).toEqual([`opening → ${COMPLIANCE}`, `reminder → ${ADMIN}`, `reminder → ${ENGINEER}`, `reminder → ${SECOND_ADMIN}`]);

    // The same tick again, and the next morning: the quarter has its campaign.
    expect((await run('2027-01-04T09:00:00+13:00')).counts).toEqual({ skipped: 1 });
    expect((await run('2027-01-05T09:00:00+13:00')).counts).toEqual({ skipped: 1 });
    expect(await campaigns()).toHaveLength(1);
    expect(w.smtp.inbox).toHaveLength(4);
    await close(q1!.id, '2027-01-25T10:00:00+13:00');
  });

  it('two workers firing the same tick open one campaign', async () => {
    // Monday 5 April 2027, 09:00 in Auckland (standard time since the day before).
    const runs = await w.runJobs('access-review', 2, { now: new Date('2027-04-05T09:00:00+12:00') });
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs.map((r) => r.counts['opened'] ?? 0).sort()).toEqual([0, 1]);
    expect(runs.map((r) => r.counts['skipped'] ?? 0).sort()).toEqual([0, 1]);
    const q2 = (await campaigns()).filter((c) => c.period === '2027-Q2');
    expect(q2).toHaveLength(1);
    await close(q2[0]!.id, '2027-04-26T10:00:00+12:00');
  });

  it('skips while a campaign is still open (logged, not a failure), and opens the first morning after it closes', async () => {
    const byHand = await w.open(new Date('2027-06-20T10:00:00+12:00'));
    // Monday 5 July: the hand campaign of June is still open.
    const blocked = await run('2027-07-05T09:00:00+12:00');
    expect(blocked).toMatchObject({ status: 'succeeded', error: null, counts: { skipped: 1 } });
    const line = w.logs.find((l) => l['runId'] === blocked.id && l['reason'] === 'campaign_open');
    expect(line).toMatchObject({ level: 30, tenant: TENANT, period: '2027-Q3', campaign: byHand.id, msg: `no campaign opened: campaign #${byHand.id} is still open: 2027-Q3's opens the first morning after it closes` });
    expect((await campaigns()).filter((c) => c.period === '2027-Q3')).toEqual([]);
    await close(byHand.id, '2027-07-06T15:00:00+12:00');
    expect((await run('2027-07-07T09:00:00+12:00')).counts['opened']).toBe(1);
    const [q3] = (await campaigns()).filter((c) => c.period === '2027-Q3');
    expect(q3!.opened_at.toISOString()).toBe('2027-07-06T21:00:00.000Z');
    await close(q3!.id, '2027-07-30T10:00:00+12:00');
  });

  it('takes a campaign opened by hand during the quarter as its review', async () => {
    const byHand = await w.open(new Date('2027-10-01T10:00:00+13:00'));
    await close(byHand.id, '2027-10-02T10:00:00+13:00');
    const before = (await campaigns()).length;
    // Monday 4 October 2027, 09:00 in Auckland (daylight time since 26 September).
    expect((await run('2027-10-04T09:00:00+13:00')).counts).toEqual({ skipped: 1 });
    expect(await campaigns()).toHaveLength(before);
    expect((await getCampaign(w.db.db, byHand.id)).status).toBe('closed');
  });
});

describe('review-reminders job', () => {
  it('runs daily at 09:30 in the tenant’s zone; sends the day’s reminders and emails the admins the approvals a revoke asked, once', async () => {
    expect(reviewRemindersJob.schedule).toBe('30 9 * * *');
    expect(reviewRemindersJob.scope).toBe('tenant');
    const campaign = await w.open(new Date('2027-11-01T09:00:00+13:00'));
    const [item] = (await campaignItems(w.db.db, campaign.id)).filter((i) => i.reviewer === ADMIN && i.role !== 'none');
    const decided = await decideReview(w.actions(new Date('2027-11-01T09:10:00+13:00')), await w.person(ADMIN), campaign.id, { via: 'cli', decisions: [{ item: item!.id, decision: 'revoke' }] });
    expect(decided.approvals).toBe(1);
    const [approval] = await listApprovals(w.db.db, { tenant: TENANT, status: 'pending' });
    expect(approval!.review_item_id).toBe(item!.id);

    const before = w.smtp.inbox.length;
    const run = await w.runJob('review-reminders', { now: new Date('2027-11-01T09:30:00+13:00') });
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.counts).toEqual({ opening_emails: 1, reminders: 3, approval_emails: 2 });
    const sent = w.smtp.inbox.slice(before);
    const approvals = sent.filter((m) => /approval\(s\) waiting$/.test(m.mail.subject ?? ''));
    expect(approvals.map((m) => m.to[0]).sort()).toEqual([ADMIN, SECOND_ADMIN]);
    for (const m of approvals) expect(m.mail.text).toContain(`#${approval!.id} `);
    expect(summary(sent.filter((m) => !approvals.includes(m)))).toEqual([`opening → ${COMPLIANCE}`, `reminder → ${ADMIN}`, `reminder → ${ENGINEER}`, `reminder → ${SECOND_ADMIN}`]);

    // The same morning again: nothing.
    expect((await w.runJob('review-reminders', { now: new Date('2027-11-01T11:00:00+13:00') })).counts).toEqual({});
    expect(w.smtp.inbox.length).toBe(before + sent.length);
  });
});
