/**
 * The barcode secret rotated end to end: the tenant's apps keep asking the
 * platform's barcode service (the simulator's `GET /barcode`) for images
 * signed with the secret they hold all through the rotation; the platform's
 * support adds the new secret beside the old, the apps switch once they read
 * it, support drops the old after the rotation is done. Not one request
 * signed with a secret the service holds is refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/app/secrets.js';
import { signBarcodeQuery } from '../../../src/secrets/hmac.js';
import { eventually } from '../../support/queue.js';
import {
  adminReads,
  auditActions,
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

const NAME = 'barcode-links';

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

describe('barcode rotation', () => {
  it('rotates with the apps’ barcodes served all along, support adding the new secret then dropping the old', async () => {
    const old = randomBytes(32).toString('base64url');
    await simAdmin(world.sim, '/__sim/secrets', { barcode: old });
    await importSecret(w.deps, { name: NAME, kind: 'barcode', value: old, overlapS: 2 });

    // The apps: each barcode link signed with the secret they hold now.
    let held = old;
    let n = 0;
    const apps = flow(async () => {
      const using = held === old ? 'old' : 'new';
      const res = await fetch(`${world.sim.origin}/barcode?${signBarcodeQuery(held, `code=CARD-${++n}&profile_id=501`)}`);
      await res.arrayBuffer();
      return { ok: res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('image/'), detail: `barcode signed with the ${using} secret answered ${res.status}` };
    });
    await samplesReach(apps, 3, 'barcodes before the rotation');

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    // `test` asks the service for a barcode signed with the new secret: refused until support adds it.
    const waiting = await rotationIn(world.db, id, ['test']);
    await eventually(async () => ((await rotationIn(world.db, id, ['test'])).tries > 0 ? true : undefined), 10_000, 'a refused test');
    expect((await rotationIn(world.db, id, ['test'])).waiting_for).toMatch(/barcode service to accept the new secret/);
    expect(waiting.version_id).not.toBeNull();

    const value = await adminReads(world, NAME);
    // Support adds the new secret beside the old; the apps switch to it.
    await simAdmin(world.sim, '/__sim/secrets', { barcode: [old, value] });
    held = value;

    await rotationIn(world.db, id, ['overlap']);
    await rotationIn(world.db, id, ['done']);
    await w.runner.idle();
    // Done: support drops the old secret; the apps, on the new one, carry on.
    await simAdmin(world.sim, '/__sim/secrets', { barcode: [value] });
    const from = apps.samples.length;
    await samplesReach(apps, from + 5, 'barcodes after support dropped the old secret');
    const samples = await apps.stop();

    expect(refusals(samples)).toEqual([]);
    expect(samples.some((s) => s.detail.includes('old'))).toBe(true);
    expect(samples.some((s) => s.detail.includes('new'))).toBe(true);
    // What the apps held was valid all along: the old one is refused now, as it should be.
    const stale = await fetch(`${world.sim.origin}/barcode?${signBarcodeQuery(old, 'code=CARD-0&profile_id=501')}`);
    expect(stale.status).toBe(403);

    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['started', 'created', 'emailed', 'set', 'tested', 'finished', 'previous_retired']));
    const audit = await auditActions(world.db, NAME);
    for (const action of ['secret.rotation_started', 'secret.value_retrieved', 'secret.rotated', 'secret.previous_retired']) expect(audit).toContain(action);
    expect((await rotationEmails(world, NAME)).map((m) => m.to).sort()).toEqual(world.admins.map((a) => a.email).sort());

    expect(await leaksOf(world, [old, value], { workers: [w], answers: [JSON.stringify(started)] })).toEqual([]);
  }, 60_000);
});
