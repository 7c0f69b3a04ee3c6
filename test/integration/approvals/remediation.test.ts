// The remediation of approved removals and revocations, run by the real inline
// runner against the simulator over HTTP, with decisions made through the
// app-layer action both faces call: it re-checks the live state (and refuses
// when the finding no longer holds or a guardrail stands in the way; an
// account already removed by hand counts as done), acts once, verifies
// independently, retries platform faults on its backoff and fails for good
// (admins emailed once) when they persist. Then every refused decision:
// one's own account, not an admin, another tenant's, twice, a rejected one,
// an unknown id, a reject without reason, the daily cap.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalRefusedError } from '../../../src/approvals/errors.js';
import { recheckApproval } from '../../../src/approvals/remediate.js';
import { previewApprovalLink, redeemApprovalLink } from '../../../src/app/approvals.js';
import { addPerson, disablePerson } from '../../../src/app/people.js';
import { signApprovalLink } from '../../../src/approvals/approval-links.js';
import { approvalEvents, getApproval } from '../../../src/db/approvals.repository.js';
import type { Approval, Person } from '../../../src/db/database.js';
import { NotFoundError } from '../../../src/db/errors.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { addTenant, requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { InputError } from '../../../src/errors.js';
import {
  ADMIN,
  answersTo,
  FAST_CLIENT,
  remediator,
  scriptFaults,
  simApi,
  startApprovalsWorld,
  TENANT,
  tokenIds,
  userExists,
  type ApprovalsWorld,
  type Remediator,
} from './support.js';

const DELETE_USER = 'DELETE /users/{id}';
const DELETE_TOKEN = 'DELETE /auth/api-tokens/{id}';
const DAY_MS = 86_400_000;

let world: ApprovalsWorld;
let r: Remediator;

beforeEach(async () => {
  world = await startApprovalsWorld();
  await world.audit();
});
afterEach(async () => {
  await r?.close();
  await world?.close();
});

const evidenceOf = (a: Approval) => a.evidence as Record<string, Record<string, unknown>>;
const trailOf = async (a: Approval) => (await approvalEvents(world.db.db, a.id)).map((e) => e.event);
const runsOf = (a: Approval) =>
  world.db.db
    .selectFrom('job_runs')
    .selectAll()
    .where('kind', '=', 'remediation')
    .execute()
    .then((rows) => rows.filter((row) => (row.payload as { approval_id: number }).approval_id === a.id));
/** The outcome emails (refused / failed) about one approval, as written to the outbox. */
const outcomeMails = async (a: Approval) => (await world.outbox()).filter((m) => (m.subject ?? '').includes(`approval #${a.id} `));

/** How many API requests a re-check of this approval makes (so a scripted fault can land on the act or the verification). */
async function recheckRequests(a: Approval): Promise<number> {
  const before = ((await (await fetch(`${world.sim.origin}/__sim/stats`)).json()) as { total: number }).total;
  const tenant = await requireTenant(world.db.db, TENANT);
  const verdict = await recheckApproval({ db: world.db.db, env: r.app.env, allowPrivateNetworks: r.app.allowPrivateNetworks, client: FAST_CLIENT }, tenant, a, new Date());
  expect(verdict.verdict).toBe('holds');
  const after = ((await (await fetch(`${world.sim.origin}/__sim/stats`)).json()) as { total: number }).total;
  return after - before;
}
const passes = (n: number) => Array.from({ length: n }, () => ({}));

