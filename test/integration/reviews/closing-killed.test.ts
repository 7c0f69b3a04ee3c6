/**
 * "A worker killed while the campaign closes (closing resumes, one pack)"
 * (issue 15, faults): a real process closing a campaign (close-campaign.child.ts)
 * is held inside a step by a table lock this test takes, and killed there
 * (SIGKILL): while the undecided items take the no-response policy, and while
 * the pack is stored. Postgres rolls back what the dead process had not
 * committed; the next `review-reminders` run (the morning's, or the one
 * `reconcile` gives a campaign left closing for more than 5 minutes) finishes
 * the closing: exactly one pack, one `review.pack` entry in the audit log,
 * whose chain still verifies, each undecided item settled once, and one
 * closing email to the compliance officers with that pack attached.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideReview } from '../../../src/app/reviews.js';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import type { ReviewCampaign } from '../../../src/db/database.js';
import { inTransaction } from '../../../src/db/executor.js';
import { campaignItems, getCampaign, packFiles, reviewEvents } from '../../../src/db/reviews.repository.js';
import { eventually, killChildren, spawnWorkerChild, type WorkerChild } from '../../support/queue.js';
import { TEST_DATABASE_URL } from '../../support/db.js';
import type { CloseChildConfig } from './close-campaign.child.js';
import { ADMIN, COMPLIANCE, kindOf, startReviewsWorld, TENANT, type ReviewsWorld } from './support.js';

let w: ReviewsWorld;
const children: WorkerChild[] = [];

beforeAll(async () => {
  w = await startReviewsWorld();
}, 60_000);

afterAll(async () => {
  await killChildren(children.splice(0));
  await w?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Opens a campaign now and has the admin keep their unflagged items, so that it has decided and undecided items. */
async function campaignWithUndecided(): Promise<ReviewCampaign> {
  const campaign = await w.open(new Date());
  const mine = (await campaignItems(w.db.db, campaign.id)).filter((i) => i.reviewer === ADMIN && i.flags.length === 0);
  expect(mine.length).toBeGreaterThan(0);
  // Keeps open no approval, so the action enqueues no run: only the runs this test starts touch the campaign.
  await decideReview(w.actions(new Date()), await w.person(ADMIN), campaign.id, { via: 'cli', decisions: mine.map((i) => ({ item: i.id, decision: 'keep' })) });
  return campaign;
}

/**
 * Starts closing `campaign` in a child process while this test holds `table`
 * against writes, waits until the child waits for that lock, and kills it there.
 */
