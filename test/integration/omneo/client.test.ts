// The Omneo client against the simulator over real HTTP.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import { collect, OmneoClient, type OmneoClientOptions } from '../../../src/omneo/client.js';
import { OmneoApiError, type OmneoError, OmneoNetworkError, OmneoRateLimitError, OmneoTimeoutError } from '../../../src/omneo/errors.js';
import { backoffMs, parseRetryAfter } from '../../../src/outbound/retry.js';
import { startSimulator, type ScriptedFault, type Simulator } from '../../../src/omneo/simulator/server.js';
import { configure, scriptFaults, statusesOf, withSim, caught } from './sim-helpers.js';

// Short backoff keeps the suite quick; the retry policy is the same as with the defaults.
const clientFor = (sim: Simulator, options: Partial<OmneoClientOptions> = {}) =>
  new OmneoClient({ baseUrl: sim.url, token: sim.token, backoffBaseMs: 10, backoffCapMs: 50, ...options });

const USERS = 'GET /api/v3/users';
const USER = 'GET /api/v3/users/{id}';

describe('pagination', () => {
  it('streams every page of a long list in order, one request per page', async () => {
    await withSim({ users: 300, seed: 'pages' }, async (sim) => {
      for (const concurrency of [1, 4]) {
        const client = clientFor(sim, { pageSize: 7, concurrency });
        const pages: number[][] = [];
        for await (const page of client.userPages()) pages.push(page.map((u) => u.id));
        const ids = pages.flat();
        const expected = sim.stats().requests[USERS]?.['200'] ?? 0;
        expect(pages.length).toBeGreaterThan(40);
        expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(expected).toBe(concurrency === 1 ? pages.length : pages.length * 2);
      }
    });
  });

  it('asks for pages of 500 by default, and of 100 once a platform refuses that size', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    await withSim({ users: 1250, seed: 'page-size' }, async (roomy) => {
      const ids = (await collect(clientFor(roomy).userPages())).map((u) => u.id);
      // The generated tenant has deleted accounts, which the platform does not serve: 1 209 are left, 3 pages of 500.
      expect(ids.length).toBe(1209);
      expect(statusesOf(roomy, USERS)).toEqual({ 200: 3 });
      await withSim({ users: 1250, seed: 'page-size', maxPageSize: 100 }, async (strict) => {
        const client = clientFor(strict, { logger });
        expect((await collect(client.userPages())).map((u) => u.id)).toEqual(ids);
        expect(statusesOf(strict, USERS)).toEqual({ 200: 13, 422: 1 });
        // The client remembers: its next list asks for 100 straight away.
        expect((await collect(client.userPages())).length).toBe(1209);
        expect(statusesOf(strict, USERS)).toEqual({ 200: 26, 422: 1 });
      });
    });
    expect(lines.map((l) => JSON.parse(l) as { msg: string; refused: number; now: number })).toMatchObject([
      { msg: 'omneo refused the page size; asking for smaller pages', refused: 500, now: 100 },
    ]);
  });

  it('fails, naming page.size, when the platform refuses even pages of 100', async () => {
    await withSim({ users: 10, maxPageSize: 50 }, async (sim) => {
      const err = await caught(collect(clientFor(sim).userPages()));
      expect(err).toBeInstanceOf(OmneoApiError);
      expect((err as OmneoApiError).fields).toEqual(['page.size']);
      expect(statusesOf(sim, USERS)).toEqual({ 422: 2 });
    });
  });

  it('stops after the first page of an empty result', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect(await collect(client.profilesByEmail('nobody@nowhere.example'))).toEqual([]);
      expect(statusesOf(sim, 'GET /api/v3/profiles')).toEqual({ 200: 1 });
    });
  });

  it('finds a profile by email whatever its case, and by search', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const [byEmail] = await collect(client.profilesByEmail('  MIA.Chen.501@customers.example '));
      expect(byEmail?.id).toBe(501);
      const found = await collect(client.searchProfiles('walker'));
      expect(found.map((p) => p.id)).toEqual([]); // 777 was soft-deleted: hidden, though not erased
      expect((await collect(client.searchProfiles('ruby jones'))).map((p) => p.id)).toEqual([905]);
    });
  });
});