describe('an approved removal or revocation', () => {
  it('removal: re-checked, acted on once, verified; the account and its tokens are gone', async () => {
    r = remediator(world);
    const bob = await world.approvalOf('ACC-01', '2');
    expect(await r.decide(world.admin, { ids: [bob.id], decision: 'approved', comment: 'left in October' })).toEqual([
      { id: bob.id, outcome: 'approved', run: expect.any(String) as string },
    ]);
    const done = await getApproval(world.db.db, bob.id);
    expect(done).toMatchObject({ status: 'verified', decided_by: ADMIN, comment: 'left in October' });
    expect(done.executed_at).not.toBeNull();
    expect(done.verified_at).not.toBeNull();
    const ev = evidenceOf(done);
    expect(ev['recheck']).toMatchObject({ verdict: 'holds', reason: 'ACC-01 still holds' });
    expect(ev['act']).toMatchObject({ call: 'DELETE /users/2', answer: 'deleted' });
    expect(ev['verification']).toMatchObject({ check: 'GET /users/2', result: '404: the account is gone' });
    expect(await trailOf(done)).toEqual(['requested', 'emailed', 'emailed', 'approved', 'recheck', 'executed', 'verified']);
    expect(await userExists(world.sim, '2')).toBe(false);
    expect(await tokenIds(world.sim)).not.toContain('tok_bob');
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    // One run, carrying the approval's id and nothing else.
    const runs = await runsOf(done);
    expect(runs.map((x) => [x.status, x.payload])).toEqual([['succeeded', { approval_id: bob.id }]]);
    const logged = await world.db.db.selectFrom('audit_log').select(['action', 'actor']).where('subject', '=', `approval:${bob.id}`).orderBy('id').execute();
    expect(logged).toEqual([
      { action: 'approval.approved', actor: ADMIN },
      { action: 'approval.verified', actor: 'warden' },
    ]);
    // Nobody else's account was touched.
    for (const id of ['1', '3', '9', '10']) expect(await userExists(world.sim, id), id).toBe(true);
  });

  it('revocation: the token is gone from /auth/access-tokens', async () => {
    r = remediator(world);
    const orphan = await world.approvalOf('TOK-07', 'tok_orphan');
    await r.decide(world.admin, { ids: [orphan.id], decision: 'approved' });
    const done = await getApproval(world.db.db, orphan.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['act']).toMatchObject({ call: 'DELETE /auth/api-tokens/tok_orphan', answer: 'deleted' });
    expect(evidenceOf(done)['verification']).toMatchObject({ check: 'GET /auth/access-tokens' });
    const listed = await tokenIds(world.sim);
    expect(listed).not.toContain('tok_orphan');
    expect(listed).toContain('tok_bob');
    expect(await answersTo(world.sim, DELETE_TOKEN)).toEqual({ 204: 1 });
  });

  it('an account already removed by hand is done without acting, then verified', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    expect((await simApi(world.sim, 'DELETE', '/users/9')).status).toBe(204);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'already_gone' });
    expect(evidenceOf(done)['act']).toMatchObject({ call: null });
    // Only the hand-made DELETE: Warden made none.
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect(await outcomeMails(done)).toHaveLength(0);
  });
});

