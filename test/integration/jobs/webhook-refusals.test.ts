// HOOK-01 end to end (docs/rules.md "Observed rules"): deliveries refused by the
// webhook receiver's action (receiveWebhook, what POST /webhooks/omneo/:tenant
// calls) are recorded in the ledger; the secret-rotation audit opens HOOK-01 at
// the fifth refusal of the window, in the same recordFindings call as the SEC
// rules; it persists while refusals go on, shows in the digest, the findings
// filters and its page like any finding, and the first run after the window
// passes with no refusal resolves it.
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../../jobs/index.js';
import { filterChoices, findingDetail, listFindingsPage } from '../../../src/app/findings-view.js';
import { receiveWebhook } from '../../../src/app/secrets.js';
import { listFindings } from '../../../src/db/findings.repository.js';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { fingerprint } from '../../../src/rules/engine.js';
import { OBSERVED_RULES } from '../../../src/rules/registry.js';
import { sign } from '../../../src/secrets/hmac.js';
import { openSecret, secretAad } from '../../../src/secrets/secret-box.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

const HOOK_FP = fingerprint('HOOK-01', TENANT, 'tenant', TENANT);

describe('the observed rules', () => {
  it('are each observed by exactly one audit job, the one of their family (the job a finding page links to)', () => {
    // LEAK-01 is `warden scan`'s, recorded in runs of its own: an audit job that listed it would resolve what the scans found.
    expect(auditJobs.filter((j) => j.observes.includes('LEAK-01'))).toEqual([]);
    for (const rule of OBSERVED_RULES.filter((r) => r.id !== 'LEAK-01')) {
      expect(auditJobs.filter((j) => j.observes.includes(rule.id)).map((j) => [j.name, j.family]), rule.id).toEqual([
        [auditJobs.find((j) => j.family === rule.family)!.name, rule.family],
      ]);
    }
    expect(auditJobs.find((j) => j.name === 'secret-rotation')!.observes).toEqual(['HOOK-01']);
  });
});

