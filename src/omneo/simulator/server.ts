/**
 * The Omneo API simulator (`warden sim`): the endpoints of docs/architecture.md "The
 * platform" under `/api/v3`, in exactly the platform's response shapes, over
 * seeded data, with fault injection (latency, 429 + Retry-After, 5xx, lagging
 * and dropped purges), a SCIM 2.0 directory, webhook signing and barcode tokens.
 * Admin endpoints under `/__sim/` drive it from tests; they bypass faults and stats.
 *
 * This module creates the server, dispatches each request to the routes module
 * of its resource (./routes/), and applies the faults on the way.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../errors.js';
import type { OmneoTokenIdentity } from '../types.js';
import { notFound, retryAfterHeader, send, tooMany, type Answer } from './answers.js';
import { demoTenant, type DemoTenant, type DirectoryPerson } from './demo-tenant.js';
import { checkFaults, type ScriptedFault, type SimulatorFaults } from './faults.js';
import { largeTenant } from './large-tenant.js';
import { PlatformStore } from './platform-store.js';
import { TokenBucket } from './rate-limit.js';
import { adminHandler } from './routes/admin.js';
import { auditRoutes } from './routes/audits.js';
import { barcodeRoutes } from './routes/barcode.js';
import { profileRoutes } from './routes/profiles.js';
import { API_PREFIX, type Route, type SimState } from './routes/route.js';
import { scimRoutes } from './routes/scim.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';
import { SCIM_MAX_COUNT } from './scim.js';
import { seededRandom } from './synthetic-tenant.js';

export type { ScriptedFault } from './faults.js';
export const DEFAULT_SIM_TOKEN = 'sim-token';

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
  /**
   * The barcode secret accepted at start (`POST /__sim/secrets` sets several).
   * @defaultValue 'sim-barcode-secret'
   */
  barcodeSecret?: string;
  /**
   * Largest `page[size]` a list accepts.
   * @defaultValue 1000
   */
  maxPageSize?: number;
  /**
   * Most resources a SCIM `/Users` page holds: a larger `count` gets this many,
   * as a real directory that caps its pages answers.
   * @defaultValue 1000 ({@link SCIM_MAX_COUNT})
   */
  scimMaxCount?: number;
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

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const problems = checkFaults({
    rateLimit: options.rateLimit,
    latencyMs: options.latencyMs,
    errorRate: options.errorRate,
    purgeLagMs: options.purgeLagMs,
    purgeDropRate: options.purgeDropRate,
    tagDropRate: options.tagDropRate,
    retryAfterFormat: options.retryAfterFormat,
  });
  const [firstProblem] = Object.entries(problems);
  if (firstProblem) throw new InputError(firstProblem[0], firstProblem[1]);
  const seed = options.seed ?? 'demo';
  const nowMs = options.nowMs ?? Date.now();
  const maxPageSize = options.maxPageSize ?? 1000;
  const scimMaxCount = options.scimMaxCount ?? SCIM_MAX_COUNT;
  if (!Number.isInteger(scimMaxCount) || scimMaxCount < 1) throw new InputError('scimMaxCount', 'must be a positive integer');
  const faults: SimulatorFaults = {
    rateLimit: options.rateLimit ?? 0,
    latencyMs: options.latencyMs ?? 0,
    errorRate: options.errorRate ?? 0,
    purgeLagMs: options.purgeLagMs ?? 0,
    purgeDropRate: options.purgeDropRate ?? 0,
    tagDropRate: options.tagDropRate ?? 0,
    retryAfterFormat: options.retryAfterFormat ?? 'seconds',
  };
  const secrets = { webhook: options.webhookSecret ?? 'sim-webhook-secret', barcode: [options.barcodeSecret ?? 'sim-barcode-secret'] };
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

  const state: SimState = { store, people, faults, secrets, random, maxPageSize, scimMaxCount, origin: () => origin };
  const routes: Route[] = [
    ...userRoutes(state),
    ...tokenRoutes(state),
    ...auditRoutes(state),
    ...profileRoutes(state),
    ...webhookRoutes(state),
    ...scimRoutes(state),
    ...barcodeRoutes(state),
  ];
  const admin = adminHandler(state, {
    stats,
    scripted,
    rateLimitChanged: () => (bucket = faults.rateLimit > 0 ? new TokenBucket(faults.rateLimit, Date.now()) : undefined),
  });

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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
