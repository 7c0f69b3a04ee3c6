/**
 * An integration's API token rotated end to end against the simulator: the
 * integration keeps calling the API with the token it holds all along,
 * switching once an admin read the new one; `finish` waits until the platform
 * shows the new token used by the integration (not Warden's user agent); the
 * old token is revoked on the platform at the end of the overlap. A departed
 * owner (an open TOK-05 finding on the token) makes the daily
 * `secret-rotation` job start the rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/app/secrets.js';
import type { OmneoToken } from '../../../src/omneo/types.js';
import { eventually } from '../../support/queue.js';
import { simApi } from '../../support/sim-api.js';
import {
  adminReads,
  auditActions,
  DEPARTED_USER_ID,
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
  type Flow,
  type RotationWorld,
  type Worker,
} from './support.js';

const INTEGRATION_AGENT = 'PosSync/5.0';

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

/** A token made through the platform's API on the machine user the simulator's token acts as (`pos-sync`). */
async function newIntegrationToken(name: string): Promise<{ value: string; id: string }> {
  const { status, body } = await simApi(world.sim, 'POST', '/auth/api-tokens', { name, scopes: ['read-profiles', 'update-profiles'] });
  expect(status).toBe(201);
  const made = body as { accessToken: string; token: OmneoToken };
  return { value: made.accessToken, id: made.token.id };
}

/** The platform's tokens now (as the simulator's own token). */
async function platformTokens(): Promise<OmneoToken[]> {
  return (await simApi(world.sim, 'GET', '/auth/access-tokens')).body as OmneoToken[];
}

