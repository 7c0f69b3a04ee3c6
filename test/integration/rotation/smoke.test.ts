/**
 * The rotation engine end to end on the demo tenant, driven step by step
 * (no runner): a webhook signing secret rotated while the simulator's
 * deliveries keep arriving at the receiver's action, none refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPerson } from '../../../src/app/people.js';
import { addSecret, receiveWebhook, retrieveSecret } from '../../../src/app/secrets.js';
import { createMailer } from '../../../src/mail/transports.js';
import { startRotation } from '../../../src/db/secret-rotations.repository.js';
import { driveRotation, type RotationDeps } from '../../../src/rotation/drive-rotation.js';
import { rotationClients } from '../../../src/rotation/rotation-clients.js';
import { sign } from '../../../src/secrets/hmac.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import { startWorld, TENANT, type JobsWorld } from '../jobs/support.js';

const key = Buffer.from(TEST_SECRET_KEY, 'base64');

describe('rotation engine (smoke)', () => {
  let world: JobsWorld;
  let deps: RotationDeps;
  beforeAll(async () => {
    world = await startWorld('postgres', { outbox: true });
    deps = {
      db: world.db.db,
      mailer: createMailer({ outboxDir: world.env.WARDEN_OUTBOX! }),
      mailFrom: 'warden@test.example',
      publicUrl: 'https://warden.test',
      secretKey: () => key,
      clients: (tenant) => rotationClients({ env: world.env, allowPrivateNetworks: ['127.0.0.0/8'], client: { maxRetries: 0, timeoutMs: 2_000 } }, tenant),
    };
  }, 60_000);
  afterAll(() => world?.close());

  it('rotates the webhook secret: not one valid delivery refused, the new one finishes it', async () => {
    const db = world.db.db;
    const admin = await addPerson(db, { email: 'ada@demo.example', name: 'Ada Admin', roles: ['admin'] }, 'test');
    const oldSecret = 'o'.repeat(40);
    const res = await fetch(`${world.sim.origin}/__sim/secrets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webhook: oldSecret }) });
    expect(res.status).toBe(204);
    await addSecret({ ...deps, dispatch: () => Promise.resolve() }, { tenant: TENANT, name: 'omneo-webhooks', kind: 'webhook-signing', value: oldSecret }, 'cli:test');
    const deliver = async (secret: string, body: string) => receiveWebhook({ db, secretKey: () => key }, TENANT, Buffer.from(body), sign(secret, body));

    expect(await deliver(oldSecret, '{"n":1}')).toMatchObject({ accepted: true, label: 'current' });
    const rotation = await startRotation(db, { tenant: TENANT, name: 'omneo-webhooks', reason: 'manual', requestedBy: 'cli:test', at: new Date() });
    const waiting = await driveRotation(deps, rotation.id);
    expect(waiting).toMatchObject({ state: 'test' });
    expect(await deliver(oldSecret, '{"n":2}')).toMatchObject({ accepted: true, label: 'current' });

    // The admin's email carries a one-time link, never the value.
    // One per admin (the demo seeds one too), each with a link of their own.
    const all = (await world.outbox()).filter((m) => m.subject?.includes('to install'));
    expect(all).toHaveLength(2);
    const mails = all.filter((m) => m.to && JSON.stringify(m.to).includes('ada@demo.example'));
    expect(mails).toHaveLength(1);
    const link = /\/secrets\/retrieve\/([A-Za-z0-9_-]+)/.exec(mails[0]!.text ?? '')![1]!;
    const read = await retrieveSecret({ db, secretKey: () => key }, link, admin, admin.email);
    expect(read?.label).toBe('pending');
    const newSecret = read!.value;
    expect(mails[0]!.text).not.toContain(newSecret);
    expect(await retrieveSecret({ db, secretKey: () => key }, link, admin, admin.email)).toBeUndefined();

    // Support switches the platform; deliveries signed with the new secret verify against the pending version.
    expect(await deliver(newSecret, '{"n":3}')).toMatchObject({ accepted: true, label: 'pending' });
    expect(await driveRotation(deps, rotation.id)).toMatchObject({ state: 'overlap' });
    expect(await deliver(newSecret, '{"n":4}')).toMatchObject({ accepted: true, label: 'current' });
    expect(await deliver(oldSecret, '{"n":5}')).toMatchObject({ accepted: true, label: 'previous' });
    expect(await deliver(newSecret, '{"n":4}')).toEqual({ accepted: false, reason: 'replayed' });
    expect(await deliver('x'.repeat(40), '{"n":6}')).toEqual({ accepted: false, reason: 'bad-signature' });
  }, 60_000);
});
