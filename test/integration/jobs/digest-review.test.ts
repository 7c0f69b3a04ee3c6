// The weekly digest's access-review section: with a campaign not closed, the
// compliance digest (and only it) says how many items are decided and
// undecided, the due date, and links the campaign; once closed, no section.
// Real Postgres, the simulator's demo tenant, a real SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideReview } from '../../../src/app/reviews.js';
import { campaignItems } from '../../../src/db/reviews.repository.js';
import { closeCampaign } from '../../../src/reviews/close-campaign.js';
import type { Received } from '../../support/smtp.js';
import { ADMIN, COMPLIANCE, PUBLIC_URL, startReviewsWorld, type ReviewsWorld } from '../reviews/support.js';

let w: ReviewsWorld;

beforeAll(async () => {
  w = await startReviewsWorld();
}, 60_000);

afterAll(async () => {
  await w?.close();
});

async function digests(): Promise<Received[]> {
  w.smtp.inbox.length = 0;
  const run = await w.runJob('digest');
  expect(run.status, run.error ?? '').toBe('succeeded');
  expect(w.smtp.inbox).toHaveLength(3);
  return w.smtp.inbox.slice();
}

describe('digest: the access review under way', () => {
  it('is in the compliance digest while a campaign is open, with its progress and link; gone once it is closed', async () => {
    const campaign = await w.open(new Date());
    const items = await campaignItems(w.db.db, campaign.id);
    const kept = items.filter((i) => i.reviewer === ADMIN && i.flags.length === 0);
    expect(kept.length).toBeGreaterThan(0);
    await decideReview(w.actions(new Date()), await w.person(ADMIN), campaign.id, { via: 'cli', decisions: kept.map((i) => ({ item: i.id, decision: 'keep' })) });
    const flaggedUndecided = items.filter((i) => i.flags.length > 0).length;

    const open = await digests();
    const line = `Access review #${campaign.id}: ${kept.length} of ${items.length} items decided, ${items.length - kept.length} undecided (${flaggedUndecided} flagged); due ${campaign.due_on}.`;
    const compliance = open.find((m) => m.to.includes(COMPLIANCE))!;
    expect(compliance.mail.text).toContain(`${line}\n  The campaign in Warden: ${PUBLIC_URL}/reviews/${campaign.id}\n`);
    expect(compliance.mail.html).toContain('id="access-review"');
    for (const m of open.filter((x) => x !== compliance)) expect(m.mail.text, m.to.join()).not.toContain('Access review');

    await closeCampaign(w.db.db, campaign.id, 'cli:test', new Date());
    for (const m of await digests()) expect(m.mail.text).not.toContain('Access review');
  });
});
