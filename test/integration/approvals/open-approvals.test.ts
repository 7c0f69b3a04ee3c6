// Approvals opened by the access and tokens audits of the simulator's demo
// tenant (over HTTP, Postgres ledger of the test's own): one per open finding
// whose rule requires approval and none for any other, never two for one
// finding, withdrawn when the finding is resolved, none for a suppressed
// finding, a break-glass account or the tenant's last admin, expired after the
// tenant's deadline; and the approval email: one per admin per run, only what
// that admin has not been sent, signed links (none for an item about the
// admin's own account), no secret, never sent twice by a retried run.
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readApprovalLink } from '../../../src/approvals/approval-links.js';
import { decideApprovals } from '../../../src/app/approvals.js';
import { addPerson } from '../../../src/app/people.js';
import { approvalEvents, expireApprovals } from '../../../src/db/approvals.repository.js';
import { listEffects } from '../../../src/db/run-effects.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { updateTenant } from '../../../src/db/tenants.repository.js';
import { fingerprint, RULES } from '../../../src/rules/engine.js';
import { secretKey } from '../../../src/secrets/secret-box.js';
import { webKey } from '../../../src/secrets/tokens.js';
import { loadConfig } from '../../../src/config.js';
import { ADMIN, PUBLIC_URL, SECOND_ADMIN, simApi, startApprovalsWorld, TENANT, type ApprovalsWorld } from './support.js';
import { startTestSmtp } from '../../support/smtp.js';

const APPROVING_RULES = RULES.filter((r) => r.requires_approval).map((r) => r.id).sort();
/** The demo's findings that the access and tokens audits ask approval for: ACC-01 Bob and Gus, ACC-03 Cara, TOK-02 Bob's export token, TOK-07 the orphan. */
const EXPECTED = ['ACC-01:2', 'ACC-01:9', 'ACC-03:3', 'TOK-02:tok_bob', 'TOK-07:tok_orphan'];
/** With the data-handling audit: DAT-01, the demo's plain-http webhook. */
const EXPECTED_ALL = [...EXPECTED, 'DAT-01:2'].sort();
const KIND_OF_FAMILY: Record<string, string> = { ACC: 'remove_user', TOK: 'revoke_token', DAT: 'disable_webhook' };
const DAY_MS = 86_400_000;

const keyOf = (a: { rule: string; subject_id: string }) => `${a.rule}:${a.subject_id}`;

async function runCounts(world: ApprovalsWorld, job: string, env = world.appEnv): Promise<Record<string, number>> {
  const run = await world.run(job, { env });
  expect(run.status, run.error ?? '').toBe('succeeded');
  return run.counts;
}

