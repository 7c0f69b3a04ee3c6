/**
 * The Omneo API simulator (`warden sim`): the endpoints of DESIGN.md "The
 * platform" under `/api/v3`, in exactly the platform's response shapes, over
 * seeded data, with fault injection (latency, 429 + Retry-After, 5xx, lagging
 * and dropped purges), a SCIM 2.0 directory, webhook signing and barcode tokens.
 * Admin endpoints under `/__sim/` drive it from tests; they bypass faults and stats.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../errors.js';
import { sign, verifyBarcodeQuery, WEBHOOK_SIGNATURE_HEADER } from '../../secrets/hmac.js';
import type { OmneoTokenIdentity } from '../types.js';
import { demoTenant, type DemoTenant, type DirectoryPerson } from './demo-tenant.js';
import { largeTenant } from './large-tenant.js';
import { PlatformStore } from './platform-store.js';
import { TokenBucket } from './rate-limit.js';
import { seededRandom } from './synthetic-tenant.js';
import { SCIM_ERROR_SCHEMA, scimList } from './scim.js';

export const API_PREFIX = '/api/v3';
export const DEFAULT_SIM_TOKEN = 'sim-token';

/** Fault injection; every field can also be changed at run time (`POST /__sim/config`). */
export interface SimulatorFaults {
  /**
   * Requests per second allowed across the API; over it, `429` with `Retry-After`. 0 = no limit.
   * @defaultValue 0
   */
  rateLimit: number;
  /**
   * Delay added before every API answer.
   * @defaultValue 0
   */
  latencyMs: number;
  /**
   * Share of API requests answered with a 5xx, in [0, 1].
   * @defaultValue 0
   */
  errorRate: number;
  /**
   * How long a purged profile stays visible after the purge was answered.
   * @defaultValue 0
   */
  purgeLagMs: number;
  /**
   * Share of purges answered as a success but not carried out, in [0, 1].
   * @defaultValue 0
   */
  purgeDropRate: number;
  /**
   * Form of `Retry-After`: delay-seconds or an HTTP date.
   * @defaultValue 'seconds'
   */
  retryAfterFormat: 'seconds' | 'date';
}

export interface SimulatorOptions extends Partial<SimulatorFaults> {
  /** @defaultValue 0 (any free port; read the bound one from the result) */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /**
   * Seeds the data and the random faults.
   * @defaultValue 'demo'
   */
  seed?: string;
  /**
   * Synthetic customer profiles beyond the demo's named ones (or, with `users`, in all).
   * @defaultValue 50, or `users` with `users`
   */
  profiles?: number;
  /** Serve a synthetic tenant of this many accounts instead of the demo tenant. */
  users?: number;
  /**
   * Bearer tokens the simulator accepts (besides the ones created through the API).
   * @defaultValue ['sim-token']
   */
  tokens?: string[];
  /** @defaultValue 'sim-webhook-secret' */
  webhookSecret?: string;
  /** @defaultValue 'sim-barcode-secret' */
  barcodeSecret?: string;
  /**
   * Largest `page[size]` a list accepts.
   * @defaultValue 1000
   */
  maxPageSize?: number;
  /**
   * The instant the seeded data is laid out around.
   * @defaultValue now
   */
  nowMs?: number;
}

export interface SimulatorStats {
  /** Route (e.g. `GET /api/v3/users/{id}`) → status → count. */
  requests: Record<string, Record<string, number>>;
  total: number;
  purged_profile_ids: number[];
  dropped_purge_profile_ids: number[];
}

/** A fault for the next API request: scripted by tests through `POST /__sim/faults`. */
export interface ScriptedFault {
  status?: number;
  delayMs?: number;
  /** With status 429: the seconds to ask for (@defaultValue 1); with 503: asked for only when given. */
  retryAfter?: number;
  /** With status 429 or 503: how to say it. @defaultValue 'seconds' */
  retryAfterFormat?: 'seconds' | 'date';
}

export interface Simulator {
  /** API root, e.g. `http://127.0.0.1:40123/api/v3`. */
  url: string;
  /** Server root, for `/scim/v2`, `/barcode` and `/__sim`. */
  origin: string;
  port: number;
  /** The first accepted bearer token. */
  token: string;
  /** The demo tenant served (with its tenant-side data), or `undefined` for a synthetic tenant. */
  demo: DemoTenant | undefined;
  stats(): SimulatorStats;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text instead of JSON. */
  text?: string;
}

