/**
 * A rotation's life besides the straight line: two requests at once (one
 * rotation), two runs of one rotation at once (one pending version, one
 * token, one email per admin), a rollback of each kind (undone on the
 * platform where the rotator changed it), and an emergency rotation (the old
 * value retired the moment the new one is proven).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollbackSecret, rotateSecret } from '../../../src/app/secrets.js';
import { createRuns } from '../../../src/db/job-runs.repository.js';
import { RotationInProgressError } from '../../../src/db/secret-versions.repository.js';
import type { OmneoToken } from '../../../src/omneo/types.js';
import { newRunId } from '../../../src/queue/run-id.js';
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../src/secrets/hmac.js';
import { eventually } from '../../support/queue.js';
import { simApi } from '../../support/sim-api.js';
import {
  adminReads,
  auditActions,
  deliver,
  flow,
  importSecret,
  journal,
  leaksOf,
  MACHINE_USER,
  refusals,
  rotationEmails,
  rotationIn,
  rotationRow,
  simAdmin,
  startRotationWorld,
  TENANT,
  versionsOf,
  worker,
  type RotationWorld,
  type Worker,
} from './support.js';

let world: RotationWorld;
let w: Worker;

beforeAll(async () => {
  world = await startRotationWorld();
  w = worker(world);
}, 60_000);

afterAll(async () => {
  await w?.close();
  await world?.close();
});

const random = (bytes = 32) => randomBytes(bytes).toString('base64url');

async function post(secret: string, body: string): Promise<number> {
  const res = await fetch(world.receiver, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(secret, body) }, body });
  await res.arrayBuffer();
  return res.status;
}

async function newIntegrationToken(name: string): Promise<{ value: string; id: string }> {
  const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name, scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
  return { value: made.accessToken, id: made.token.id };
}

async function liveTokens(name: string): Promise<string[]> {
  return ((await simApi(world.sim, 'GET', '/auth/access-tokens')).body as OmneoToken[]).filter((t) => t.name === name && !t.revoked).map((t) => t.id);
}

async function verifyStatus(token: string): Promise<number> {
  const res = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${token}`, 'user-agent': 'Integration/1.0' } });
  await res.arrayBuffer();
  return res.status;
}

async function login(password: string): Promise<number> {
  const res = await fetch(`${world.sim.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: MACHINE_USER.email, password }) });
  await res.arrayBuffer();
  return res.status;
}

describe('at once', () => {
  it('two rotation requests make one rotation; the other is refused with RotationInProgressError', async () => {
    const NAME = 'hooks-twice';
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: random() });
    const outcomes = await Promise.allSettled([rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:one'), rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:two')]);
    const started = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(RotationInProgressError);
    expect((refused[0]!.reason as Error).message).toMatch(/already has a rotation under way/);
    expect(await world.db.selectFrom('secret_rotations').select('id').where('name', '=', NAME).execute()).toHaveLength(1);
    expect(await world.db.selectFrom('job_runs').select('id').where('kind', '=', 'rotation').where('tenant', '=', TENANT).where('payload', '@>', { rotation_id: (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof rotateSecret>>>).value.rotation.id } as never).execute()).toHaveLength(1);
    await rotationIn(world.db, (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof rotateSecret>>>).value.rotation.id, ['test']);
    await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await w.runner.idle();
  }, 60_000);

  it('a request during the overlap is refused with when it may come, not with a rollback that is refused too', async () => {
    const NAME = 'barcode-in-overlap';
    const old = random();
    // A worker of its own: its run waits an hour for the end of the overlap, and is stopped with it.
    const own = worker(world);
    try {
      await simAdmin(world.sim, '/__sim/secrets', { barcode: old });
      await importSecret(own.deps, { name: NAME, kind: 'barcode', value: old, overlapS: 3_600 });
      const started = await rotateSecret(own.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      await rotationIn(world.db, started.rotation.id, ['test']);
      await simAdmin(world.sim, '/__sim/secrets', { barcode: [old, await adminReads(world, NAME)] });
      const overlap = await rotationIn(world.db, started.rotation.id, ['overlap']);

      const again = rotateSecret(own.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      await expect(again).rejects.toBeInstanceOf(RotationInProgressError);
      await expect(again).rejects.toThrow(`until ${overlap.retire_at!.toISOString()}`);
      await expect(again).rejects.not.toThrow(/roll/);
      await expect(rollbackSecret(own.deps, { tenant: TENANT, name: NAME }, 'cli:test')).rejects.toThrow(/has finished/);
    } finally {
      await own.close();
    }
  }, 60_000);

  it('two runs of one API-token rotation at once make one pending version, one new token and one email per admin', async () => {
    const NAME = 'token-two-runs';
    const old = await newIntegrationToken('two-runs');
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value, overlapS: 1 });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    // A second run of the same rotation, as two daily jobs at once would give it.
    const again = newRunId();
    await createRuns(world.db, 'rotation', [{ runKey: again, tenant: TENANT, payload: { rotation_id: started.rotation.id } }], new Date());
    await w.deps.dispatch('rotation', [{ id: again, tenant: TENANT, payload: { rotation_id: started.rotation.id } }]);

    await rotationIn(world.db, started.rotation.id, ['finish']);
    const value = await adminReads(world, NAME);
    expect(await verifyStatus(value)).toBe(200);
    await rotationIn(world.db, started.rotation.id, ['done']);
    await w.runner.idle();
    // The younger run left the rotation to the older one.
    expect(await w.settled(again)).toMatchObject({ status: 'succeeded', counts: { skipped: 1 } });
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
    expect(await liveTokens('two-runs')).toEqual([(await versionsOf(world.db, NAME))[1]!.platform_ref]);
    expect((await rotationEmails(world, NAME)).map((m) => m.to).sort()).toEqual(world.admins.map((a) => a.email).sort());
  }, 60_000);
});

describe('rollback', () => {
  it('webhook-signing: the pending secret is retired and refused at once; the current one still accepted', async () => {
    const NAME = 'hooks-rollback';
    const old = random();
    await simAdmin(world.sim, '/__sim/secrets', { webhook: old });
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: old });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await rotationIn(world.db, started.rotation.id, ['test']);
    const pending = await adminReads(world, NAME);
    expect(await post(pending, JSON.stringify({ id: 'evt_before_rollback' }))).toBe(204);

    const view = await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    expect(view.state).toBe('rolled_back');
    expect(await post(pending, JSON.stringify({ id: 'evt_after_rollback' }))).toBe(401);
    expect(await deliver(world)).toBe(204);
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current', 'retired']);
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
    expect(await auditActions(world.db, NAME)).toContain('secret.rotation_rolled_back');
    // Finished rotations cannot be rolled back; nothing to roll back now either.
    await expect(rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test')).rejects.toThrow(/has no rotation under way/);
    expect(await leaksOf(world, [old, pending], { workers: [w], answers: [JSON.stringify(view)] })).toEqual([]);
  }, 60_000);

  it('barcode: the pending secret is retired; nothing changes on the platform', async () => {
    const NAME = 'barcode-rollback';
    const old = random();
    await importSecret(w.deps, { name: NAME, kind: 'barcode', value: old });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await rotationIn(world.db, started.rotation.id, ['test']);
    expect((await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test')).state).toBe('rolled_back');
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current', 'retired']);
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
  }, 60_000);

  it('api-token: the pending token is revoked on the platform; the integration’s token works on', async () => {
    const NAME = 'token-rollback';
    const old = await newIntegrationToken('rollback-integration');
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await rotationIn(world.db, started.rotation.id, ['finish']);
    const pending = (await versionsOf(world.db, NAME)).find((v) => v.label === 'pending')!;
    expect(await liveTokens('rollback-integration')).toEqual([old.id, pending.platform_ref]);

    await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    expect(await liveTokens('rollback-integration')).toEqual([old.id]);
    expect(await verifyStatus(old.value)).toBe(200);
    expect(await journal(world.db, started.rotation.id)).toEqual(expect.arrayContaining(['rolled_back', 'revoke_pending_call', 'pending_token_revoked']));
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
  }, 60_000);

  it('api-token during create (the platform slow to make the token): the token made after the rollback is revoked, not left live', async () => {
    const NAME = 'token-rollback-create';
    const old = await newIntegrationToken('rollback-create-integration');
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value });
    // create: /auth/verify, then POST /auth/api-tokens, answered after 1.5 s (made on the platform all the same).
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, { delayMs: 1_500 }] });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await eventually(async () => ((await journal(world.db, started.rotation.id)).includes('token_create_call') ? true : undefined), 10_000, 'the create call');
    await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
    expect(await liveTokens('rollback-create-integration')).toEqual([old.id]);
    expect(await journal(world.db, started.rotation.id)).toEqual(['started', 'token_create_call', 'rolled_back', 'orphan_token_revoked']);
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current']);
  }, 60_000);

  it('machine-password after set: the old password is put back on the platform and works again', async () => {
    const NAME = 'password-rollback';
    const old = random(30);
    expect((await simApi(world.sim, 'PUT', `/users/${MACHINE_USER.id}`, { password: old })).status).toBe(200);
    await importSecret(w.deps, { name: NAME, kind: 'machine-password', value: old, machineUserId: MACHINE_USER.id });
    // set: PUT /users/6; test: GET /users/6, then the sign-in, which fails: the rotation waits at test, after set.
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, {}, { status: 503 }] });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await eventually(async () => ((await rotationRow(world.db, started.rotation.id)).tries > 0 ? true : undefined), 20_000, 'the failed sign-in');
    expect((await rotationRow(world.db, started.rotation.id)).state).toBe('test');
    const pending = await adminReads(world, NAME);
    expect(await login(old)).toBe(401);
    expect(await login(pending)).toBe(200);

    await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    expect(await login(old)).toBe(200);
    expect(await login(pending)).toBe(401);
    expect(await journal(world.db, started.rotation.id)).toEqual(expect.arrayContaining(['password_set', 'rolled_back', 'password_restored']));
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
    expect(await leaksOf(world, [old, pending], { workers: [w] })).toEqual([]);
  }, 60_000);
});

describe('emergency', () => {
  it('webhook-signing: no overlap, a delivery signed with the old secret is refused right after the finish', async () => {
    const NAME = 'hooks-emergency';
    const old = random();
    await simAdmin(world.sim, '/__sim/secrets', { webhook: old });
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: old });
    const deliveries = flow(async () => {
      const status = await deliver(world);
      return { ok: status === 204, detail: `delivery answered ${status}` };
    });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME, emergency: true }, 'cli:test');
    expect(started.rotation).toMatchObject({ emergency: true, reason: 'emergency' });
    await rotationIn(world.db, started.rotation.id, ['test']);
    const value = await adminReads(world, NAME);
    // The email says there is no overlap.
    expect((await rotationEmails(world, NAME))[0]!.text).toMatch(/emergency rotation/);
    await simAdmin(world.sim, '/__sim/secrets', { webhook: value });
    const done = await rotationIn(world.db, started.rotation.id, ['overlap', 'done']);
    const samples = await deliveries.stop();
    expect(refusals(samples)).toEqual([]);
    expect(await post(old, JSON.stringify({ id: 'evt_old_after_emergency' }))).toBe(401);
    expect(await post(value, JSON.stringify({ id: 'evt_new_after_emergency' }))).toBe(204);
    const row = await rotationIn(world.db, started.rotation.id, ['done']);
    expect(row.retire_at?.getTime()).toBe(row.finished_at?.getTime());
    expect(done.finished_at).not.toBeNull();
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
  }, 60_000);

  it('api-token: the old token is revoked the moment the new one is proven, without waiting for the integration', async () => {
    const NAME = 'token-emergency';
    const old = await newIntegrationToken('emergency-integration');
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME, emergency: true }, 'cli:test');
    await rotationIn(world.db, started.rotation.id, ['done']);
    expect(await verifyStatus(old.value)).toBe(401);
    const current = (await versionsOf(world.db, NAME)).find((v) => v.label === 'current')!;
    expect(await liveTokens('emergency-integration')).toEqual([current.platform_ref]);
    const value = await adminReads(world, NAME);
    expect(await verifyStatus(value)).toBe(200);
  }, 60_000);
});