async function killWhileClosing(campaign: ReviewCampaign, table: 'review_items' | 'review_pack_files'): Promise<void> {
  await inTransaction(w.db.db, async (trx) => {
    // SHARE: the table's rows can be read and referenced, not written (UPDATE, INSERT wait).
    await sql`LOCK TABLE ${sql.table(table)} IN SHARE MODE`.execute(trx);
    const config: CloseChildConfig = { databaseUrl: TEST_DATABASE_URL, schema: w.db.schema!, campaignId: campaign.id, by: 'cli:operator' };
    const child = spawnWorkerChild(config, { entry: path.join(import.meta.dirname, 'close-campaign.child.ts') });
    children.push(child);
    await child.waitFor(/^closing \d+$/m, 30_000);
    // The child's session waits for the lock: it is inside the step.
    await eventually(
      async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks where relation = ${table}::regclass and not granted`.execute(w.db.db);
        return rows[0]!.n > 0 ? true : undefined;
      },
      30_000,
      `the closing process waiting on ${table}`,
    );
    child.proc.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    expect(child.output()).not.toContain('closed');
  });
}

/** Exactly one pack, recorded once in the audit log (whose chain verifies), each undecided item settled once; returns the pack's files. */
async function expectOnePack(campaign: ReviewCampaign, undecided: readonly number[]): Promise<Map<string, Buffer>> {
  const closed = await getCampaign(w.db.db, campaign.id);
  expect(closed).toMatchObject({ status: 'closed', closed_by: 'cli:operator' });
  const files = await packFiles(w.db.db, campaign.id);
  const manifest = JSON.parse(files.find((f) => f.name === 'manifest.json')!.content.toString('utf8')) as { files: { name: string; sha256: string }[]; pack_sha256: string };
  expect(files.map((f) => f.name).sort()).toEqual([...manifest.files.map((f) => f.name), 'manifest.json'].sort());
  expect(manifest.pack_sha256).toBe(closed.pack_sha256);
  const { rows } = await sql<{ details: { pack_sha256: string } }>`select details from audit_log where action = 'review.pack' and subject = ${`review_campaign:${campaign.id}`}`.execute(w.db.db);
  expect(rows.map((r) => r.details.pack_sha256)).toEqual([closed.pack_sha256]);
  const chain = await verifyChain(w.db.db);
  expect(chain, chain.ok ? '' : chain.message).toMatchObject({ ok: true });
  const events = await reviewEvents(w.db.db, campaign.id);
  expect(events.filter((e) => e.event === 'closed')).toHaveLength(1);
  expect(events.filter((e) => e.event === 'closing')).toHaveLength(1);
  const settled = events.filter((e) => e.event === 'no_response').map((e) => e.item_id);
  expect(settled.sort((a, b) => a! - b!)).toEqual([...undecided].sort((a, b) => a - b));
  const items = await campaignItems(w.db.db, campaign.id);
  expect(items.filter((i) => undecided.includes(i.id)).every((i) => i.no_response === 'flag')).toBe(true);
  return new Map(files.map((f) => [f.name, f.content]));
}

/** The one closing email of `campaign`, whose attachments are the stored pack byte for byte. */
function expectClosingEmail(campaign: ReviewCampaign, pack: Map<string, Buffer>): void {
  const closing = w.smtp.inbox.filter((m) => kindOf(m) === 'closed' && m.mail.subject?.includes(`#${campaign.id} `));
  expect(closing).toHaveLength(1);
  expect(closing[0]!.to).toEqual([COMPLIANCE]);
  const attached = new Map(closing[0]!.mail.attachments.map((a) => [a.filename!, a.content]));
  expect([...attached.keys()].sort()).toEqual([...pack.keys()].sort());
  for (const [name, content] of pack) expect(sha256(attached.get(name)!), name).toBe(sha256(content));
}

const undecidedIds = async (campaign: ReviewCampaign) => (await campaignItems(w.db.db, campaign.id)).filter((i) => i.decision === null).map((i) => i.id);

describe('a process killed while it closes a campaign', () => {
  it('killed while the undecided items take the no-response policy: the morning run closes it, one pack', async () => {
    const campaign = await campaignWithUndecided();
    const undecided = await undecidedIds(campaign);
    await killWhileClosing(campaign, 'review_items');
    // What the dead process committed: the move to closing, nothing after.
    expect((await getCampaign(w.db.db, campaign.id)).status).toBe('closing');
    expect((await campaignItems(w.db.db, campaign.id)).filter((i) => i.no_response !== null)).toEqual([]);
    expect(await packFiles(w.db.db, campaign.id)).toEqual([]);

    const run = await w.runJob('review-reminders');
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.counts).toMatchObject({ closings_resumed: 1, closing_emails: 1 });
    expectClosingEmail(campaign, await expectOnePack(campaign, undecided));
    // Another run: nothing more.
    const again = await w.runJob('review-reminders');
    expect(again.counts).toEqual({});
    expectClosingEmail(campaign, await expectOnePack(campaign, undecided));
  });

  it('killed while the pack is stored: reconcile gives it a run once it has been closing for 5 minutes, one pack', async () => {
    const campaign = await campaignWithUndecided();
    const undecided = await undecidedIds(campaign);
    await killWhileClosing(campaign, 'review_pack_files');
    // The no-response step had committed; the pack's transaction died with the process.
    await eventually(async () => ((await getCampaign(w.db.db, campaign.id)).status === 'closing' ? true : undefined), 10_000, 'the dead closing rolled back');
    expect((await campaignItems(w.db.db, campaign.id)).filter((i) => i.no_response !== null).map((i) => i.id).sort()).toEqual([...undecided].sort());
    expect(await packFiles(w.db.db, campaign.id)).toEqual([]);

    // Closing for less than 5 minutes: it may still be under way, reconcile leaves it.
    const early = await w.runJob('reconcile', { tenant: null });
    expect(early.counts['review_closings_resumed']).toBeUndefined();
    expect((await getCampaign(w.db.db, campaign.id)).status).toBe('closing');

    // Ten minutes on (the row's clock moved back, as time passing would).
    await sql`update review_campaigns set closing_at = closing_at - interval '10 minutes' where id = ${campaign.id}`.execute(w.db.db);
    const rec = await w.runJob('reconcile', { tenant: null });
    expect(rec.status, rec.error ?? '').toBe('succeeded');
    expect(rec.counts).toMatchObject({ review_closings_resumed: 1 });
    // The run it gave the tenant (enqueued by the same pass) resumed the closing and told compliance.
    const pack = await expectOnePack(campaign, undecided);
    expectClosingEmail(campaign, pack);
    const { rows } = await sql<{ status: string }>`select status from job_runs where kind = 'review-reminders' and tenant = ${TENANT} order by id desc limit 1`.execute(w.db.db);
    expect(rows[0]!.status).toBe('succeeded');
    // Closed: reconcile gives it nothing more.
    expect((await w.runJob('reconcile', { tenant: null })).counts['review_closings_resumed']).toBeUndefined();
  });
});
