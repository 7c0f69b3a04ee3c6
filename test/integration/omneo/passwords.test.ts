// A user's password set through the client, and the platform's password login, against the simulator over HTTP:
// what the machine-password rotator sets and then proves. The password is in no answer, log line or error.
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { OmneoClient } from '../../../src/omneo/client.js';
import { OmneoApiError } from '../../../src/omneo/errors.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import type { OmneoUser } from '../../../src/omneo/types.js';
import { simApi } from '../../support/sim-api.js';
import { caught, scriptFaults, statusesOf, withSim } from './sim-helpers.js';

const LOGIN = 'POST /api/v3/auth/login';
const PUT_USER = 'PUT /api/v3/users/{id}';

function clientFor(sim: Simulator, logger?: ReturnType<typeof createLogger>): OmneoClient {
  return new OmneoClient({ baseUrl: sim.url, token: sim.token, backoffBaseMs: 1, backoffCapMs: 5, ...(logger ? { logger } : {}) });
}

/** A user of the demo tenant, read over the API. */
async function userOf(sim: Simulator, id: number): Promise<OmneoUser> {
  const res = await simApi(sim, 'GET', `/users/${id}`);
  return (res.body as { data: OmneoUser }).data;
}

function captured(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug' }, sink), lines };
}

describe('setUserPassword and login', () => {
  it('logs in with the password set, and with no other', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const user = await userOf(sim, 3);
      const other = await userOf(sim, 4);
      expect(await client.login(user.email, 'no password was ever set')).toBe(false);
      await client.setUserPassword(user.id, 'correct horse battery');
      expect(await client.login(user.email, 'correct horse battery')).toBe(true);
      // The platform compares addresses case-insensitively; the password exactly.
      expect(await client.login(user.email.toUpperCase(), 'correct horse battery')).toBe(true);
      expect(await client.login(user.email, 'Correct horse battery')).toBe(false);
      expect(await client.login(user.email, 'correct horse battery ')).toBe(false);
      expect(await client.login(other.email, 'correct horse battery')).toBe(false);
      expect(await client.login('nobody@nowhere.example', 'correct horse battery')).toBe(false);
      // A new password replaces the old one.
      await client.setUserPassword(String(user.id), 'a second password, longer');
      expect(await client.login(user.email, 'correct horse battery')).toBe(false);
      expect(await client.login(user.email, 'a second password, longer')).toBe(true);
      // An empty field is not a candidate: 422, answered as false.
      expect(await client.login(user.email, '')).toBe(false);
      expect(statusesOf(sim, LOGIN)).toEqual({ 200: 3, 401: 6, 422: 1 });
      // Deleting the user ends its password with it.
      await client.deleteUser(user.id);
      expect(await client.login(user.email, 'a second password, longer')).toBe(false);
    });
  });

  it('answers the login as the platform does: open, 200 with the user id, 401, or 422 naming the missing field', async () => {
    await withSim({}, async (sim) => {
      const user = await userOf(sim, 2);
      await clientFor(sim).setUserPassword(user.id, 'twelve chars');
      const login = (body: unknown) => fetch(`${sim.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      // No bearer token needed: the password is the credential.
      const ok = await login({ email: user.email, password: 'twelve chars' });
      expect([ok.status, await ok.json()]).toEqual([200, { data: { user_id: user.id } }]);
      const wrong = await login({ email: user.email, password: 'twelve charz' });
      expect([wrong.status, await wrong.json()]).toEqual([401, { message: 'Invalid credentials.' }]);
      const noPassword = await login({ email: user.email });
      expect(noPassword.status).toBe(422);
      expect(Object.keys(((await noPassword.json()) as { errors: object }).errors)).toEqual(['password']);
      const nothing = await fetch(`${sim.url}/auth/login`, { method: 'POST' });
      expect(nothing.status).toBe(422);
      expect(Object.keys(((await nothing.json()) as { errors: object }).errors)).toEqual(['email', 'password']);
    });
  });

  it('refuses a password shorter than 12 or longer than 200 characters with a 422 naming the field, and keeps the old one', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const user = await userOf(sim, 3);
      await client.setUserPassword(user.id, 'the first password');
      for (const bad of ['eleven char', 'x'.repeat(201), '🔑'.repeat(11)]) {
        const err = await caught(client.setUserPassword(user.id, bad));
        expect(err).toBeInstanceOf(OmneoApiError);
        expect(err).toMatchObject({ status: 422, method: 'PUT', route: '/users/{id}', fields: ['password'] });
        expect((err as Error).message).toBe('Omneo PUT /users/{id} answered 422 (invalid: password)');
      }
      // Not a string at all.
      const numeric = await simApi(sim, 'PUT', `/users/${user.id}`, { password: 123456789012345 });
      expect(numeric.status).toBe(422);
      expect(await client.login(user.email, 'the first password')).toBe(true);
      // The bounds themselves pass, counted in characters: 12 keys are 24 UTF-16 units.
      for (const good of ['twelve chars', 'y'.repeat(200), '🔑'.repeat(12)]) {
        await client.setUserPassword(user.id, good);
        expect(await client.login(user.email, good)).toBe(true);
      }
      // A 422 is not retried; a missing user is a 404.
      expect(statusesOf(sim, PUT_USER)).toEqual({ 200: 4, 422: 4 });
      expect(await caught(client.setUserPassword(999_999, 'twelve chars'))).toMatchObject({ status: 404 });
    });
  });

  it('goes through the usual faults: a 5xx on the login or on setting the password is retried', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const user = await userOf(sim, 3);
      await scriptFaults(sim, [{ status: 503 }]);
      await client.setUserPassword(user.id, 'set through a fault');
      await scriptFaults(sim, [{ status: 500 }, { status: 429, retryAfter: 1 }]);
      expect(await client.login(user.email, 'set through a fault')).toBe(true);
      expect(statusesOf(sim, PUT_USER)).toEqual({ 200: 1, 503: 1 });
      expect(statusesOf(sim, LOGIN)).toEqual({ 200: 1, 429: 1, 500: 1 });
    });
  });

  it('never puts the password in an answer, a log line or an error', async () => {
    const password = 'PW-distinct-q8Zr4kLx';
    const { logger, lines } = captured();
    const errors: unknown[] = [];
    const answers: unknown[] = [];
    await withSim({}, async (sim) => {
      const client = clientFor(sim, logger);
      const user = await userOf(sim, 3);
      await scriptFaults(sim, [{ status: 503 }]);
      await client.setUserPassword(user.id, password);
      await scriptFaults(sim, [{ status: 500 }]);
      expect(await client.login(user.email, password)).toBe(true);
      expect(await client.login(user.email, `${password}x`)).toBe(false);
      // Refused, and failed for good: the errors carry no value either.
      errors.push(await caught(client.setUserPassword(user.id, password.slice(0, 11))));
      await scriptFaults(sim, [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
      errors.push(await caught(client.login(user.email, password)));
      await scriptFaults(sim, [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
      errors.push(await caught(client.setUserPassword(user.id, password)));
      for (const err of errors) logger.error({ err }, 'rotation step failed');
      // Every way the platform shows the user afterwards.
      answers.push(await simApi(sim, 'PUT', `/users/${user.id}`, { password }));
      answers.push(await simApi(sim, 'GET', `/users/${user.id}`));
      for (let page = 1; page <= 5; page++) answers.push(await simApi(sim, 'GET', `/users?page[size]=100&page[number]=${page}`));
      answers.push(await (await fetch(`${sim.url}/auth/login`, { method: 'POST', body: JSON.stringify({ email: user.email, password }) })).json());
      answers.push(await (await fetch(`${sim.origin}/__sim/stats`)).json());
    });
    expect(lines.filter((l) => l.includes('"omneo request"')).length).toBeGreaterThan(10);
    expect(errors).toHaveLength(3);
    const everything = [...lines, ...errors.flatMap((e) => [String(e), (e as Error).stack, JSON.stringify(e), inspect(e)]), JSON.stringify(answers)].join('\n');
    expect(everything).toContain('"user_id":3');
    expect(everything).not.toContain('PW-distinct');
    // Nor a field that would hold it, or its hash.
    expect(JSON.stringify(answers)).not.toMatch(/"password|hash|salt/i);
  });
});
