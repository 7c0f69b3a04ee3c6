/**
 * A machine user's password rotated end to end against the simulator: set
 * through `PUT /users/{id}`, tested by a real sign-in (`POST /auth/login`).
 *
 * There is no overlap, by the platform's nature: it keeps one password per
 * user, so the old password stops working the moment `set` changes it, and a
 * sign-in with it fails until the new one is installed. The test signs in all
 * along and asserts exactly that: every sign-in accepted before `set`, only
 * sign-ins with the old password refused after it, every one accepted once the
 * admin installed the new password.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/app/secrets.js';
import { simApi } from '../../support/sim-api.js';
import {
  adminReads,
  auditActions,
  flow,
  importSecret,
  journal,
  leaksOf,
  MACHINE_USER,
  rotationEmails,
  rotationIn,
  samplesReach,
  startRotationWorld,
  TENANT,
  versionsOf,
  worker,
  type RotationWorld,
  type Worker,
} from './support.js';

const NAME = 'pos-sync-login';

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

async function login(password: string): Promise<number> {
  const res = await fetch(`${world.sim.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: MACHINE_USER.email, password }) });
  await res.arrayBuffer();
  return res.status;
}

describe('machine-password rotation', () => {
  it('sets a new 40-character password, proves it by a sign-in, and finishes without an overlap', async () => {
    const old = randomBytes(30).toString('base64url');
    expect((await simApi(world.sim, 'PUT', `/users/${MACHINE_USER.id}`, { password: old })).status).toBe(200);
    await importSecret(w.deps, { name: NAME, kind: 'machine-password', value: old, machineUserId: MACHINE_USER.id });

    const held = { value: old, which: 'old' };
    const signIns = flow(async () => {
      const which = held.which;
      const status = await login(held.value);
      return { ok: status === 200, detail: `${which}: sign-in answered ${status}` };
    });
    await samplesReach(signIns, 3, 'sign-ins before the rotation');

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    const done = await rotationIn(world.db, id, ['done']);
    // No overlap: retired the moment it finished.
    expect(done.retire_at?.getTime()).toBe(done.finished_at?.getTime());
    const value = await adminReads(world, NAME);
    expect(value).toMatch(/^[A-Za-z0-9_-]{40}$/);
    held.value = value;
    held.which = 'new';
    const from = signIns.samples.length;
    await samplesReach(signIns, from + 5, 'sign-ins with the new password');
    const samples = await signIns.stop();

    // The new password was stored (and the rotation moved to `set`) just before the platform was told.
    const createdAt = (await world.db.selectFrom('secret_rotation_events').select('at').where('rotation_id', '=', id).where('event', '=', 'created').executeTakeFirstOrThrow()).at.getTime();
    // Answered before `set`: every sign-in accepted. With the new password: every one. Refused: only the old one after `set`.
    expect(samples.filter((s) => s.at < createdAt && !s.ok)).toEqual([]);
    expect(samples.filter((s) => s.detail.startsWith('new') && !s.ok)).toEqual([]);
    expect(samples.filter((s) => !s.ok).every((s) => s.detail.startsWith('old'))).toBe(true);
    expect(await login(old)).toBe(401);
    expect(await login(value)).toBe(200);

    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['created', 'password_set', 'emailed', 'set', 'tested', 'finished', 'previous_retired']));
    const audit = await auditActions(world.db, NAME);
    for (const action of ['secret.rotation_started', 'secret.value_retrieved', 'secret.rotated', 'secret.previous_retired']) expect(audit).toContain(action);
    const mails = await rotationEmails(world, NAME);
    expect(mails.map((m) => m.to).sort()).toEqual(world.admins.map((a) => a.email).sort());
    expect(mails[0]!.text).toMatch(/the old one no longer works/);

    expect(await leaksOf(world, [old, value], { workers: [w], answers: [JSON.stringify(started)] })).toEqual([]);
  }, 60_000);
});
