/**
 * A worker process killed (SIGKILL) between steps of a rotation, and the
 * rotation resumed by a new process: the `rotation` job on the real BullMQ
 * fleet (rotation-worker.child.ts) under a Redis prefix of this test's own,
 * a stalled job taken over by the next worker. Each kill is placed at a step
 * boundary by holding the process inside the call that crosses it (the
 * simulator answering late, the SMTP server not answering): killed after the
 * platform made an API token and before it was stored, while emailing the
 * admins after `create`, after the platform took a new password and before
 * `set` was recorded, while waiting at `finish`, and in the old token's
 * revocation at the end of the overlap. The next process finishes the
 * rotation with one pending version, one email per admin, and no second
 * live token (the orphan of the killed create is revoked).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollbackSecret, rotateSecret, type SecretActionDeps } from '../../../src/app/secrets.js';
import type { OmneoToken } from '../../../src/omneo/types.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import { QueueSet } from '../../../src/queue/fleet.js';
import { cleanQueues, eventually, killChildren, spawnWorkerChild, testTransport, type WorkerChild } from '../../support/queue.js';
import { simApi } from '../../support/sim-api.js';
import { startTestSmtp, type TestSmtp } from '../../support/smtp.js';
import type { RotationChildConfig } from './rotation-worker.child.js';
import {
  adminReads,
  deliver,
  flow,
  importSecret,
  journal,
  leaksOf,
  MACHINE_USER,
  refusals,
  ROTATION_CLIENT,
  rotationEmails,
  rotationIn,
  simAdmin,
  startRotationWorld,
  TENANT,
  until,
  versionsOf,
  worker,
  type MailSource,
  type RotationWorld,
  type Worker,
} from './support.js';

/** Short locks, so a killed worker's job is taken over within seconds. */
const LOCK_MS = 3_000;
const STALLED_MS = 1_000;

let world: RotationWorld;
let w: Worker;
let smtp: TestSmtp;
let transport: QueueTransport;
let queues: QueueSet;
/** The secrets' actions, dispatching into BullMQ for the worker processes. */
let deps: SecretActionDeps;
const children: WorkerChild[] = [];
const mails: MailSource = () => Promise.resolve(smtp.inbox.map((r) => r.mail));

beforeAll(async () => {
  world = await startRotationWorld();
  smtp = await startTestSmtp();
  transport = testTransport();
  queues = new QueueSet(transport, world.web.app.registry, { backoffMs: 50 }, []);
  w = worker(world);
  deps = { ...w.deps, dispatch: (kind, runs) => queues.addBulk(kind, runs) };
}, 60_000);

afterAll(async () => {
  await killChildren(children.splice(0));
  await queues?.close();
  if (transport !== undefined) await cleanQueues(transport, world.web.app.registry);
  await smtp?.close();
  await w?.close();
  await world?.close();
});

