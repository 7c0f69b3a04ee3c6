// The outbound layer under the URL policy (src/outbound/http-client.ts, url-policy.ts), against
// node:http servers on loopback: redirects refused and never followed, 401/403 tried once, and a
// host checked before each attempt. A name "resolving" to a forbidden address is given by an
// injected resolver, so no traffic ever leaves loopback.
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readScimDirectory } from '../../../src/directory/scim-client.js';
import { HttpNetworkError, HttpStatusError } from '../../../src/outbound/errors.js';
import { HttpClient } from '../../../src/outbound/http-client.js';
import { OutboundUrlError, OutboundUrlPolicy } from '../../../src/outbound/url-policy.js';

interface Server {
  origin: string;
  seen: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function serve(answer: RequestListener): Promise<Server> {
  const seen: Server['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: Server = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  open.push(s);
  return s;
}

const json = (status: number, body: unknown): RequestListener => (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const fast = { backoffBaseMs: 1, backoffCapMs: 2, maxRetries: 4 } as const;
const caught = async (p: Promise<unknown>): Promise<Error> => p.then(() => { throw new Error('expected a rejection'); }, (e: Error) => e);

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('refuses a %i once, naming the target origin only; the target never sees the token', async (status) => {
    const target = await serve(json(200, { ok: true }));
    const mover = await serve((_req, res) => res.writeHead(status, { location: `${target.origin}/steal?email=ann%40acme.example` }).end());
    const http = new HttpClient({ ...fast, baseUrl: `${mover.origin}/api/v3`, token: 'tok-secret' });
    const err = await caught(http.request({ method: 'GET', route: '/users', idempotent: true }));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err.message).toBe(`HTTP GET /users answered ${status}: redirect to ${target.origin} refused (redirects are never followed)`);
    expect(err.message).not.toContain('ann');
    expect(mover.seen).toHaveLength(1);
    expect(target.seen).toEqual([]);
  });

  it('refuses a SCIM directory that redirects, naming the target', async () => {
    const target = await serve(json(200, { Resources: [] }));
    const mover = await serve((_req, res) => res.writeHead(302, { location: `${target.origin}/scim/v2/Users` }).end());
    const err = await caught(readScimDirectory(`${mover.origin}/scim/v2`, { ...fast, token: 'tok-secret' }));
    expect(err.message).toBe(`SCIM directory ${mover.origin}/scim/v2/Users: HTTP 302, redirect to ${target.origin} refused (redirects are never followed)`);
    expect(target.seen).toEqual([]);
  });
});

describe('refused credentials', () => {
  it.each([401, 403])('tries a %i once, however many retries are allowed', async (status) => {
    const platform = await serve(json(status, { message: 'Unauthenticated.' }));
    const http = new HttpClient({ ...fast, baseUrl: `${platform.origin}/api/v3`, token: 'tok-secret' });
    const err = await caught(http.request({ method: 'GET', route: '/users', idempotent: true }));
    expect(err).toMatchObject({ status, refusedCredentials: true });
    expect(platform.seen).toHaveLength(1);
  });
});

describe('the host, checked before each attempt', () => {
  it('refuses a name that resolves to the metadata address, before any request', async () => {
    const platform = await serve(json(200, {}));
    const port = new URL(platform.origin).port;
    const lookups: string[] = [];
    const urlPolicy = new OutboundUrlPolicy({ resolve: (host) => (lookups.push(host), Promise.resolve(['169.254.169.254'])) });
    const http = new HttpClient({ ...fast, baseUrl: `http://localhost:${port}/api/v3`, token: 'tok-secret', urlPolicy });
    const err = await caught(http.request({ method: 'GET', route: '/users', idempotent: true }));
    expect(err).toBeInstanceOf(OutboundUrlError);
    expect(err.message).toBe('baseUrl: localhost resolves to 169.254.169.254, a link-local address (the cloud metadata service included): refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network');
    expect(lookups).toEqual(['localhost']);
    expect(platform.seen).toEqual([]);
  });

  it('refuses at construction a literal address the policy forbids', () => {
    expect(() => new HttpClient({ baseUrl: 'https://[::ffff:a9fe:a9fe]/', token: 't' })).toThrow('baseUrl: 169.254.169.254 is a link-local address');
    expect(() => new HttpClient({ baseUrl: 'http:127.0.0.1/', token: 't' })).toThrow(OutboundUrlError);
  });

  it('retries a failed lookup as a connection error, looking up again each time', async () => {
    let lookups = 0;
    const urlPolicy = new OutboundUrlPolicy({
      resolve: () => {
        lookups += 1;
        return Promise.reject(Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }));
      },
    });
    const http = new HttpClient({ ...fast, maxRetries: 2, baseUrl: 'https://api.acme.example/api/v3', token: 't', urlPolicy });
    const err = await caught(http.request({ method: 'GET', route: '/users', idempotent: true }));
    expect(err).toBeInstanceOf(HttpNetworkError);
    expect(err).toMatchObject({ code: 'EAI_AGAIN' });
    expect(lookups).toBe(3);
  });
});