describe('approvals opened by the audits', () => {
  let world: ApprovalsWorld;
  beforeEach(async () => {
    world = await startApprovalsWorld();
  });
  afterEach(async () => {
    await world?.close();
  });

  it('one pending approval per open finding whose rule requires approval, and none for any other rule', async () => {
    expect(APPROVING_RULES).toEqual(['ACC-01', 'ACC-03', 'DAT-01', 'TOK-02', 'TOK-07']);
    const access = await runCounts(world, 'stale-accounts');
    const tokens = await runCounts(world, 'token-hygiene');
    const data = await runCounts(world, 'data-handling');
    expect(access['approvals_opened']).toBe(3);
    expect(tokens['approvals_opened']).toBe(2);
    expect(data['approvals_opened']).toBe(1);
    const approvals = await world.approvals();
    expect(approvals.map(keyOf).sort()).toEqual(EXPECTED_ALL);
    const findings = await world.db.db.selectFrom('findings').selectAll().where('tenant', '=', TENANT).where('resolved_at', 'is', null).execute();
    // Every finding of an approving rule has exactly one, with its fingerprint; the others (ACC-02, TOK-05, …) none.
    const approving = findings.filter((f) => APPROVING_RULES.includes(f.rule));
    expect(approving.map(keyOf).sort()).toEqual(EXPECTED_ALL);
    expect(findings.length).toBeGreaterThan(approving.length);
    for (const a of approvals) {
      expect(a.status).toBe('pending');
      expect(approving.filter((f) => f.fingerprint === a.finding_fingerprint).map(keyOf)).toEqual([keyOf(a)]);
      expect(a.kind).toBe(KIND_OF_FAMILY[a.rule.slice(0, 3)]);
      // The default deadline: 14 days.
      expect(a.expires_at.getTime() - a.requested_at.getTime()).toBe(14 * DAY_MS);
      expect((await approvalEvents(world.db.db, a.id)).map((e) => e.event)).toEqual(['requested', 'emailed', 'emailed']);
    }
    // The impact is measured from the audit's snapshot: Bob's removal deletes his export token.
    const bob = approvals.find((a) => keyOf(a) === 'ACC-01:2')!;
    expect(bob.impact).toMatchObject({ kind: 'remove_user', found: true, email: 'Bob.Stone@demo.example', roles: ['admin'], other_admins: 3 });
    expect((bob.impact['tokens_deleted'] as { id: string }[]).map((t) => t.id)).toEqual(['tok_bob']);
  });

  it('a second run opens none and sends nothing', async () => {
    await world.audit();
    const before = await world.approvals();
    const mails = (await world.outbox()).length;
    expect(mails).toBe(4);
    expect((await runCounts(world, 'stale-accounts'))['approvals_opened']).toBe(0);
    expect((await runCounts(world, 'token-hygiene'))['approvals_opened']).toBe(0);
    expect(await world.approvals()).toEqual(before);
    expect(await world.outbox()).toHaveLength(mails);
  });

  it('a finding resolved on the platform withdraws its pending approval, and only that one', async () => {
    await world.audit();
    // By hand on the platform: Cara's account and the orphaned token go.
    expect((await simApi(world.sim, 'DELETE', '/users/3')).status).toBe(204);
    expect((await simApi(world.sim, 'DELETE', '/auth/api-tokens/tok_orphan')).status).toBe(204);
    expect((await runCounts(world, 'stale-accounts'))['approvals_withdrawn']).toBe(1);
    expect((await runCounts(world, 'token-hygiene'))['approvals_withdrawn']).toBe(1);
    const byKey = new Map((await world.approvals()).map((a) => [keyOf(a), a]));
    expect(byKey.get('ACC-03:3')).toMatchObject({ status: 'withdrawn' });
    expect(byKey.get('TOK-07:tok_orphan')).toMatchObject({ status: 'withdrawn' });
    expect(byKey.get('ACC-03:3')!.ended_at).not.toBeNull();
    for (const k of ['ACC-01:2', 'ACC-01:9', 'TOK-02:tok_bob']) expect(byKey.get(k)!.status, k).toBe('pending');
    const trail = await approvalEvents(world.db.db, byKey.get('ACC-03:3')!.id);
    expect(trail.at(-1)).toMatchObject({ actor: 'warden', event: 'withdrawn', detail: { reason: 'the finding was resolved' } });
    const logged = await world.db.db.selectFrom('audit_log').select(['action', 'subject']).where('action', '=', 'approval.withdrawn').execute();
    expect(logged.map((l) => l.subject).sort()).toEqual([`approval:${byKey.get('ACC-03:3')!.id}`, `approval:${byKey.get('TOK-07:tok_orphan')!.id}`].sort());
  });

  it('a suppressed finding opens none', async () => {
    await suppressFinding(world.db.db, {
      tenant: TENANT,
      fingerprint: fingerprint('ACC-03', TENANT, 'user', '3'),
      reason: 'on parental leave until March',
      author: ADMIN,
      expiresAt: new Date(Date.now() + 30 * DAY_MS),
    });
    await world.audit();
    expect((await world.approvals()).map(keyOf).sort()).toEqual(EXPECTED.filter((k) => k !== 'ACC-03:3'));
    // The finding itself is still recorded: only the approval is not asked for.
    const cara = await world.db.db.selectFrom('findings').select('rule').where('subject_id', '=', '3').where('rule', '=', 'ACC-03').execute();
    expect(cara).toHaveLength(1);
  });

  it('a finding suppressed while its approval is pending withdraws the approval at the next run', async () => {
    await world.audit();
    const before = (await world.approvals()).find((a) => keyOf(a) === 'ACC-03:3')!;
    expect(before.status).toBe('pending');
    await suppressFinding(world.db.db, {
      tenant: TENANT,
      fingerprint: before.finding_fingerprint,
      reason: 'on parental leave until March',
      author: ADMIN,
      expiresAt: new Date(Date.now() + 30 * DAY_MS),
    });
    expect(await runCounts(world, 'stale-accounts')).toMatchObject({ approvals_opened: 0, approvals_withdrawn: 1 });
    const after = (await world.approvals()).find((a) => a.id === before.id)!;
    expect(after.status).toBe('withdrawn');
    expect((await approvalEvents(world.db.db, before.id)).at(-1)).toMatchObject({ event: 'withdrawn', detail: { reason: 'the finding was suppressed (its risk accepted)' } });
    // The others stay pending.
    expect((await world.approvals()).filter((a) => a.status === 'pending').map(keyOf).sort()).toEqual(EXPECTED.filter((k) => k !== 'ACC-03:3'));
  });

  it('an account on the break-glass list opens none (matched whatever its case), and the run counts it', async () => {
    await updateTenant(world.db.db, TENANT, { breakGlass: ['bob.stone@demo.example'] });
    const counts = await runCounts(world, 'stale-accounts');
    expect(counts).toMatchObject({ approvals_opened: 2, break_glass_skipped: 1 });
    await runCounts(world, 'token-hygiene');
    // Bob's account is never asked to be removed; his unused token still is (it is not the account).
    expect((await world.approvals()).map(keyOf).sort()).toEqual(EXPECTED.filter((k) => k !== 'ACC-01:2'));
  });

  it('the tenant’s last admin opens none (nobody could grant it), and the run counts it with the break-glass ones', async () => {
    // Ann, Gus and Hal leave by hand: Bob, departed, is the tenant's only admin.
    for (const id of ['1', '9', '10']) expect((await simApi(world.sim, 'DELETE', `/users/${id}`)).status).toBe(204);
    expect(await runCounts(world, 'stale-accounts')).toMatchObject({ approvals_opened: 1, break_glass_skipped: 1 });
    await runCounts(world, 'token-hygiene');
    // Bob's account is not asked to be removed; Cara's is, and Bob's unused token still is (it is not the account).
    expect((await world.approvals()).map(keyOf).sort()).toEqual(['ACC-03:3', 'TOK-02:tok_bob', 'TOK-07:tok_orphan']);
    // The finding itself is recorded: only the approval is not asked for.
    const bob = await world.db.db.selectFrom('findings').select('rule').where('rule', '=', 'ACC-01').where('subject_id', '=', '2').where('resolved_at', 'is', null).execute();
    expect(bob).toHaveLength(1);
  });

  it('a rejection stands while the finding stays open; once resolved and back, it is asked again', async () => {
    await world.audit();
    const cara = await world.approvalOf('ACC-03', '3');
    await decideApprovals({ db: world.db.db, enqueue: () => Promise.reject(new Error('no remediation for a rejection')) }, world.admin, {
      ids: [cara.id],
      decision: 'rejected',
      comment: 'on leave, back in March',
      via: 'cli',
    });
    const mails = (await world.outbox()).length;
    expect((await runCounts(world, 'stale-accounts'))['approvals_opened']).toBe(0);
    expect((await world.approvals()).filter((a) => keyOf(a) === 'ACC-03:3').map((a) => a.status)).toEqual(['rejected']);
    expect(await world.outbox()).toHaveLength(mails);
    // Cara signs in (her account is active again): the finding resolves; months later she is inactive again.
    await world.db.db.updateTable('findings').set({ resolved_at: new Date(), reopened_at: null }).where('fingerprint', '=', cara.finding_fingerprint).execute();
    expect((await runCounts(world, 'stale-accounts'))['approvals_opened']).toBe(1);
    expect((await world.approvals()).filter((a) => keyOf(a) === 'ACC-03:3').map((a) => a.status)).toEqual(['rejected', 'pending']);
  });

  it('expires after the tenant’s approval_expiry_days, and the next run asks again', async () => {
    await updateTenant(world.db.db, TENANT, { approvalExpiryDays: 3 });
    await world.audit();
    const opened = await world.approvals();
    for (const a of opened) expect(a.expires_at.getTime() - a.requested_at.getTime()).toBe(3 * DAY_MS);
    const deadline = Math.min(...opened.map((a) => a.expires_at.getTime()));
    expect(await expireApprovals(world.db.db, new Date(deadline - 1), TENANT)).toEqual([]);
    // An audit run expires what is past its deadline: set one back as if three days had gone by.
    const bob = opened.find((a) => keyOf(a) === 'ACC-01:2')!;
    await world.db.db.updateTable('approvals').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', bob.id).execute();
    expect((await runCounts(world, 'stale-accounts'))['approvals_expired']).toBe(1);
    const after = new Map((await world.approvals()).map((a) => [a.id, a]));
    expect(after.get(bob.id)).toMatchObject({ status: 'expired' });
    expect((await approvalEvents(world.db.db, bob.id)).at(-1)).toMatchObject({ event: 'expired', actor: 'warden' });
    // The finding still holds: the next run asks again, with a new approval (the expired one stays as it was).
    expect((await runCounts(world, 'stale-accounts'))['approvals_opened']).toBe(1);
    const bobs = (await world.approvals()).filter((a) => keyOf(a) === 'ACC-01:2');
    expect(bobs.map((a) => a.status)).toEqual(['expired', 'pending']);
    // Whatever is left expires at its own deadline.
    const last = Math.max(...opened.map((a) => a.expires_at.getTime()));
    const rest = await expireApprovals(world.db.db, new Date(last), TENANT);
    expect(rest.sort()).toEqual(opened.filter((a) => a.id !== bob.id).map((a) => a.id).sort());
  });
});

