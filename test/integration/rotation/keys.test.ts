/**
 * The secret store under a wrong key and altered rows, and the receiver's
 * refusals: a worker or a server given another `WARDEN_SECRET_KEY` says so
 * and opens nothing (the worker writes nothing, the receiver answers 401, not
 * 500); a tampered or moved ciphertext is detected wherever it is opened (the
 * receiver, the rotation, the one-time read); bad, missing and replayed
 * signatures are refused with 401 and recorded.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailRetrievalLink, retrieveSecret, rotateSecret } from '../../../src/app/secrets.js';
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../src/secrets/hmac.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import {
  importSecret,
  journal,
  leaksOf,
  rotationIn,
  rotationRow,
  secondServer,
  startRotationWorld,
  TENANT,
  versionsOf,
  worker,
  WRONG_SECRET_KEY,
  type RotationWorld,
  type Worker,
} from './support.js';

const KEY = Buffer.from(TEST_SECRET_KEY, 'base64');

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

const value = () => randomBytes(32).toString('base64url');

async function post(receiver: string, body: string, signature?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(receiver, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { [WEBHOOK_SIGNATURE_HEADER]: signature }) }, body });
  return { status: res.status, text: await res.text() };
}

/** The receiver's last recorded delivery. */
function lastDelivery() {
  return world.db.selectFrom('webhook_deliveries').select(['accepted', 'reason', 'label', 'version_id']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
}

/** Alters one byte of the sealed value of a version (what a bad disk or a hand in the database does). */
async function tamper(versionId: number): Promise<void> {
  const row = await world.db.selectFrom('secret_versions').select('encrypted_value').where('id', '=', versionId).executeTakeFirstOrThrow();
  const box = Buffer.from(row.encrypted_value);
  box[box.length - 1] = box[box.length - 1]! ^ 0x01;
  await world.db.updateTable('secret_versions').set({ encrypted_value: box }).where('id', '=', versionId).execute();
}

async function rotationEmailCount(name: string): Promise<number> {
  return (await world.web.outbox()).filter((m) => (m.subject ?? '').includes(`"${name}"`)).length;
}

describe('a wrong WARDEN_SECRET_KEY', () => {
  it('stops the rotation run with an error naming the key: no pending version, no email, the rotation left where it was; the right key carries on', async () => {
    const NAME = 'hooks-wrong-key';
    const old = value();
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: old });
    const wrong = worker(world, { env: { WARDEN_SECRET_KEY: WRONG_SECRET_KEY } });
    try {
      const started = await rotateSecret(wrong.deps, { tenant: TENANT, name: NAME }, 'cli:test');
      const run = await wrong.settled(started.run);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/WARDEN_SECRET_KEY/);
      // One attempt: another try with the same key cannot open it either.
      expect(run.attempts).toBe(1);
      const rotation = await rotationRow(world.db, started.rotation.id);
      expect(rotation).toMatchObject({ state: 'create', version_id: null });
      expect(rotation.waiting_for).toMatch(/WARDEN_SECRET_KEY/);
      expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current']);
      expect(await rotationEmailCount(NAME)).toBe(0);
      expect(await journal(world.db, started.rotation.id)).toEqual(['started']);
      expect(await leaksOf(world, [old], { workers: [wrong] })).toEqual([]);

      // The right key: the daily job gives the open rotation a run, and it goes on.
      expect((await w.runJob('secret-rotation')).counts).toMatchObject({ rotation_runs_given: 1 });
      await rotationIn(world.db, started.rotation.id, ['test']);
      expect(await rotationEmailCount(NAME)).toBe(world.admins.length);
    } finally {
      await wrong.close();
    }
  }, 60_000);

  it('keeps a server with another key from starting: one clear error naming key ids, never a value, and nothing opened', async () => {
    const NAME = 'hooks-receiver-key';
    const secret = value();
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: secret });
    // The web key is kept in the ledger sealed under the right key (src/app/ledger-keys.ts): a server given another
    // key cannot open it, so it refuses to start rather than answer deliveries (and sign-ins) it cannot check.
    const started = secondServer(world, { WARDEN_SECRET_KEY: WRONG_SECRET_KEY });
    await expect(started).rejects.toThrow(/WARDEN_SECRET_KEY: a value in the ledger is sealed under key [0-9a-f]{8}, but WARDEN_SECRET_KEY is key [0-9a-f]{8}/);
    await expect(started).rejects.not.toThrow(new RegExp(secret));
    // The app's own server, with the right key, accepts a delivery signed with the secret.
    const body = JSON.stringify({ id: 'evt_wrong_key' });
    expect((await post(world.receiver, body, sign(secret, body))).status).toBe(204);
  }, 60_000);
});

