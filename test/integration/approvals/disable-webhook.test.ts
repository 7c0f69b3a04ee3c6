// DAT-01's `disable_webhook` through the approvals flow, against the simulator
// over HTTP with a Postgres ledger of its own (the demo tenant's webhook 2
// sends `transaction.created` over plain http to reports.demo.example, with a
// key in its query): the data-handling audit opens one approval (and only
// for DAT-01), with the trigger, host and owner and never the url, emailed to
// the admins; nothing is done until an admin approves; approved, the
// remediation re-checks the live webhook, switches it off once (`PUT
// /webhooks/{id}`, is_active false: not deleted) and verifies by reading it
// again. A webhook moved to https meanwhile is refused without a call; one
// switched off or deleted by hand counts as done; its owner may not approve.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalRefusedError } from '../../../src/approvals/errors.js';
import { addPerson } from '../../../src/app/people.js';
import { approvalEvents, getApproval } from '../../../src/db/approvals.repository.js';
import type { Approval } from '../../../src/db/database.js';
import { answersTo, remediator, simApi, startApprovalsWorld, type ApprovalsWorld, type Remediator } from './support.js';

const PUT_WEBHOOK = 'PUT /webhooks/{id}';
/** The demo's insecure webhook (DAT-01), and what of its url must never be shown. */
const INSECURE = '2';
const URL_SECRETS = /demo-report-key|\/ingest|key=/;

let world: ApprovalsWorld;
let r: Remediator | undefined;

beforeEach(async () => {
  world = await startApprovalsWorld();
  const run = await world.run('data-handling', { env: world.appEnv });
  expect(run.status, run.error ?? '').toBe('succeeded');
});
afterEach(async () => {
  await r?.close();
  r = undefined;
  await world?.close();
});

async function webhook(id: string): Promise<{ is_active: boolean; url: string } | null> {
  const { status, body } = await simApi(world.sim, 'GET', `/webhooks/${id}`);
  if (status === 404) return null;
  expect(status).toBe(200);
  return (body as { data: { is_active: boolean; url: string } }).data;
}

const evidenceOf = (a: Approval) => a.evidence as Record<string, Record<string, unknown>>;
const trailOf = async (a: Approval) => (await approvalEvents(world.db.db, a.id)).map((e) => e.event);

describe('DAT-01 opens an approval', () => {
  it('with the trigger, the host and the owner, never the url; emailed to the admins; nothing done without it', async () => {
    const approval = await world.approvalOf('DAT-01', INSECURE);
    expect(approval).toMatchObject({ kind: 'disable_webhook', status: 'pending', subject_type: 'webhook', subject_label: 'webhook 2 (transaction.created)' });
    expect(approval.impact).toEqual({
      kind: 'disable_webhook',
      found: true,
      webhook_id: INSECURE,
      trigger: 'transaction.created',
      host: 'reports.demo.example',
      scheme: 'http',
      owner_id: '6',
      owner_email: 'pos-sync@integrations.demo.example',
    });
    // Only DAT-01 asks: DAT-02 and DAT-03 are for review.
    expect((await world.approvals()).filter((a) => a.rule.startsWith('DAT')).map((a) => [a.rule, a.subject_id])).toEqual([['DAT-01', INSECURE]]);

    const mails = (await world.outbox()).filter((m) => /approval\(s\) waiting$/.test(m.subject ?? ''));
    const asking = mails.filter((m) => (m.text ?? '').includes(`#${approval.id} Disable: webhook 2 (transaction.created) (DAT-01)`));
    expect(asking.map((m) => (m.to as { text: string }).text).sort()).toEqual([world.admin.email, world.second.email].sort());
    expect(asking[0]!.text).toContain('Disabling it stops the platform sending its transaction.created events to reports.demo.example, unencrypted (http)');
    expect(asking[0]!.text).toContain('Nothing is removed, revoked or switched off unless an admin approves');
    for (const m of mails) expect(`${m.text ?? ''}${typeof m.html === 'string' ? m.html : ''}`).not.toMatch(URL_SECRETS);
    expect(JSON.stringify(await world.approvals())).not.toMatch(URL_SECRETS);

    // Nothing is done without an approval; the next audit does not ask twice.
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({});
    expect((await webhook(INSECURE))!.is_active).toBe(true);
    expect((await world.run('data-handling', { env: world.appEnv })).status).toBe('succeeded');
    expect((await world.approvals()).filter((a) => a.rule === 'DAT-01')).toHaveLength(1);
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({});
  });
});

