// An access review's revoke or role change carried out by the approvals work,
// against the simulator over HTTP and the real Postgres: a campaign frozen from
// the live platform, a reviewer's decisions turned into approvals
// (askApprovals), decided by another admin through the app-layer action, and
// the remediation job run by the real inline runner. A role change is a PUT of
// the live roles and is verified on the user; a revoke of an account's only
// role removes it. Changes made on the platform between the decision and the
// act are drift: shown in the re-check and recorded on the review item; an
// account already as decided counts as done; a removal that would now take a
// role nobody reviewed is refused. The reviewer cannot approve what they asked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalView, approvalDetail } from '../../../src/app/approvals.js';
import { approvalFacts } from '../../../src/http/pages/approvals.page.js';
import { ApprovalRefusedError } from '../../../src/approvals/errors.js';
import { gatherTenantSnapshot } from '../../../src/audit/tenant-snapshot.js';
import { approvalEvents, getApproval } from '../../../src/db/approvals.repository.js';
import type { Approval, ReviewCampaign, ReviewItem } from '../../../src/db/database.js';
import { campaignItems, getItem, insertCampaign, recordDecisions } from '../../../src/db/reviews.repository.js';
import { requireTenant } from '../../../src/db/tenants.repository.js';
import { askApprovals } from '../../../src/reviews/ask-approvals.js';
import { freezeSnapshot, snapshotCounts, snapshotSha256 } from '../../../src/reviews/frozen-snapshot.js';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { ADMIN, answersTo, remediator, simApi, startApprovalsWorld, TENANT, userExists, type ApprovalsWorld, type Remediator } from './support.js';

const PUT_USER = 'PUT /users/{id}';
const DELETE_USER = 'DELETE /users/{id}';

let world: ApprovalsWorld;
let r: Remediator | undefined;

beforeEach(async () => {
  world = await startApprovalsWorld();
});
afterEach(async () => {
  await r?.close();
  r = undefined;
  await world?.close();
});

/** A campaign frozen from the platform now, one item per (account, role), all assigned to ADMIN. */
async function openCampaign(): Promise<{ campaign: ReviewCampaign; items: ReviewItem[] }> {
  const at = new Date();
  const raw = await gatherTenantSnapshot(world.db.db, TENANT, { parts: ['platform'], now: at, env: world.env });
  const frozen = freezeSnapshot(parseSnapshot(raw), at.getTime());
  const items = frozen.accounts.flatMap((a) =>
    a.roles.map((role) => ({ user_id: a.id, email: a.email, name: a.name, role, machine: a.machine, flags: [], risk: 0, reviewer: ADMIN })),
  );
  const campaign = await insertCampaign(
    world.db.db,
    {
      tenant: TENANT,
      period: null,
      opened_at: at,
      opened_by: ADMIN,
      due_on: '2099-01-01',
      due_at: new Date('2099-01-02T00:00:00Z'),
      grace_days: 3,
      no_response: 'flag',
      snapshot: { ...frozen },
      snapshot_sha256: snapshotSha256(frozen),
      counts: { ...snapshotCounts(frozen), items: items.length, flagged: 0 },
    },
    items,
  );
  return { campaign, items: await campaignItems(world.db.db, campaign.id) };
}

/** ADMIN decides these items, and their approvals are asked for, as the review's decide action does. */
async function decide(campaign: ReviewCampaign, all: readonly ReviewItem[], decisions: { user: string; role: string; decision: 'revoke' | 'change_role'; to?: string }[]): Promise<Approval[]> {
  const at = new Date();
  const chosen = decisions.map((d) => {
    const item = all.find((i) => i.user_id === d.user && i.role === d.role);
    if (item === undefined) throw new Error(`no item (${d.user}, ${d.role})`);
    return { id: item.id, decision: d.decision, new_role: d.to ?? null, comment: 'reviewed' };
  });
  const decided = await recordDecisions(world.db.db, chosen, { campaignId: campaign.id, by: ADMIN, via: 'cli', at, snapshotSha256: campaign.snapshot_sha256 });
  expect(await askApprovals(world.db.db, campaign, await requireTenant(world.db.db, TENANT), decided, ADMIN, at)).toBe(decided.length);
  const out: Approval[] = [];
  for (const d of decided) out.push(await getApproval(world.db.db, (await getItem(world.db.db, d.id)).approval_id!));
  return out;
}

async function rolesOf(userId: string): Promise<string[]> {
  const { status, body } = await simApi(world.sim, 'GET', `/users/${userId}`);
  expect(status).toBe(200);
  return (body as { data: { roles: { handle: string }[] } }).data.roles.map((x) => x.handle);
}

async function setRoles(userId: string, roles: string[]): Promise<void> {
  expect((await simApi(world.sim, 'PUT', `/users/${userId}`, { roles })).status).toBe(200);
}

