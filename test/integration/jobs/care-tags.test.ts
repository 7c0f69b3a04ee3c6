// The CARE-01 remedy of the data-handling job, run by the real inline runner
// against the simulator over HTTP with a Postgres ledger of its own (the demo
// tenant: profiles 56 and 57 are on the care register without its tag, 55
// has it as ` Handle-With-Care`): off by default, nothing changes; on, the tag
// is added through the platform API, verified by reading the profile again,
// and both are in the audit log; each tag is put once per tenant, profile and
// tag (a second run, a tag removed by hand afterwards; the ledger's claim
// leaves an effect to the live run holding it and hands over one whose run
// has ended); a
// tag the platform acknowledges and does not keep is recorded not verified,
// its finding stays open, and it is not tried again; a suppressed finding is
// left alone; no log line, email or audit-log entry names a profile id.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { claimCareTag, endCareTag } from '../../../src/db/care-tags.repository.js';
import { setTenantCareSettings } from '../../../src/db/tenants.repository.js';
import { suppressFinding } from '../../../src/db/suppressions.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import { simConfig as setSimConfig, simRestoreProfile } from '../erasure/support.js';
import { answersTo, remediator, simApi, startApprovalsWorld, TENANT, type ApprovalsWorld, type Remediator } from '../approvals/support.js';

const PUT_PROFILE = 'PUT /profiles/{id}';
const TAG = 'handle-with-care';

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

/** One data-handling run for the demo tenant, which must succeed. */
async function dataRun(): Promise<RunRecord> {
  const run = await world.run('data-handling', { env: world.appEnv });
  expect(run.status, run.error ?? '').toBe('succeeded');
  return run;
}

/** A profile's tags as the platform serves them, or null for a 404. */
async function tagsOf(id: string | number): Promise<string[] | null> {
  const { status, body } = await simApi(world.sim, 'GET', `/profiles/${id}`);
  if (status === 404) return null;
  expect(status).toBe(200);
  return (body as { data: { tags?: string[] } }).data.tags ?? [];
}

/** Subject ids of the tenant's open CARE-01 findings, sorted. */
async function openCare(): Promise<string[]> {
  const rows = await world.db.db.selectFrom('findings').select('subject_id').where('tenant', '=', TENANT).where('rule', '=', 'CARE-01').where('resolved_at', 'is', null).execute();
  return rows.map((f) => f.subject_id).sort();
}

const careFinding = (profileId: string) =>
  world.db.db.selectFrom('findings').select('fingerprint').where('tenant', '=', TENANT).where('rule', '=', 'CARE-01').where('subject_id', '=', profileId).executeTakeFirstOrThrow();

const effects = () => world.db.db.selectFrom('care_tag_effects').selectAll().orderBy('profile_id').execute();

/** The audit log's care entries, oldest first. */
const careLog = () => world.db.db.selectFrom('audit_log').select(['actor', 'action', 'subject', 'details']).where('action', 'like', 'care.%').orderBy('id').execute();

/** The simulator's fault settings (`POST /__sim/config`). */
const simConfig = (settings: Record<string, unknown>) => setSimConfig(world.sim, settings);

const counts = (run: RunRecord) => ({ tagged: run.counts['tagged'], tag_verified: run.counts['tag_verified'], tag_failed: run.counts['tag_failed'], tag_skipped: run.counts['tag_skipped'] });