describe('an approved switch-off', () => {
  it('is re-checked, done once with PUT /webhooks/{id}, and verified by reading the webhook again', async () => {
    r = remediator(world);
    const approval = await world.approvalOf('DAT-01', INSECURE);
    const url = (await webhook(INSECURE))!.url;
    await r.decide(world.admin, { ids: [approval.id], decision: 'approved', comment: 'plain http' });
    const done = await getApproval(world.db.db, approval.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'holds', reason: 'DAT-01 still holds' });
    expect(evidenceOf(done)['act']).toMatchObject({ call: 'PUT /webhooks/2', answer: 'switched off (is_active false)' });
    expect(evidenceOf(done)['verification']).toMatchObject({ check: 'GET /webhooks/2', result: 'is_active false: the webhook is off' });
    expect(await trailOf(done)).toEqual(['requested', 'emailed', 'emailed', 'approved', 'recheck', 'executed', 'verified']);
    expect(JSON.stringify(done)).not.toMatch(URL_SECRETS);

    // Switched off, not deleted; the other webhooks untouched; one call.
    expect(await webhook(INSECURE)).toMatchObject({ is_active: false, url });
    for (const id of ['1', '3', '4', '6']) expect((await webhook(id))!.is_active, id).toBe(true);
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({ 200: 1 });
    expect(await answersTo(world.sim, 'DELETE /webhooks/{id}')).toEqual({});
    const logged = await world.db.db.selectFrom('audit_log').select(['action', 'actor']).where('subject', '=', `approval:${approval.id}`).orderBy('id').execute();
    expect(logged).toEqual([
      { action: 'approval.approved', actor: world.admin.email },
      { action: 'approval.verified', actor: 'warden' },
    ]);

    // The next audit sees an inactive webhook: DAT-01 resolves.
    expect((await world.run('data-handling', { env: world.appEnv })).status).toBe('succeeded');
    const finding = await world.db.db.selectFrom('findings').select('resolved_at').where('fingerprint', '=', approval.finding_fingerprint).executeTakeFirstOrThrow();
    expect(finding.resolved_at).not.toBeNull();
  });

  it('a webhook moved to https meanwhile is refused, with no call', async () => {
    r = remediator(world, { hold: true });
    const approval = await world.approvalOf('DAT-01', INSECURE);
    await r.decide(world.admin, { ids: [approval.id], decision: 'approved' });
    expect((await simApi(world.sim, 'PUT', `/webhooks/${INSECURE}`, { url: 'https://reports.demo.example/ingest?key=demo-report-key' })).status).toBe(200);
    await r.release();
    const done = await getApproval(world.db.db, approval.id);
    expect(done.status).toBe('refused');
    expect(done.executed_at).toBeNull();
    expect(String(evidenceOf(done)['recheck']!['reason'])).toMatch(/DAT-01 no longer holds for this webhook/);
    // Only the hand-made update: Warden made none, and the webhook stays on.
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({ 200: 1 });
    expect((await webhook(INSECURE))!.is_active).toBe(true);
    const told = (await world.outbox()).filter((m) => (m.subject ?? '').includes(`approval #${approval.id} refused`));
    expect(told).toHaveLength(1);
    expect(told[0]!.text).toContain(`Disable webhook 2 (transaction.created) (DAT-01, approval #${approval.id})`);
  });

  it('a webhook switched off by hand meanwhile counts as done: verified without a call', async () => {
    r = remediator(world, { hold: true });
    const approval = await world.approvalOf('DAT-01', INSECURE);
    await r.decide(world.admin, { ids: [approval.id], decision: 'approved' });
    expect((await simApi(world.sim, 'PUT', `/webhooks/${INSECURE}`, { is_active: false })).status).toBe(200);
    await r.release();
    const done = await getApproval(world.db.db, approval.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['recheck']).toMatchObject({ verdict: 'already_gone', reason: 'the webhook is already off or gone on the platform' });
    expect(evidenceOf(done)['act']).toMatchObject({ call: null });
    expect(evidenceOf(done)['verification']).toMatchObject({ result: 'is_active false: the webhook is off' });
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({ 200: 1 });
  });

  it('a webhook deleted meanwhile counts as done: verified by its 404', async () => {
    r = remediator(world, { hold: true });
    const approval = await world.approvalOf('DAT-01', INSECURE);
    await r.decide(world.admin, { ids: [approval.id], decision: 'approved' });
    expect((await simApi(world.sim, 'DELETE', `/webhooks/${INSECURE}`)).status).toBe(204);
    await r.release();
    const done = await getApproval(world.db.db, approval.id);
    expect(done.status).toBe('verified');
    expect(evidenceOf(done)['verification']).toMatchObject({ check: 'GET /webhooks/2', result: '404: the webhook is gone' });
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({});
  });

  it('its owner may not approve it: another admin decides', async () => {
    r = remediator(world);
    const owner = await addPerson(world.db.db, { email: 'POS-Sync@integrations.demo.example', name: 'Pos Sync', roles: ['admin'] }, 'test');
    const approval = await world.approvalOf('DAT-01', INSECURE);
    const refused = await r.decide(owner, { ids: [approval.id], decision: 'approved' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApprovalRefusedError);
    expect((refused as ApprovalRefusedError).status).toBe(403);
    expect((await getApproval(world.db.db, approval.id)).status).toBe('pending');
    expect(await answersTo(world.sim, PUT_WEBHOOK)).toEqual({});
  });
});