interface Ctx {
  params: string[];
  query: URLSearchParams;
  rawQuery: string;
  body: unknown;
  /** The user behind the bearer token. */
  actor: OmneoTokenIdentity;
  req: IncomingMessage;
}

type Handler = (ctx: Ctx) => Answer | Promise<Answer>;
interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  handler: Handler;
  /** Public: no bearer token (the barcode service authenticates by its own token). */
  open?: boolean;
}

const FAULT_LIMITS = {
  rateLimit: [0, 1_000_000],
  latencyMs: [0, 600_000],
  errorRate: [0, 1],
  purgeLagMs: [0, 86_400_000],
  purgeDropRate: [0, 1],
} as const;

/** The problems with a set of fault settings, by option name (empty when all are valid). */
export function checkFaults(input: Record<string, unknown>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'retryAfterFormat') {
      if (value !== 'seconds' && value !== 'date') problems[key] = 'must be "seconds" or "date"';
      continue;
    }
    const limits = FAULT_LIMITS[key as keyof typeof FAULT_LIMITS] as readonly [number, number] | undefined;
    if (!limits) problems[key] = 'unknown setting';
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < limits[0] || value > limits[1]) {
      problems[key] = `must be a number from ${limits[0]} to ${limits[1]}`;
    }
  }
  return problems;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const problems = checkFaults({
    rateLimit: options.rateLimit,
    latencyMs: options.latencyMs,
    errorRate: options.errorRate,
    purgeLagMs: options.purgeLagMs,
    purgeDropRate: options.purgeDropRate,
    retryAfterFormat: options.retryAfterFormat,
  });
  const [firstProblem] = Object.entries(problems);
  if (firstProblem) throw new InputError(firstProblem[0], firstProblem[1]);
  const seed = options.seed ?? 'demo';
  const nowMs = options.nowMs ?? Date.now();
  const maxPageSize = options.maxPageSize ?? 1000;
  const faults: SimulatorFaults = {
    rateLimit: options.rateLimit ?? 0,
    latencyMs: options.latencyMs ?? 0,
    errorRate: options.errorRate ?? 0,
    purgeLagMs: options.purgeLagMs ?? 0,
    purgeDropRate: options.purgeDropRate ?? 0,
    retryAfterFormat: options.retryAfterFormat ?? 'seconds',
  };
  const secrets = { webhook: options.webhookSecret ?? 'sim-webhook-secret', barcode: options.barcodeSecret ?? 'sim-barcode-secret' };
  const bearers = options.tokens ?? [DEFAULT_SIM_TOKEN];
  if (bearers.length === 0 || bearers.some((t) => t.length === 0)) throw new InputError('tokens', 'at least one non-empty token is needed');

  let demo: DemoTenant | undefined;
  let people: DirectoryPerson[];
  let store: PlatformStore;
  if (options.users !== undefined) {
    const large = largeTenant({ seed, users: options.users, profiles: options.profiles, nowMs });
    store = new PlatformStore(large.platform);
    people = large.people;
  } else {
    demo = demoTenant({ nowMs, seed, extraProfiles: options.profiles ?? 50 });
    store = new PlatformStore(demo.platform);
    people = demo.directory.people;
  }
  // The simulator's own token acts as the tenant's first machine account, as an integration would.
  const ownerId = store.users.find((u) => u.roles.some((r) => r.handle === 'machine'))?.id ?? null;

  const random = seededRandom(`${seed}:faults`);
  let bucket = faults.rateLimit > 0 ? new TokenBucket(faults.rateLimit, Date.now()) : undefined;
  const scripted: ScriptedFault[] = [];
  const counts: Record<string, Record<string, number>> = {};
  let total = 0;
  const closing = new AbortController();
  let origin = '';

  // Routes

  const api = (method: string, path: string, handler: Handler): Route => ({
    method,
    name: `${method} ${API_PREFIX}${path}`,
    pattern: new RegExp(`^${API_PREFIX}${path.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`),
    handler,
  });

  const routes: Route[] = [
    api('GET', '/users', ({ query }) => paginate(query, `${origin}${API_PREFIX}/users`, store.users, maxPageSize)),
    api('GET', '/users/{id}', ({ params }) => item(store.getUser(params[0]!))),
    api('PUT', '/users/{id}', ({ params, body }) => {
      const user = store.getUser(params[0]!);
      if (!user) return notFound();
      const input = (body ?? {}) as { name?: unknown; email?: unknown };
      const errors: Record<string, string[]> = {};
      if (input.name !== undefined && (typeof input.name !== 'string' || input.name.trim() === '')) errors.name = ['The name must be a non-empty string.'];
      if (input.email !== undefined && (typeof input.email !== 'string' || !input.email.includes('@'))) errors.email = ['The email must be a valid email address.'];
      if (Object.keys(errors).length) return invalid(errors);
      if (typeof input.name === 'string') user.name = input.name;
      if (typeof input.email === 'string') user.email = input.email;
      user.updated_at = new Date().toISOString();
      return item(user);
    }),
    api('DELETE', '/users/{id}', ({ params, actor }) => (store.deleteUser(params[0]!, actor.user_id, Date.now()) ? noContent() : notFound())),
    // Unpaginated on the platform: a bare JSON array.
    api('GET', '/auth/access-tokens', () => ({ status: 200, body: [...store.tokens.values()] })),
    api('POST', '/auth/api-tokens', ({ body, actor }) => {
      const input = (body ?? {}) as { name?: unknown; scopes?: unknown };
      const errors: Record<string, string[]> = {};
      if (typeof input.name !== 'string' || input.name.trim() === '') errors.name = ['The name field is required.'];
      if (!Array.isArray(input.scopes) || input.scopes.some((s) => typeof s !== 'string' || s === '')) {
        errors.scopes = ['The scopes field must be an array of scope names.'];
      }
      if (Object.keys(errors).length) return invalid(errors);
      return { status: 201, body: store.createToken(input.name as string, input.scopes as string[], actor.user_id, Date.now()) };
    }),
    api('DELETE', '/auth/api-tokens/{id}', ({ params }) => (store.deleteToken(params[0]!) ? noContent() : notFound())),
    api('GET', '/auth/verify', ({ actor }) => ({ status: 200, body: { data: actor } })),
    api('GET', '/audits', ({ query }) => paginate(query, `${origin}${API_PREFIX}/audits`, store.audits, maxPageSize)),
    api('GET', '/profiles', ({ query }) => {
      let profiles = store.visibleProfiles(Date.now());
      const email = query.get('filter[email]');
      if (email !== null) {
        const wanted = email.trim().toLowerCase();
        profiles = profiles.filter((p) => p.email?.toLowerCase() === wanted);
      }
      const search = query.get('search');
      if (search !== null && search.trim() !== '') {
        const term = search.trim().toLowerCase();
        profiles = profiles.filter((p) =>
          [p.first_name, p.last_name, `${p.first_name} ${p.last_name}`, p.email ?? '', p.mobile_phone ?? ''].some((f) => f.toLowerCase().includes(term)),
        );
      }
      return paginate(query, `${origin}${API_PREFIX}/profiles`, profiles, maxPageSize);
    }),
    api('GET', '/profiles/{id}', ({ params }) => item(store.visibleProfile(Number(params[0]), Date.now()))),
    api('DELETE', '/profiles/{id}', ({ params, actor }) =>
      store.softDeleteProfile(Number(params[0]), actor.user_id, Date.now()) ? noContent() : notFound(),
    ),
    api('GET', '/profiles/{id}/transactions', ({ params, query }) => {
      const txs = store.transactionsOf(Number(params[0]), Date.now());
      return txs ? paginate(query, `${origin}${API_PREFIX}/profiles/${params[0]}/transactions`, txs, maxPageSize) : notFound();
    }),
    // The reference says DELETE, one public guide says POST: both are served.
    ...(['DELETE', 'POST'] as const).map((method) =>
      api(method, '/profiles/{id}/purge', ({ params }) => {
        const drop = faults.purgeDropRate > 0 && random() < faults.purgeDropRate;
        const outcome = store.purgeProfile(Number(params[0]), Date.now(), faults.purgeLagMs, drop);
        return outcome.found ? noContent() : notFound();
      }),
    ),
    {
      method: 'GET',
      name: 'GET /scim/v2/Users',
      pattern: /^\/scim\/v2\/Users$/,
      handler: ({ query }) => {
        const list = scimList(people, query, Date.now());
        if ('problem' in list) {
          return { status: 400, body: { schemas: [SCIM_ERROR_SCHEMA], status: '400', scimType: 'invalidValue', detail: list.problem } };
        }
        return { status: 200, body: list, headers: { 'content-type': 'application/scim+json' } };
      },
    },
    {
      method: 'GET',
      name: 'GET /barcode',
      pattern: /^\/barcode$/,
      open: true,
      handler: ({ rawQuery }) => {
        if (!verifyBarcodeQuery(secrets.barcode, rawQuery)) return { status: 403, body: { message: 'Invalid barcode token.' } };
        return { status: 200, headers: { 'content-type': 'image/svg+xml' }, text: barcodeSvg(rawQuery) };
      },
    },
  ];

  // Admin

  async function admin(method: string, path: string, body: unknown): Promise<Answer> {
    if (method === 'GET' && path === '/__sim/stats') return { status: 200, body: stats() };
    if (method === 'GET' && path === '/__sim/config') return { status: 200, body: { data: faults } };
    if (method === 'POST' && path === '/__sim/config') {
      const input = (body ?? {}) as Record<string, unknown>;
      const errors = checkFaults(input);
      if (Object.keys(errors).length) return invalid(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, [v]])));
      Object.assign(faults, input);
      if (input.rateLimit !== undefined) bucket = faults.rateLimit > 0 ? new TokenBucket(faults.rateLimit, Date.now()) : undefined;
      return { status: 200, body: { data: faults } };
    }
    if (method === 'POST' && path === '/__sim/faults') {
      const list = (body as { faults?: unknown } | null)?.faults;
      if (!Array.isArray(list)) return invalid({ faults: ['The faults field must be an array.'] });
      scripted.push(...(list as ScriptedFault[]));
      return noContent();
    }
    if (method === 'POST' && path === '/__sim/secrets') {
      const input = (body ?? {}) as { webhook?: unknown; barcode?: unknown };
      const errors: Record<string, string[]> = {};
      for (const key of ['webhook', 'barcode'] as const) {
        if (input[key] !== undefined && (typeof input[key] !== 'string' || input[key] === '')) errors[key] = [`The ${key} secret must be a non-empty string.`];
      }
      if (Object.keys(errors).length) return invalid(errors);
      if (typeof input.webhook === 'string') secrets.webhook = input.webhook;
      if (typeof input.barcode === 'string') secrets.barcode = input.barcode;
      return noContent();
    }
    if (method === 'POST' && path === '/__sim/webhooks/deliver') return deliverWebhook(body);
    return notFound();
  }

  async function deliverWebhook(body: unknown): Promise<Answer> {
    const input = (body ?? {}) as { url?: unknown; event?: unknown };
    if (typeof input.url !== 'string' || !/^https?:\/\//.test(input.url)) return invalid({ url: ['The url must be an http(s) URL.'] });
    const event = input.event ?? {
      id: `evt_${Math.floor(random() * 1e9).toString(36)}`,
      type: 'profile.updated',
      created_at: new Date().toISOString(),
      data: { profile_id: 501 },
    };
    const raw = JSON.stringify(event);
    try {
      const res = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(secrets.webhook, raw) },
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return { status: 200, body: { data: { status: res.status, body: raw } } };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      return { status: 502, body: { message: `Delivery failed: ${code}` } };
    }
  }

  function stats(): SimulatorStats {
    return {
      requests: structuredClone(counts),
      total,
      purged_profile_ids: [...store.purgedIds],
      dropped_purge_profile_ids: [...store.droppedPurgeIds],
    };
  }

  // Dispatch

  function identify(req: IncomingMessage): OmneoTokenIdentity | undefined {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const secret = m[1]!;
    if (bearers.includes(secret)) return { token_id: null, user_id: ownerId, name: 'simulator', scopes: ['*'] };
    const token = store.useTokenOfSecret(secret, Date.now(), req.socket.remoteAddress ?? null, req.headers['user-agent'] ?? null);
    return token && { token_id: token.id, user_id: token.user_id, name: token.name, scopes: token.scopes };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        send(res, { status: 400, body: { message: 'The body is not valid JSON.' } });
        return;
      }
    }
    if (url.pathname.startsWith('/__sim/')) {
      send(res, await admin(method, url.pathname, body));
      return;
    }

    const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    const name = route?.name ?? `${method} (unmatched)`;
    const answer = await (async (): Promise<Answer> => {
      const fault = scripted.shift();
      const delay = faults.latencyMs + (fault?.delayMs ?? 0);
      if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
      if (bucket) {
        const waitMs = bucket.take(Date.now());
        if (waitMs > 0) return tooMany(Math.max(1, Math.ceil(waitMs / 1000)), faults.retryAfterFormat);
      }
      if (fault?.status !== undefined) {
        if (fault.status === 429) return tooMany(fault.retryAfter ?? 1, fault.retryAfterFormat ?? 'seconds');
        const headers = fault.status === 503 && fault.retryAfter !== undefined ? retryAfterHeader(fault.retryAfter, fault.retryAfterFormat ?? 'seconds') : undefined;
        return { status: fault.status, body: { message: 'Injected fault.' }, ...(headers ? { headers } : {}) };
      }
      if (faults.errorRate > 0 && random() < faults.errorRate) {
        return { status: random() < 0.5 ? 500 : 503, body: { message: 'Server Error' } };
      }
      if (!route) return notFound();
      const actor = identify(req);
      if (!route.open && !actor) return { status: 401, body: { message: 'Unauthenticated.' } };
      const params = route.pattern.exec(url.pathname)!.slice(1).map((p) => decodeURIComponent(p));
      const anonymous: OmneoTokenIdentity = { token_id: null, user_id: null, name: 'anonymous', scopes: [] };
      return route.handler({ params, query: url.searchParams, rawQuery, body, actor: actor ?? anonymous, req });
    })();
    total++;
    const byStatus = (counts[name] ??= {});
    byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
    send(res, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (closing.signal.aborted) {
        res.destroy();
        return;
      }
      const message = err instanceof Error ? err.name : 'error';
      if (!res.headersSent) send(res, { status: 500, body: { message: `Simulator error: ${message}` } });
      else res.destroy();
    });
  });
  // Answers can be slow on purpose; no server-side timeout should cut them short.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  return {
    url: `${origin}${API_PREFIX}`,
    origin,
    port: address.port,
    token: bearers[0]!,
    demo,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

