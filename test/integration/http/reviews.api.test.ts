// Access reviews over HTTP: `/api/v1/reviews…` against the demo tenant on the
// simulator (real createApp, a Postgres schema of the test's own), through a
// whole campaign: two opens at once (one 201, one 409), the contract of the
// status, items and trail, decisions and delegations with every refusal
// answered by its status and a problem naming the field (and nothing written),
// closing, and the evidence pack checked file by file with node:crypto, not
// Warden's code. A few page answers too: a refused form shows its message
// with its 4xx, never a 500.
//
// The demo's people: Alex Admin (admins@demo.example) and a second admin
// review the human accounts in turn (the tenant's admins, by id), Erin
// Engineer the machine accounts, Casey Compliance opens and closes.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewItemView, ReviewStatus } from '../../../src/app/reviews.js';
import { seedDemoTenant } from '../../../src/demo/seed-demo.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { secretKey } from '../../../src/secrets/secret-box.js';
import { csrfOf, startWebWorld, type Agent, type WebWorld } from '../../support/web.js';

const CO = 'compliance@demo.example';
const ADMIN = 'admins@demo.example';
const ENG = 'engineers@demo.example';
const REV2 = 'second.admin@warden.test';
/** A person whose address is the demo's Bob Stone's account (added after opening, so never assigned). */
const BOB = 'bob.stone@demo.example';
const OUTSIDER = 'outsider@warden.test';

let world: WebWorld;
const keys: Record<string, string> = {};
let campaign: ReviewStatus;
let items: ReviewItemView[];

