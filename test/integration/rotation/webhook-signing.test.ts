/**
 * The webhook signing secret rotated end to end: the `rotation` run on the
 * real inline runner, the platform (the simulator) delivering to the app's own
 * receiver `POST /webhooks/omneo/demo` all along, the test playing the admin
 * (the link in the email, the one-time read) and the platform's support (the
 * simulator switched to the new secret). Not one delivery is refused; the
 * audit log tells the rotation; no value is anywhere but the one-time read.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/app/secrets.js';
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../src/secrets/hmac.js';
import {
  adminReads,
  auditActions,
  deliver,
  flow,
  importSecret,
  journal,
  leaksOf,
  refusals,
  rotationEmails,
  rotationIn,
  samplesReach,
  simAdmin,
  startRotationWorld,
  TENANT,
  versionsOf,
  worker,
  type RotationWorld,
  type Worker,
} from './support.js';

const NAME = 'omneo-webhooks';

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

/** Posts `body` signed with `secret` to the receiver; its status and answer. */
async function post(secret: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(world.receiver, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(secret, body) }, body });
  return { status: res.status, text: await res.text() };
}

describe('webhook-signing rotation', () => {
  it('reaches overlap then done with every delivery answered 204, the old secret refused after the overlap, and the audit log telling it', async () => {
    const old = randomBytes(32).toString('base64url');
    await simAdmin(world.sim, '/__sim/secrets', { webhook: old });
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: old, overlapS: 2 });
    const answers: string[] = [];

    const deliveries = flow(async () => {
      const status = await deliver(world);
      return { ok: status === 204, detail: `delivery answered ${status}` };
    });
    await samplesReach(deliveries, 3, 'deliveries before the rotation');

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    answers.push(JSON.stringify(started));
    const id = started.rotation.id;
    // `set` emails the admins; `test` waits for a delivery signed with the new secret, on a backoff.
    const waiting = await rotationIn(world.db, id, ['test']);
    expect(waiting.state).toBe('test');

    const value = await adminReads(world, NAME);
    expect(value).not.toBe(old);
    // The platform's support switches the secret: from now on every delivery is signed with the new one.
    await simAdmin(world.sim, '/__sim/secrets', { webhook: value });

    // Finished: the new secret is current, the old one previous, still accepted for the overlap (2 s here).
    await rotationIn(world.db, id, ['overlap']);
    // A delivery still signed with the old secret (one from the platform's retry queue) is accepted meanwhile.
    const late = await post(old, JSON.stringify({ id: 'evt_late', type: 'profile.updated' }));
    expect(late.status).toBe(204);
    await rotationIn(world.db, id, ['done']);
    await w.runner.idle();
    const samples = await deliveries.stop();

    expect(refusals(samples)).toEqual([]);
    expect(samples.length).toBeGreaterThan(10);

    // After the overlap, the old secret is refused (401, recorded), the new one accepted.
    const stale = await post(old, JSON.stringify({ id: 'evt_stale', type: 'profile.updated' }));
    expect(stale.status).toBe(401);
    answers.push(stale.text);
    expect((await post(value, JSON.stringify({ id: 'evt_fresh', type: 'profile.updated' }))).status).toBe(204);

    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['retired', 'current']);
    expect(versions[1]!.first_seen_at).not.toBeNull();
    const accepted = await world.db.selectFrom('webhook_deliveries').select(['label', 'version_id']).where('accepted', '=', true).execute();
    // The pending version verified deliveries before the finish, as current after it.
    expect(new Set(accepted.filter((d) => d.version_id === versions[1]!.id).map((d) => d.label))).toEqual(new Set(['pending', 'current']));

    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['started', 'created', 'emailed', 'set', 'tested', 'finished', 'previous_retired']));
    const audit = await auditActions(world.db, NAME);
    for (const action of ['secret.rotation_started', 'secret.value_retrieved', 'secret.rotated', 'secret.previous_retired']) expect(audit).toContain(action);
    expect(audit.indexOf('secret.rotated')).toBeLessThan(audit.indexOf('secret.previous_retired'));

    // One email per admin, each with a link of their own, none with a value.
    const mails = await rotationEmails(world, NAME);
    expect(mails.map((m) => m.to).sort()).toEqual(world.admins.map((a) => a.email).sort());
    expect(new Set(mails.map((m) => m.token)).size).toBe(mails.length);

    expect(await leaksOf(world, [old, value], { workers: [w], answers })).toEqual([]);
  }, 60_000);
});