describe('retries', () => {
  it('waits out a 429 for its Retry-After in seconds, then succeeds', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 429, retryAfter: 1 }]);
      const started = Date.now();
      expect((await clientFor(sim).getUser(1))?.name).toBe('Ann Lee');
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(statusesOf(sim, USER)).toEqual({ 200: 1, 429: 1 });
    });
  });

  it('waits out a 429 whose Retry-After is an HTTP date', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 429, retryAfter: 2, retryAfterFormat: 'date' }]);
      const started = Date.now();
      expect((await clientFor(sim).getUser(1))?.id).toBe(1);
      // The date has a one-second resolution: somewhere in (1 s, 2 s] from when it was written.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(statusesOf(sim, USER)).toEqual({ 200: 1, 429: 1 });
    });
  });

  it('gives up at once on a Retry-After longer than it may wait, saying how long', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 429, retryAfter: 120 }]);
      const err = await caught(clientFor(sim, { maxRetryAfterMs: 5_000 }).getUser(1));
      expect(err).toBeInstanceOf(OmneoRateLimitError);
      expect(err).toMatchObject({ status: 429, method: 'GET', route: '/users/{id}', resourceId: '1', retryAfterMs: 120_000 });
      expect((err as Error).message).toBe('Omneo GET /users/{id} answered 429: rate limited, retry after 120000 ms');
      expect(statusesOf(sim, USER)).toEqual({ 429: 1 });
    });
  });

  it('retries 5xx with backoff until it succeeds', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 503 }, { status: 500 }, { status: 502 }]);
      const retries: number[] = [];
      const lines = new Writable({
        write(chunk: Buffer, _enc, done) {
          const line = JSON.parse(chunk.toString()) as { msg: string; delayMs?: number };
          if (line.msg === 'omneo request retried') retries.push(line.delayMs!);
          done();
        },
      });
      const client = clientFor(sim, { backoffBaseMs: 40, backoffCapMs: 1000, logger: createLogger({ level: 'debug' }, lines) });
      expect((await client.getUser(3))?.name).toBe('Cara Diaz');
      expect(statusesOf(sim, USER)).toEqual({ 200: 1, 500: 1, 502: 1, 503: 1 });
      // Equal jitter: attempt n waits between half and all of 40 × 2^n ms.
      expect(retries).toHaveLength(3);
      retries.forEach((delay, n) => {
        expect(delay).toBeGreaterThanOrEqual(20 * 2 ** n);
        expect(delay).toBeLessThanOrEqual(40 * 2 ** n);
      });
    });
  });

  it('fails with the last 5xx once retries run out', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 503 }, { status: 503 }, { status: 503 }]);
      const err = await caught(clientFor(sim, { maxRetries: 2 }).getUser(1));
      expect(err).toBeInstanceOf(OmneoApiError);
      expect(err).toMatchObject({ status: 503, method: 'GET', route: '/users/{id}', resourceId: '1' });
      expect(statusesOf(sim, USER)).toEqual({ 503: 3 });
    });
  });

  it('does not resend a token creation after a 5xx (it might have been created)', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const before = (await client.listTokens()).length;
      await scriptFaults(sim, [{ status: 503 }]);
      const err = await caught(client.createToken({ name: 'ci', scopes: ['read-profiles'] }));
      expect(err).toMatchObject({ status: 503, method: 'POST', route: '/auth/api-tokens', resourceId: undefined });
      expect(statusesOf(sim, 'POST /api/v3/auth/api-tokens')).toEqual({ 503: 1 });
      expect((await client.listTokens()).length).toBe(before);
    });
  });

  it('does not retry a 4xx, and names the fields a 422 rejected', async () => {
    await withSim({}, async (sim) => {
      const err = await caught(clientFor(sim).createToken({ name: '', scopes: 'all' as unknown as string[] }));
      expect(err).toBeInstanceOf(OmneoApiError);
      expect(err).toMatchObject({ status: 422, fields: ['name', 'scopes'] });
      expect(statusesOf(sim, 'POST /api/v3/auth/api-tokens')).toEqual({ 422: 1 });
    });
  });
});

