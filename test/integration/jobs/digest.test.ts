// The digest job end to end: the audit jobs against the simulator fill a
// Postgres ledger, the digest job sends through a real SMTP server started
// here (smtp-server, port 0), and each message is parsed with mailparser:
// parts, CSV rows per audience, new / persisting / resolved across two
// digests, and no token, secret value or customer email anywhere in it.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../../jobs/index.js';
import { clientFor } from '../../../src/audit/tenant-snapshot.js';
import { listEffects } from '../../../src/db/run-effects.repository.js';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { createAppDeps, jobDeps } from '../../../src/app/deps.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log/logger.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import { requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { openSecret, secretAad } from '../../../src/secrets/secret-box.js';
import { startTestSmtp, type Received, type TestSmtp } from '../../support/smtp.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

/** The contract the digest job documents: which rule prefixes each audience gets (data, DAT and CARE, goes to all three). */
const AUDIENCE_RULES: Record<string, string[]> = {
  compliance: ['ACC', 'TOK', 'NET', 'SEC', 'PRV', 'DAT', 'CAR'],
  admins: ['ACC', 'TOK', 'NET', 'DAT', 'CAR'],
  engineers: ['TOK', 'SEC', 'PRV', 'DAT', 'CAR'],
};
const RECIPIENTS = {
  compliance: ['compliance@warden.test'],
  admins: ['admin-one@warden.test', 'admin-two@warden.test'],
  engineers: ['eng@warden.test'],
};

type CsvRow = Record<string, string>;

function csvOf(m: Received): CsvRow[] {
  const [attachment] = m.mail.attachments;
  expect(attachment?.contentType).toMatch(/^text\/csv/);
  return parse<CsvRow>(attachment!.content.toString('utf8'), { columns: true });
}

function audienceOf(m: Received): string {
  const entry = Object.entries(RECIPIENTS).find(([, to]) => to[0] === m.to[0]);
  return entry![0];
}

