// The SCIM directory client against the simulator's SCIM endpoint over real HTTP:
// paging read ahead, retries, Retry-After, timeouts, and a refused token.
import { describe, expect, it } from 'vitest';
import { readScimDirectory, ScimStatusError, ScimTimeoutError, type ScimOptions } from '../../../src/directory/scim-client.js';
import { InputError } from '../../../src/errors.js';
import { largeTenant } from '../../../src/omneo/simulator/large-tenant.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { configure, scriptFaults, statusesOf, withSim, caught } from './sim-helpers.js';

const USERS = 'GET /scim/v2/Users';

// Short backoff keeps the suite quick; the retry policy is the same as with the defaults.
const read = (sim: Simulator, options: ScimOptions = {}) =>
  readScimDirectory(`${sim.origin}/scim/v2`, { token: sim.token, backoffBaseMs: 10, backoffCapMs: 50, ...options });

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, performance.now() - started];
}

describe('paging', () => {
  it('reads every person in order, asking each page once, whether one at a time or ahead', async () => {
    await withSim({}, async (sim) => {
      const roster = sim.demo!.directory.people.map((p) => p.email);
      expect(roster).toHaveLength(8);
      let asked = 0;
      for (const concurrency of [1, 4]) {
        const people = await read(sim, { pageSize: 3, concurrency });
        expect(people.map((p) => p.email)).toEqual(roster);
        asked += Math.ceil(roster.length / 3);
        expect(statusesOf(sim, USERS)).toEqual({ 200: asked });
      }
    });
  });

  it('fetches later pages ahead: with latency, four in flight take a fraction of one at a time', async () => {
    await withSim({ users: 300, seed: 'scim-ahead', latencyMs: 60 }, async (sim) => {
      const [one, sequential] = await timed(() => read(sim, { pageSize: 20, concurrency: 1 }));
      const [ahead, concurrent] = await timed(() => read(sim, { pageSize: 20, concurrency: 4 }));
      const pages = Math.ceil(one.length / 20);
      expect(pages).toBeGreaterThanOrEqual(12);
      expect(ahead).toEqual(one);
      // One at a time cannot beat pages × latency; four ahead need about a quarter of it.
      expect(sequential).toBeGreaterThanOrEqual(pages * 60);
      expect(concurrent).toBeLessThan(sequential * 0.6);
    });
  });

  it('follows the page size the server really uses when it caps count', async () => {
    await withSim({ users: 500, seed: 'scim-cap', scimMaxCount: 200 }, async (sim) => {
      // This directory answers at most 200 resources a page, whatever count asks.
      const people = await read(sim, { pageSize: 1000 });
      expect(people.length).toBeGreaterThan(400);
      expect(new Set(people.map((p) => p.email)).size).toBe(people.length);
      expect(statusesOf(sim, USERS)).toEqual({ 200: Math.ceil(people.length / 200) });
    });
  });

  it('reads the same people in the same order whatever the page size, the server cap and the read-ahead', async () => {
    const seed = 'scim-same';
    const nowMs = Date.now();
    // The roster as the simulator holds it: emails and names do not depend on the clock.
    const roster = largeTenant({ seed, users: 1200, nowMs }).people;
    expect(roster.length).toBeGreaterThan(1000);
    for (const scimMaxCount of [5000, 150]) {
      await withSim({ users: 1200, seed, nowMs, scimMaxCount }, async (sim) => {
        // One request for everybody (or, capped, the reference read at the cap).
        const whole = await read(sim, { pageSize: 5000, concurrency: 1 });
        expect(whole.map((p) => [p.email, p.name])).toEqual(roster.map((p) => [p.email, p.name]));
        expect(statusesOf(sim, USERS)).toEqual({ 200: Math.ceil(roster.length / Math.min(5000, scimMaxCount)) });
        // Page sizes that divide nothing evenly (a short last page), below and above the cap.
        for (const pageSize of [7, 100, 333, 1000]) {
          for (const concurrency of [1, 4]) {
            const before = statusesOf(sim, USERS)[200]!;
            const people = await read(sim, { pageSize, concurrency });
            expect(people, `count ${pageSize}, cap ${scimMaxCount}, ${concurrency} ahead`).toEqual(whole);
            // Each page asked once: at the size asked, or the server's when it caps.
            expect(statusesOf(sim, USERS)).toEqual({ 200: before + Math.ceil(roster.length / Math.min(pageSize, scimMaxCount)) });
          }
        }
      });
    }
  });

  it('reads a roster whose size is a multiple of the page, and one that fits one page', async () => {
    await withSim({}, async (sim) => {
      const roster = sim.demo!.directory.people.map((p) => p.email);
      expect(roster).toHaveLength(8);
      for (const pageSize of [1, 2, 4, 8, 9]) {
        expect((await read(sim, { pageSize })).map((p) => p.email)).toEqual(roster);
      }
      expect(statusesOf(sim, USERS)).toEqual({ 200: 8 + 4 + 2 + 1 + 1 });
    });
    await withSim({ scimMaxCount: 3 }, async (sim) => {
      // The default count (far above this server's cap) follows its pages of 3.
      expect(await read(sim)).toHaveLength(8);
      expect(statusesOf(sim, USERS)).toEqual({ 200: 3 });
    });
  });

  it('refuses a page size, a read-ahead or a page limit below 1 before asking anything', async () => {
    await withSim({}, async (sim) => {
      for (const bad of [{ pageSize: 0 }, { concurrency: 0 }, { maxPages: 0 }, { pageSize: 2.5 }]) {
        const err = await caught(read(sim, bad));
        expect(err).toBeInstanceOf(InputError);
        expect((err as InputError).path).toBe(Object.keys(bad)[0]);
      }
      expect(statusesOf(sim, USERS)).toEqual({});
    });
  });
});