describe('retry policy (pure)', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');

  it('reads Retry-After as seconds or as an HTTP date, and nothing else', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 29 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0); // already past
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially, between half and all of the step, up to the cap', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs(n, 100, 10_000, 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((n) => backoffMs(n, 100, 10_000, 0.999_999))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(20, 100, 10_000, 0.5)).toBe(7_500);
  });
});

describe('timeouts and connection errors', () => {
  it('abandons a slow attempt at the timeout and retries', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ delayMs: 2_000 }]);
      const started = Date.now();
      expect((await clientFor(sim, { timeoutMs: 200 }).getUser(2))?.id).toBe(2);
      expect(Date.now() - started).toBeLessThan(1_900);
    });
  });

  it('fails with OmneoTimeoutError when every attempt is too slow', async () => {
    await withSim({ latencyMs: 400 }, async (sim) => {
      const err = await caught(clientFor(sim, { timeoutMs: 100, maxRetries: 1 }).getUser(2));
      expect(err).toBeInstanceOf(OmneoTimeoutError);
      expect(err).toMatchObject({ method: 'GET', route: '/users/{id}', resourceId: '2', timeoutMs: 100 });
    });
  });

  it('fails with OmneoNetworkError when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new OmneoClient({ baseUrl: `http://127.0.0.1:${port}/api/v3`, token: 't', maxRetries: 1, backoffBaseMs: 1 });
    const err = await caught(client.getUser(1));
    expect(err).toBeInstanceOf(OmneoNetworkError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', route: '/users/{id}', resourceId: '1' });
    expect(String(err)).toBe('OmneoNetworkError: Omneo GET /users/{id} failed: ECONNREFUSED');
  });

  it('refuses a base URL that is not http(s) and a bad option, naming them', () => {
    // The outbound-URL policy's error is an InputError (src/outbound/url-policy.ts).
    expect(() => new OmneoClient({ baseUrl: 'ftp://x', token: 't' })).toThrow(InputError);
    expect(() => new OmneoClient({ baseUrl: 'ftp://x', token: 't' })).toThrow('baseUrl: must be an https URL');
    expect(() => new OmneoClient({ baseUrl: 'not a url', token: 't' })).toThrow(InputError);
    expect(() => new OmneoClient({ baseUrl: 'https://x.example', token: 't', pageSize: 0 })).toThrow(new InputError('pageSize', 'must be a positive integer'));
  });
});

describe('resources', () => {
  it('reads a missing user or profile as null and a refused token as a 401', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect(await client.getUser(4242)).toBeNull();
      expect(await client.getProfile(903)).toBeNull();
      const err = await caught(new OmneoClient({ baseUrl: sim.url, token: 'wrong' }).verify());
      expect(err).toMatchObject({ status: 401, route: '/auth/verify' });
    });
  });

  it('creates a token that then passes /auth/verify, and deletes it', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      const created = await client.createToken({ name: 'rotation-check', scopes: ['read-profiles'] });
      const fresh = new OmneoClient({ baseUrl: sim.url, token: created.accessToken });
      expect(await fresh.verify()).toMatchObject({ token_id: created.token.id, name: 'rotation-check' });
      const listed = (await client.listTokens()).find((t) => t.id === created.token.id);
      expect(listed?.usage).toHaveLength(1); // the platform records each use of a token
      expect(JSON.stringify(await client.listTokens())).not.toContain(created.accessToken);
      expect(await client.deleteToken(created.token.id)).toBe(true);
      expect(await client.deleteToken(created.token.id)).toBe(false);
      expect(await caught(fresh.verify())).toMatchObject({ status: 401 });
    });
  });

  it('deleting a user also deletes the tokens it created', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect((await client.listTokens()).filter((t) => t.user_id === 2).map((t) => t.id)).toEqual(['tok_bob']);
      expect(await client.deleteUser(2)).toBe(true);
      expect(await client.getUser(2)).toBeNull();
      expect((await client.listTokens()).some((t) => t.user_id === 2)).toBe(false);
      expect(await client.deleteUser(2)).toBe(false);
    });
  });
});