describe('the care tag remedy', () => {
  it('off (the default): the findings are reported, and nothing changes on the platform', async () => {
    const before = [await tagsOf(55), await tagsOf(56), await tagsOf(57)];
    const run = await dataRun();
    expect(await openCare()).toEqual(['56', '57']);
    expect(counts(run)).toEqual({ tagged: undefined, tag_verified: undefined, tag_failed: undefined, tag_skipped: undefined });
    expect(await answersTo(world.sim, PUT_PROFILE)).toEqual({});
    expect([await tagsOf(55), await tagsOf(56), await tagsOf(57)]).toEqual(before);
    expect(await effects()).toEqual([]);
    expect(await careLog()).toEqual([]);
  });

  it('on: tags each profile once through the API, verifies it by reading it again, and records both', async () => {
    await setTenantCareSettings(world.db.db, TENANT, { careAutoTag: true }, 'test');
    const run = await dataRun();
    expect(counts(run)).toEqual({ tagged: 2, tag_verified: 2, tag_failed: 0, tag_skipped: 0 });
    // The tag after the profile's own tags, which are kept; 55 matched already (case and spaces aside).
    expect(await tagsOf(56)).toEqual(['vip', TAG]);
    expect(await tagsOf(57)).toEqual([TAG]);
    expect(await tagsOf(55)).toEqual([' Handle-With-Care', 'vip']);
    expect(await answersTo(world.sim, PUT_PROFILE)).toEqual({ 200: 2 });

    const rows = await effects();
    expect(rows.map((e) => [e.profile_id, e.tag, e.tag_key, e.outcome, e.run_key])).toEqual([
      ['56', TAG, TAG, 'verified', run.id],
      ['57', TAG, TAG, 'verified', run.id],
    ]);
    expect(rows[0]!.detail).toEqual({
      act: { call: 'PUT /profiles/{id}', answer: 'tags replaced, the care tag added' },
      verification: { check: 'GET /profiles/{id}', result: 'the profile carries the tag' },
    });

    // The change and the verification, by effect and finding: never the profile id.
    const logged = await careLog();
    const f56 = (await careFinding('56')).fingerprint;
    expect(logged.map((e) => [e.action, e.subject, e.actor])).toEqual([
      ['care.tag_added', `care_tag:${rows[0]!.id}`, 'system:data-handling'],
      ['care.tag_verified', `care_tag:${rows[0]!.id}`, 'system:data-handling'],
      ['care.tag_added', `care_tag:${rows[1]!.id}`, 'system:data-handling'],
      ['care.tag_verified', `care_tag:${rows[1]!.id}`, 'system:data-handling'],
    ]);
    expect(logged[1]!.details).toEqual({ tenant: TENANT, rule: 'CARE-01', finding: f56, tag: TAG, run: run.id, check: 'GET /profiles/{id}', result: 'the profile carries the tag' });
    for (const e of logged) expect(JSON.stringify(e)).not.toMatch(/"5[5-8]"|profile_id|vip/);
    const setting = await world.db.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'tenant.care_settings_set').execute();
    expect(setting).toEqual([{ action: 'tenant.care_settings_set', details: { care_auto_tag: true } }]);

    // Run twice: the findings resolve, and nothing is put again.
    const again = await dataRun();
    expect(counts(again)).toEqual({ tagged: 0, tag_verified: 0, tag_failed: 0, tag_skipped: 0 });
    expect(await openCare()).toEqual([]);
    expect(await answersTo(world.sim, PUT_PROFILE)).toEqual({ 200: 2 });

    // A tag someone removes afterwards is reported again, and not put back: once per tenant, profile and tag.
    expect((await simApi(world.sim, 'PUT', '/profiles/57', { tags: [] })).status).toBe(200);
    const third = await dataRun();
    expect(await openCare()).toEqual(['57']);
    expect(counts(third)).toEqual({ tagged: 0, tag_verified: 0, tag_failed: 0, tag_skipped: 1 });
    expect(await answersTo(world.sim, PUT_PROFILE)).toEqual({ 200: 3 });
    expect(await tagsOf(57)).toEqual([]);
    expect(await careLog()).toHaveLength(4);
  });

  it('a tag the platform acknowledges and does not keep: recorded not verified, the finding stays open, never tried again', async () => {
    await setTenantCareSettings(world.db.db, TENANT, { careAutoTag: true }, 'test');
    await simConfig({ tagDropRate: 1 });
    const run = await dataRun();
    expect(counts(run)).toEqual({ tagged: 2, tag_verified: 0, tag_failed: 2, tag_skipped: 0 });
    expect(await tagsOf(56)).toEqual(['vip']);
    expect(await tagsOf(57)).toEqual([]);
    const rows = await effects();
    expect(rows.map((e) => [e.profile_id, e.outcome])).toEqual([
      ['56', 'not_verified'],
      ['57', 'not_verified'],
    ]);
    expect(rows[1]!.detail).toMatchObject({ verification: { check: 'GET /profiles/{id}', result: 'the profile does not carry the tag' } });
    expect((await careLog()).map((e) => e.action)).toEqual(['care.tag_added', 'care.tag_not_verified', 'care.tag_added', 'care.tag_not_verified']);

    // The platform behaves again; the next runs still report the findings and do not put the tag again.
    await simConfig({ tagDropRate: 0 });
    const again = await dataRun();
    expect(await openCare()).toEqual(['56', '57']);
    expect(counts(again)).toEqual({ tagged: 0, tag_verified: 0, tag_failed: 0, tag_skipped: 2 });
    expect(await answersTo(world.sim, PUT_PROFILE)).toEqual({ 200: 2 });
  });

  it('leaves a suppressed finding alone (an accepted risk)', async () => {
    await dataRun();
    await suppressFinding(world.db.db, { tenant: TENANT, fingerprint: (await careFinding('57')).fingerprint, reason: 'the customer asked not to be tagged', author: 'test', expiresAt: new Date(Date.now() + 86_400_000) });
    await setTenantCareSettings(world.db.db, TENANT, { careAutoTag: true }, 'test');
    const run = await dataRun();
    expect(counts(run)).toEqual({ tagged: 1, tag_verified: 1, tag_failed: 0, tag_skipped: 0 });
    expect(await tagsOf(57)).toEqual([]);
    expect((await effects()).map((e) => e.profile_id)).toEqual(['56']);
  });

  it('names no profile id in a log line, an email or the audit log', async () => {
    // A profile of the test's own, with an id nothing else can be mistaken for, on the register without its tag.
    const id = 987_654_321;
    await simRestoreProfile(world.sim, { id });
    await world.db.db.insertInto('care_register').values({ tenant: TENANT, profile_id: String(id), reason: 'test' }).execute();
    await setTenantCareSettings(world.db.db, TENANT, { careAutoTag: true }, 'test');
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        cb();
      },
    });
    r = remediator(world, { log: createLogger({ level: 'debug' }, sink) });
    // One verified tag and, with tags dropped for the rest of the run, the warnings of those that do not stick.
    const runOnce = async () => {
      const runId = await enqueue({ registry: world.registry, ledger: r!.ledger, dispatcher: r!.runner }, 'data-handling', {}, { tenant: TENANT });
      await r!.runner.settled(runId);
      return (await r!.ledger.get(runId))!;
    };
    await simConfig({ tagDropRate: 1 });
    const run = await runOnce();
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.counts).toMatchObject({ tagged: 3, tag_failed: 3 });
    expect((await effects()).map((e) => e.profile_id)).toContain(String(id));
    expect(lines.some((l) => l.includes('care tag not verified'))).toBe(true);
    const mails = (await world.outbox()).map((m) => `${m.subject ?? ''}\n${m.text ?? ''}\n${typeof m.html === 'string' ? m.html : ''}`);
    const log = JSON.stringify(await world.db.db.selectFrom('audit_log').selectAll().execute());
    for (const text of [...lines, ...mails, log]) expect(text).not.toContain(String(id));
  });
});