describe('the re-check right before acting', () => {
  /** @param deletesByHand - the route's answers to DELETEs the test made itself */
  async function expectRefused(a: Approval, reason: RegExp, route: string, stillThere: () => Promise<boolean>, deletesByHand: Record<string, number> = {}): Promise<void> {
    const done = await getApproval(world.db.db, a.id);
    expect(done.status).toBe('refused');
    expect(done.ended_at).not.toBeNull();
    expect(done.executed_at).toBeNull();
    expect(String(evidenceOf(done)['recheck']!['reason'])).toMatch(reason);
    expect(await trailOf(done)).toEqual(expect.arrayContaining(['approved', 'recheck', 'refused']));
    expect(await answersTo(world.sim, route)).toEqual(deletesByHand);
    expect(await stillThere()).toBe(true);
    // The admins are told once: the refusal email, to the admins and the admins' recipients.
    const mails = await outcomeMails(done);
    expect(mails).toHaveLength(1);
    expect((mails[0]!.to as { text: string }).text.split(', ').sort()).toEqual([ADMIN, world.second.email].sort());
    expect((await runsOf(done)).map((x) => x.status)).toEqual(['succeeded']);
  }

  it('refuses a removal when the person was re-hired (the directory says active again)', async () => {
    r = remediator(world, { hold: true });
    const bob = await world.approvalOf('ACC-01', '2');
    await r.decide(world.admin, { ids: [bob.id], decision: 'approved' });
    // HR re-hires Bob: the simulator's SCIM directory now lists him active, with no end date.
    const person = world.sim.demo!.directory.people.find((p) => p.email === 'bob.stone@demo.example')!;
    Object.assign(person, { status: 'active', end_date: null });
    await r.release();
    await expectRefused(bob, /ACC-01 no longer holds/, DELETE_USER, () => userExists(world.sim, '2'));
    expect(await tokenIds(world.sim)).toContain('tok_bob');
  });

  it('refuses a revocation when the token was used yesterday', async () => {
    // A token the integration created 60 days ago and never used (TOK-02), made on the simulator at that date.
    vi.useFakeTimers({ toFake: ['Date'] });
    let secret: string;
    let id: string;
    try {
      vi.setSystemTime(Date.now() - 60 * DAY_MS);
      const created = await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'nightly-export', scopes: ['read-profiles'] });
      expect(created.status).toBe(201);
      ({ accessToken: secret, token: { id } } = created.body as { accessToken: string; token: { id: string } });
    } finally {
      vi.useRealTimers();
    }
    expect((await world.run('token-hygiene', { env: world.appEnv })).status).toBe('succeeded');
    const stale = await world.approvalOf('TOK-02', id);
    r = remediator(world, { hold: true });
    await r.decide(world.admin, { ids: [stale.id], decision: 'approved' });
    // Yesterday, the integration used it: the platform records the use.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() - DAY_MS);
      const used = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${secret}`, 'user-agent': 'NightlyExport/1.0' } });
      expect(used.status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    await r.release();
    await expectRefused(stale, /TOK-02 no longer holds/, DELETE_TOKEN, async () => (await tokenIds(world.sim)).includes(id));
    // What the re-check saw: the use of yesterday.
    const impactNow = evidenceOf(await getApproval(world.db.db, stale.id))['recheck']!['impact_now'] as { last_uses: { user_agent: string }[] };
    expect(impactNow.last_uses.map((u) => u.user_agent)).toEqual(['NightlyExport/1.0']);
  });

  it('refuses a removal that would take the tenant’s last admin', async () => {
    r = remediator(world, { hold: true });
    const bob = await world.approvalOf('ACC-01', '2');
    await r.decide(world.admin, { ids: [bob.id], decision: 'approved' });
    // After the approval, the other admins' accounts go (by hand): Bob would be the last.
    for (const id of ['1', '9', '10']) expect((await simApi(world.sim, 'DELETE', `/users/${id}`)).status).toBe(204);
    await r.release();
    await expectRefused(bob, /last admin/, DELETE_USER, () => userExists(world.sim, '2'), { 204: 3 });
    expect(evidenceOf(await getApproval(world.db.db, bob.id))['recheck']).toMatchObject({ verdict: 'guarded' });
  });

  it('refuses a removal of an account put on the break-glass list after it was approved', async () => {
    r = remediator(world, { hold: true });
    const gus = await world.approvalOf('ACC-01', '9');
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    await updateTenant(world.db.db, TENANT, { breakGlass: ['GUS.hill@demo.example'.toLowerCase()] });
    await r.release();
    await expectRefused(gus, /break-glass/, DELETE_USER, () => userExists(world.sim, '9'));
  });
});

describe('platform faults', () => {
  it('5xx and 429 on the act are retried on the job’s backoff, then it is verified with one DELETE that went through', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    await scriptFaults(world.sim, [...passes(n), { status: 500 }, ...passes(n), { status: 429, retryAfter: 1 }]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('verified');
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 500: 1, 429: 1, 204: 1 });
    const failures = (await approvalEvents(world.db.db, gus.id)).filter((e) => e.event === 'attempt_failed');
    expect(failures.map((e) => [e.detail['attempt'], e.detail['last']])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect((await runsOf(done)).map((x) => [x.status, x.attempts])).toEqual([['succeeded', 3]]);
    expect(await outcomeMails(done)).toHaveLength(0);
  });

  it('a DELETE that times out (and went through late) is not made twice to effect: one 204, verified', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    // Longer than the client's timeout: the attempt gives up; the platform deletes anyway, later.
    await scriptFaults(world.sim, [...passes(n), { delayMs: FAST_CLIENT.timeoutMs + 500 }]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('verified');
    const deletes = await answersTo(world.sim, DELETE_USER);
    // The late one, and perhaps the retry's, which found it gone (404): never two that deleted.
    expect(deletes[204]).toBe(1);
    expect(Object.keys(deletes).filter((s) => s !== '204' && s !== '404')).toEqual([]);
    expect((await approvalEvents(world.db.db, gus.id)).filter((e) => e.event === 'attempt_failed')).toHaveLength(1);
    expect(await userExists(world.sim, '9')).toBe(false);
  });

  it('faults on the verification are retried without acting again', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    await scriptFaults(world.sim, [...passes(n), {}, { status: 503 }, { status: 429, retryAfter: 1 }]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('verified');
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect(await answersTo(world.sim, 'GET /users/{id}')).toEqual({ 503: 1, 429: 1, 404: 1 });
    // One re-check, one act: the later attempts found it executed and only verified.
    expect((await trailOf(done)).filter((e) => e === 'recheck' || e === 'executed')).toEqual(['recheck', 'executed']);
  });

  it('persistent faults on the act: after the last attempt the approval fails, the admins get one email, the account stays', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    await scriptFaults(world.sim, [...passes(n), { status: 500 }, ...passes(n), { status: 502 }, ...passes(n), { status: 503 }]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('failed');
    expect(done.ended_at).not.toBeNull();
    expect(evidenceOf(done)['failure']).toMatchObject({ attempts: 3 });
    const failures = (await approvalEvents(world.db.db, gus.id)).filter((e) => e.event === 'attempt_failed');
    expect(failures.map((e) => [e.detail['attempt'], e.detail['last']])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 500: 1, 502: 1, 503: 1 });
    expect(await userExists(world.sim, '9')).toBe(true);
    expect(await outcomeMails(done)).toHaveLength(1);
    expect((await runsOf(done)).map((x) => x.status)).toEqual(['failed']);
    const text = (await outcomeMails(done))[0]!.text ?? '';
    expect(text.includes(world.sim.token)).toBe(false);
  });

  it('persistent faults on the verification fail it after it was executed; no second DELETE', async () => {
    r = remediator(world);
    const gus = await world.approvalOf('ACC-01', '9');
    const n = await recheckRequests(gus);
    await scriptFaults(world.sim, [...passes(n), {}, { status: 500 }, { status: 500 }, { status: 500 }]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('failed');
    expect(done.executed_at).not.toBeNull();
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 1 });
    expect(await outcomeMails(done)).toHaveLength(1);
  });
});

describe('who may decide, and what', () => {
  let bobAsPerson: Person;
  beforeEach(async () => {
    r = remediator(world);
    bobAsPerson = await addPerson(world.db.db, { email: 'bob.stone@demo.example', name: 'Bob Stone', roles: ['admin'] }, 'test');
  });

  /** Every approval as it stands, to prove a refused decision changed nothing. */
  const state = async () => (await world.approvals()).map((a) => [a.id, a.status, a.decided_by, a.first_approved_by]);
  const noRuns = async () => expect(await world.db.db.selectFrom('job_runs').select('id').where('kind', '=', 'remediation').execute()).toEqual([]);

  async function refused(person: Person, ids: number[], decision: 'approved' | 'rejected', expected: { error: new (...a: never[]) => Error; status?: number; message?: RegExp }, comment?: string) {
    const before = await state();
    const err = await r.decide(person, { ids, decision, comment }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(expected.error);
    if (expected.status !== undefined) expect((err as ApprovalRefusedError).status).toBe(expected.status);
    if (expected.message !== undefined) expect((err as Error).message).toMatch(expected.message);
    expect(await state()).toEqual(before);
  }

  it('nobody approves the removal of their own account, nor the revocation of their own token', async () => {
    const bob = await world.approvalOf('ACC-01', '2');
    const token = await world.approvalOf('TOK-02', 'tok_bob');
    await refused(bobAsPerson, [bob.id], 'approved', { error: ApprovalRefusedError, status: 403, message: /your own account/ });
    await refused(bobAsPerson, [token.id], 'approved', { error: ApprovalRefusedError, status: 403, message: /your own account/ });
    await noRuns();
  });

  it('only an admin decides: a compliance person is refused', async () => {
    const compliance = (await findPersonByEmail(world.db.db, 'compliance@demo.example'))!;
    await refused(compliance, [(await world.approvalOf('ACC-01', '9')).id], 'approved', { error: ApprovalRefusedError, status: 403, message: /only an admin/ });
  });

  it('another tenant’s admin is answered as if the approval did not exist', async () => {
    await addTenant(world.db.db, { name: 'other', baseUrl: world.sim.url, tokenEnv: 'OTHER_TOKEN', timezone: 'UTC' });
    const stranger = await addPerson(world.db.db, { email: 'admin@other.example', roles: ['admin'], tenants: ['other'] }, 'test');
    await refused(stranger, [(await world.approvalOf('ACC-01', '9')).id], 'approved', { error: NotFoundError });
  });

  it('approving twice, or approving a rejected one, is refused', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    const cara = await world.approvalOf('ACC-03', '3');
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    expect((await getApproval(world.db.db, gus.id)).status).toBe('verified');
    await refused(world.second, [gus.id], 'approved', { error: ApprovalRefusedError, status: 409, message: /is verified/ });
    expect(await r.decide(world.admin, { ids: [cara.id], decision: 'rejected', comment: 'she is on long leave' })).toEqual([{ id: cara.id, outcome: 'rejected', run: null }]);
    expect(await getApproval(world.db.db, cara.id)).toMatchObject({ status: 'rejected', comment: 'she is on long leave', decided_by: ADMIN });
    await refused(world.second, [cara.id], 'approved', { error: ApprovalRefusedError, status: 409, message: /is rejected/ });
    await refused(world.second, [cara.id], 'rejected', { error: ApprovalRefusedError, status: 409 }, 'again');
    expect(await userExists(world.sim, '3')).toBe(true);
  });

  it('a batch with one unknown id changes nothing', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await refused(world.admin, [gus.id, 999_999], 'approved', { error: NotFoundError, message: /999999/ });
    await noRuns();
    expect(await userExists(world.sim, '9')).toBe(true);
  });

  it('a batch with one refused id changes nothing', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    const bob = await world.approvalOf('ACC-01', '2');
    await refused(bobAsPerson, [gus.id, bob.id], 'approved', { error: ApprovalRefusedError, status: 403 });
    await noRuns();
  });

  it('a reject needs a comment; bad ids are input errors', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await refused(world.admin, [gus.id], 'rejected', { error: InputError, message: /comment/ });
    await refused(world.admin, [gus.id], 'rejected', { error: InputError, message: /comment/ }, '   ');
    await refused(world.admin, [], 'approved', { error: InputError, message: /at least one/ });
    await refused(world.admin, [0], 'approved', { error: InputError });
    await refused(world.admin, [gus.id], 'approved', { error: InputError, message: /comment/ }, 'x'.repeat(2001));
  });

  it('an expired approval cannot be decided', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await world.db.db.updateTable('approvals').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', gus.id).execute();
    const err = await r.decide(world.admin, { ids: [gus.id], decision: 'approved' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApprovalRefusedError);
    expect((err as ApprovalRefusedError).status).toBe(409);
    expect((await getApproval(world.db.db, gus.id)).status).toBe('expired');
    await noRuns();
  });

  it('over the daily cap a removal needs a second admin', async () => {
    await updateTenant(world.db.db, TENANT, { maxRemovalsPerDay: 1 });
    const gus = await world.approvalOf('ACC-01', '9');
    const cara = await world.approvalOf('ACC-03', '3');
    expect((await r.decide(world.admin, { ids: [gus.id], decision: 'approved' }))[0]!.outcome).toBe('approved');
    // The second removal of the day: recorded as a first approval, still pending, nothing enqueued.
    expect(await r.decide(world.admin, { ids: [cara.id], decision: 'approved' })).toEqual([{ id: cara.id, outcome: 'first_approval', run: null }]);
    expect(await getApproval(world.db.db, cara.id)).toMatchObject({ status: 'pending', first_approved_by: ADMIN });
    expect(await userExists(world.sim, '3')).toBe(true);
    await refused(world.admin, [cara.id], 'approved', { error: ApprovalRefusedError, status: 409, message: /second admin/ });
    // Revocations are not removals: the cap does not hold them back.
    const orphan = await world.approvalOf('TOK-07', 'tok_orphan');
    expect((await r.decide(world.admin, { ids: [orphan.id], decision: 'approved' }))[0]!.outcome).toBe('approved');
    expect((await r.decide(world.second, { ids: [cara.id], decision: 'approved' }))[0]!.outcome).toBe('approved');
    expect(await getApproval(world.db.db, cara.id)).toMatchObject({ status: 'verified', decided_by: world.second.email, first_approved_by: ADMIN });
    expect(await userExists(world.sim, '3')).toBe(false);
    expect(await trailOf(await getApproval(world.db.db, cara.id))).toEqual(expect.arrayContaining(['first_approval', 'approved', 'verified']));
  });
});

describe('the approval email’s links', () => {
  let key: Buffer;
  beforeEach(() => {
    r = remediator(world);
    key = r.app.webKey!();
  });

  const sign = (a: Approval, person: Person, decision: 'approved' | 'rejected', expiresAt = new Date(Date.now() + DAY_MS)) =>
    signApprovalLink(key, { approvalId: a.id, personId: person.id, decision, expiresAt });
  const linkUses = async () => (await world.db.db.selectFrom('approval_link_uses').select('token_hash').execute()).length;

  async function refusedLink(token: string, viewer: Person | undefined, status: number, message: RegExp, comment?: string): Promise<void> {
    const before = (await world.approvals()).map((a) => [a.id, a.status]);
    const uses = await linkUses();
    const err = await redeemApprovalLink(r.deps, key, token, viewer, comment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApprovalRefusedError);
    expect((err as ApprovalRefusedError).status).toBe(status);
    expect((err as Error).message).toMatch(message);
    expect((await world.approvals()).map((a) => [a.id, a.status])).toEqual(before);
    expect(await linkUses()).toBe(uses);
  }

  it('opening a link decides nothing; the confirming click approves, once, and remediation verifies it', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    const token = sign(gus, world.admin, 'approved');
    const preview = await previewApprovalLink(r.deps, key, token, undefined);
    expect(preview).toMatchObject({ sentTo: ADMIN, link: { approvalId: gus.id, decision: 'approved' }, approval: { id: gus.id, status: 'pending' } });
    await previewApprovalLink(r.deps, key, token, world.admin);
    expect((await getApproval(world.db.db, gus.id)).status).toBe('pending');
    expect(await redeemApprovalLink(r.deps, key, token, undefined, undefined)).toMatchObject({ id: gus.id, outcome: 'approved' });
    await r.idle();
    expect(await getApproval(world.db.db, gus.id)).toMatchObject({ status: 'verified', decided_by: ADMIN });
    expect((await approvalEvents(world.db.db, gus.id)).find((e) => e.event === 'approved')!.detail).toMatchObject({ via: 'email link' });
    expect(await userExists(world.sim, '9')).toBe(false);
    // Reused: refused, and nothing changes.
    await refusedLink(token, undefined, 410, /used already/);
  });

  it('refuses an expired, a tampered, another key’s and another admin’s link, changing nothing', async () => {
    const gus = await world.approvalOf('ACC-01', '9');
    await refusedLink(sign(gus, world.admin, 'approved', new Date(Date.now() - 1000)), undefined, 410, /expired/);
    const token = sign(gus, world.admin, 'approved');
    await refusedLink(token.replace(`v1.${gus.id}.`, `v1.${gus.id + 1}.`), undefined, 403, /not valid/);
    await refusedLink(signApprovalLink(Buffer.alloc(32, 1), { approvalId: gus.id, personId: world.admin.id, decision: 'approved', expiresAt: new Date(Date.now() + DAY_MS) }), undefined, 403, /not valid/);
    await refusedLink('not-a-link', undefined, 403, /not valid/);
    // Signed in as the second admin, following the first admin's link.
    await refusedLink(token, world.second, 403, /another admin/);
    // A self-approval through a link: the link was sent to Bob, about his own account.
    const bobAsPerson = await addPerson(world.db.db, { email: 'bob.stone@demo.example', roles: ['admin'] }, 'test');
    await refusedLink(sign(await world.approvalOf('ACC-01', '2'), bobAsPerson, 'approved'), undefined, 403, /your own account/);
    // The right admin's link still works after all that.
    expect(await redeemApprovalLink(r.deps, key, token, world.admin, undefined)).toMatchObject({ outcome: 'approved' });
    await r.idle();
  });

  it('a reject link needs its comment, and is not spent by a refusal; a disabled admin’s link is dead', async () => {
    const cara = await world.approvalOf('ACC-03', '3');
    const reject = sign(cara, world.second, 'rejected');
    const err = await redeemApprovalLink(r.deps, key, reject, undefined, '  ').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(await linkUses()).toBe(0);
    expect(await redeemApprovalLink(r.deps, key, reject, undefined, 'still employed: HR error')).toMatchObject({ outcome: 'rejected', run: null });
    expect(await getApproval(world.db.db, cara.id)).toMatchObject({ status: 'rejected', decided_by: world.second.email, comment: 'still employed: HR error' });
    // The first admin's approve link for it now meets a decided approval.
    await refusedLink(sign(cara, world.admin, 'approved'), undefined, 409, /is rejected/);
    const gus = await world.approvalOf('ACC-01', '9');
    const token = sign(gus, world.second, 'approved');
    await disablePerson(world.db.db, world.second.email, 'test');
    await refusedLink(token, undefined, 403, /no longer decide/);
  });
});