/** The integration: calls the API with the token it holds (`held.value`), under its own user agent. */
function integration(held: { value: string; which: string }): Flow {
  return flow(async () => {
    const res = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${held.value}`, 'user-agent': INTEGRATION_AGENT } });
    await res.arrayBuffer();
    return { ok: res.status === 200, detail: `a call with the ${held.which} token answered ${res.status}` };
  });
}

/** Plays the admin installing the new token in the integration once the rotation waits for it; resolves to the new token. */
async function install(name: string, id: number, held: { value: string; which: string }): Promise<string> {
  const waiting = await rotationIn(world.db, id, ['finish']);
  await eventually(async () => ((await rotationIn(world.db, id, ['finish'])).waiting_for === null ? undefined : true), 10_000, 'finish to wait');
  expect((await rotationIn(world.db, id, ['finish'])).waiting_for).toMatch(/integration to use the new token/);
  expect(waiting.version_id).not.toBeNull();
  const value = await adminReads(world, name);
  held.value = value;
  held.which = 'new';
  return value;
}

describe('api-token rotation', () => {
  it('rotates with the integration calling all along; finish waits for its use of the new token; the old one is revoked at the end of the overlap', async () => {
    const NAME = 'pos-sync-token';
    const old = await newIntegrationToken('pos-sync-integration');
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value, overlapS: 2 });
    const held = { value: old.value, which: 'old' };
    const calls = integration(held);
    await samplesReach(calls, 3, 'calls before the rotation');

    const started = await rotateSecret(w.deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    const value = await install(NAME, id, held);

    const overlap = await rotationIn(world.db, id, ['overlap']);
    // The old token still works during the overlap (the platform has not revoked it yet).
    expect((await platformTokens()).find((t) => t.id === old.id)?.revoked).toBe(false);
    expect(overlap.retire_at).not.toBeNull();
    await rotationIn(world.db, id, ['done']);
    await w.runner.idle();
    const from = calls.samples.length;
    await samplesReach(calls, from + 3, 'calls after the rotation');
    const samples = await calls.stop();
    expect(refusals(samples)).toEqual([]);

    // The platform: the old token is gone, the new one has the same name, scopes and machine user, and was used by the integration.
    const tokens = await platformTokens();
    const gone = tokens.find((t) => t.id === old.id);
    expect(gone === undefined || gone.revoked).toBe(true);
    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['retired', 'current']);
    const fresh = tokens.find((t) => t.id === versions[1]!.platform_ref)!;
    expect(fresh).toMatchObject({ name: 'pos-sync-integration', scopes: ['read-profiles', 'update-profiles'], user_id: 6, revoked: false });
    expect(fresh.usage.some((u) => u.user_agent === INTEGRATION_AGENT)).toBe(true);
    // No second live token of that name: only the new one.
    expect(tokens.filter((t) => t.name === 'pos-sync-integration' && !t.revoked).map((t) => t.id)).toEqual([fresh.id]);
    const refused = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${old.value}` } });
    expect(refused.status).toBe(401);

    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['token_create_call', 'created', 'emailed', 'set', 'tested', 'finished', 'revoke_call', 'previous_token_revoked', 'previous_retired']));
    const audit = await auditActions(world.db, NAME);
    for (const action of ['secret.rotation_started', 'secret.value_retrieved', 'secret.rotated', 'secret.previous_retired']) expect(audit).toContain(action);
    expect((await rotationEmails(world, NAME)).map((m) => m.to).sort()).toEqual(world.admins.map((a) => a.email).sort());

    expect(await leaksOf(world, [old.value, value], { workers: [w], answers: [JSON.stringify(started)] })).toEqual([]);
  }, 60_000);

  it('starts from the daily secret-rotation job when the token’s owner left (TOK-05), and once only for that departure', async () => {
    const NAME = 'bob-export-token';
    const old = await newIntegrationToken('bob-export-integration');
    // The platform's admins made it for Bob, who has since left (terminated in the directory).
    await simAdmin(world.sim, '/__sim/tokens', { id: old.id, user_id: DEPARTED_USER_ID });
    await importSecret(w.deps, { name: NAME, kind: 'api-token', value: old.value, overlapS: 1 });
    const held = { value: old.value, which: 'old' };
    const calls = integration(held);

    expect((await w.runJob('token-hygiene')).status).toBe('succeeded');
    const finding = await world.db.selectFrom('findings').select(['rule', 'subject_id']).where('rule', '=', 'TOK-05').where('subject_id', '=', old.id).where('resolved_at', 'is', null).executeTakeFirst();
    expect(finding).toBeDefined();

    const daily = await w.runJob('secret-rotation');
    expect(daily.status).toBe('succeeded');
    expect(daily.counts).toMatchObject({ rotations_started_departed_owner: 1 });
    const rotation = await world.db.selectFrom('secret_rotations').selectAll().where('name', '=', NAME).executeTakeFirstOrThrow();
    expect(rotation).toMatchObject({ reason: 'departed-owner', requested_by: 'warden' });

    const value = await install(NAME, rotation.id, held);
    await rotationIn(world.db, rotation.id, ['done']);
    await w.runner.idle();
    const samples = await calls.stop();
    expect(refusals(samples)).toEqual([]);
    expect(await auditActions(world.db, NAME)).toEqual(expect.arrayContaining(['secret.rotation_started', 'secret.rotated', 'secret.previous_retired']));

    // The new token is on the same machine user (the platform makes it for whoever asks), so TOK-05 is open on it
    // too; the value the leaver may hold is gone, so the next days' runs do not rotate it again.
    expect((await w.runJob('token-hygiene')).status).toBe('succeeded');
    const fresh = (await versionsOf(world.db, NAME)).find((v) => v.label === 'current')!;
    const reopened = await world.db.selectFrom('findings').select('fingerprint').where('rule', '=', 'TOK-05').where('subject_id', '=', fresh.platform_ref!).where('resolved_at', 'is', null).execute();
    expect(reopened).toHaveLength(1);
    const again = await w.runJob('secret-rotation');
    expect(again.status).toBe('succeeded');
    expect(again.counts).not.toHaveProperty('rotations_started_departed_owner');
    expect(await world.db.selectFrom('secret_rotations').select('id').where('name', '=', NAME).execute()).toHaveLength(1);

    expect(await leaksOf(world, [old.value, value], { workers: [w] })).toEqual([]);
  }, 60_000);
});