describe('purge', () => {
  it('a lagging purge: the profile stays visible for the lag, then is gone with its transactions', async () => {
    await withSim({ purgeLagMs: 600 }, async (sim) => {
      const client = clientFor(sim);
      expect(await collect(client.transactionPages(901))).not.toEqual([]);
      const purgedAt = Date.now();
      expect(await client.purgeProfile(901)).toBe(true);
      const seenAgain = await client.getProfile(901);
      if (Date.now() - purgedAt < 500) expect(seenAgain?.id).toBe(901);
      expect(sim.stats().purged_profile_ids).toEqual([901]);
      let gone = false;
      while (!gone && Date.now() - purgedAt < 5_000) {
        await new Promise((r) => setTimeout(r, 100));
        gone = (await client.getProfile(901)) === null;
      }
      expect(gone).toBe(true);
      expect(Date.now() - purgedAt).toBeGreaterThanOrEqual(600);
      expect(await collect(client.transactionPages(901))).toEqual([]);
      expect(await collect(client.profilesByEmail('ella.brown.901@customers.example'))).toEqual([]);
      expect(statusesOf(sim, 'DELETE /api/v3/profiles/{id}/purge')).toEqual({ 204: 1 });
    });
  });

  it('a dropped purge answers success but the profile stays', async () => {
    await withSim({ purgeDropRate: 1 }, async (sim) => {
      const client = clientFor(sim);
      expect(await client.purgeProfile(902)).toBe(true);
      expect((await client.getProfile(902))?.id).toBe(902);
      expect(sim.stats()).toMatchObject({ purged_profile_ids: [], dropped_purge_profile_ids: [902] });
    });
  });

  it('purges with POST when so configured, and answers false for an unknown profile', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim, { purgeMethod: 'POST' });
      expect(await client.purgeProfile(905)).toBe(true);
      expect(await client.purgeProfile(999_999)).toBe(false);
      expect(statusesOf(sim, 'POST /api/v3/profiles/{id}/purge')).toEqual({ 204: 1, 404: 1 });
      expect(await client.getProfile(905)).toBeNull();
    });
  });
});

