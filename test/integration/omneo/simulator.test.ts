// The simulator's own behaviour, over HTTP: shapes, auth, faults, stats, SCIM, webhooks, barcodes.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { signBarcodeQuery, verify } from '../../../src/secrets/hmac.js';
import { startSimulator, type Simulator } from '../../../src/omneo/simulator/server.js';
import { configure, withSim } from './sim-helpers.js';

const auth = (sim: Simulator) => ({ authorization: `Bearer ${sim.token}` });
const get = (sim: Simulator, path: string) => fetch(`${sim.url}${path}`, { headers: auth(sim) });
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('response shapes (docs/architecture.md "The platform")', () => {
  it('lists are {data, links, meta} with the four meta fields', async () => {
    await withSim({}, async (sim) => {
      const res = await get(sim, '/users?page[size]=4&page[number]=2');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = await json(res);
      expect(Object.keys(body).sort()).toEqual(['data', 'links', 'meta']);
      expect(body.meta).toEqual({ current_page: 2, last_page: 3, per_page: 4, total: 11 });
      const links = body.links as Record<string, string | null>;
      expect(Object.keys(links).sort()).toEqual(['first', 'last', 'next', 'prev']);
      expect(new URL(links.next!).searchParams.get('page[number]')).toBe('3');
      expect(new URL(links.prev!).searchParams.get('page[number]')).toBe('1');
      expect((body.data as { id: number }[]).map((u) => u.id)).toEqual([5, 6, 7, 8]);
      const last = await json(await get(sim, '/users?page[size]=4&page[number]=3'));
      expect((last.links as { next: unknown }).next).toBeNull();
    });
  });

  it('a single resource is {data: {…}} with the documented user fields', async () => {
    await withSim({}, async (sim) => {
      const body = await json(await get(sim, '/users/7'));
      expect(Object.keys(body)).toEqual(['data']);
      expect(Object.keys(body.data as object).sort()).toEqual(['created_at', 'email', 'id', 'name', 'roles', 'updated_at']);
      expect((body.data as { roles: unknown[] }).roles).toEqual([
        { id: 4, handle: 'machine', name: 'Machine' },
        { id: 2, handle: 'manager', name: 'Manager' },
      ]);
    });
  });

  it('access tokens are a bare array; creating one answers {accessToken, token}; deletes are 204 with no body', async () => {
    await withSim({}, async (sim) => {
      const tokens = (await (await get(sim, '/auth/access-tokens')).json()) as Record<string, unknown>[];
      expect(Array.isArray(tokens)).toBe(true);
      expect(Object.keys(tokens[0]!).sort()).toEqual(
        ['client_id', 'created_at', 'expires_at', 'id', 'name', 'revoked', 'scopes', 'updated_at', 'usage', 'user_id'].sort(),
      );
      const created = await fetch(`${sim.url}/auth/api-tokens`, {
        method: 'POST',
        headers: { ...auth(sim), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', scopes: ['read-profiles'] }),
      });
      const body = await json(created);
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'token']);
      const del = await fetch(`${sim.url}/auth/api-tokens/${(body.token as { id: string }).id}`, { method: 'DELETE', headers: auth(sim) });
      expect(del.status).toBe(204);
      expect(await del.text()).toBe('');
      expect(del.headers.get('content-type')).toBeNull();
    });
  });

  it('validation failures are 422 with an errors object naming the fields', async () => {
    await withSim({ maxPageSize: 100 }, async (sim) => {
      const res = await get(sim, '/audits?page[size]=101&page[number]=0');
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(Object.keys(body.errors as object).sort()).toEqual(['page.number', 'page.size']);
      const bad = await fetch(`${sim.url}/auth/api-tokens`, { method: 'POST', headers: auth(sim), body: JSON.stringify({ scopes: [] }) });
      expect(bad.status).toBe(422);
      expect(Object.keys((await json(bad)).errors as object)).toEqual(['name']);
    });
  });

  it('answers 401 without the bearer token or with a wrong one', async () => {
    await withSim({ tokens: ['t-one', 't-two'] }, async (sim) => {
      expect((await fetch(`${sim.url}/users`)).status).toBe(401);
      expect((await fetch(`${sim.url}/users`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      expect((await fetch(`${sim.url}/users`, { headers: { authorization: 't-one' } })).status).toBe(401);
      expect((await fetch(`${sim.origin}/scim/v2/Users`)).status).toBe(401);
      expect((await fetch(`${sim.url}/users`, { headers: { authorization: 'Bearer t-two' } })).status).toBe(200);
      expect(sim.stats().requests['GET /api/v3/users']).toEqual({ 200: 1, 401: 3 });
    });
  });
});

describe('faults', () => {
  it('rate limit: about the configured requests per second pass, the rest get 429 with Retry-After', async () => {
    await withSim({ rateLimit: 10 }, async (sim) => {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 60 }, () => get(sim, '/users/1')));
      const elapsedS = (Date.now() - started) / 1000;
      const ok = answers.filter((r) => r.status === 200).length;
      const limited = answers.filter((r) => r.status === 429);
      // A full bucket of 10, plus what refills while the burst is served.
      expect(ok).toBeGreaterThanOrEqual(10);
      expect(ok).toBeLessThanOrEqual(10 + Math.ceil(elapsedS * 10) + 1);
      expect(limited.length).toBe(60 - ok);
      for (const r of limited) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await Promise.all(answers.map((r) => r.arrayBuffer()));
    });
  });

  it('5xx at the configured rate, within statistical tolerance', async () => {
    await withSim({ errorRate: 0.3, seed: 'fault-rate' }, async (sim) => {
      let errors = 0;
      const n = 400;
      for (let i = 0; i < n; i++) {
        const res = await get(sim, '/users/1');
        await res.arrayBuffer();
        if (res.status >= 500) errors++;
        else expect(res.status).toBe(200);
      }
      // 3 standard deviations of a binomial(400, 0.3) share: ±0.069.
      expect(Math.abs(errors / n - 0.3)).toBeLessThan(0.069);
    });
  });

  it('purge drops at the configured rate, within tolerance', async () => {
    await withSim({ purgeDropRate: 0.5, profiles: 200, seed: 'drops' }, async (sim) => {
      for (let id = 1001; id < 1201; id++) {
        const res = await fetch(`${sim.url}/profiles/${id}/purge`, { method: 'DELETE', headers: auth(sim) });
        expect(res.status).toBe(204);
      }
      const { purged_profile_ids: purged, dropped_purge_profile_ids: dropped } = sim.stats();
      expect(purged.length + dropped.length).toBe(200);
      expect(Math.abs(dropped.length / 200 - 0.5)).toBeLessThan(0.106); // 3 sd of binomial(200, 0.5)
      const stillThere = await get(sim, `/profiles/${dropped[0]}`);
      expect(stillThere.status).toBe(200);
      expect((await get(sim, `/profiles/${purged[0]}`)).status).toBe(404);
    });
  });

  it('adds the configured latency, changeable at run time', async () => {
    await withSim({ latencyMs: 150 }, async (sim) => {
      let started = Date.now();
      await (await get(sim, '/users/1')).arrayBuffer();
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      // Only lower bounds: on a loaded machine an answer can always come later, never sooner.
      expect((await configure(sim, { latencyMs: 400 })).status).toBe(200);
      started = Date.now();
      await (await get(sim, '/users/1')).arrayBuffer();
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    });
  });

  it('refuses bad options at start, naming them', async () => {
    await expect(startSimulator({ errorRate: 1.5 })).rejects.toThrow(new InputError('errorRate', 'must be a number from 0 to 1'));
    await expect(startSimulator({ tokens: [] })).rejects.toThrow(InputError);
  });
});

