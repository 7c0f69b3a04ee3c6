/**
 * The reminder and escalation schedule of a whole campaign with a controlled
 * clock (issue 15, "Reminders and escalation"): a 14-day campaign with 3 grace
 * days against the simulator's demo tenant, in a time zone 13 hours ahead of
 * UTC, the emails going through a real SMTP server. Every morning at 09:30
 * tenant time the notices run twice: each step goes once, on its day, only to
 * reviewers who have undecided items at that moment (one finishes, one hands
 * their share on), the escalation goes once, the campaign closes on its own at
 * the due date plus grace, and the closing email carries the evidence pack,
 * whose files match its manifest by an independent SHA-256. A send refused by
 * the SMTP server gives its key back and goes on the next call.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideReview, delegateReview } from '../../../src/app/reviews.js';
import type { ReviewCampaign, ReviewItem } from '../../../src/db/database.js';
import { campaignItems, getCampaign, packAuditEntry, reviewEvents } from '../../../src/db/reviews.repository.js';
import { ReviewEmailsError } from '../../../src/reviews/review-notices.js';
import type { Received } from '../../support/smtp.js';
import { ADMIN, COMPLIANCE, ENGINEER, kindOf, PUBLIC_URL, SECOND_ADMIN, startReviewsWorld, summary, type ReviewsWorld } from './support.js';

/** Day `k` of the campaign at 09:30 in Auckland (NZDT, +13:00, all through December). */
const OPENED = Date.parse('2026-12-07T09:00:00+13:00');
const day = (k: number) => new Date(Date.parse('2026-12-07T09:30:00+13:00') + k * 86_400_000);
/** The tenant's date of day `k`, written out independently of the code under test. */
const dateOf = (k: number) => new Date(Date.parse('2026-12-07T12:00:00Z') + k * 86_400_000).toISOString().slice(0, 10);

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let w: ReviewsWorld;
let campaign: ReviewCampaign;
/** Comments the reviewers wrote: never in an email's body. */
const COMMENTS = ['Runs the nightly POS sync, owned by ops', 'Still on the loyalty project until March'];

beforeAll(async () => {
  w = await startReviewsWorld();
  campaign = await w.open(new Date(OPENED));
}, 60_000);

afterAll(async () => {
  await w?.close();
});

const itemsOf = async (reviewer: string): Promise<ReviewItem[]> => (await campaignItems(w.db.db, campaign.id)).filter((i) => i.reviewer === reviewer);
const undecidedOf = async (reviewer: string) => (await itemsOf(reviewer)).filter((i) => i.decision === null && i.no_response === null);

/** Runs the notices of day `k` twice; the second sends nothing. Returns what the first sent. */
async function morning(k: number): Promise<Received[]> {
  const before = w.smtp.inbox.length;
  await w.notices(day(k));
  const sent = w.smtp.inbox.slice(before);
  const again = await w.notices(day(k));
  expect(again, `day ${k}: a second run the same day`).toEqual({});
  expect(w.smtp.inbox.length, `day ${k}: a second run the same day sends nothing`).toBe(before + sent.length);
  return sent;
}

async function keepAll(reviewer: string, k: number, except: readonly number[] = []): Promise<void> {
  const person = await w.person(reviewer);
  const items = (await undecidedOf(reviewer)).filter((i) => !except.includes(i.id));
  await decideReview(w.actions(day(k)), person, campaign.id, {
    via: 'cli',
    decisions: items.map((i, n) => ({ item: i.id, decision: 'keep', comment: i.flags.length > 0 ? COMMENTS[n % COMMENTS.length] : null })),
  });
}