describe('a tampered or moved ciphertext', () => {
  it('is detected by the receiver (401, never 500), by the rotation (stopped, nothing written) and by the one-time read (nothing shown, the link not spent)', async () => {
    const NAME = 'hooks-tampered';
    const secret = value();
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: secret });
    const [current] = await versionsOf(world.db, NAME);
    // A link emailed before the row was altered.
    const admin = world.admins[0]!;
    await emailRetrievalLink(w.deps, { tenant: TENANT, name: NAME }, admin);
    const mail = (await world.web.outbox()).filter((m) => (m.subject ?? '').includes(NAME)).at(-1)!;
    const token = /\/secrets\/retrieve\/([A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1]!;
    await tamper(current!.id);

    const body = JSON.stringify({ id: 'evt_tampered' });
    expect((await post(world.receiver, body, sign(secret, body))).status).toBe(401);
    expect(world.web.logs()).toMatch(new RegExp(`"version":${current!.id}[^\\n]*does not open`));

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const run = await w.settled(started.run);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/does not open/);
    expect(await rotationRow(world.db, started.rotation.id)).toMatchObject({ state: 'create', version_id: null });
    expect(await rotationEmailCount(NAME)).toBe(1);

    const audited = async () => (await world.db.selectFrom('audit_log').select('id').where('action', '=', 'secret.value_retrieved').where('subject', '=', `secret:${TENANT}/${NAME}`).execute()).length;
    await expect(retrieveSecret({ db: world.db, secretKey: () => KEY }, token, admin, admin.email)).rejects.toThrow(/does not open/);
    expect(await audited()).toBe(0);
    const link = await world.db.selectFrom('secret_retrievals').select('used_at').where('version_id', '=', current!.id).executeTakeFirstOrThrow();
    expect(link.used_at).toBeNull();
  }, 60_000);

  it('moved to another version’s row does not open there', async () => {
    const [a, b] = ['hooks-moved-a', 'hooks-moved-b'];
    const secretA = value();
    await importSecret(w.deps, { name: a, kind: 'webhook-signing', value: secretA });
    await importSecret(w.deps, { name: b, kind: 'webhook-signing', value: value() });
    const [fromA] = await versionsOf(world.db, a);
    const [ofB] = await versionsOf(world.db, b);
    await world.db.updateTable('secret_versions').set({ encrypted_value: fromA!.encrypted_value }).where('id', '=', ofB!.id).execute();

    // A's value verifies as A's version, never as B's.
    const body = JSON.stringify({ id: 'evt_moved' });
    expect((await post(world.receiver, body, sign(secretA, body))).status).toBe(204);
    expect(await lastDelivery()).toMatchObject({ accepted: true, version_id: fromA!.id });
    expect(world.web.logs()).toMatch(new RegExp(`"version":${ofB!.id}[^\\n]*does not open`));

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: b }, 'cli:test');
    const run = await w.settled(started.run);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/does not open/);
    expect((await versionsOf(world.db, b)).map((v) => v.label)).toEqual(['current']);
  }, 60_000);
});

describe('the receiver', () => {
  it('refuses bad, missing and replayed signatures with 401 and a problem, and records each', async () => {
    const NAME = 'hooks-signatures';
    const secret = value();
    await importSecret(w.deps, { name: NAME, kind: 'webhook-signing', value: secret });
    const [version] = await versionsOf(world.db, NAME);
    const body = JSON.stringify({ id: 'evt_signed', type: 'profile.updated' });

    expect((await post(world.receiver, body, sign(secret, body))).status).toBe(204);
    expect(await lastDelivery()).toMatchObject({ accepted: true, label: 'current', version_id: version!.id });

    const bad = JSON.stringify({ id: 'evt_bad' });
    const cases: [string, string, string | undefined, string][] = [
      ['signed with another secret', bad, sign(value(), bad), 'bad-signature'],
      ['signed over another body', JSON.stringify({ id: 'evt_other' }), sign(secret, bad), 'bad-signature'],
      ['not hex', JSON.stringify({ id: 'evt_garbage' }), 'z'.repeat(64), 'bad-signature'],
      ['missing', JSON.stringify({ id: 'evt_missing' }), undefined, 'missing-signature'],
      ['replayed', body, sign(secret, body), 'replayed'],
    ];
    const answers: string[] = [];
    for (const [what, payload, signature, reason] of cases) {
      const answer = await post(world.receiver, payload, signature);
      expect(answer.status, what).toBe(401);
      expect(JSON.parse(answer.text), what).toMatchObject({ status: 401 });
      answers.push(answer.text);
      expect(await lastDelivery(), what).toMatchObject({ accepted: false, reason, version_id: null });
    }
    expect(await leaksOf(world, [secret], { workers: [w], answers })).toEqual([]);
  }, 30_000);
});