describe('digest job over SMTP', () => {
  let world: JobsWorld;
  let smtp: TestSmtp;
  let smtpUrl: string;
  let inbox: Received[];
  /** Recipients whose next RCPT TO the server refuses (once each): a send that fails mid-run. */
  let refuseOnce: Set<string>;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    ({ url: smtpUrl, inbox, refuseOnce } = smtp);
    world = await startWorld('postgres');
    world.env.SMTP_URL = smtpUrl;
    world.env.WARDEN_MAIL_FROM = 'Warden <warden@warden.test>';
    world.env.WARDEN_PUBLIC_URL = 'https://warden.test/';
    await updateTenant(world.db.db, TENANT, { recipients: RECIPIENTS });
    for (const job of auditJobs) expect((await world.run(job.name)).status).toBe('succeeded');
    // The audits asked the admins for approvals by email; these tests are about the digests.
    inbox.length = 0;
  });

  afterAll(async () => {
    await world?.close();
    await smtp?.close();
  });

  /** What must never be in a digest: the platform token, every secret value, every customer's email. */
  async function forbidden(): Promise<string[]> {
    const values = (await listVersions(world.db.db, TENANT)).map((v) => openSecret(v.encrypted_value, world.secretKey, secretAad(v.tenant, v.name, v.id)));
    const customers = world.sim.demo!.platform.profiles.map((p) => p.email).filter((e): e is string => typeof e === 'string' && e !== '');
    expect(values.length).toBeGreaterThan(0);
    expect(customers.length).toBeGreaterThan(0);
    return [world.sim.token, ...values.flatMap((v) => [v.toString('hex'), v.toString('base64'), v.toString('base64url')]), ...customers];
  }

  function expectClean(m: Received, banned: readonly string[]): void {
    const decoded = [m.raw, m.mail.subject ?? '', m.mail.text ?? '', typeof m.mail.html === 'string' ? m.mail.html : '', ...m.mail.attachments.map((a) => a.content.toString('utf8'))].join('\n').toLowerCase();
    for (const b of banned) expect(decoded.includes(b.toLowerCase()), 'a secret or customer email is in the digest').toBe(false);
  }

  it('sends one email per audience with html, text and every finding of its families as CSV', async () => {
    const run = await world.run('digest');
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    expect(inbox).toHaveLength(3);
    const open = [...(await findingsState(world.db.db)).entries()].filter(([, f]) => f.resolved_at === null);
    expect(run.counts).toMatchObject({ emails: 3, new: open.length, persisting: 0, resolved: 0 });
    const banned = await forbidden();
    for (const m of inbox) {
      const audience = audienceOf(m);
      expect(m.to.sort()).toEqual([...RECIPIENTS[audience as keyof typeof RECIPIENTS]].sort());
      expect(m.mail.from?.text).toContain('warden@warden.test');
      expect(m.mail.text).toBeTruthy();
      expect(m.mail.html).toBeTruthy();
      // WARDEN_PUBLIC_URL is set: the findings page filtered for the audience, and each listed finding's page.
      const list = (family?: string) => `https://warden.test/findings?tenant=${TENANT}${family === undefined ? '' : `&family=${family}`}&state=open`;
      const lists = { compliance: `: ${list()}\n`, admins: `, by family:\n  access: ${list('access')}\n  tokens: ${list('tokens')}\n  network: ${list('network')}\n`, engineers: `, by family:\n  tokens: ${list('tokens')}\n  secrets: ${list('secrets')}\n  privacy: ${list('privacy')}\n` }[audience];
      expect(m.mail.text).toContain(`Open findings in Warden${lists}`);
      const linked = [...(m.mail.html as string).matchAll(/href="https:\/\/warden\.test\/findings\/([^/"]+)\/([^"]+)"/g)];
      expect(linked.length).toBeGreaterThan(0);
      for (const [, tenant, fp] of linked) {
        expect(tenant).toBe(TENANT);
        expect(open.some(([f]) => f === fp)).toBe(true);
      }
      expect(m.mail.text).toContain('\nPolicy: the defaults.\n');
      const expected = open.filter(([, f]) => AUDIENCE_RULES[audience]!.includes(f.rule.slice(0, 3))).map(([fp]) => fp).sort();
      const rows = csvOf(m);
      expect(rows.map((r) => r.fingerprint).sort(), audience).toEqual(expected);
      // The first digest: everything open is new.
      expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['new']));
      expect(m.mail.text).toContain(`${expected.length} new, 0 persisting, 0 resolved`);
      expectClean(m, banned);
    }
    const families = (a: string) => new Set(csvOf(inbox.find((m) => audienceOf(m) === a)!).map((r) => r.rule!.slice(0, 3)));
    expect(families('compliance')).toEqual(new Set(AUDIENCE_RULES.compliance));
  });

  it('the next digest splits new, persisting and resolved since the previous one; an audience without recipients gets nothing', async () => {
    inbox.length = 0;
    const before = await findingsState(world.db.db);
    const tokenFinding = [...before.values()].find((f) => f.rule.startsWith('TOK') && f.resolved_at === null)!;
    const tenant = await requireTenant(world.db.db, TENANT);
    expect(await clientFor(tenant, world.env).deleteToken(tokenFinding.subject_id)).toBe(true);
    expect((await world.run('token-hygiene')).status).toBe('succeeded');
    await updateTenant(world.db.db, TENANT, { recipients: { ...RECIPIENTS, engineers: [] } });

    const run = await world.run('digest');
    expect(run.status).toBe('succeeded');
    expect(inbox.map(audienceOf).sort()).toEqual(['admins', 'compliance']);

    const after = await findingsState(world.db.db);
    const resolved = [...after.entries()].filter(([fp, f]) => f.resolved_at !== null && before.get(fp)!.resolved_at === null).map(([fp]) => fp).sort();
    const open = [...after.entries()].filter(([, f]) => f.resolved_at === null).map(([fp]) => fp).sort();
    expect(resolved.length).toBeGreaterThan(0);
    expect(run.counts).toMatchObject({ emails: 2, new: 0, persisting: open.length, resolved: resolved.length });

    const banned = await forbidden();
    for (const m of inbox) {
      const audience = audienceOf(m);
      const mine = (fps: string[]) => fps.filter((fp) => AUDIENCE_RULES[audience]!.includes(after.get(fp)!.rule.slice(0, 3)));
      const rows = csvOf(m);
      const byStatus = (s: string) => rows.filter((r) => r.status === s).map((r) => r.fingerprint!).sort();
      expect(byStatus('new'), audience).toEqual([]);
      expect(byStatus('persisting'), audience).toEqual(mine(open));
      // Both audiences see tokens, so both hear that the deleted token's findings are resolved.
      expect(byStatus('resolved'), audience).toEqual(mine(resolved));
      expect(byStatus('resolved').length).toBeGreaterThan(0);
      expect(rows).toHaveLength(mine(open).length + mine(resolved).length);
      expect(m.mail.text).toContain(`0 new, ${mine(open).length} persisting, ${mine(resolved).length} resolved`);
      expectClean(m, banned);
    }
  });

  it('a run whose attempt failed mid-way is executed again and sends each audience its email once', async () => {
    inbox.length = 0;
    await updateTenant(world.db.db, TENANT, { recipients: RECIPIENTS });
    // The last audience's mailbox refuses the first try: the first attempt sends the others, then fails.
    refuseOnce.add('eng@warden.test');
    const run = await world.run('digest');
    expect(refuseOnce.size).toBe(0);
    expect(run).toMatchObject({ status: 'succeeded', attempts: 2, error: null, counts: { emails: 3 } });
    expect(inbox.map(audienceOf).sort()).toEqual(['admins', 'compliance', 'engineers']);
    const effects = await listEffects(world.db.db, run.id);
    // The ledger's account: two emails sent by the first attempt, the third by the second.
    expect(effects.map((e) => [e.effect_key, e.status, e.attempt]).sort()).toEqual([
      ['email:admins', 'done', 1],
      ['email:compliance', 'done', 1],
      ['email:engineers', 'done', 2],
    ]);
    expect(effects.every((e) => typeof (e.result as { message_id?: unknown }).message_id === 'string')).toBe(true);
  });

  it('an email whose process died mid-send (intent recorded, end not) is not sent again, and the run says so', async () => {
    inbox.length = 0;
    // The run as a dead worker left it: claimed, the compliance email begun and never recorded as sent.
    const ledger = new JobRunsLedger(world.db.db);
    await ledger.createRun({ id: 'digest-after-a-crash', kind: 'digest', tenant: TENANT, payload: {}, scheduledFor: null });
    expect(await ledger.markRunning('digest-after-a-crash', 1, 50, 'dead-worker')).toBe(true);
    expect(await ledger.beginEffect('digest-after-a-crash', 'email:compliance', 'dead-worker', 1)).toEqual({ state: 'begun' });
    await new Promise((r) => setTimeout(r, 100));
    // A runner picks the run up once the dead worker's lease has run out.
    const app = createAppDeps({ db: world.db.db, config: loadConfig(world.env), env: world.env, client: { maxRetries: 1 } });
    const runner = new InlineRunner({ registry: world.registry, ledger, deps: jobDeps(app), log: createLogger({ level: 'silent' }), attempts: 1 });
    try {
      await runner.requeue((await ledger.get('digest-after-a-crash'))!);
      await runner.settled('digest-after-a-crash');
    } finally {
      await runner.close();
      await app.close();
    }
    const run = (await ledger.get('digest-after-a-crash'))!;
    expect(run).toMatchObject({ status: 'succeeded', counts: { emails: 2, emails_interrupted: 1 } });
    expect(inbox.map(audienceOf).sort()).toEqual(['admins', 'engineers']);
  });
});