// Answers, in the platform's shapes

function item(data: unknown): Answer {
  return data === undefined ? notFound() : { status: 200, body: { data } };
}

function noContent(): Answer {
  return { status: 204 };
}

function notFound(): Answer {
  return { status: 404, body: { message: 'Not found.' } };
}

function invalid(errors: Record<string, string[]>): Answer {
  return { status: 422, body: { message: 'The given data was invalid.', errors } };
}

function tooMany(seconds: number, format: 'seconds' | 'date'): Answer {
  return { status: 429, headers: retryAfterHeader(seconds, format), body: { message: 'Too Many Attempts.' } };
}

function retryAfterHeader(seconds: number, format: 'seconds' | 'date'): Record<string, string> {
  return { 'retry-after': format === 'date' ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds) };
}

/** A `{data, links, meta}` page of `items`, or a 422 naming the bad `page[…]` parameter. */
function paginate<T>(query: URLSearchParams, base: string, items: readonly T[], maxPageSize: number): Answer {
  const size = query.has('page[size]') ? Number(query.get('page[size]')) : 15;
  const number = query.has('page[number]') ? Number(query.get('page[number]')) : 1;
  const errors: Record<string, string[]> = {};
  if (!Number.isInteger(size) || size < 1 || size > maxPageSize) errors['page.size'] = [`The page.size must be an integer from 1 to ${maxPageSize}.`];
  if (!Number.isInteger(number) || number < 1) errors['page.number'] = ['The page.number must be an integer of at least 1.'];
  if (Object.keys(errors).length) return invalid(errors);
  const lastPage = Math.max(1, Math.ceil(items.length / size));
  const link = (n: number) => {
    const q = new URLSearchParams(query);
    q.set('page[size]', String(size));
    q.set('page[number]', String(n));
    return `${base}?${q.toString()}`;
  };
  return {
    status: 200,
    body: {
      data: items.slice((number - 1) * size, number * size),
      links: { first: link(1), last: link(lastPage), prev: number > 1 ? link(number - 1) : null, next: number < lastPage ? link(number + 1) : null },
      meta: { current_page: number, last_page: lastPage, per_page: size, total: items.length },
    },
  };
}

function barcodeSvg(rawQuery: string): string {
  const code = new URLSearchParams(rawQuery).get('code') ?? '';
  const bars = [...code].map((c, i) => `<rect x="${i * 4}" y="0" width="${1 + (c.charCodeAt(0) % 3)}" height="40"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(4, code.length * 4)}" height="40">${bars}</svg>`;
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...answer.headers };
  let payload: string | undefined;
  if (answer.text !== undefined) payload = answer.text;
  else if (answer.status !== 204 && answer.body !== undefined) {
    payload = JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