describe('the claim of a care tag in the ledger', () => {
  it('is left to the live run holding it, taken over once that run has ended, and ends once', async () => {
    const ledger = new JobRunsLedger(world.db.db);
    for (const id of ['run-a', 'run-b']) await ledger.createRun({ id, kind: 'data-handling', tenant: TENANT, payload: {}, scheduledFor: null });
    const claim = (runKey: string, tag = TAG) => claimCareTag(world.db.db, { tenant: TENANT, profileId: '57', tag, tagKey: tag.trim().toLowerCase(), fingerprint: 'f', runKey, at: new Date() });
    const first = await claim('run-a');
    expect(first.state).toBe('claimed');
    // Another run while run-a is queued or running: held. run-a itself again (a retry): still its own.
    expect(await claim('run-b')).toEqual({ state: 'held', id: first.id });
    expect(await claim('run-a')).toEqual({ state: 'claimed', id: first.id });
    // The same tag in another case is the same effect; another tag is another.
    expect(await claim('run-b', ' Handle-With-Care ')).toEqual({ state: 'held', id: first.id });
    expect((await claim('run-b', 'vip')).state).toBe('claimed');
    // run-a dies for good: run-b takes the effect over, and run-a may no longer end it.
    await ledger.finish('run-a', 'failed', {}, 'died');
    expect(await claim('run-b')).toEqual({ state: 'claimed', id: first.id });
    const end = (runKey: string) =>
      endCareTag(world.db.db, first.id, { actor: 'test', tenant: TENANT, tag: TAG, fingerprint: 'f', runKey, act: null, verification: { outcome: 'verified', check: 'GET /profiles/{id}', result: 'the profile carries the tag' }, at: new Date() });
    expect(await end('run-a')).toBe(false);
    expect(await end('run-b')).toBe(true);
    expect(await end('run-b')).toBe(false);
    expect(await claim('run-b')).toEqual({ state: 'ended', id: first.id, outcome: 'verified' });
    // No act: only the verification is logged, once.
    expect((await careLog()).map((e) => [e.action, e.subject])).toEqual([['care.tag_verified', `care_tag:${first.id}`]]);
  });
});