describe('retries', () => {
  it('retries 5xx with backoff and a slow answer after its timeout, on any page', async () => {
    await withSim({}, async (sim) => {
      const expected = (await read(sim, { pageSize: 4, concurrency: 1 })).map((p) => p.email);
      const pages = Math.ceil(expected.length / 4);
      // The first page, then the second fail; a third page is too slow once.
      await scriptFaults(sim, [{ status: 503 }, {}, { status: 500 }, { delayMs: 600 }]);
      const [people, ms] = await timed(() => read(sim, { pageSize: 4, concurrency: 1, timeoutMs: 300 }));
      expect(people.map((p) => p.email)).toEqual(expected);
      expect(ms).toBeLessThan(600);
      // The simulator counts the abandoned slow answer once it has written it.
      await new Promise((r) => setTimeout(r, 600 - ms + 50));
      expect(statusesOf(sim, USERS)).toEqual({ 200: 2 * pages + 1, 500: 1, 503: 1 });
    });
  });

  it('waits out a 429 for its Retry-After, and a 503 that says when to come back', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 429, retryAfter: 1 }]);
      const [first, waited429] = await timed(() => read(sim));
      expect(first.length).toBeGreaterThan(0);
      expect(waited429).toBeGreaterThanOrEqual(950);

      await scriptFaults(sim, [{ status: 503, retryAfter: 1 }]);
      const [second, waited503] = await timed(() => read(sim));
      expect(second).toEqual(first);
      // The backoff alone (10–50 ms) would have come back far sooner.
      expect(waited503).toBeGreaterThanOrEqual(950);
      expect(statusesOf(sim, USERS)).toEqual({ 200: 2, 429: 1, 503: 1 });
    });
  });

  it('fails with the last 5xx of a page fetched ahead once its retries run out', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{}, { status: 502 }, { status: 502 }]);
      const err = await caught(read(sim, { pageSize: 3, concurrency: 1, maxRetries: 1 }));
      expect(err).toBeInstanceOf(ScimStatusError);
      expect(err).toMatchObject({ status: 502, message: `SCIM directory ${sim.origin}/scim/v2/Users: HTTP 502` });
    });
  });

  it('fails with a timeout when every attempt is too slow', async () => {
    await withSim({}, async (sim) => {
      await configure(sim, { latencyMs: 400 });
      const err = await caught(read(sim, { timeoutMs: 100, maxRetries: 1 }));
      expect(err).toBeInstanceOf(ScimTimeoutError);
      expect((err as Error).message).toBe(`SCIM directory ${sim.origin}/scim/v2/Users: no answer within 100 ms`);
    });
  });
});

describe('a refused token', () => {
  it('is not retried, says its status, and never carries the token', async () => {
    await withSim({}, async (sim) => {
      const wrong = 'scim-WRONG-91d2';
      const err = await caught(read(sim, { token: wrong }));
      expect(err).toBeInstanceOf(ScimStatusError);
      expect(err).toMatchObject({ status: 401, refusedCredentials: true });
      expect((err as Error).message).toBe(`SCIM directory ${sim.origin}/scim/v2/Users: HTTP 401`);
      expect(JSON.stringify(err) + String(err) + String((err as Error).stack)).not.toContain(wrong);
      expect(statusesOf(sim, USERS)).toEqual({ 401: 1 });
    });
  });
});
