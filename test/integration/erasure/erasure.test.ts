/** The erasure pipeline end to end: enqueue, purge, verify, certificate; against the simulator over HTTP and real Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, erasureCertificate, erasureDetail, erasureStatus } from '../../../src/app/erasures.js';
import { eraser, simApi, someProfiles, startErasureWorld, TENANT, type Eraser, type ErasureWorld } from './support.js';

let world: ErasureWorld;
let e: Eraser;

beforeAll(async () => {
  world = await startErasureWorld();
  e = eraser(world);
}, 60_000);

afterAll(async () => {
  await e?.close();
  await world?.close();
});

describe('erasure pipeline', () => {
  it('purges a profile, proves it gone by id, identifiers and transactions, and certifies it once', async () => {
    const [profile] = await someProfiles(world.sim, 1);
    const out = await enqueueErasure(e.deps, { tenant: TENANT, profileId: String(profile!.id), identifiers: [`email:${profile!.email}`, `phone:${profile!.mobile_phone}`], reference: 'TICKET-1' }, 'cli:test');
    expect(out.created).toBe(true);
    await e.idle();
    const detail = await erasureDetail(world.db.db, out.request.id);
    expect(detail.request.status).toBe('verified');
    expect(detail.request.identifiers_held).toBe(false);
    const cert = await erasureCertificate(world.db.db, out.request.id);
    expect(cert.certificate).toMatchObject({ request_id: out.request.id, outcome: 'verified', profile_id: String(profile!.id) });
    expect((cert.certificate.checks as { passed: boolean }[]).every((c) => c.passed)).toBe(true);
    expect((cert.certificate.checks as { check: string }[]).map((c) => c.check)).toEqual(['control', 'profile', 'search', 'search', 'transactions']);
    expect(JSON.stringify(cert)).not.toContain(profile!.email!);
    expect((await simApi(world.sim, 'GET', `/profiles/${profile!.id}`)).status).toBe(404);
    const again = await enqueueErasure(e.deps, { tenant: TENANT, profileId: String(profile!.id) }, 'cli:test');
    expect(again).toMatchObject({ created: false, run: null, request: { id: out.request.id } });
    const status = await erasureStatus(world.db.db, { tenant: TENANT });
    expect(status.counts.verified).toBeGreaterThanOrEqual(1);
  });

  it('a profile the platform never had ends not_found, proven the same way', async () => {
    const out = await enqueueErasure(e.deps, { tenant: TENANT, profileId: '987654321' }, 'cli:test');
    await e.idle();
    const cert = await erasureCertificate(world.db.db, out.request.id);
    expect(cert.outcome).toBe('not_found');
  });
});