describe('stats', () => {
  it('counts API requests by route and status, not admin calls, and lists purged profiles', async () => {
    await withSim({}, async (sim) => {
      await get(sim, '/users/1');
      await get(sim, '/users/404');
      await get(sim, '/nowhere');
      await fetch(`${sim.url}/profiles/901/purge`, { method: 'DELETE', headers: auth(sim) });
      const stats = await json(await fetch(`${sim.origin}/__sim/stats`));
      expect(stats).toEqual({
        requests: {
          'GET /api/v3/users/{id}': { 200: 1, 404: 1 },
          'GET (unmatched)': { 404: 1 },
          'DELETE /api/v3/profiles/{id}/purge': { 204: 1 },
        },
        total: 4,
        purged_profile_ids: [901],
        dropped_purge_profile_ids: [],
      });
      expect(sim.stats()).toEqual(stats);
    });
  });
});

describe('tokens set by the tests', () => {
  it('POST /__sim/tokens creates a token of any user, or changes one (an expiry), as the API then lists it; bad fields are 422', async () => {
    await withSim({}, async (sim) => {
      const set = (body: unknown) => fetch(`${sim.origin}/__sim/tokens`, { method: 'POST', body: JSON.stringify(body) });
      const listed = async (id: string) => ((await (await get(sim, '/auth/access-tokens')).json()) as { id: string }[]).find((t) => t.id === id);
      expect((await set({ id: 'tok_gus', user_id: 9, name: 'gus-cli', scopes: ['read-profiles'] })).status).toBe(200);
      expect(await listed('tok_gus')).toMatchObject({ id: 'tok_gus', user_id: 9, name: 'gus-cli', scopes: ['read-profiles'], revoked: false, expires_at: null, usage: [] });
      const past = new Date(Date.now() - 60_000).toISOString();
      expect((await set({ id: 'tok_orphan', expires_at: past })).status).toBe(200);
      expect(await listed('tok_orphan')).toMatchObject({ id: 'tok_orphan', name: 'legacy-erp', user_id: 99, expires_at: past });
      // Deleting the user deletes the token set for it, as for any of its tokens.
      expect((await fetch(`${sim.url}/users/9`, { method: 'DELETE', headers: auth(sim) })).status).toBe(204);
      expect(await listed('tok_gus')).toBeUndefined();
      const bad = await set({ id: 'tok_new', user_id: 'nine', expires_at: 'soon' });
      expect(bad.status).toBe(422);
      expect(Object.keys(((await bad.json()) as { errors: object }).errors).sort()).toEqual(['expires_at', 'name', 'user_id']);
      expect(await listed('tok_new')).toBeUndefined();
      // Admin calls are not the platform's: not counted.
      expect(sim.stats().requests['POST /api/v3/auth/api-tokens']).toBeUndefined();
    });
  });
});