const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ env: { DOWN_OMNEO_TOKEN: 'down-token-0123456789' } });
  await seedDemoTenant(db(), { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  await addTenant(db(), { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  // A platform that does not answer: opening a campaign for it is a 502 naming the call, never a 500.
  await addTenant(db(), { name: 'down', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'DOWN_OMNEO_TOKEN' });
  await world.person(REV2, ['admin'], ['demo', 'down']);
  await world.person(OUTSIDER, ['admin', 'compliance', 'engineer'], ['other']);
  for (const email of [CO, ADMIN, ENG, REV2, OUTSIDER]) keys[email] = await world.apiKey(email);
}, 120_000);
afterAll(async () => world?.close());

async function call(who: string, method: string, path: string, json?: unknown): Promise<Response> {
  return fetch(`${world.url}${path}`, {
    method,
    headers: { accept: 'application/json', authorization: `Bearer ${keys[who]!}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
}

async function ok<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function problemOf(res: Response, status: number): Promise<{ status: number; detail: string; field?: string }> {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const p = (await res.json()) as { status: number; detail: string; field?: string };
  expect(p.status, p.detail).toBe(status);
  return p;
}

/**
 * Waits until no run is queued or running: the actions enqueue a `review-reminders` run (the campaign's emails),
 * which the server's inline runner carries out in the background and which writes the campaign's trail.
 */
async function runsSettled(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const busy = await db().selectFrom('job_runs').select('id').where('status', 'in', ['queued', 'running']).executeTakeFirst();
    if (busy === undefined) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('runs still queued or running after 15 s');
}

/** What the ledger holds of reviews and approvals, to show a refused request wrote nothing (once the emails' runs are over). */
async function ledgerState() {
  await runsSettled();
  const campaigns = await db().selectFrom('review_campaigns').select(['id', 'status', 'pack_sha256']).orderBy('id').execute();
  const rows = await db().selectFrom('review_items').select(['id', 'reviewer', 'decision', 'new_role', 'comment', 'no_response', 'approval_id']).orderBy('id').execute();
  const count = async (table: 'review_events' | 'approvals' | 'audit_log') => (await db().selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
  return { campaigns, rows, events: await count('review_events'), approvals: await count('approvals'), audit: await count('audit_log') };
}

function itemOf(email: string, role?: string): ReviewItemView {
  const found = items.find((i) => i.email?.toLowerCase() === email && (role === undefined || i.role === role));
  if (found === undefined) throw new Error(`the campaign has no item of ${email}${role === undefined ? '' : ` as ${role}`}`);
  return found;
}

async function refreshItems(): Promise<void> {
  items = await ok<ReviewItemView[]>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/items`));
}

describe('opening', () => {
  it('two opens at once: one 201 with the campaign, one 409; one campaign in the ledger', async () => {
    const [a, b] = await Promise.all([call(CO, 'POST', '/api/v1/reviews', { tenant: 'demo' }), call(ADMIN, 'POST', '/api/v1/reviews', { tenant: 'demo' })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [won, lost] = a.status === 201 ? [a, b] : [b, a];
    campaign = await ok<ReviewStatus>(won, 201);
    expect((await problemOf(lost, 409)).detail).toContain('already has a campaign that is not closed');
    expect(await db().selectFrom('review_campaigns').select('id').execute()).toEqual([{ id: campaign.id }]);
  });

  it('answers the contract: counts, progress per reviewer, the snapshot hash, the due date 14 days on', async () => {
    expect(campaign).toMatchObject({ tenant: 'demo', status: 'open', period: null, overdue: false, no_response: 'flag', decided: 0, closed_at: null, pack_sha256: null });
    expect(campaign.opened_by === CO || campaign.opened_by === ADMIN).toBe(true);
    expect(campaign.snapshot_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(campaign.items).toBeGreaterThan(5);
    expect(campaign.undecided).toBe(campaign.items);
    expect(campaign.flagged).toBeGreaterThan(0);
    expect(campaign.counts).toMatchObject({ items: campaign.items, flagged: campaign.flagged, accounts: expect.any(Number) as number, admins: expect.any(Number) as number });
    const opened = new Date(campaign.opened_at);
    expect(campaign.due_on).toBe(new Date(opened.getTime() + 14 * 86_400_000).toISOString().slice(0, 10));
    expect(campaign.reviewers.map((r) => r.reviewer).sort()).toEqual([ADMIN, ENG, REV2].sort());
    expect(campaign.reviewers.reduce((n, r) => n + r.items, 0)).toBe(campaign.items);
    // The same status from the list and by id.
    expect(await ok<ReviewStatus[]>(await call(ENG, 'GET', '/api/v1/reviews'))).toEqual([campaign]);
    expect(await ok<ReviewStatus>(await call(REV2, 'GET', `/api/v1/reviews/${campaign.id}`))).toEqual(campaign);
    expect(await ok<ReviewStatus[]>(await call(CO, 'GET', '/api/v1/reviews?status=closed'))).toEqual([]);
  });

  it('refuses a bad due date (400 naming due) and an unknown tenant (404 naming tenant), writing nothing', async () => {
    const before = await ledgerState();
    for (const due of ['2020-01-01', 'next week', '2999-01-01']) {
      const p = await problemOf(await call(CO, 'POST', '/api/v1/reviews', { tenant: 'demo', due }), 400);
      expect(p.field, due).toBe('due');
    }
    expect((await problemOf(await call(CO, 'POST', '/api/v1/reviews', { tenant: 'nope' }), 404)).field).toBe('tenant');
    expect((await problemOf(await call(CO, 'POST', '/api/v1/reviews', {}), 400)).field).toBe('body.tenant');
    expect(await ledgerState()).toEqual(before);
  });

  it('lets only compliance officers and admins of the tenant open: an engineer 403, someone of another tenant 404', async () => {
    const before = await ledgerState();
    await problemOf(await call(ENG, 'POST', '/api/v1/reviews', { tenant: 'demo' }), 403);
    await problemOf(await call(OUTSIDER, 'POST', '/api/v1/reviews', { tenant: 'demo' }), 404);
    await problemOf(await call(OUTSIDER, 'GET', `/api/v1/reviews/${campaign.id}`), 404);
    expect(await ok<ReviewStatus[]>(await call(OUTSIDER, 'GET', '/api/v1/reviews'))).toEqual([]);
    expect(await ledgerState()).toEqual(before);
  });

  it('answers 502 naming the call when the tenant’s platform does not answer, and writes nothing', async () => {
    const before = await ledgerState();
    const p = await problemOf(await call(REV2, 'POST', '/api/v1/reviews', { tenant: 'down' }), 502);
    // Whichever of the calls made at once failed first; by its route template, never a concrete path.
    expect(p.detail).toMatch(/^the tenant's platform did not answer as expected: Omneo GET \/[a-z/-]+ failed: connection failed$/);
    expect(p.detail).not.toContain('down-token');
    expect(await ledgerState()).toEqual(before);
  });
});

describe('reading', () => {
  it('lists the items riskiest first, each with its flags, lower roles and the no-response dry run', async () => {
    await refreshItems();
    expect(items).toHaveLength(campaign.items);
    const risks = items.map((i) => i.risk);
    expect(risks).toEqual([...risks].sort((x, y) => y - x));
    expect(items.filter((i) => i.flags.length > 0)).toHaveLength(campaign.flagged);
    for (const i of items) {
      expect(i).toMatchObject({ decision: null, no_response: null, approval_id: null, if_no_response: 'flagged for follow-up and reported; the access is left as it is' });
      expect([ADMIN, REV2, ENG]).toContain(i.reviewer);
    }
    expect(itemOf('hal.moss@demo.example').lower_roles).toEqual(['manager', 'reporting']);
    expect(items.filter((i) => i.machine).every((i) => i.reviewer === ENG)).toBe(true);
  });

  it('gives a reviewer their own queue (?mine=true&undecided=true)', async () => {
    for (const who of [ADMIN, REV2, ENG]) {
      const mine = await ok<ReviewItemView[]>(await call(who, 'GET', `/api/v1/reviews/${campaign.id}/items?mine=true&undecided=true`));
      expect(mine.map((i) => i.id)).toEqual(items.filter((i) => i.reviewer === who).map((i) => i.id));
      expect(mine.length).toBe(campaign.reviewers.find((r) => r.reviewer === who)!.items);
    }
    expect(await ok<ReviewItemView[]>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/items?mine=true`))).toEqual([]);
    expect((await problemOf(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/items?mine=yes`), 400)).field).toBe('querystring.mine');
  });

  it('starts the trail with the opening; no pack before closing (409); bad ids 400, unknown 404', async () => {
    const trail = await ok<{ event: string; actor: string }[]>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/trail`));
    expect(trail[0]).toMatchObject({ event: 'opened', actor: campaign.opened_by });
    expect((await problemOf(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/pack`), 409)).detail).toContain('made when it closes');
    await problemOf(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/pack/items.csv`), 409);
    expect((await problemOf(await call(CO, 'GET', '/api/v1/reviews/abc'), 400)).field).toBe('params.id');
    await problemOf(await call(CO, 'GET', '/api/v1/reviews/999999'), 404);
    await problemOf(await call(CO, 'GET', '/api/v1/reviews/999999/items'), 404);
  });
});

describe('deciding', () => {
  it('refuses an item of someone else (403) and writes nothing', async () => {
    const hal = itemOf('hal.moss@demo.example');
    expect(hal.reviewer).toBe(ADMIN);
    const before = await ledgerState();
    for (const who of [REV2, ENG, CO]) {
      const p = await problemOf(await call(who, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions: [{ item: hal.id, decision: 'keep', comment: 'needed' }] }), 403);
      expect(p.detail, who).toContain('only its reviewer decides it');
    }
    expect(await ledgerState()).toEqual(before);
  });

  it('refuses a keep without a comment on a flagged item (400 naming comment), and the whole batch with it', async () => {
    const hal = itemOf('hal.moss@demo.example');
    const eve = itemOf('eve.park@demo.example');
    expect(hal.flags.length).toBeGreaterThan(0);
    expect(eve).toMatchObject({ reviewer: ADMIN, flags: [] });
    const before = await ledgerState();
    for (const comment of [undefined, '', '   ']) {
      const res = await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, {
        decisions: [
          { item: eve.id, decision: 'keep' },
          { item: hal.id, decision: 'keep', ...(comment === undefined ? {} : { comment }) },
        ],
      });
      const p = await problemOf(res, 400);
      expect(p.field).toBe('comment');
      expect(p.detail).toContain(`item ${hal.id}`);
    }
    expect(await ledgerState()).toEqual(before);
  });

  it('refuses a role that is not lower, an unknown decision, an unknown item, a bad body, each naming its field', async () => {
    const hal = itemOf('hal.moss@demo.example');
    const before = await ledgerState();
    const decide = (decisions: unknown) => call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions });
    expect((await problemOf(await decide([{ item: hal.id, decision: 'change_role', new_role: 'admin' }]), 400)).field).toBe('new_role');
    expect((await problemOf(await decide([{ item: hal.id, decision: 'change_role' }]), 400)).field).toBe('new_role');
    expect((await problemOf(await decide([{ item: hal.id, decision: 'maybe' }]), 400)).field).toBe('decision');
    expect((await problemOf(await decide([{ item: hal.id, decision: 'keep', comment: 'x' }, { item: hal.id, decision: 'revoke' }]), 400)).field).toBe('item');
    expect((await problemOf(await decide([]), 400)).field).toBe('decisions');
    expect((await problemOf(await decide([{ item: 'abc', decision: 'keep' }]), 400)).field).toBe('body.decisions.0.item');
    expect((await problemOf(await decide([{ item: hal.id, decision: 'keep', comment: 'x', extra: 1 }]), 400)).field).toMatch(/^body\.decisions\.0/);
    await problemOf(await decide([{ item: 999_999, decision: 'keep' }]), 404);
    expect(await ledgerState()).toEqual(before);
  });

  it('takes a batch: a keep with its comment, a revoke, a role change; the revoke and the change become approvals', async () => {
    const hal = itemOf('hal.moss@demo.example');
    const contractor = itemOf('contractor@agency.example');
    const eve = itemOf('eve.park@demo.example');
    expect([contractor.reviewer, eve.reviewer]).toEqual([ADMIN, ADMIN]);
    const approvalsBefore = (await ledgerState()).approvals;
    const out = await ok<{ decided: unknown[]; approvals: number }>(
      await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, {
        decisions: [
          { item: hal.id, decision: 'keep', comment: 'on-call lead until March' },
          { item: contractor.id, decision: 'revoke', comment: 'contract ended' },
          { item: eve.id, decision: 'change_role', new_role: 'reporting' },
        ],
      }),
    );
    expect(out).toEqual({
      decided: [
        { id: hal.id, decision: 'keep', new_role: null },
        { id: contractor.id, decision: 'revoke', new_role: null },
        { id: eve.id, decision: 'change_role', new_role: 'reporting' },
      ],
      approvals: 2,
    });
    expect((await ledgerState()).approvals).toBe(approvalsBefore + 2);
    await refreshItems();
    expect(itemOf('hal.moss@demo.example')).toMatchObject({ decision: 'keep', comment: 'on-call lead until March', decided_by: ADMIN, approval_id: null, if_no_response: null });
    expect(itemOf('contractor@agency.example')).toMatchObject({ decision: 'revoke', decided_by: ADMIN, approval_id: expect.any(Number) as number });
    expect(itemOf('eve.park@demo.example')).toMatchObject({ decision: 'change_role', new_role: 'reporting', approval_id: expect.any(Number) as number });
    // An unflagged keep needs no comment; the reviewer's own queue shrinks.
    const dan = itemOf('dan.wu@demo.example');
    expect(dan).toMatchObject({ reviewer: REV2, flags: [] });
    await ok(await call(REV2, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions: [{ item: dan.id, decision: 'keep' }] }));
    const status = await ok<ReviewStatus>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}`));
    expect(status).toMatchObject({ decided: 4, undecided: campaign.items - 4 });
    expect(status.reviewers.find((r) => r.reviewer === ADMIN)).toMatchObject({ decided: 3 });
  });

  it('refuses to decide an item twice (409), writing nothing', async () => {
    const before = await ledgerState();
    const hal = itemOf('hal.moss@demo.example');
    expect((await problemOf(await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions: [{ item: hal.id, decision: 'revoke' }] }), 409)).detail).toContain('decided already');
    expect(await ledgerState()).toEqual(before);
  });
});