describe('a 14-day campaign with 3 grace days, day by day', () => {
  it('is opened in the tenant’s date with its dates, and gives every reviewer a share', async () => {
    expect(campaign).toMatchObject({ due_on: dateOf(14), grace_days: 3, status: 'open' });
    expect(campaign.opened_at.toISOString()).toBe('2026-12-06T20:00:00.000Z');
    for (const r of [ADMIN, SECOND_ADMIN, ENGINEER]) expect((await itemsOf(r)).length, r).toBeGreaterThan(0);
  });

  it('sends every step once, on its day, to the reviewers with undecided items only; escalates once; closes on its own with the pack', async () => {
    const log: Record<number, string[]> = {};
    // Day 0: SMTP refuses the second admin's reminder once: the others go, the run fails naming it, and the next call sends it.
    w.smtp.refuseOnce.add(SECOND_ADMIN);
    await expect(w.notices(day(0))).rejects.toThrow(ReviewEmailsError);
    expect(summary(w.smtp.inbox)).toEqual([`opening → ${COMPLIANCE}`, `reminder → ${ADMIN}`, `reminder → ${ENGINEER}`]);
    const retried = await morning(0);
    expect(summary(retried)).toEqual([`reminder → ${SECOND_ADMIN}`]);
    log[0] = summary(w.smtp.inbox);

    for (let k = 1; k <= 19; k++) {
      // Day 2: the engineer decides every machine account; day 4: the second admin hands their share to the admin.
      if (k === 2) await keepAll(ENGINEER, k);
      if (k === 4) {
        const out = await delegateReview(w.actions(day(k)), await w.person(SECOND_ADMIN), campaign.id, { all: true, to: ADMIN });
        expect(out.delegated.length).toBeGreaterThan(0);
      }
      // Day 9: the admin decides all but one item, which nobody answers.
      if (k === 9) {
        const [unanswered] = await undecidedOf(ADMIN);
        await keepAll(ADMIN, k, [unanswered!.id]);
      }
      const sent = await morning(k);
      if (sent.length > 0) log[k] = summary(sent);
    }

    expect(log).toEqual({
      0: [`opening → ${COMPLIANCE}`, `reminder → ${ADMIN}`, `reminder → ${ENGINEER}`, `reminder → ${SECOND_ADMIN}`],
      7: [`reminder → ${ADMIN}`],
      11: [`reminder → ${ADMIN}`],
      13: [`reminder → ${ADMIN}`],
      14: [`reminder → ${ADMIN}`],
      15: [`escalation → ${COMPLIANCE}`, `reminder → ${ADMIN}`],
      16: [`reminder → ${ADMIN}`],
      17: [`reminder → ${ADMIN}`],
      18: [`closed → ${COMPLIANCE}`],
    });

    // The campaign's log: each reminder once, with its stage and reviewer, on its day; one escalation; two emails to compliance.
    const events = await reviewEvents(w.db.db, campaign.id);
    const reminded = events.filter((e) => e.event === 'reminded').map((e) => `${e.detail['stage'] as string} ${e.detail['reviewer'] as string} ${e.at.toISOString()}`);
    const at = (k: number) => day(k).toISOString();
    expect(reminded.sort()).toEqual(
      [
        `opening ${ADMIN} ${at(0)}`,
        `opening ${ENGINEER} ${at(0)}`,
        `opening ${SECOND_ADMIN} ${at(0)}`,
        `weekly-1 ${ADMIN} ${at(7)}`,
        `due-3 ${ADMIN} ${at(11)}`,
        `due-1 ${ADMIN} ${at(13)}`,
        `due ${ADMIN} ${at(14)}`,
        `overdue-1 ${ADMIN} ${at(15)}`,
        `overdue-2 ${ADMIN} ${at(16)}`,
        `overdue-3 ${ADMIN} ${at(17)}`,
      ].sort(),
    );
    expect(events.filter((e) => e.event === 'escalated').map((e) => [e.key, e.at.toISOString(), e.detail])).toEqual([['escalation', at(15), { stage: 'escalation', to: 1, undecided: 1, reviewers: 1 }]]);
    expect(events.filter((e) => e.event === 'emailed').map((e) => e.key)).toEqual(['opening:compliance', 'closed:compliance']);

    const closed = await getCampaign(w.db.db, campaign.id);
    expect(closed).toMatchObject({ status: 'closed', closed_by: 'warden' });
    expect(closed.closed_at!.toISOString()).toBe(at(18));
    expect(dateOf(18)).toBe('2026-12-25');
    const items = await campaignItems(w.db.db, campaign.id);
    expect(items.filter((i) => i.no_response !== null).map((i) => i.no_response)).toEqual(['flag']);
  });

  it('each reminder counts the reviewer’s undecided items and links their queue; nothing names an account or carries a comment', async () => {
    const mails = w.smtp.inbox.filter((m) => kindOf(m) !== 'other');
    const weekly = mails.find((m) => kindOf(m) === 'reminder' && m.mail.text?.includes('Reminder:'))!;
    // On day 7 the admin held their own share and the second admin's, none of it decided yet.
    const share = await itemsOf(ADMIN);
    const flagged = share.filter((i) => i.flags.length > 0).length;
    expect(share.length).toBeGreaterThan(1);
    expect(weekly.mail.text).toMatch(new RegExp(`^Reminder: ${share.length} items of the access review of demo \\(campaign #${campaign.id}\\) still wait for your decision, ${flagged} flagged\\.`));
    expect(weekly.mail.text).toContain(`Your queue: ${PUBLIC_URL}/reviews/${campaign.id}/queue`);
    const last = mails.filter((m) => kindOf(m) === 'reminder').at(-1)!;
    expect(last.mail.subject).toBe(`[Warden] demo: 1 access review item wait for you, overdue since ${dateOf(14)} (3 days)`);
    const escalation = mails.find((m) => kindOf(m) === 'escalation')!;
    expect(escalation.mail.text).toContain(`  ${ADMIN}: 1 undecided of `);
    expect(escalation.mail.text).not.toContain(ENGINEER);
    const opening = mails.find((m) => kindOf(m) === 'opening')!;
    expect(opening.mail.text).toContain(`Items to review (account and role): ${campaign.counts['items']}`);
    expect(opening.mail.text).toContain(`Due ${dateOf(14)}.`);
    expect(opening.mail.text).toContain(`The campaign: ${PUBLIC_URL}/reviews/${campaign.id}`);
    const accounts = w.sim.demo!.platform.users.map((u) => u.email.toLowerCase());
    for (const m of mails) {
      const body = [m.mail.subject ?? '', m.mail.text ?? '', typeof m.mail.html === 'string' ? m.mail.html : ''].join('\n').toLowerCase();
      for (const a of accounts) expect(body.includes(a), `${kindOf(m)} names account ${a}`).toBe(false);
      for (const c of COMMENTS) expect(body.includes(c.toLowerCase()), `${kindOf(m)} carries a comment`).toBe(false);
    }
  });

  it('the closing email has the outcome and the pack attached, whose files match its manifest and the audit log', async () => {
    const closing = w.smtp.inbox.find((m) => kindOf(m) === 'closed')!;
    const items = await campaignItems(w.db.db, campaign.id);
    expect(closing.mail.text).toContain(`  Items: ${items.length}\n  Kept: ${items.filter((i) => i.decision === 'keep').length}\n  Revoked: 0\n  Role changed: 0\n  No response: 1, each flagged for follow-up`);
    const files = new Map(closing.mail.attachments.map((a) => [a.filename!, a.content]));
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as { files: { name: string; sha256: string; bytes: number }[]; pack_sha256: string };
    expect([...files.keys()].sort()).toEqual([...manifest.files.map((f) => f.name), 'manifest.json'].sort());
    for (const f of manifest.files) {
      expect(sha256(files.get(f.name)!), f.name).toBe(f.sha256);
      expect(files.get(f.name)!.length).toBe(f.bytes);
    }
    // `sha256sum` of the files in name order, hashed again.
    const lines = manifest.files.map((f) => `${sha256(files.get(f.name)!)}  ${f.name}\n`).sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
    const pack = sha256(lines.join(''));
    expect(pack).toBe(manifest.pack_sha256);
    const closed = await getCampaign(w.db.db, campaign.id);
    expect(closed.pack_sha256).toBe(pack);
    expect((await packAuditEntry(w.db.db, campaign.id))!.details['pack_sha256']).toBe(pack);
    expect(closing.mail.text).toContain(`Evidence pack: SHA-256 ${pack}`);
  });
});
