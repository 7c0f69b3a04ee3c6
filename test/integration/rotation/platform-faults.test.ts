/**
 * The platform failing during a rotation, through the simulator's fault
 * injection: a 5xx at `set` (the machine password's `PUT /users/{id}`) and at
 * `test` (the barcode service, `/auth/verify`) is recorded in `waiting_for`
 * and tried again on the engine's backoff, without spending an attempt; the
 * rotation stays where it is (one pending version, the admins emailed once)
 * and finishes once the platform answers. A rotation left pending past the
 * tenant's limit raises SEC-02, which resolves once it is done.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollbackSecret, rotateSecret } from '../../../src/app/secrets.js';
import type { SecretRotation } from '../../../src/db/database.js';
import type { OmneoToken } from '../../../src/omneo/types.js';
import { eventually } from '../../support/queue.js';
import { simApi } from '../../support/sim-api.js';
import {
  adminReads,
  importSecret,
  leaksOf,
  MACHINE_USER,
  rotationEmails,
  rotationIn,
  rotationRow,
  setPendingLimit,
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
  await simAdmin(world.sim, '/__sim/config', { errorRate: 0 }).catch(() => undefined);
  await w?.close();
  await world?.close();
});

/** Waits until rotation `id` waits at `state` after at least `tries` failed tries, `waiting_for` matching `pattern`. */
function waitsAt(id: number, state: SecretRotation['state'], tries: number, pattern: RegExp): Promise<SecretRotation> {
  return eventually(
    async () => {
      const row = await rotationRow(world.db, id);
      return row.state === state && row.tries >= tries && pattern.test(row.waiting_for ?? '') ? row : undefined;
    },
    20_000,
    `rotation ${id} to wait at ${state} (${String(pattern)}) after ${tries} tries`,
  );
}