describe('SCIM 2.0 directory', () => {
  it('pages with startIndex/count in a ListResponse, with active and a primary email', async () => {
    await withSim({}, async (sim) => {
      const page = async (start: number) =>
        json(await fetch(`${sim.origin}/scim/v2/Users?startIndex=${start}&count=3`, { headers: auth(sim) }));
      const first = await page(1);
      expect(first).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 8,
        startIndex: 1,
        itemsPerPage: 3,
      });
      const all = [...((first.Resources as object[]) ?? [])];
      for (let start = 4; start <= 8; start += 3) all.push(...((await page(start)).Resources as object[]));
      const users = all as { userName: string; active: boolean; emails: { value: string; primary: boolean }[] }[];
      expect(users).toHaveLength(8);
      const primary = (u: (typeof users)[number]) => u.emails.find((e) => e.primary)?.value;
      expect(users.map(primary)).toEqual(users.map((u) => u.userName));
      expect(users[0]!.emails[0]!.primary).toBe(false); // the primary is not always the first
      expect(users.filter((u) => !u.active).map((u) => u.userName).sort()).toEqual(['bob.stone@demo.example', 'gus.hill@demo.example']);
    });
  });

  it('answers a bad paging value with a SCIM error', async () => {
    await withSim({}, async (sim) => {
      const res = await fetch(`${sim.origin}/scim/v2/Users?count=many`, { headers: auth(sim) });
      expect(res.status).toBe(400);
      expect(await json(res)).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], scimType: 'invalidValue' });
    });
  });
});

describe('webhooks', () => {
  it('delivers a sample event signed with X-Omneo-Hmac-SHA256 under the current secret', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-omneo-hmac-sha256'] as string | undefined });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/omneo`;
    try {
      await withSim({ webhookSecret: 'first-secret' }, async (sim) => {
        const deliver = () => fetch(`${sim.origin}/__sim/webhooks/deliver`, { method: 'POST', body: JSON.stringify({ url }) });
        expect(await json(await deliver())).toMatchObject({ data: { status: 200 } });
        const rotate = await fetch(`${sim.origin}/__sim/secrets`, { method: 'POST', body: JSON.stringify({ webhook: 'second-secret' }) });
        expect(rotate.status).toBe(204);
        await deliver();
        expect(received).toHaveLength(2);
        const [a, b] = received as [(typeof received)[0], (typeof received)[0]];
        expect(a.signature).toMatch(/^[0-9a-f]{64}$/);
        expect(verify('first-secret', a.body, a.signature!)).toBe(true);
        expect(verify('second-secret', b.body, b.signature!)).toBe(true);
        expect(verify('first-secret', b.body, b.signature!)).toBe(false);
        expect(JSON.parse(a.body)).toMatchObject({ type: 'profile.updated' });
        const bad = await fetch(`${sim.origin}/__sim/webhooks/deliver`, { method: 'POST', body: JSON.stringify({ url: 'file:///etc' }) });
        expect(bad.status).toBe(422);
      });
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('barcode tokens', () => {
  it('accepts only the HMAC of the exact query string under the current barcode secret', async () => {
    await withSim({ barcodeSecret: 'bc-1' }, async (sim) => {
      const query = signBarcodeQuery('bc-1', 'code=4000123&profile_id=501&format=svg');
      const ok = await fetch(`${sim.origin}/barcode?${query}`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('image/svg+xml');
      expect(await ok.text()).toMatch(/^<svg /);
      expect((await fetch(`${sim.origin}/barcode?${query.replace('501', '502')}`)).status).toBe(403);
      expect((await fetch(`${sim.origin}/barcode?code=4000123&profile_id=501&format=svg`)).status).toBe(403);
      await fetch(`${sim.origin}/__sim/secrets`, { method: 'POST', body: JSON.stringify({ barcode: 'bc-2' }) });
      expect((await fetch(`${sim.origin}/barcode?${query}`)).status).toBe(403);
      const rotated = signBarcodeQuery('bc-2', 'code=4000123&profile_id=501&format=svg');
      expect((await fetch(`${sim.origin}/barcode?${rotated}`)).status).toBe(200);
    });
  });
});