describe('secrets and personal data', () => {
  it('never writes the token, a queried email or a profile id to logs or error messages', async () => {
    const token = 'omneo_SECRET_7c1f2e9a55';
    const email = 'mia.chen.501@customers.example';
    // Distinctive, so that no timestamp, port or duration can contain it by chance.
    const profileId = 'PRF-Zq84x7Kd';
    const sim = await startSimulator({ tokens: [token] });
    const output: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        output.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug' }, sink);
    const errors: OmneoError[] = [];
    const answers: unknown[] = [];
    try {
      const client = new OmneoClient({ baseUrl: sim.url, token, logger, maxRetries: 1, backoffBaseMs: 1, timeoutMs: 150 });
      // Each call with its own faults: 5xx until retries run out, timeouts, a 429 too long to wait, a 5xx then a 404.
      const calls: [ScriptedFault[], () => Promise<unknown>][] = [
        [[{ status: 503 }, { status: 503 }], () => collect(client.profilesByEmail(email))],
        [[{ delayMs: 400 }, { delayMs: 400 }], () => client.getUser(1)],
        [[{ status: 429, retryAfter: 600 }], () => client.getUser(1)],
        [[{ status: 503 }, { status: 502 }], () => client.purgeProfile(profileId)],
        [[{ delayMs: 400 }, { delayMs: 400 }], () => client.purgeProfile(profileId)],
        [[{ status: 429, retryAfter: 600 }], () => client.purgeProfile(profileId)],
        [[{ status: 500 }, { status: 500 }], () => client.getProfile(profileId)],
        [[{ delayMs: 400 }, { delayMs: 400 }], () => collect(client.transactionPages(profileId))],
        [[{ status: 500 }, { status: 500 }], () => collect(client.transactionPages(profileId))],
        // 5xx, retried, then the platform's own 404: answered as "not there", but logged on the way.
        [[{ status: 503 }], () => client.purgeProfile(profileId)],
        [[{ status: 503 }], () => client.getProfile(profileId)],
        [[{ status: 503 }], () => collect(client.transactionPages(profileId))],
      ];
      for (const [faults, call] of calls) {
        await scriptFaults(sim, faults);
        try {
          answers.push(await call());
        } catch (err) {
          errors.push(err as OmneoError);
        }
      }
      const wrong = new OmneoClient({ baseUrl: sim.url, token: `${token}x`, logger });
      await wrong.verify().catch((err: OmneoError) => errors.push(err));
      expect((await collect(client.profilesByEmail(email))).map((p) => p.id)).toEqual([501]);
      // The way a job logs a failure: pino's error serializer copies every enumerable field.
      for (const err of errors) logger.error({ err }, 'job failed');
    } finally {
      await sim.close();
    }
    expect(answers).toEqual([false, null, []]);
    expect(errors.map((e) => e.constructor.name)).toEqual([
      'OmneoApiError',
      'OmneoTimeoutError',
      'OmneoRateLimitError',
      'OmneoApiError',
      'OmneoTimeoutError',
      'OmneoRateLimitError',
      'OmneoApiError',
      'OmneoTimeoutError',
      'OmneoApiError',
      'OmneoApiError',
    ]);
    const everything = [
      ...output,
      ...errors.flatMap((e) => [e.message, String(e), String(e.stack), JSON.stringify(e), inspect(e)]),
    ].join('\n');
    expect(output.length).toBeGreaterThan(20);
    expect(everything).not.toContain('SECRET');
    expect(everything.toLowerCase()).not.toContain('mia.chen');
    expect(everything).not.toContain(profileId);
    expect(everything).not.toContain(encodeURIComponent(profileId));
    expect(everything).not.toMatch(/page%5B|page\[|filter%5B|filter\[/);
    expect(everything).toContain('/profiles/{id}/purge');
    expect(everything).toContain('/profiles/{id}/transactions');
    expect(everything).toContain('"status":404');
    const profileErrors = errors.slice(3, 9);
    // The id stays available to the caller, in a field of its own.
    expect(profileErrors.map((e) => e.resourceId)).toEqual(Array(6).fill(profileId));
    expect(profileErrors.map((e) => e.route)).toEqual([
      '/profiles/{id}/purge',
      '/profiles/{id}/purge',
      '/profiles/{id}/purge',
      '/profiles/{id}',
      '/profiles/{id}/transactions',
      '/profiles/{id}/transactions',
    ]);
    expect(profileErrors[0]!.message).toBe('Omneo DELETE /profiles/{id}/purge answered 502');
  });
});

describe('configuration at run time', () => {
  it('rejects a bad setting with a 422 that names it', async () => {
    await withSim({}, async (sim) => {
      const res = await configure(sim, { errorRate: 2, latencyMs: -1 });
      expect(res.status).toBe(422);
      expect(Object.keys(((await res.json()) as { errors: object }).errors).sort()).toEqual(['errorRate', 'latencyMs']);
    });
  });
});