describe('the approval email', () => {
  let world: ApprovalsWorld;
  beforeEach(async () => {
    world = await startApprovalsWorld();
  });
  afterEach(async () => {
    await world?.close();
  });

  const idsIn = (mail: ParsedMail) => [...(mail.text ?? '').matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));

  it('one per admin per run, each listing only what that admin was not sent, with links signed for that admin and no secret', async () => {
    await runCounts(world, 'stale-accounts');
    let mails = await world.outbox();
    expect(mails.map((m) => m.to && 'text' in m.to ? m.to.text : '').sort()).toEqual([ADMIN, SECOND_ADMIN].sort());
    const access = (await world.approvals()).map((a) => a.id);
    for (const m of mails) expect(idsIn(m).sort()).toEqual(access.sort());

    // A third admin joins; the tokens run sends each admin only its new items, and the newcomer everything pending.
    const third = await addPerson(world.db.db, { email: 'third.admin@demo.example', name: 'Tia Third', roles: ['admin'], tenants: [TENANT] }, 'test');
    const counts = await runCounts(world, 'token-hygiene');
    expect(counts['approval_emails']).toBe(3);
    mails = (await world.outbox()).slice(2);
    const all = (await world.approvals()).map((a) => a.id);
    const tokenIds = all.filter((id) => !access.includes(id));
    const byTo = new Map(mails.map((m) => [(m.to as { text: string }).text, m]));
    expect(idsIn(byTo.get(ADMIN)!).sort()).toEqual(tokenIds.sort());
    expect(idsIn(byTo.get(SECOND_ADMIN)!).sort()).toEqual(tokenIds.sort());
    expect(idsIn(byTo.get('third.admin@demo.example')!).sort()).toEqual(all.sort());

    // Links: approve and reject per item, signed for the admin it went to; no platform token in any email.
    const key = webKey(secretKey(loadConfig(world.appEnv), '/nonexistent'));
    const people: Record<string, number> = { [ADMIN]: world.admin.id, [SECOND_ADMIN]: world.second.id, 'third.admin@demo.example': third.id };
    for (const m of await world.outbox()) {
      const to = (m.to as { text: string }).text;
      const text = m.text ?? '';
      const links = [...text.matchAll(/^ {2}(Approve|Reject): +(\S+)$/gm)];
      expect(links).toHaveLength(idsIn(m).length * 2);
      for (const [, which, url] of links) {
        expect(url!.startsWith(`${PUBLIC_URL}/approvals/link/`)).toBe(true);
        const link = readApprovalLink(key, url!.slice(`${PUBLIC_URL}/approvals/link/`.length), new Date());
        expect(link).toMatchObject({ personId: people[to], decision: which === 'Approve' ? 'approved' : 'rejected' });
        expect(idsIn(m)).toContain((link as { approvalId: number }).approvalId);
      }
      const whole = [text, typeof m.html === 'string' ? m.html : '', m.subject ?? ''].join('\n');
      expect(whole.includes(world.sim.token)).toBe(false);
      expect(whole).not.toMatch(/omneo_[0-9a-f]{8}/);
    }
  });

  it('an admin gets no links for an item about their own account: it says another admin decides', async () => {
    const BOB = 'bob.stone@demo.example';
    await addPerson(world.db.db, { email: BOB, name: 'Bob Stone', roles: ['admin'], tenants: [TENANT] }, 'test');
    await runCounts(world, 'stale-accounts');
    const own = (await world.approvalOf('ACC-01', '2')).id;
    const mails = new Map((await world.outbox()).map((m) => [(m.to as { text: string }).text, m]));
    expect([...mails.keys()].sort()).toEqual([ADMIN, BOB, SECOND_ADMIN].sort());
    /** One item's part of the text: its heading to the next heading. */
    const section = (m: ParsedMail, id: number) => (m.text ?? '').split(/^(?=#\d+ )/m).find((part) => part.startsWith(`#${id} `))!;
    const toBob = mails.get(BOB)!;
    expect(idsIn(toBob)).toHaveLength(3);
    expect(section(toBob, own)).toContain('This one is about your own account: another admin decides it.');
    expect(section(toBob, own)).not.toMatch(/Approve:|Reject:|\/approvals\/link\//);
    // Bob's links for the other two items, and none more.
    const links = [...(toBob.text ?? '').matchAll(/^ {2}(Approve|Reject): +(\S+)$/gm)].map((l) => l[2]!);
    expect(links).toHaveLength(4);
    const key = webKey(secretKey(loadConfig(world.appEnv), '/nonexistent'));
    for (const url of links) expect(readApprovalLink(key, url.slice(`${PUBLIC_URL}/approvals/link/`.length), new Date())).not.toMatchObject({ approvalId: own });
    const html = typeof toBob.html === 'string' ? toBob.html : '';
    expect(html).toContain('another admin decides it');
    expect(html).not.toContain(`/approvals/link/v1.${own}.`);
    expect(html).not.toContain(`/approvals/${own}"`);
    // The other admins decide it: their emails link it.
    for (const to of [ADMIN, SECOND_ADMIN]) {
      expect(section(mails.get(to)!, own), to).toMatch(/^ {2}Approve: /m);
      expect(section(mails.get(to)!, own), to).not.toContain('your own account');
    }
  });

  it('without a public URL the email carries no links', async () => {
    const env = { ...world.appEnv };
    delete env.WARDEN_PUBLIC_URL;
    await runCounts(world, 'stale-accounts', env);
    const mails = await world.outbox();
    expect(mails).toHaveLength(2);
    for (const m of mails) {
      expect(idsIn(m)).toHaveLength(3);
      expect(m.text).not.toMatch(/\/approvals\/link\//);
    }
  });

  it('a run retried after one admin’s email failed sends the other admin nothing twice', async () => {
    const smtp = await startTestSmtp();
    const { inbox, refuseOnce } = smtp;
    refuseOnce.add(SECOND_ADMIN);
    try {
      const env: NodeJS.ProcessEnv = { ...world.appEnv, SMTP_URL: smtp.url };
      delete env.WARDEN_OUTBOX;
      const run = await world.run('stale-accounts', { env });
      expect(refuseOnce.size).toBe(0);
      expect(run).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(inbox.map((m) => m.to).sort()).toEqual([[ADMIN], [SECOND_ADMIN]]);
      for (const m of inbox) expect(idsIn(m.mail)).toHaveLength(3);
      const effects = await listEffects(world.db.db, run.id);
      expect(effects.map((e) => [e.effect_key, e.status, e.attempt]).sort()).toEqual([
        [`approval-email:${world.admin.id}`, 'done', 1],
        [`approval-email:${world.second.id}`, 'done', 2],
      ]);
      // Each approval was emailed once to each admin.
      for (const a of await world.approvals()) {
        const emailed = (await approvalEvents(world.db.db, a.id)).filter((e) => e.event === 'emailed').map((e) => e.detail['person_id']);
        expect(emailed.sort()).toEqual([world.admin.id, world.second.id].sort());
      }
    } finally {
      await smtp.close();
    }
  });
});