describe('HOOK-01 through the secret-rotation audit', () => {
  let world: JobsWorld;
  beforeAll(async () => {
    world = await startWorld('postgres', { outbox: true });
  });
  afterAll(async () => {
    await world?.close();
  });

  const deliver = (body: string, signature: string | undefined) =>
    receiveWebhook({ db: world.db.db, secretKey: () => world.secretKey }, TENANT, Buffer.from(body), signature);
  const hookRows = () => listFindings(world.db.db, { tenant: TENANT, state: 'all', rules: ['HOOK-01'] });
  const forged = (body: string) => deliver(body, sign('not the tenant\'s secret', body));

  /** The digests in the outbox by audience (the rotation the audit starts also emails the admins a request). */
  async function digestsByAudience(): Promise<Map<string, ParsedMail>> {
    const byAudience = new Map<string, ParsedMail>();
    for (const m of await world.outbox()) {
      const audience = /- (Compliance|Admin|Engineering) digest /.exec(m.subject ?? '')?.[1];
      if (audience !== undefined) byAudience.set(audience, m);
    }
    return byAudience;
  }

  it('opens at the fifth refusal, persists, is shown like any finding, and resolves once the window passed', async () => {
    const db = world.db.db;
    const current = (await listVersions(db, TENANT, 'webhook-signing')).find((v) => v.label === 'current')!;
    const secret = openSecret(current.encrypted_value, world.secretKey, secretAad(current.tenant, current.name, current.id));

    // Four refusals, one of each signature problem, and one delivery accepted (which is no refusal).
    expect(await deliver('{"n":1}', undefined)).toEqual({ accepted: false, reason: 'missing-signature' });
    expect(await deliver('{"n":2}', undefined)).toEqual({ accepted: false, reason: 'missing-signature' });
    expect(await forged('{"n":3}')).toEqual({ accepted: false, reason: 'bad-signature' });
    expect(await deliver('{"n":4}', sign(secret, '{"n":4}'))).toMatchObject({ accepted: true, label: 'current' });
    expect(await deliver('{"n":4}', sign(secret, '{"n":4}'))).toEqual({ accepted: false, reason: 'replayed' });

    const first = await world.run('secret-rotation');
    expect(first).toMatchObject({ status: 'succeeded', error: null });
    expect(await hookRows()).toEqual([]);
    // The demo's SEC findings, and nothing else.
    expect(first.counts).toMatchObject({ findings: 2, created: 2 });

    // The fifth.
    expect(await forged('{"n":5}')).toEqual({ accepted: false, reason: 'bad-signature' });
    const second = await world.run('secret-rotation');
    expect(second.status).toBe('succeeded');
    const [opened, ...none] = await hookRows();
    expect(none).toEqual([]);
    expect(opened).toMatchObject({
      fingerprint: HOOK_FP,
      rule: 'HOOK-01',
      name: 'webhook-signature-failures',
      severity: 'high',
      subject_type: 'tenant',
      subject_id: TENANT,
      subject_label: TENANT,
      action: 'review',
      requires_approval: false,
      title: 'Webhook receiver refused 5 deliveries in the last 24 hours (2 missing-signature, 2 bad-signature, 1 replayed)',
      evidence: { refused: 5, missing_signature: 2, bad_signature: 2, replayed: 1, no_secret: 0, window_hours: 24 },
      resolved_at: null,
    });
    // Recorded with the SEC findings by the same run: one more finding, high, created; the SEC ones persist.
    expect(second.counts).toMatchObject({ findings: 3, high: first.counts.high! + 1, created: 1, persisting: 2, resolved: 0 });
    const state = await findingsState(db);
    const sec = [...state.values()].filter((f) => f.rule.startsWith('SEC-'));
    expect(sec.map((f) => f.last_run_id)).toEqual(sec.map(() => state.get(HOOK_FP)!.last_run_id));

    // Refusals go on: the same finding persists, with the new counts.
    expect(await deliver('{"n":6}', undefined)).toEqual({ accepted: false, reason: 'missing-signature' });
    const third = await world.run('secret-rotation');
    expect(third.counts).toMatchObject({ findings: 3, created: 0, persisting: 3, resolved: 0 });
    const [persisting] = await hookRows();
    expect(persisting).toMatchObject({ fingerprint: HOOK_FP, first_seen: opened!.first_seen, resolved_at: null, evidence: { refused: 6, missing_signature: 3 } });

    // The digest lists it for the audiences of the secrets family (compliance, engineers), not the admins.
    expect((await world.run('digest')).status).toBe('succeeded');
    const digests = await digestsByAudience();
    expect([...digests.keys()].sort()).toEqual(['Admin', 'Compliance', 'Engineering']);
    for (const [audience, mail] of digests) {
      const rows = parse<Record<string, string>>(mail.attachments[0]!.content.toString('utf8'), { columns: true });
      const row = rows.find((r) => r.rule === 'HOOK-01');
      const line = `[HIGH] HOOK-01 (new) ${persisting!.title}`;
      if (audience === 'Admin') {
        expect(row, audience).toBeUndefined();
        expect(mail.text).not.toContain('HOOK-01');
        continue;
      }
      expect(row, audience).toMatchObject({ severity: 'high', name: 'webhook-signature-failures', subject_type: 'tenant', subject_id: TENANT, fingerprint: HOOK_FP, status: 'new' });
      expect(JSON.parse(row!.evidence!)).toMatchObject({ refused: 6, missing_signature: 3, bad_signature: 2, replayed: 1 });
      expect(mail.text).toContain(line);
    }

    // The findings pages: a filter by the rule, by its family, and its own page (linked to the job that resolves it).
    const choices = filterChoices([TENANT]).rules.find((g) => g.family === 'secrets')!;
    expect(choices.rules).toContainEqual({ id: 'HOOK-01', name: 'webhook-signature-failures' });
    expect((await listFindingsPage(db, [TENANT], { rule: 'HOOK-01' })).items.map((f) => [f.fingerprint, f.family])).toEqual([[HOOK_FP, 'secrets']]);
    expect((await listFindingsPage(db, [TENANT], { family: 'secrets' })).items.map((f) => f.rule)).toContain('HOOK-01');
    expect((await listFindingsPage(db, [TENANT], { family: 'access', rule: 'HOOK-01' })).items).toEqual([]);
    const detail = await findingDetail(db, [TENANT], TENANT, HOOK_FP);
    expect(detail).toMatchObject({ rule: 'HOOK-01', family: 'secrets', job_kind: 'secret-rotation', state: 'open' });
    expect(detail.runs.length).toBeGreaterThan(0);

    // A day passes with no refusal: every refusal is moved back by the window and a second.
    await db.updateTable('webhook_deliveries').set({ received_at: sql<Date>`received_at - interval '24 hours 1 second'` }).where('tenant', '=', TENANT).execute();
    const later = await world.run('secret-rotation');
    expect(later.counts).toMatchObject({ findings: 2, created: 0, persisting: 2, resolved: 1 });
    const [resolved] = await hookRows();
    expect(resolved).toMatchObject({ fingerprint: HOOK_FP, first_seen: opened!.first_seen });
    expect(resolved!.resolved_at).not.toBeNull();
    // The SEC findings stay open: the run resolved only what it no longer produced.
    const open = [...(await findingsState(db)).values()].filter((f) => f.resolved_at === null && f.rule.startsWith('SEC-'));
    expect(open).toHaveLength(2);
  }, 120_000);
});