/** A worker process (rotation-worker.child.ts) on the world's ledger, sending email to the test's SMTP server. */
async function spawn(): Promise<WorkerChild> {
  const env = Object.fromEntries(Object.entries(world.web.app.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const config: RotationChildConfig = { transport, env: { ...env, SMTP_URL: smtp.url }, client: ROTATION_CLIENT, lockDurationMs: LOCK_MS, stalledIntervalMs: STALLED_MS };
  const child = spawnWorkerChild(config, { entry: `${import.meta.dirname}/rotation-worker.child.ts` });
  children.push(child);
  await child.waitFor(/^ready \d+$/m, 30_000);
  return child;
}

async function kill(child: WorkerChild): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

/** Waits until the journal of rotation `id` has `event`. */
function journalled(id: number, event: string): Promise<true> {
  return eventually(async () => ((await journal(world.db, id)).includes(event) ? true : undefined), 30_000, `${event} in rotation ${id}'s journal`);
}

/**
 * Waits until rotation `id`'s job is back in the queue as delayed, not merely
 * recorded as waiting: the worker records the wait, then moves the job. Killed
 * in between, the job would stall once more than the kill meant, and a second
 * stall fails it for good ("stalled more than allowable limit", BullMQ's
 * default of one), which only reconcile, not running here, would settle.
 */
function parked(id: number): Promise<true> {
  const ofRotation = (jobs: { data: { payload: unknown } }[]) => jobs.some((j) => (j.data.payload as { rotation_id?: unknown }).rotation_id === id);
  const q = queues.queue('rotation');
  return eventually(async () => (ofRotation(await q.getJobs(['delayed'])) && !ofRotation(await q.getJobs(['active'])) ? true : undefined), 30_000, `rotation ${id}'s job delayed`);
}

/** How many answers of `status` the simulator gave to `method` on a path ending with `path`. */
function answered(method: string, path: string, status: number): number {
  return Object.entries(world.sim.stats().requests)
    .filter(([name]) => name.startsWith(`${method} `) && name.endsWith(path))
    .reduce((n, [, byStatus]) => n + (byStatus[String(status)] ?? 0), 0);
}

/** Waits until the simulator has answered `method path` with `status` `n` times (a call whose client was killed is answered all the same). */
function platformDid(method: string, path: string, status: number, n: number): Promise<true> {
  return until(() => answered(method, path, status) >= n, 20_000, `${n} × ${method} ${path} → ${status}`);
}

async function tokensNamed(name: string): Promise<OmneoToken[]> {
  return ((await simApi(world.sim, 'GET', '/auth/access-tokens')).body as OmneoToken[]).filter((t) => t.name === name);
}

/** Each admin's rotation emails about `name`: one per admin, no more. */
async function expectOneEmailPerAdmin(name: string): Promise<void> {
  const to = (await rotationEmails(world, name, mails)).map((m) => m.to).sort();
  expect(to).toEqual(world.admins.map((a) => a.email).sort());
}

function childLogs(): string[] {
  return children.map((c) => c.output());
}

describe('a worker killed between steps', () => {
  it('api-token, after the platform made the token and before it was stored: the next process revokes that orphan and makes one token', async () => {
    const NAME = 'kill-create-token';
    const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'kill-create', scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
    await importSecret(deps, { name: NAME, kind: 'api-token', value: made.accessToken, overlapS: 1 });
    const madeBefore = answered('POST', '/auth/api-tokens', 201);
    // create: /auth/verify, then POST /auth/api-tokens, which the platform carries out 2 s later.
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, { delayMs: 2_000 }] });

    const first = await spawn();
    const started = await rotateSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    await journalled(id, 'token_create_call');
    await sleep(200);
    await kill(first);
    // The platform makes the token all the same; nobody reads the answer: an orphan.
    await platformDid('POST', '/auth/api-tokens', 201, madeBefore + 1);
    expect((await tokensNamed('kill-create')).filter((t) => !t.revoked)).toHaveLength(2);
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current']);

    await spawn();
    await rotationIn(world.db, id, ['finish'], 60_000);
    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['current', 'pending']);
    // Live on the platform: the integration's token and the new one; the orphan is revoked.
    expect((await tokensNamed('kill-create')).filter((t) => !t.revoked).map((t) => t.id)).toEqual([made.token.id, versions[1]!.platform_ref]);
    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['orphan_token_revoked']));
    expect((await journal(world.db, id)).filter((e) => e === 'token_create_call')).toHaveLength(2);
    await expectOneEmailPerAdmin(NAME);

    // The integration installs it; the rotation ends.
    const value = await adminReads(world, NAME, world.admins[0], mails);
    const call = await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${value}`, 'user-agent': 'KillCreate/1.0' } });
    expect(call.status).toBe(200);
    await rotationIn(world.db, id, ['done'], 60_000);
    expect((await tokensNamed('kill-create')).filter((t) => !t.revoked).map((t) => t.id)).toEqual([versions[1]!.platform_ref]);
    expect(await leaksOf(world, [made.accessToken, value], { logs: childLogs(), mails })).toEqual([]);
    await killChildren(children);
  }, 120_000);

  it('api-token, killed after the platform made the token, then rolled back: the orphan is revoked by the rollback', async () => {
    const NAME = 'kill-create-rollback';
    const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'kill-rollback', scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
    await importSecret(deps, { name: NAME, kind: 'api-token', value: made.accessToken });
    const madeBefore = answered('POST', '/auth/api-tokens', 201);
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, { delayMs: 1_500 }] });
    const first = await spawn();
    const started = await rotateSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    await journalled(started.rotation.id, 'token_create_call');
    await sleep(200);
    await kill(first);
    await platformDid('POST', '/auth/api-tokens', 201, madeBefore + 1);
    expect((await tokensNamed('kill-rollback')).filter((t) => !t.revoked)).toHaveLength(2);

    // No worker resumes it: an operator rolls it back instead.
    await rollbackSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    expect((await tokensNamed('kill-rollback')).filter((t) => !t.revoked).map((t) => t.id)).toEqual([made.token.id]);
    expect(await journal(world.db, started.rotation.id)).toEqual(expect.arrayContaining(['rolled_back', 'orphan_token_revoked']));
  }, 120_000);

  it('webhook-signing, after create while emailing the admins, then after set waiting at test: each admin emailed once, done', async () => {
    const NAME = 'kill-set-hooks';
    const old = randomBytes(32).toString('base64url');
    await simAdmin(world.sim, '/__sim/secrets', { webhook: old });
    await importSecret(deps, { name: NAME, kind: 'webhook-signing', value: old, overlapS: 1 });
    // The SMTP server never answers for the second admin: the worker hangs in `set`, the first admin's email sent.
    const [, held] = world.admins;
    smtp.hold.add(held!.email);
    const first = await spawn();
    const started = await rotateSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    await rotationIn(world.db, id, ['set']);
    await eventually(async () => ((await rotationEmails(world, NAME, mails)).length === 1 ? true : undefined), 20_000, 'the first admin’s email');
    await sleep(300);
    await kill(first);
    smtp.hold.clear();
    expect((await rotationIn(world.db, id, ['set'])).state).toBe('set');

    const next = await spawn();
    await rotationIn(world.db, id, ['test'], 60_000);
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['current', 'pending']);
    await expectOneEmailPerAdmin(NAME);
    expect((await journal(world.db, id)).filter((e) => e === 'email_sent')).toHaveLength(world.admins.length);

    // Killed again, waiting at test for a delivery signed with the new secret.
    await eventually(async () => ((await rotationIn(world.db, id, ['test'])).tries > 0 ? true : undefined), 20_000, 'test to wait');
    await parked(id);
    await kill(next);
    const value = await adminReads(world, NAME, held, mails);
    await simAdmin(world.sim, '/__sim/secrets', { webhook: value });
    const deliveries = flow(async () => {
      const status = await deliver(world);
      return { ok: status === 204, detail: `delivery answered ${status}` };
    });
    await spawn();
    await rotationIn(world.db, id, ['done'], 60_000);
    expect(refusals(await deliveries.stop())).toEqual([]);
    expect((await versionsOf(world.db, NAME)).map((v) => v.label)).toEqual(['retired', 'current']);
    await expectOneEmailPerAdmin(NAME);
    expect(await leaksOf(world, [old, value], { logs: childLogs(), mails })).toEqual([]);
    await killChildren(children);
  }, 120_000);

  it('machine-password, after the platform took the new password and before set was recorded: set again, sign-in proven, one email per admin', async () => {
    const NAME = 'kill-set-password';
    const old = 'p'.repeat(40);
    expect((await simApi(world.sim, 'PUT', `/users/${MACHINE_USER.id}`, { password: old })).status).toBe(200);
    await importSecret(deps, { name: NAME, kind: 'machine-password', value: old, machineUserId: MACHINE_USER.id });
    const putsBefore = answered('PUT', '/users/{id}', 200);
    // set: PUT /users/6, carried out 2 s later.
    await simAdmin(world.sim, '/__sim/faults', { faults: [{ delayMs: 2_000 }] });

    const first = await spawn();
    const started = await rotateSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    await rotationIn(world.db, id, ['set']);
    await sleep(300);
    await kill(first);
    await platformDid('PUT', '/users/{id}', 200, putsBefore + 1);
    const login = async (password: string) =>
      (await fetch(`${world.sim.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: MACHINE_USER.email, password }) })).status;
    // The platform has the new password, Warden holds it as pending: nothing is lost.
    expect(await login(old)).toBe(401);
    expect(await journal(world.db, id)).not.toContain('password_set');

    await spawn();
    await rotationIn(world.db, id, ['done'], 60_000);
    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['retired', 'current']);
    await expectOneEmailPerAdmin(NAME);
    const value = await adminReads(world, NAME, world.admins[0], mails);
    expect(await login(value)).toBe(200);
    expect(await leaksOf(world, [old, value], { logs: childLogs(), mails })).toEqual([]);
    await killChildren(children);
  }, 120_000);

  it('api-token, killed waiting at finish and again in the old token’s revocation: done, the old token revoked, no token left over', async () => {
    const NAME = 'kill-finish-token';
    const made = (await simApi(world.sim, 'POST', '/auth/api-tokens', { name: 'kill-finish', scopes: ['read-profiles'] })).body as { accessToken: string; token: OmneoToken };
    await importSecret(deps, { name: NAME, kind: 'api-token', value: made.accessToken, overlapS: 1 });

    const first = await spawn();
    const started = await rotateSecret(deps, { tenant: TENANT, name: NAME }, 'cli:test');
    const id = started.rotation.id;
    await eventually(async () => ((await rotationIn(world.db, id, ['finish'], 30_000)).waiting_for === null ? undefined : true), 30_000, 'finish to wait');
    await parked(id);
    await kill(first);

    // The integration installs the new token meanwhile.
    const value = await adminReads(world, NAME, world.admins[0], mails);
    expect((await fetch(`${world.sim.url}/auth/verify`, { headers: { authorization: `Bearer ${value}`, 'user-agent': 'KillFinish/1.0' } })).status).toBe(200);
    const deletesBefore = answered('DELETE', '/auth/api-tokens/{id}', 204);
    // finish: GET /auth/access-tokens (the new token's use); at the end of the overlap: DELETE of the old one, carried out 2 s later.
    await simAdmin(world.sim, '/__sim/faults', { faults: [{}, { delayMs: 2_000 }] });
    const second = await spawn();
    await journalled(id, 'revoke_call');
    await sleep(200);
    await kill(second);
    await platformDid('DELETE', '/auth/api-tokens/{id}', 204, deletesBefore + 1);
    expect((await rotationIn(world.db, id, ['overlap'])).state).toBe('overlap');

    await spawn();
    await rotationIn(world.db, id, ['done'], 60_000);
    const versions = await versionsOf(world.db, NAME);
    expect(versions.map((v) => v.label)).toEqual(['retired', 'current']);
    expect((await tokensNamed('kill-finish')).filter((t) => !t.revoked).map((t) => t.id)).toEqual([versions[1]!.platform_ref]);
    expect(await journal(world.db, id)).toEqual(expect.arrayContaining(['finished', 'previous_token_revoked', 'previous_retired']));
    await expectOneEmailPerAdmin(NAME);
    expect(await leaksOf(world, [made.accessToken, value], { logs: childLogs(), mails })).toEqual([]);
    await killChildren(children);
  }, 120_000);
});
