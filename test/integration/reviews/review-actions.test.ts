// The access-review actions (src/app/reviews.ts) against the simulator's demo
// tenant over HTTP and a Postgres ledger of the test's own: opening freezes
// the platform's accounts and flags items with the access findings; the
// assigned reviewer decides (a revoke becomes an approval in the same
// transaction), a keep of a flagged item needs a comment, nobody decides
// someone else's item; closing applies the no-response policy and stores one
// pack whose hashes an independent SHA-256 confirms and whose pack hash is in
// the audit log.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPerson } from '../../../src/app/people.js';
import { closeReview, decideReview, delegateReview, openReview, reviewItems, reviewPack, reviewStatus, type ReviewActionDeps } from '../../../src/app/reviews.js';
import { listApprovals } from '../../../src/db/approvals.repository.js';
import { verifyChain } from '../../../src/db/audit-log.repository.js';
import type { Person } from '../../../src/db/database.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { packAuditEntry } from '../../../src/db/reviews.repository.js';
import { InputError } from '../../../src/errors.js';
import { ReviewRefusedError } from '../../../src/reviews/errors.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { FAST_CLIENT } from '../approvals/fast-client.js';
import { startWorld, TENANT, type JobsWorld } from '../jobs/support.js';

let world: JobsWorld;
let deps: ReviewActionDeps;
let admin: Person;
let second: Person;
const held: unknown[] = [];

beforeEach(async () => {
  world = await startWorld('postgres');
  admin = (await findPersonByEmail(world.db.db, 'admins@demo.example'))!;
  second = await addPerson(world.db.db, { email: 'second.admin@demo.example', name: 'Sam Second', roles: ['admin'] }, 'test');
  const ledger = new JobRunsLedger(world.db.db);
  deps = {
    db: world.db.db,
    env: world.env,
    client: FAST_CLIENT,
    // Runs are recorded in the ledger and held: the emails are the review-reminders job's, tested with it.
    enqueue: (kind, payload, tenant) => enqueue({ registry: world.registry, ledger, dispatcher: { add: (run) => Promise.resolve(void held.push(run)) } }, kind, payload, { tenant }),
  };
});
afterEach(async () => {
  await world?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('a campaign through the actions', () => {
  it('opens, decides, delegates, closes and makes one pack an auditor can check', async () => {
    const operator = { operator: 'cli:test' };
    const opened = await openReview(deps, operator, { tenant: TENANT });
    expect(opened.status).toBe('open');
    expect(opened.items).toBeGreaterThan(0);
    expect(opened.flagged).toBeGreaterThan(0);
    expect(opened.undecided).toBe(opened.items);
    // One open campaign per tenant.
    await expect(openReview(deps, operator, { tenant: TENANT })).rejects.toThrow(/already has a campaign/);

    const items = await reviewItems(world.db.db, operator, opened.id);
    // Riskiest first: flagged items lead.
    expect(items[0]!.flags.length).toBeGreaterThan(0);
    const reviewers = new Set(items.map((i) => i.reviewer));
    expect([...reviewers].every((r) => r === null || [admin.email, second.email, 'engineers@demo.example', 'compliance@demo.example'].includes(r))).toBe(true);

    const mine = items.filter((i) => i.reviewer === admin.email);
    const flagged = mine.find((i) => i.flags.length > 0)!;
    expect(flagged).toBeDefined();
    await expect(decideReview(deps, admin, opened.id, { via: 'cli', decisions: [{ item: flagged.id, decision: 'keep' }] })).rejects.toThrow(InputError);
    const theirs = items.find((i) => i.reviewer === second.email)!;
    await expect(decideReview(deps, admin, opened.id, { via: 'cli', decisions: [{ item: theirs.id, decision: 'keep', comment: 'x' }] })).rejects.toThrow(ReviewRefusedError);

    const out = await decideReview(deps, admin, opened.id, { via: 'cli', decisions: [{ item: flagged.id, decision: 'revoke' }] });
    expect(out.approvals).toBe(1);
    const approvals = (await listApprovals(world.db.db, { tenant: TENANT })).filter((a) => a.review_item_id === flagged.id);
    expect(approvals).toHaveLength(1);
    expect(approvals[0]!.requested_by).toBe(admin.email);

    // The rest of the admin's share goes to the second admin, except an item of the second admin's own account.
    const rest = mine.filter((i) => i.id !== flagged.id && i.email !== second.email);
    if (rest.length > 0) {
      const moved = await delegateReview(deps, admin, opened.id, { items: rest.map((i) => i.id), to: second.email });
      expect(moved.delegated.sort()).toEqual(rest.map((i) => i.id).sort());
    }
    await expect(delegateReview(deps, admin, opened.id, { items: [theirs.id], to: 'nobody@demo.example' })).rejects.toThrow(/no person/);

    const closed = await closeReview(deps, operator, opened.id);
    expect(closed.status).toBe('closed');
    expect(closed.undecided).toBe(0);
    await expect(decideReview(deps, second, opened.id, { via: 'cli', decisions: [{ item: theirs.id, decision: 'keep', comment: 'x' }] })).rejects.toThrow(/closed/);

    const pack = await reviewPack(world.db.db, operator, opened.id);
    const manifest = JSON.parse(pack.files.find((f) => f.name === 'manifest.json')!.content.toString('utf8')) as { files: { name: string; sha256: string }[]; pack_sha256: string; snapshot_sha256: string };
    for (const entry of manifest.files) expect(sha256(pack.files.find((f) => f.name === entry.name)!.content), entry.name).toBe(entry.sha256);
    const lines = [...manifest.files].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => `${e.sha256}  ${e.name}\n`).join('');
    expect(sha256(Buffer.from(lines))).toBe(manifest.pack_sha256);
    expect(sha256(pack.files.find((f) => f.name === 'snapshot.json')!.content)).toBe(manifest.snapshot_sha256);
    expect((await packAuditEntry(world.db.db, opened.id))!.details['pack_sha256']).toBe(manifest.pack_sha256);
    expect((await verifyChain(world.db.db)).ok).toBe(true);
    const status = await reviewStatus(world.db.db, operator, opened.id);
    expect(status.pack_sha256).toBe(manifest.pack_sha256);
    await expect(closeReview(deps, operator, opened.id)).rejects.toThrow(/closed already/);
  });
});