const evidenceOf = (a: Approval) => a.evidence as Record<string, Record<string, unknown>>;
const trailOf = async (a: Approval) => (await approvalEvents(world.db.db, a.id)).map((e) => e.event);
const itemOf = async (a: Approval) => getItem(world.db.db, a.review_item_id!);

describe('a reviewer’s decisions, approved by another admin', () => {
  it('a change to a lower role: PUT with the roles after, verified on the user; nothing drifted, so nothing is recorded', async () => {
    const { campaign, items } = await openCampaign();
    // Hal Moss (10) is an admin: the reviewer makes him reporting.
    const [hal] = await decide(campaign, items, [{ user: '10', role: 'admin', decision: 'change_role', to: 'reporting' }]);
    expect(hal).toMatchObject({ kind: 'change_role', rule: 'REVIEW', status: 'pending', subject_id: '10', subject_label: 'Hal Moss (admin)', requested_by: ADMIN });
    expect(approvalView(hal!)).toMatchObject({
      review: { campaign_id: campaign.id, item_id: hal!.review_item_id },
      requested_by: ADMIN,
      impact_summary: ['Changes hal.moss@demo.example’s role admin to reporting.', 'The account and its API tokens stay: only its roles change.'],
    });
    // The approval's page says where it came from.
    expect(approvalFacts(approvalView(hal!)).value).toContain(`<dt>Origin</dt><dd id="approval-origin">asked by ${ADMIN} in access review #${campaign.id}</dd>`);
    r = remediator(world);
    await r.decide(world.second, { ids: [hal!.id], decision: 'approved' });
    const done = await getApproval(world.db.db, hal!.id);
    expect(done).toMatchObject({ status: 'verified', decided_by: world.second.email });
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'holds', reason: expect.stringMatching(/still applies; the account is as the reviewer saw it/) as unknown });
    expect(evidenceOf(done)['recheck']!['drift']).toBeUndefined();
    expect(evidenceOf(done)['act']).toMatchObject({ call: 'PUT /users/10', answer: 'roles now reporting' });
    expect(evidenceOf(done)['verification']).toMatchObject({ check: 'GET /users/10', result: 'roles reporting: admin gone, reporting held' });
    expect(await trailOf(done)).toEqual(['requested', 'approved', 'recheck', 'executed', 'verified']);
    expect(await rolesOf('10')).toEqual(['reporting']);
    expect(await answersTo(world.sim, PUT_USER)).toEqual({ 200: 1 });
    expect((await itemOf(done)).drift).toBeNull();
    // Nobody else's roles changed.
    expect(await rolesOf('9')).toEqual(['admin']);
  });

  it('a revoke of one of several roles, after the account was given another: the live roles are kept, the drift recorded', async () => {
    const { campaign, items } = await openCampaign();
    // loyalty-bridge (7) is machine and manager: the reviewer takes manager away.
    const [loyalty] = await decide(campaign, items, [{ user: '7', role: 'manager', decision: 'revoke' }]);
    expect(loyalty).toMatchObject({ kind: 'change_role', impact: { remove_role: 'manager', add_role: null, roles: ['machine', 'manager'], roles_after: ['machine'] } });
    r = remediator(world, { hold: true });
    await r.decide(world.second, { ids: [loyalty!.id], decision: 'approved' });
    // Meanwhile, on the platform, someone gives it reporting too.
    await setRoles('7', ['machine', 'manager', 'reporting']);
    await r.release();
    const done = await getApproval(world.db.db, loyalty!.id);
    expect(done.status).toBe('verified');
    const drift = { roles: { then: ['machine', 'manager'], now: ['machine', 'manager', 'reporting'] } };
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'holds', drift, reason: expect.stringMatching(/roles machine, manager → machine, manager, reporting/) as unknown });
    // Only manager goes: the role given since stays.
    expect(await rolesOf('7')).toEqual(['machine', 'reporting']);
    expect((await itemOf(done)).drift).toEqual({ ...drift, checked_at: evidenceOf(done)['recheck']!['checked_at'] });
    // The detail every face shows carries the drift and where it came from.
    const detail = await approvalDetail(world.db.db, done.id);
    expect(detail.finding).toBeNull();
    expect((detail.outcome['recheck'] as { drift: unknown }).drift).toEqual(drift);
  });

  it('a revoke of an account’s only role removes the account: DELETE, verified gone', async () => {
    const { campaign, items } = await openCampaign();
    // Dan Wu (4) is reporting only.
    const [dan] = await decide(campaign, items, [{ user: '4', role: 'reporting', decision: 'revoke' }]);
    expect(dan).toMatchObject({ kind: 'remove_user', rule: 'REVIEW', impact: { roles: ['reporting'], tokens_deleted: [] } });
    r = remediator(world);
    await r.decide(world.second, { ids: [dan!.id], decision: 'approved' });
    const done = await getApproval(world.db.db, dan!.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'holds' });
    expect(evidenceOf(done)['act']).toMatchObject({ call: 'DELETE /users/4', answer: 'deleted' });
    expect(await userExists(world.sim, '4')).toBe(false);
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect((await itemOf(done)).drift).toBeNull();
  });

  it('an account deleted by hand before remediation: done without acting, the drift recorded as account gone', async () => {
    const { campaign, items } = await openCampaign();
    // Temp Contractor (12, reporting) is removed; Eve Park (5, manager) is made reporting.
    const [temp, eve] = await decide(campaign, items, [
      { user: '12', role: 'reporting', decision: 'revoke' },
      { user: '5', role: 'manager', decision: 'change_role', to: 'reporting' },
    ]);
    r = remediator(world, { hold: true });
    await r.decide(world.second, { ids: [temp!.id, eve!.id], decision: 'approved' });
    expect((await simApi(world.sim, 'DELETE', '/users/12')).status).toBe(204);
    expect((await simApi(world.sim, 'DELETE', '/users/5')).status).toBe(204);
    await r.release();
    for (const a of [temp!, eve!]) {
      const done = await getApproval(world.db.db, a.id);
      expect(done.status, a.kind).toBe('verified');
      expect(evidenceOf(done)['recheck'], a.kind).toMatchObject({ verdict: 'already_gone', drift: { account_gone: true } });
      expect(evidenceOf(done)['act'], a.kind).toMatchObject({ call: null });
      expect(evidenceOf(done)['verification'], a.kind).toMatchObject({ result: '404: the account is gone' });
      expect((await itemOf(done)).drift, a.kind).toMatchObject({ account_gone: true });
    }
    // Only the hand-made DELETEs; no PUT.
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 2 });
    expect(await answersTo(world.sim, PUT_USER)).toEqual({});
  });

  it('a role already changed by hand counts as done: no PUT, verified, the drift recorded', async () => {
    const { campaign, items } = await openCampaign();
    const [cara] = await decide(campaign, items, [{ user: '3', role: 'manager', decision: 'change_role', to: 'reporting' }]);
    r = remediator(world, { hold: true });
    await r.decide(world.second, { ids: [cara!.id], decision: 'approved' });
    await setRoles('3', ['reporting']);
    await r.release();
    const done = await getApproval(world.db.db, cara!.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'already_gone', reason: expect.stringMatching(/already made on the platform/) as unknown });
    expect(evidenceOf(done)['act']).toMatchObject({ call: null });
    // Ours was none of them: the test's own PUT only.
    expect(await answersTo(world.sim, PUT_USER)).toEqual({ 200: 1 });
    expect((await itemOf(done)).drift).toMatchObject({ roles: { then: ['manager'], now: ['reporting'] } });
  });

  it('refuses a removal when the account gained a role since the review: nobody reviewed it', async () => {
    const { campaign, items } = await openCampaign();
    const [temp] = await decide(campaign, items, [{ user: '12', role: 'reporting', decision: 'revoke' }]);
    r = remediator(world, { hold: true });
    await r.decide(world.second, { ids: [temp!.id], decision: 'approved' });
    await setRoles('12', ['reporting', 'admin']);
    await r.release();
    const done = await getApproval(world.db.db, temp!.id);
    expect(done.status).toBe('refused');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'impact_changed', reason: expect.stringMatching(/gained the role\(s\) admin/) as unknown });
    expect(await userExists(world.sim, '12')).toBe(true);
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({});
    expect((await itemOf(done)).drift).toMatchObject({ roles: { then: ['reporting'], now: ['reporting', 'admin'] } });
  });
});