async function login(password: string): Promise<number> {
  const res = await fetch(`${world.sim.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: MACHINE_USER.email, password }) });
  await res.arrayBuffer();
  return res.status;
}

describe('the platform failing', () => {
  it('during set (PUT /users/{id} answering 5xx): waits on a backoff at set, then sets and finishes', async () => {
    const NAME = 'pos-sync-login-faulty';
    const old = randomBytes(30).toString('base64url');
    expect((await simApi(world.sim, 'PUT', `/users/${MACHINE_USER.id}`, { password: old })).status).toBe(200);
    await importSecret(w.deps, { name: NAME, kind: 'machine-password', value: old, machineUserId: MACHINE_USER.id });
    await simAdmin(world.sim, '/__sim/faults', { faults: [{ status: 503 }, { status: 502 }] });

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const first = await waitsAt(started.rotation.id, 'set', 1, /^the platform failed: .*503/);
    const second = await waitsAt(started.rotation.id, 'set', 2, /^the platform failed: .*502/);
    // On a backoff: the second try came about 2 s after the first (the engine's first wait).
    expect(second.tries).toBe(2);
    expect(first.version_id).not.toBeNull();
    // The admins are told only once the platform has the password (the email says the old one stopped working).
    expect(await rotationEmails(world, NAME)).toEqual([]);
    expect(await login(old)).toBe(200);

    const done = await rotationIn(world.db, started.rotation.id, ['done']);
    expect(done.tries).toBe(0);
    const run = await w.settled(started.run);
    // Waiting is not an attempt: one attempt, deferred twice.
    expect(run).toMatchObject({ status: 'succeeded', attempts: 1 });
    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['retired', 'current']);
    const value = await adminReads(world, NAME);
    expect(await login(value)).toBe(200);
    expect(await login(old)).toBe(401);
    expect(await rotationEmails(world, NAME)).toHaveLength(world.admins.length);
    expect(await leaksOf(world, [old, value], { workers: [w] })).toEqual([]);
  }, 60_000);

  it('during test (the barcode service answering 5xx): waits at test naming the failure, then finishes once support adds the secret', async () => {
    const NAME = 'barcode-faulty';
    const old = randomBytes(32).toString('base64url');
    await simAdmin(world.sim, '/__sim/secrets', { barcode: old });
    await importSecret(w.deps, { name: NAME, kind: 'barcode', value: old, overlapS: 1 });
    await simAdmin(world.sim, '/__sim/faults', { faults: [{ status: 503 }] });

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await waitsAt(started.rotation.id, 'test', 1, /^the platform failed: .*503/);
    // The next try reaches the service, which refuses the new secret until support adds it.
    await waitsAt(started.rotation.id, 'test', 2, /barcode service to accept the new secret/);
    const value = await adminReads(world, NAME);
    await simAdmin(world.sim, '/__sim/secrets', { barcode: [old, value] });
    await rotationIn(world.db, started.rotation.id, ['done']);
    expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
    expect(await rotationEmails(world, NAME)).toHaveLength(world.admins.length);
    expect(await leaksOf(world, [old, value], { workers: [w] })).toEqual([]);
  }, 60_000);

  it('during test (/auth/verify answering 5xx): waits at test naming the failure, no second token made, then finishes', async () => {
    const NAME = 'verify-faulty-token';
    const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'verify-faulty', scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: made.accessToken, overlapS: 1 });
    // create: /auth/verify with the current token, then POST /auth/api-tokens; test: /auth/verify with the new one.
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, {}, { status: 503 }] });

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await waitsAt(started.rotation.id, 'test', 1, /^the platform failed: .*503/);
    await waitsAt(started.rotation.id, 'finish', 1, /integration to use the new token/);
    const value = await adminReads(world, NAME);
    // The integration installs it and calls the platform with it.
    const call = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${value}`, 'user-agent': 'VerifyFaulty/1.0' } });
    expect(call.status).toBe(200);
    await rotationIn(world.db, started.rotation.id, ['done']);
    const tokens = (await simApi(world.sim, 'GET', '/auth/access-tokens')).body as OmneoToken[];
    expect(tokens.filter((t) => t.name === 'verify-faulty' && !t.revoked)).toHaveLength(1);
    expect(await leaksOf(world, [made.accessToken, value], { workers: [w] })).toEqual([]);
  }, 60_000);

  it('for good: the rotation stays pending, says why, and raises SEC-02 once past the tenant’s limit; done, SEC-02 resolves', async () => {
    const NAME = 'barcode-down';
    const old = randomBytes(32).toString('base64url');
    await simAdmin(world.sim, '/__sim/secrets', { barcode: old });
    await importSecret(w.deps, { name: NAME, kind: 'barcode', value: old, overlapS: 1 });
    await simAdmin(world.sim, '/__sim/config', { errorRate: 1 });
    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await waitsAt(started.rotation.id, 'test', 2, /^the platform failed: /);

    const sec02 = () =>
      world.db.selectFrom('findings').select(['rule', 'subject_id', 'resolved_at', 'evidence']).where('rule', '=', 'SEC-02').where('subject_id', '=', NAME).executeTakeFirst();
    // Pending for seconds: within the default limit (7 days), no finding.
    expect((await w.runJob('secret-rotation')).status).toBe('succeeded');
    expect(await sec02()).toBeUndefined();
    // A limit of 0 days: pending since before this run is past it.
    await setPendingLimit(world.db, 0);
    expect((await w.runJob('secret-rotation')).status).toBe('succeeded');
    const raised = await sec02();
    expect(raised?.resolved_at).toBeNull();
    expect(raised?.evidence).toMatchObject({ kind: 'barcode' });
    // The daily job gave no second run: the rotation's own is deferred, not lost.
    const runs = await world.db.selectFrom('job_runs').select('idempotency_key').where('kind', '=', 'rotation').execute();
    expect(runs.filter((r) => r.idempotency_key === started.run)).toHaveLength(1);
    expect((await rotationRow(world.db, started.rotation.id)).state).toBe('test');

    // The platform is back, support adds the secret: done, and the next audit resolves SEC-02.
    await simAdmin(world.sim, '/__sim/config', { errorRate: 0 });
    const value = await adminReads(world, NAME);
    await simAdmin(world.sim, '/__sim/secrets', { barcode: [old, value] });
    await rotationIn(world.db, started.rotation.id, ['done'], 60_000);
    expect((await w.runJob('secret-rotation')).status).toBe('succeeded');
    expect((await sec02())?.resolved_at).not.toBeNull();
    await setPendingLimit(world.db, 7);
  }, 90_000);

  it('during create (an API token, the platform down): waits at create, and SEC-02 counts from the rotation’s start', async () => {
    const NAME = 'create-down-token';
    const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'create-down', scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: made.accessToken, overlapS: 1 });
    await simAdmin(world.sim, '/__sim/config', { errorRate: 1 });
    try {
      const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      const waiting = await waitsAt(started.rotation.id, 'create', 1, /^the platform failed: /);
      expect(waiting.version_id).toBeNull();
      await setPendingLimit(world.db, 0);
      expect((await w.runJob('secret-rotation')).status).toBe('succeeded');
      const finding = await world.db.selectFrom('findings').select(['resolved_at', 'evidence']).where('rule', '=', 'SEC-02').where('subject_id', '=', NAME).executeTakeFirst();
      expect(finding?.resolved_at).toBeNull();
      expect(finding?.evidence).toMatchObject({ pending_since: started.rotation.started_at });
      await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
    } finally {
      await simAdmin(world.sim, '/__sim/config', { errorRate: 0 });
      await setPendingLimit(world.db, 7);
    }
    // Nothing was made on the platform: no token to revoke, none left behind.
    const tokens = (await simApi(world.sim, 'GET', '/auth/access-tokens')).body as OmneoToken[];
    expect(tokens.filter((t) => t.name === 'create-down' && !t.revoked).map((t) => t.id)).toEqual([made.token.id]);
  }, 60_000);

  it('with nobody to tell (no WARDEN_PUBLIC_URL for the link): a machine password is not changed on the platform, and the rotation says what it waits for', async () => {
    const NAME = 'password-untold';
    const old = randomBytes(30).toString('base64url');
    expect((await simApi(world.sim, 'PUT', `/users/${MACHINE_USER.id}`, { password: old })).status).toBe(200);
    await importSecret(w.deps, { name: NAME, kind: 'machine-password', value: old, machineUserId: MACHINE_USER.id });
    const untold = worker(world, { env: { WARDEN_PUBLIC_URL: undefined } });
    try {
      const started = await rotateSecret(untold.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      await waitsAt(started.rotation.id, 'set', 1, /WARDEN_PUBLIC_URL/);
      // The integration signs in with the password it has: nobody could have been given the new one.
      expect(await login(old)).toBe(200);
      expect(await rotationEmails(world, NAME)).toEqual([]);
      await rollbackSecret(untold.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      expect(await login(old)).toBe(200);
    } finally {
      await untold.close();
    }
  }, 60_000);

  it('rolled back while the platform fails: the rotation ends, its deferred run ends with it', async () => {
    const NAME = 'barcode-rolled-back-down';
    const old = randomBytes(32).toString('base64url');
    await importSecret(w.deps, { name: NAME, kind: 'barcode', value: old });
    await simAdmin(world.sim, '/__sim/config', { errorRate: 1 });
    try {
      const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      await waitsAt(started.rotation.id, 'test', 1, /^the platform failed: /);
      await rollbackSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      expect(await w.settled(started.run)).toMatchObject({ status: 'succeeded' });
      expect((await rotationRow(world.db, started.rotation.id)).state).toBe('rolled_back');
    } finally {
      await simAdmin(world.sim, '/__sim/config', { errorRate: 0 });
    }
  }, 60_000);
});
