// The data-handling job against the simulator over HTTP and a Postgres ledger
// of its own: DAT-01..03 and CARE-01..02 are recorded for the demo tenant, and
// each is resolved by the next run once it is put right on the platform (or in
// the register); the gathering keeps tags only and logs no profile id.
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatherTenantSnapshot } from '../../../src/audit/tenant-snapshot.js';
import { seedDataRecords } from '../../../src/db/data-records-seed.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { familyOf } from '../../../src/rules/engine.js';
import { simApi } from '../../support/sim-api.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

/** The demo's data findings (the public data example laid out in the demo tenant). */
const DATA_FINDINGS = ['CARE-01 56', 'CARE-01 57', 'CARE-02 58', 'DAT-01 2', 'DAT-02 4', 'DAT-02 6', 'DAT-03 3', 'DAT-03 6'];

/** A change on the platform, as the tenant's integration makes it: the answer's status. */
async function platform(world: JobsWorld, method: string, path: string, body?: unknown): Promise<number> {
  return (await simApi(world.sim, method, path, body)).status;
}

async function openData(world: JobsWorld): Promise<string[]> {
  return [...(await findingsState(world.db.db)).values()]
    .filter((f) => familyOf(f.rule) === 'data' && f.resolved_at === null)
    .map((f) => `${f.rule} ${f.subject_id}`)
    .sort();
}

describe('the data-handling job on Postgres', () => {
  let world: JobsWorld;
  beforeEach(async () => {
    world = await startWorld('postgres');
  });
  afterEach(async () => {
    await world?.close();
  });

  it('records every DAT and CARE finding of the demo, reading each register profile once', async () => {
    const run = await world.run('data-handling');
    expect(run).toMatchObject({ status: 'succeeded', error: null, attempts: 1 });
    expect(run.counts).toMatchObject({ findings: 8, created: 8, critical: 1, high: 2, medium: 4, low: 1 });
    expect(await openData(world)).toEqual(DATA_FINDINGS);
    // The four register profiles, one request each: 55..57 are there, 58 is not.
    expect(world.sim.stats().requests['GET /api/v3/profiles/{id}']).toEqual({ 200: 3, 404: 1 });
    expect(world.sim.stats().requests['GET /api/v3/webhooks']).toEqual({ 200: 1 });
  });

  it('resolves each finding once it is put right on the platform or in the register', async () => {
    await world.run('data-handling');
    // DAT-01: https now, to an approved host (https to reports.demo.example would be DAT-02 instead).
    // DAT-02 (4): turned off. DAT-02 and DAT-03 (6): deleted.
    expect(await platform(world, 'PUT', '/webhooks/2', { url: 'https://hooks.demo.example/reports' })).toBe(200);
    expect(await platform(world, 'PUT', '/webhooks/4', { is_active: false })).toBe(200);
    expect(await platform(world, 'DELETE', '/webhooks/6')).toBe(204);
    // DAT-03 (3): handed to the machine account pos-sync.
    expect(await platform(world, 'PUT', '/webhooks/3', { user_id: 6 })).toBe(200);
    // CARE-01: tagged, in any case and with spaces.
    expect(await platform(world, 'PUT', '/profiles/56', { tags: ['vip', 'Handle-With-Care '] })).toBe(200);
    let run = await world.run('data-handling');
    expect(run.counts).toMatchObject({ findings: 2, created: 0, persisting: 2, resolved: 6 });
    expect(await openData(world)).toEqual(['CARE-01 57', 'CARE-02 58']);

    // The rest through the register: 57 tagged on the platform, 58 (gone from the platform) taken off the register.
    expect(await platform(world, 'PUT', '/profiles/57', { tags: ['handle-with-care'] })).toBe(200);
    await seedDataRecords(world.db.db, TENANT, {
      destinations: [{ host: 'hooks.demo.example', note: null }, { host: '*.crm.example', note: null }],
      care: ['55', '56', '57'].map((id) => ({ profile_id: id, reason: 'vulnerable customer', added_at: new Date() })),
    });
    run = await world.run('data-handling');
    expect(run.counts).toMatchObject({ findings: 0, resolved: 2 });
    expect(await openData(world)).toEqual([]);
  });

  it('a new finding appears when a webhook starts sending data elsewhere; other families are untouched', async () => {
    await world.run('stale-accounts');
    const before = await findingsState(world.db.db);
    expect(await platform(world, 'POST', '/webhooks', { trigger: 'profile.exported', url: 'https://bulk-dump.example.org/in' })).toBe(201);
    const run = await world.run('data-handling');
    expect(run.counts).toMatchObject({ findings: 9, created: 9 });
    expect(await openData(world)).toContain('DAT-02 7');
    const after = await findingsState(world.db.db);
    for (const [fp, f] of before) expect(after.get(fp)).toEqual(f);
  });

  it('keeps only the tags of a register profile, and logs neither profile ids nor webhook urls', async () => {
    // Distinctive ids, so that nothing else in a log line can contain them by chance.
    const present = 918_273_645;
    const absent = '827364519';
    const restore = await fetch(`${world.sim.origin}/__sim/profiles`, {
      method: 'POST',
      body: JSON.stringify({ id: present, first_name: 'Quentin', last_name: 'Zabrowski', email: 'q.zabrowski@customers.example' }),
    });
    expect(restore.status).toBe(200);
    await seedDataRecords(world.db.db, TENANT, {
      destinations: [],
      care: [String(present), absent].map((id) => ({ profile_id: id, reason: 'vulnerable customer', added_at: new Date() })),
    });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const snapshot = await gatherTenantSnapshot(world.db.db, TENANT, {
      env: world.env,
      parts: ['webhooks', 'care'],
      logger: createLogger({ level: 'debug' }, sink),
    });
    expect(snapshot.omneo?.profiles).toEqual([{ id: String(present), tags: [] }]);
    expect(snapshot.care_register?.profiles.map((p) => p.profile_id)).toEqual([absent, String(present)]);
    expect(JSON.stringify(snapshot)).not.toMatch(/Quentin|Zabrowski|customers\.example/);
    // Of a webhook url, the scheme and host only: the key in webhook 2's query stays on the platform.
    expect(snapshot.omneo?.webhooks?.find((w) => w.id === 2)?.url).toBe('http://reports.demo.example/');
    expect(JSON.stringify(snapshot)).not.toContain('demo-report-key');
    expect(Object.keys(snapshot.omneo!.webhooks![0]!).sort()).toEqual(['created_at', 'id', 'is_active', 'trigger', 'updated_at', 'url', 'user_id']);
    // The client logs each request at debug: there are lines, and none names a profile or a webhook's url.
    const log = lines.join('');
    expect(log).toMatch(/profiles\/\{id\}/);
    expect(log).not.toContain(String(present));
    expect(log).not.toContain(absent);
    expect(log).not.toContain('demo-report-key');
  });
});