describe('delegating', () => {
  beforeAll(async () => {
    // Added after opening: never a reviewer of this campaign, but a person who may see the tenant.
    await world.person(BOB, ['admin'], ['demo']);
    keys[BOB] = await world.apiKey(BOB);
  });

  it('refuses an unknown person, someone who may not see the tenant, and the item’s own account: 400 naming to', async () => {
    const bob = itemOf('bob.stone@demo.example');
    expect(bob.reviewer).toBe(ADMIN);
    const before = await ledgerState();
    const delegate = (to: string) => call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { items: [bob.id], to });
    let p = await problemOf(await delegate('nobody@warden.test'), 400);
    expect(p).toMatchObject({ field: 'to' });
    expect(p.detail).toContain('no person nobody@warden.test');
    p = await problemOf(await delegate(OUTSIDER), 400);
    expect(p).toMatchObject({ field: 'to' });
    expect(p.detail).toContain('may not see tenant demo');
    p = await problemOf(await delegate(BOB), 400);
    expect(p).toMatchObject({ field: 'to' });
    expect(p.detail).toContain('own account');
    expect((await problemOf(await delegate('not an email'), 400)).field).toBe('to');
    expect((await problemOf(await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { to: REV2 }), 400)).field).toBe('items');
    expect(await ledgerState()).toEqual(before);
  });

  it('refuses someone else’s item or share to a reviewer who is neither a compliance officer nor an admin (403)', async () => {
    const bob = itemOf('bob.stone@demo.example');
    const before = await ledgerState();
    let p = await problemOf(await call(ENG, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { items: [bob.id], to: ENG }), 403);
    expect(p.detail).toContain('not yours to delegate');
    p = await problemOf(await call(ENG, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { all: true, from: ADMIN, to: ENG }), 403);
    expect(p.detail).toContain("hand over someone else's share");
    expect(await ledgerState()).toEqual(before);
  });

  it('hands over an item as its reviewer, and a whole share as an officer; the trail records both', async () => {
    const bob = itemOf('bob.stone@demo.example');
    expect(await ok(await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { items: [bob.id], to: REV2 }))).toEqual({ delegated: [bob.id], to: REV2 });
    const engShare = items.filter((i) => i.reviewer === ENG && i.decision === null).map((i) => i.id);
    expect(engShare.length).toBeGreaterThan(0);
    const out = await ok<{ delegated: number[] }>(await call(CO, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { all: true, from: ENG, to: ADMIN }));
    expect(out.delegated.sort((x, y) => x - y)).toEqual([...engShare].sort((x, y) => x - y));
    await refreshItems();
    expect(itemOf('bob.stone@demo.example').reviewer).toBe(REV2);
    expect(items.filter((i) => i.reviewer === ENG)).toEqual([]);
    const trail = await ok<{ event: string; item_id: number | null; actor: string }[]>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/trail`));
    expect(trail.filter((e) => e.event === 'delegated').map((e) => e.item_id)).toEqual(expect.arrayContaining([bob.id, ...engShare]));
    // The new reviewer decides it; the old one no longer may.
    await problemOf(await call(ADMIN, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions: [{ item: bob.id, decision: 'revoke' }] }), 403);
  });
});

describe('the pages', () => {
  let admin: Agent;
  beforeAll(async () => {
    admin = await world.signIn(ADMIN);
  });

  it('link Reviews for everyone, and show a refused form again with its message and 4xx, never a 500', async () => {
    const eng = await world.signIn(ENG);
    const list = await (await eng.get('/reviews')).text();
    expect(list).toContain('<a href="/reviews">Reviews</a>');
    expect(list).toContain(`href="/reviews/${campaign.id}"`);
    expect(list).not.toContain('Open campaign');
    const queue = await (await admin.get(`/reviews/${campaign.id}/queue`)).text();
    const flagged = items.find((i) => i.reviewer === ADMIN && i.decision === null && i.flags.length > 0)!;
    expect(queue).toContain(`aria-label="Decide item #${flagged.id}"`);
    expect(queue).toMatch(new RegExp(`id="c-${flagged.id}"[^>]* required`));
    const before = await ledgerState();
    const res = await admin.post(`/reviews/${campaign.id}/decisions`, { form: { _csrf: csrfOf(queue), item: String(flagged.id), decision: 'keep', comment: '' } });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toMatch(/role="alert" id="form-error">comment: is required to keep item/);
    expect(page).toMatch(new RegExp(`id="c-${flagged.id}"[^>]* aria-invalid="true"`));
    const other = await admin.post(`/reviews/${campaign.id}/delegations`, { form: { _csrf: csrfOf(queue), items: String(flagged.id), to: 'nobody@warden.test', back: 'queue' } });
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('to: no person nobody@warden.test');
    const close = await admin.post(`/reviews/${campaign.id}/close`, { form: { _csrf: csrfOf(queue) } });
    expect(close.status).toBe(400);
    expect(await close.text()).toContain('confirm: tick the box');
    expect(await ledgerState()).toEqual(before);
  });
});

describe('closing', () => {
  let closed: ReviewStatus;
  let undecidedBefore: number[];

  it('is refused to an engineer (403); a compliance officer closes now, and the undecided items take the policy', async () => {
    await refreshItems();
    undecidedBefore = items.filter((i) => i.decision === null).map((i) => i.id);
    expect(undecidedBefore.length).toBeGreaterThan(0);
    await problemOf(await call(ENG, 'POST', `/api/v1/reviews/${campaign.id}/close`), 403);
    closed = await ok<ReviewStatus>(await call(CO, 'POST', `/api/v1/reviews/${campaign.id}/close`));
    expect(closed).toMatchObject({ id: campaign.id, status: 'closed', decided: campaign.items, undecided: 0, snapshot_sha256: campaign.snapshot_sha256 });
    expect(closed.pack_sha256).toMatch(/^[0-9a-f]{64}$/);
    await refreshItems();
    expect(items.filter((i) => i.no_response === 'flag').map((i) => i.id).sort()).toEqual([...undecidedBefore].sort());
    expect(items.every((i) => i.if_no_response === null)).toBe(true);
  });

  it('refuses decisions, delegations and a second close on a closed campaign (409), writing nothing', async () => {
    const before = await ledgerState();
    const [first] = undecidedBefore;
    const item = items.find((i) => i.id === first)!;
    let p = await problemOf(await call(item.reviewer!, 'POST', `/api/v1/reviews/${campaign.id}/decisions`, { decisions: [{ item: item.id, decision: 'revoke' }] }), 409);
    expect(p.detail).toContain('closed');
    p = await problemOf(await call(item.reviewer!, 'POST', `/api/v1/reviews/${campaign.id}/delegations`, { items: [item.id], to: CO }), 409);
    expect(p.detail).toContain('closed');
    await problemOf(await call(CO, 'POST', `/api/v1/reviews/${campaign.id}/close`), 409);
    expect(await ledgerState()).toEqual(before);
  });

  it('gives the pack: every file downloads as an attachment whose SHA-256 (node:crypto) is the manifest’s, and the pack hash adds up', async () => {
    const pack = await ok<{ pack_sha256: string; files: { name: string; sha256: string; bytes: number; href: string }[]; manifest: { files: { name: string; sha256: string; bytes: number }[]; pack_sha256: string; snapshot_sha256: string } }>(
      await call(ENG, 'GET', `/api/v1/reviews/${campaign.id}/pack`),
    );
    expect(pack.pack_sha256).toBe(closed.pack_sha256);
    expect(pack.manifest.pack_sha256).toBe(closed.pack_sha256);
    expect(pack.manifest.snapshot_sha256).toBe(campaign.snapshot_sha256);
    expect(pack.files.map((f) => f.name)).toEqual(['campaign.json', 'items.csv', 'items.json', 'manifest.json', 'snapshot.json']);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const downloaded = new Map<string, Buffer>();
    for (const f of pack.files) {
      const res = await call(ENG, 'GET', f.href);
      expect(res.status, f.name).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${f.name}"`);
      expect(res.headers.get('content-type')).toBe(f.name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.length).toBe(f.bytes);
      expect(sha(bytes), f.name).toBe(f.sha256);
      downloaded.set(f.name, bytes);
    }
    const manifest = JSON.parse(downloaded.get('manifest.json')!.toString('utf8')) as typeof pack.manifest;
    expect(manifest).toEqual(pack.manifest);
    for (const e of manifest.files) expect(sha(downloaded.get(e.name)!), e.name).toBe(e.sha256);
    // sha256sum's lines of the listed files in name order, hashed again: the pack hash.
    const lines = [...manifest.files].sort((x, y) => (x.name < y.name ? -1 : 1)).map((e) => `${sha(downloaded.get(e.name)!)}  ${e.name}\n`).join('');
    expect(createHash('sha256').update(lines).digest('hex')).toBe(closed.pack_sha256);
    expect(sha(downloaded.get('snapshot.json')!)).toBe(campaign.snapshot_sha256);
    // The CSV carries every item and its decision.
    const csv = downloaded.get('items.csv')!.toString('utf8');
    expect(csv.trim().split('\n')).toHaveLength(campaign.items + 1);
    expect(csv).toContain('on-call lead until March');

    await problemOf(await call(ENG, 'GET', `/api/v1/reviews/${campaign.id}/pack/nope.txt`), 404);
    expect((await problemOf(await call(ENG, 'GET', `/api/v1/reviews/${campaign.id}/pack/..%2Fsecret`), 400)).field).toBe('params.file');
    await problemOf(await call(OUTSIDER, 'GET', `/api/v1/reviews/${campaign.id}/pack/items.csv`), 404);
    // The page's download is the same file.
    const page = await (await world.signIn(CO)).get(`/reviews/${campaign.id}/pack/items.csv`);
    expect(page.headers.get('content-disposition')).toBe('attachment; filename="items.csv"');
    expect(sha(Buffer.from(await page.arrayBuffer()))).toBe(pack.files.find((f) => f.name === 'items.csv')!.sha256);
  });

  it('ends the trail with the closing, and lets a new campaign open once this one is closed', async () => {
    const trail = await ok<{ event: string }[]>(await call(CO, 'GET', `/api/v1/reviews/${campaign.id}/trail`));
    // The emails' events (keyed once each) are the reminders job's and may follow the closing.
    const events = trail.map((e) => e.event).filter((e) => !['emailed', 'reminded', 'escalated'].includes(e));
    expect(events[0]).toBe('opened');
    expect(events.at(-1)).toBe('closed');
    expect(events).toEqual(expect.arrayContaining(['decided', 'delegated', 'no_response']));
    const next = await ok<ReviewStatus>(await call(ADMIN, 'POST', '/api/v1/reviews', { tenant: 'demo', due: campaign.due_on }), 201);
    expect(next).toMatchObject({ status: 'open', due_on: campaign.due_on, opened_by: ADMIN });
    expect((await ok<ReviewStatus[]>(await call(CO, 'GET', '/api/v1/reviews?tenant=demo'))).map((s) => s.id)).toEqual([next.id, campaign.id]);
  });
});
