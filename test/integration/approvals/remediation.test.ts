// The remediation of approved removals and revocations, run by the real inline
// runner against the simulator over HTTP, with decisions made through the
// app-layer action both faces call: it re-checks the live state (and refuses
// when the finding no longer holds or a guardrail stands in the way; an
// account already removed by hand counts as done), acts once, verifies
// independently, retries platform faults on its backoff and fails for good
// (admins emailed once) when they persist. Then every refused decision:
// one's own account, not an admin, another tenant's, twice, a rejected one,
// an unknown id, a reject without reason, the daily cap, a tenant's last two
// admins, two admins racing over one first approval. Then what goes wrong
// around a run: the removals of two admins claimed one at a time, a run that
// loses its lease, an outcome email whose send failed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalRefusedError } from '../../../src/approvals/errors.js';
import { recheckApproval } from '../../../src/approvals/remediate.js';
import { addPerson, disablePerson } from '../../../src/app/people.js';
import { signApprovalLink } from '../../../src/approvals/approval-links.js';
import { decideApprovals, previewApprovalLink, redeemApprovalLink } from '../../../src/app/approvals.js';
import { approvalEvents, claimApprovalAct, expireApprovals, getApproval } from '../../../src/db/approvals.repository.js';
import type { Approval, Person } from '../../../src/db/database.js';
import { InvalidTransitionError, NotFoundError } from '../../../src/db/errors.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { addTenant, requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { InputError } from '../../../src/errors.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { eventually } from '../../support/queue.js';
import { closedPort } from '../../support/tcp-proxy.js';
import {
  ADMIN,
  answersTo,
  FAST_CLIENT,
  raceUnderTenantLock,
  remediator,
  scriptFaults,
  setSimToken,
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

describe('a token that expired after its revocation was approved', () => {
  it('is verified gone without a DELETE (expired is as good as revoked), not failed', async () => {
    r = remediator(world, { hold: true });
    const orphan = await world.approvalOf('TOK-07', 'tok_orphan');
    await r.decide(world.admin, { ids: [orphan.id], decision: 'approved' });
    // It expires before Warden comes to act; the platform still lists it, unrevoked.
    await setSimToken(world.sim, { id: 'tok_orphan', expires_at: new Date(Date.now() - 60_000).toISOString() });
    await r.release();
    const done = await getApproval(world.db.db, orphan.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'already_gone' });
    expect(evidenceOf(done)['act']).toMatchObject({ call: null });
    expect(evidenceOf(done)['verification']).toMatchObject({ check: 'GET /auth/access-tokens', result: expect.stringContaining('no longer live') as unknown });
    expect(await answersTo(world.sim, DELETE_TOKEN)).toEqual({});
    expect(await tokenIds(world.sim)).toContain('tok_orphan');
    expect((await approvalEvents(world.db.db, orphan.id)).filter((e) => e.event === 'attempt_failed')).toEqual([]);
    expect((await runsOf(done)).map((x) => [x.status, x.attempts])).toEqual([['succeeded', 1]]);
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

  it('refuses a removal when the account gained a live API token after it was approved: nobody was shown it', async () => {
    r = remediator(world, { hold: true });
    const gus = await world.approvalOf('ACC-01', '9');
    expect(gus.impact['tokens_deleted']).toEqual([]);
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    // After the approval, Gus makes himself a token: his removal would now break it.
    await setSimToken(world.sim, { id: 'tok_gus', user_id: 9, name: 'gus-cli', scopes: ['read-profiles'] });
    await r.release();
    await expectRefused(gus, /gained 1 live API token\(s\).*gus-cli/, DELETE_USER, () => userExists(world.sim, '9'));
    expect(evidenceOf(await getApproval(world.db.db, gus.id))['recheck']).toMatchObject({ verdict: 'impact_changed' });
    expect(await tokenIds(world.sim)).toContain('tok_gus');
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

  it('an id of a tenant one may not see and an unknown id answer alike: the first of them is named', async () => {
    await addTenant(world.db.db, { name: 'other', baseUrl: world.sim.url, tokenEnv: 'OTHER_TOKEN', timezone: 'UTC' });
    const stranger = await addPerson(world.db.db, { email: 'admin@other.example', roles: ['admin'], tenants: ['other'] }, 'test');
    const gus = await world.approvalOf('ACC-01', '9');
    await refused(stranger, [gus.id, 999_999], 'approved', { error: NotFoundError, message: new RegExp(`no approval ${gus.id}$`) });
    await refused(stranger, [999_999, gus.id], 'approved', { error: NotFoundError, message: /no approval 999999$/ });
    await noRuns();
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

  it('the removals of a tenant’s last two admins: the second is refused (409), in the same batch and while the first is in flight', async () => {
    // Ann and Hal leave by hand: Bob and Gus are the tenant's only admins. Their approvals, expired, are asked
    // again by the next audit, whose impact says so (one other admin each).
    for (const id of ['1', '10']) expect((await simApi(world.sim, 'DELETE', `/users/${id}`)).status).toBe(204);
    await world.db.db.updateTable('approvals').set({ expires_at: new Date(Date.now() - 1000) }).where('rule', '=', 'ACC-01').execute();
    expect(await expireApprovals(world.db.db, new Date(), TENANT)).toHaveLength(2);
    await world.audit();
    const bob = await world.approvalOf('ACC-01', '2');
    const gus = await world.approvalOf('ACC-01', '9');
    for (const a of [bob, gus]) expect(a).toMatchObject({ status: 'pending', impact: { roles: ['admin'], other_admins: 1 } });
    await r.close();
    r = remediator(world, { hold: true });
    const lastAdmin = (a: Approval) => new RegExp(`^approval ${a.id}: the account is the tenant's last admin`);
    await refused(world.admin, [bob.id, gus.id], 'approved', { error: ApprovalRefusedError, status: 409, message: lastAdmin(gus) });
    expect(await r.decide(world.admin, { ids: [bob.id], decision: 'approved' })).toEqual([{ id: bob.id, outcome: 'approved', run: expect.any(String) as string }]);
    // Bob's removal is in flight (approved, its run not done yet): Gus's counts Bob as gone already.
    await refused(world.second, [gus.id], 'approved', { error: ApprovalRefusedError, status: 409, message: lastAdmin(gus) });
    await r.release();
    expect((await getApproval(world.db.db, bob.id)).status).toBe('verified');
    // Once Bob's removal has ended, Gus's is granted as measured when it was asked (one other admin), and the
    // live re-check refuses it before acting: Gus is the last admin now.
    expect((await r.decide(world.second, { ids: [gus.id], decision: 'approved' }))[0]!.outcome).toBe('approved');
    await r.release();
    const done = await getApproval(world.db.db, gus.id);
    expect(done.status).toBe('refused');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'guarded', reason: expect.stringMatching(/last admin/) as unknown });
    expect(await userExists(world.sim, '2')).toBe(false);
    expect(await userExists(world.sim, '9')).toBe(true);
    // Ann's and Hal's by hand, and Bob's.
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({ 204: 3 });
  });

  it('two admins giving the first approval over the cap at the same moment: one is recorded, the other is a conflict, never an SQL error', async () => {
    await updateTenant(world.db.db, TENANT, { maxRemovalsPerDay: 0 });
    const cara = await world.approvalOf('ACC-03', '3');
    const decide = (p: Person) => () => decideApprovals(r.deps, p, { ids: [cara.id], decision: 'approved', via: 'cli' });
    // Both read Cara's approval (no first approval yet) before either writes.
    const [first, second] = await raceUnderTenantLock(world.db.db, TENANT, 2, [decide(world.admin), decide(world.second)]);
    const outcomes = [first!, second!];
    const won = outcomes.findIndex((o) => o.status === 'fulfilled');
    expect(won).toBeGreaterThanOrEqual(0);
    const winner = outcomes[won] as PromiseFulfilledResult<unknown>;
    const loser = outcomes[1 - won] as PromiseRejectedResult;
    expect(loser.status).toBe('rejected');
    expect(winner.value).toEqual([{ id: cara.id, outcome: 'first_approval', run: null }]);
    expect(loser.reason).toBeInstanceOf(InvalidTransitionError);
    expect((loser.reason as Error).message).toBe(`approval: approval ${cara.id} is already first-approved by another admin, it cannot become approved`);
    const now = await getApproval(world.db.db, cara.id);
    expect(now).toMatchObject({ status: 'pending', first_approved_by: [ADMIN, world.second.email][won], decided_by: null });
    expect((await trailOf(now)).filter((e) => e === 'first_approval')).toHaveLength(1);
    await noRuns();
    expect(await userExists(world.sim, '3')).toBe(true);
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

describe('the removals of a tenant’s admins, one at a time', () => {
  it('while one admin’s removal has a live claim another admin’s waits (admin_busy); nothing else waits', async () => {
    r = remediator(world, { hold: true });
    const [bob, gus, cara, orphan] = [await world.approvalOf('ACC-01', '2'), await world.approvalOf('ACC-01', '9'), await world.approvalOf('ACC-03', '3'), await world.approvalOf('TOK-07', 'tok_orphan')];
    const outcomes = await r.decide(world.admin, { ids: [bob.id, gus.id, cara.id, orphan.id], decision: 'approved' });
    const runOf = (a: Approval) => outcomes.find((o) => o.id === a.id)!.run!;
    const claim = (a: Approval, run = runOf(a)) => claimApprovalAct(world.db.db, a.id, run, new Date());
    expect(await claim(bob)).toBe('claimed');
    // Bob's run is queued: his removal may happen any moment, and Gus's re-check must come after it.
    expect(await claim(gus)).toBe('admin_busy');
    // A removal of someone who is no admin, and a revocation, do not wait; Bob's own second run finds it held.
    expect(await claim(cara)).toBe('claimed');
    expect(await claim(orphan)).toBe('claimed');
    expect(await claim(bob, 'another-run-of-bob')).toBe('held');
    // Running (its lease run out, as a killed worker leaves it): still live until settled.
    expect(await r.ledger.markRunning(runOf(bob), 1, 50, 'worker-a')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await claim(gus)).toBe('admin_busy');
    // Bob's run ends (its worker died on the last attempt): Gus's removal goes ahead, and re-checks then.
    expect(await r.ledger.settle(runOf(bob), 'failed', 'job stalled more than allowable limit')).toBe(true);
    expect(await claim(gus)).toBe('claimed');
    expect(evidenceOf(await getApproval(world.db.db, gus.id))['acting']).toMatchObject({ run: runOf(gus) });
  });
});

describe('a run that loses its lease', () => {
  it('stops without failing the approval or recording a failed attempt, and acts on nothing', async () => {
    // One attempt: were the lost lease taken for the approval's failure, it would be failed for good.
    r = remediator(world, { hold: true, attempts: 1 });
    const gus = await world.approvalOf('ACC-01', '9');
    const run = (await r.decide(world.admin, { ids: [gus.id], decision: 'approved' }))[0]!.run!;
    // The re-check's first request is answered slowly; meanwhile another runner takes the run over.
    await scriptFaults(world.sim, [{ delayMs: 700 }]);
    const released = r.release();
    await eventually(
      async () => {
        const row = await world.db.db.selectFrom('job_runs').select(['status', 'lease_owner']).where('idempotency_key', '=', run).executeTakeFirstOrThrow();
        return row.status === 'running' && row.lease_owner !== null ? true : undefined;
      },
      5_000,
      'the run to start',
    );
    await world.db.db
      .updateTable('job_runs')
      .set({ lease_owner: 'another-runner', lease_until: new Date(Date.now() + 600_000) })
      .where('idempotency_key', '=', run)
      .execute();
    await released;
    const now = await getApproval(world.db.db, gus.id);
    expect(now.status).toBe('approved');
    expect(now.ended_at).toBeNull();
    const trail = await trailOf(now);
    expect(trail).toContain('recheck');
    expect(trail.filter((e) => ['attempt_failed', 'failed', 'executed', 'outcome_emailed'].includes(e))).toEqual([]);
    expect(await answersTo(world.sim, DELETE_USER)).toEqual({});
    expect(await userExists(world.sim, '9')).toBe(true);
    expect(await outcomeMails(now)).toHaveLength(0);
    // The run is the new holder's, as it was left.
    expect(await world.db.db.selectFrom('job_runs').select(['status', 'lease_owner']).where('idempotency_key', '=', run).executeTakeFirstOrThrow()).toEqual({
      status: 'running',
      lease_owner: 'another-runner',
    });
  });
});

describe('an outcome email whose send failed', () => {
  /** The world's env with SMTP where nothing listens: every send fails. */
  async function mailDown(): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = { ...world.appEnv, SMTP_URL: `smtp://127.0.0.1:${await closedPort()}?tls=none` };
    delete env.WARDEN_OUTBOX;
    return env;
  }

  /** Gus's removal refused by the re-check (put on the break-glass list after it was approved), while mail is down. */
  async function refusedUntold(): Promise<Approval> {
    r = remediator(world, { hold: true, env: await mailDown() });
    const gus = await world.approvalOf('ACC-01', '9');
    await r.decide(world.admin, { ids: [gus.id], decision: 'approved' });
    await updateTenant(world.db.db, TENANT, { breakGlass: ['gus.hill@demo.example'] });
    await r.release();
    const refused = await getApproval(world.db.db, gus.id);
    expect(refused.status).toBe('refused');
    expect(await outcomeMails(refused)).toHaveLength(0);
    expect(await trailOf(refused)).not.toContain('outcome_emailed');
    await r.close();
    // Mail is back.
    r = remediator(world);
    return refused;
  }

  async function runToEnd(kind: 'reconcile' | 'remediation', payload: Record<string, unknown>, tenant: string | null): Promise<Record<string, number>> {
    const id = await enqueue({ registry: world.registry, ledger: r.ledger, dispatcher: r.runner }, kind, payload, { tenant });
    await r.runner.settled(id);
    const record = (await r.ledger.get(id))!;
    expect(record.status, record.error ?? '').toBe('succeeded');
    return record.counts;
  }

  const emailedEvents = async (a: Approval) => (await approvalEvents(world.db.db, a.id)).filter((e) => e.event === 'outcome_emailed');

  it('is sent by reconcile, once; the next reconcile sends nothing', async () => {
    const gus = await refusedUntold();
    expect(await runToEnd('reconcile', {}, null)).toMatchObject({ outcome_emails: 1 });
    const mails = await outcomeMails(gus);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain(`approval #${gus.id} refused`);
    expect(mails[0]!.text).toMatch(/break-glass/);
    expect((await emailedEvents(gus)).map((e) => e.detail)).toEqual([{ outcome: 'refused' }]);
    expect(await runToEnd('reconcile', {}, null)).not.toHaveProperty('outcome_emails');
    expect(await outcomeMails(gus)).toHaveLength(1);
    expect(await emailedEvents(gus)).toHaveLength(1);
  });

  it('is sent by the next delivery of its run; reconcile then sends nothing', async () => {
    const gus = await refusedUntold();
    expect(await runToEnd('remediation', { approval_id: gus.id }, TENANT)).toEqual({ skipped: 1 });
    expect(await outcomeMails(gus)).toHaveLength(1);
    expect(await runToEnd('reconcile', {}, null)).not.toHaveProperty('outcome_emails');
    // A further delivery tells nobody again either.
    expect(await runToEnd('remediation', { approval_id: gus.id }, TENANT)).toEqual({ skipped: 1 });
    expect(await outcomeMails(gus)).toHaveLength(1);
    expect(await emailedEvents(gus)).toHaveLength(1);
    expect(await userExists(world.sim, '9')).toBe(true);
  });
});

describe('the approval email’s links', () => {
  let key: Buffer;
  beforeEach(async () => {
    r = remediator(world);
    key = await r.app.webKey!();
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