describe('four eyes', () => {
  it('the reviewer who asked cannot decide it, alone or in a batch, and nothing is written; another admin can', async () => {
    const { campaign, items } = await openCampaign();
    const [hal, dan] = await decide(campaign, items, [
      { user: '10', role: 'admin', decision: 'change_role', to: 'manager' },
      { user: '4', role: 'reporting', decision: 'revoke' },
    ]);
    r = remediator(world);
    const refused = `approval ${hal!.id}: you asked for it in access review #${campaign.id}; another admin must decide it`;
    for (const ids of [[hal!.id], [dan!.id, hal!.id]]) {
      const err = await r.decide(world.admin, { ids, decision: 'approved' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApprovalRefusedError);
      // The first refused id of the batch names it: Dan's is the reviewer's too.
      expect(err).toMatchObject({ status: 403, message: refused.replace(String(hal!.id), String(ids[0])) });
    }
    // Nor reject it: deciding is another admin's either way.
    await expect(r.decide(world.admin, { ids: [hal!.id], decision: 'rejected', comment: 'changed my mind' })).rejects.toThrow(/you asked for it in access review/);
    for (const a of [hal!, dan!]) expect((await getApproval(world.db.db, a.id)).status).toBe('pending');
    expect(await answersTo(world.sim, PUT_USER)).toEqual({});
    await r.decide(world.second, { ids: [hal!.id], decision: 'approved' });
    expect((await getApproval(world.db.db, hal!.id)).status).toBe('verified');
    expect(await rolesOf('10')).toEqual(['manager']);
  });
});
