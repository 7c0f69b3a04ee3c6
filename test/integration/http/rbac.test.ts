// The RBAC walk: EVERY entry of ROUTE_ACCESS (the table itself is iterated,
// no hand-picked subset) × anonymous × a person holding only one role, for
// each role × a person holding every role but restricted to another tenant.
// Each request is a real one: the demo tenant, a real finding's fingerprint,
// a real run's id, a real approval's id and a link signed for its admin, a
// verified erasure request of the demo's history (its certificate, and
// actions on it that answer 409, so the walk purges nothing), a form with the
// signed-in agent's CSRF token (or the same-origin headers bull-board's
// scripts send), the demo's secrets (a rotation under way that a second one
// is refused by with 409, a secret with none to roll back, and a one-time
// retrieval link made for the admin-only person, which their POST spends),
// a closed access-review campaign of the demo tenant (its pack's manifest to
// download; decisions, delegations and closing answer 409, and opening another
// is refused for its due date in the past, so the walk opens nothing).
//
// - anonymous on a non-public route: 401 problem+json (API, operations),
//   303 to /sign-in (a page GET), 401 or 403 (a page form);
// - a role the entry does not name: 403;
// - a role it names: neither 401 nor 403 nor 5xx (and a GET answers < 400);
// - an approval link (public: the link is the credential) opened by someone
//   signed in who is not the admin it was sent to: the action's 403, which
//   says so (src/app/approvals.ts), never the access hook's;
// - someone who may not see the demo tenant: 404 on its `param` routes (and
//   on `query` routes filtered by it, and on `row` routes of its rows).
//
// The world has Redis (its own key prefix), so the queue dashboard is mounted.
// An entry no route answers fails its test, naming the entry: routes built on
// other branches fail here until they are merged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../src/db/database.js';
import { listFindings } from '../../../src/db/findings.repository.js';
import { listRuns } from '../../../src/db/job-runs.repository.js';
import { listApprovals } from '../../../src/db/approvals.repository.js';
import { listErasureRequests } from '../../../src/db/erasure.repository.js';
import { openRotation } from '../../../src/db/secret-rotations.repository.js';
import { getVersion } from '../../../src/db/secret-versions.repository.js';
import { newRetrievalLink } from '../../../src/rotation/notify.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { signApprovalLink } from '../../../src/approvals/approval-links.js';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { ROUTE_ACCESS, type RouteAccess } from '../../../src/http/access.js';
import { reviewDeps } from '../../../src/http/api/reviews.api.js';
import { closeReview, openReview } from '../../../src/app/reviews.js';
import type { QueueTransport } from '../../../src/queue/connection.js';
import type { JobRegistry } from '../../../src/queue/registry.js';
import { cleanQueues, TEST_REDIS_URL } from '../../support/queue.js';
import { Agent, csrfOf, startWebWorld, type WebWorld } from '../../support/web.js';
import { randomBytes } from 'node:crypto';

const TENANT = 'demo';
const QUEUE = 'reconcile';

/**
 * A concrete bull-board path for each method of `/admin/queues/*` (its API's
 * own routes; bull-board 9 has none for DELETE, so that entry is reported
 * missing unless a route is added for it).
 */
const QUEUE_PATHS: Readonly<Record<string, string>> = {
  GET: '/admin/queues/api/queues',
  POST: `/admin/queues/api/queues/${QUEUE}/add`,
  PUT: `/admin/queues/api/queues/${QUEUE}/promote`,
  PATCH: `/admin/queues/api/queues/${QUEUE}/no-such-job/priority`,
  DELETE: `/admin/queues/api/queues/${QUEUE}/no-such-job`,
};

/** A plausible body for each unsafe route: the walk is about access, and a 400 for a field would still be past it. */
const FORMS: Readonly<Record<string, Record<string, string>>> = {
  'POST /sign-in': { email: 'nobody@acme.example' },
  'POST /sign-in/link': { token: 'A'.repeat(43) },
  'POST /sign-in/code': { code: 'ABCD-EFGH' },
  'POST /findings/:tenant/:fingerprint/suppress': { reason: 'accepted in the RBAC walk', expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10) },
  // Rejections first (the table's order): the approvals after them answer 409, and nothing is removed by the walk.
  'POST /approvals/:id/decision': { decision: 'rejected', comment: 'rejected in the RBAC walk' },
  'POST /approvals/link/:token': { comment: 'rejected in the RBAC walk' },
  'POST /erasures/:id/extend': { months: '1', reason: 'extended in the RBAC walk' },
  'POST /erasures/:id/retain': { reason: 'retained in the RBAC walk' },
  'POST /reviews': { tenant: TENANT, due: '2020-01-01' },
  'POST /reviews/:id/decisions': { item: '1', decision: 'keep', comment: 'kept in the RBAC walk' },
  'POST /reviews/:id/bulk-keep': { items: '1' },
  'POST /reviews/:id/delegations': { items: '1', to: 'admins@demo.example' },
  'POST /reviews/:id/close': { confirm: 'yes' },
};
const JSON_BODIES: Readonly<Record<string, unknown>> = {
  'PUT /api/v1/findings/:tenant/:fingerprint/suppression': { reason: 'accepted in the RBAC walk', expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString() },
  'POST /admin/queues/*': { name: 'rbac-walk', data: {} },
  'PATCH /admin/queues/*': { priority: 1 },
  'POST /api/v1/approvals/:id/approve': {},
  'POST /api/v1/approvals/:id/reject': { comment: 'rejected in the RBAC walk' },
  'POST /api/v1/erasures/:id/extend': { months: 1, reason: 'extended in the RBAC walk' },
  'POST /api/v1/erasures/:id/retain': { reason: 'retained in the RBAC walk' },
  'POST /api/v1/reviews': { tenant: TENANT, due: '2020-01-01' },
  'POST /api/v1/reviews/:id/decisions': { decisions: [{ item: 1, decision: 'keep', comment: 'kept in the RBAC walk' }] },
  'POST /api/v1/reviews/:id/delegations': { items: [1], to: 'admins@demo.example' },
};
/**
 * The demo secret each secrets route acts on: a rotation of the barcode secret
 * is under way (a second is 409), the machine password has none (a rollback is
 * 400), and an admin's link to the webhook secret is emailed to them.
 */
const SECRET_OF: Readonly<Record<string, string>> = { rotate: 'barcode', rollback: 'pos-sync-password', 'retrieval-link': 'webhook-signing' };
/** Bodies that need the walk's data (filled in beforeAll). */
const LATE_FORMS: Record<string, Record<string, string>> = {};
const LATE_JSON: Record<string, unknown> = {};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The webhook receiver is public (the platform's signature is its whole proof),
 * and an unsigned delivery gets the receiver's own 401 whoever sends it, never
 * the access hook's: test/integration/http/webhooks.test.ts signs them.
 */
const RECEIVER = 'POST /webhooks/omneo/:tenant';
const unsigned = (a: Answer) => a.status === 401 && a.type.startsWith('application/problem+json') && a.detail.toLowerCase().includes('x-omneo-hmac-sha256 header is missing');

/** Answered with problem+json rather than a page (src/http/problem.ts `wantsHtml`). */
function isApiLike(path: string): boolean {
  return /^\/(api\/|metrics$|healthz$|readyz$|admin\/queues)/.test(path.split('?')[0]!);
}

interface Answer {
  status: number;
  type: string;
  location: string | null;
  /** The problem's detail, or the error page's alert. */
  detail: string;
}

let world: WebWorld;
let transport: QueueTransport | undefined;
let registry: JobRegistry | undefined;
let fingerprint: string;
let runId: number;
let approvalId: number;
/** A verified erasure request of the demo tenant: every action on it is refused by its state, after access. */
let erasureId: number;
/** The barcode secret's rotation under way. */
let rotationId: number;
/** A closed access-review campaign of the demo tenant. */
let reviewId: number;
/** A one-time retrieval link made for the admin-only person (their POST spends it). */
let retrievalToken: string;
/** Links to the approval signed for the demo's admin: GET opens an approve link, POST confirms a reject link. */
const linkTokens: Record<string, string> = {};
const agents = new Map<string, Agent>();

/** One agent per person for safe requests; unsafe ones get a fresh session each (sign-out ends one). */
async function agentFor(email: string, fresh: boolean): Promise<Agent> {
  if (fresh) return world.signIn(email);
  let agent = agents.get(email);
  if (agent === undefined) agents.set(email, (agent = await world.signIn(email)));
  return agent;
}

function concrete(key: string, access: RouteAccess): { method: string; path: string } {
  const [method, url] = key.split(' ') as [string, string];
  if (url === '/admin/queues/*') return { method, path: QUEUE_PATHS[method]! };
  const under = (prefix: string) => url.startsWith(`/${prefix}`) || url.startsWith(`/api/v1/${prefix}`);
  const id = under('approvals') ? approvalId : under('erasures') ? erasureId : under('reviews') ? reviewId : url.includes('/secrets/rotations/') ? rotationId : runId;
  const token = url.startsWith('/secrets/retrieve/') ? retrievalToken : (linkTokens[method] ?? '');
  let path = url.replace(':tenant', TENANT).replace(':fingerprint', fingerprint).replace(':name', SECRET_OF[url.split('/').at(-1)!] ?? '').replace(':id', String(id)).replace(':token', token).replace(':file', 'manifest.json');
  if (access.tenant === 'query') path += `?tenant=${TENANT}`;
  return { method, path };
}

/** Sends the route's request as `agent` (signed in, or anonymous with its own CSRF token). */
async function send(key: string, access: RouteAccess, agent: Agent, csrf: string): Promise<Answer> {
  const { method, path } = concrete(key, access);
  const headers: Record<string, string> = { accept: isApiLike(path) ? 'application/json' : 'text/html' };
  let res: Response;
  if (!UNSAFE.has(method)) {
    res = await agent.request(method, path, { headers });
  } else if (access.csrf === 'same-origin') {
    const json = JSON_BODIES[key];
    res = await agent.request(method, path, { headers: { ...headers, 'sec-fetch-site': 'same-origin', origin: world.url }, ...(json === undefined ? {} : { json }) });
  } else if (isApiLike(path)) {
    const json = JSON_BODIES[key] ?? LATE_JSON[key];
    res = await agent.request(method, path, { headers: { ...headers, 'x-csrf-token': csrf }, ...(json === undefined ? {} : { json }) });
  } else {
    res = await agent.request(method, path, { headers, form: { _csrf: csrf, ...FORMS[key], ...LATE_FORMS[key] } });
  }
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const detail = type.includes('json') ? ((JSON.parse(text) as { detail?: string }).detail ?? '') : (/role="alert">([^<]*)</.exec(text)?.[1] ?? '');
  return { status: res.status, type, location: res.headers.get('location'), detail };
}

/** An anonymous browser with the CSRF token of its sign-in page (so a refusal is about who, not the form). */
async function anonymous(): Promise<{ agent: Agent; csrf: string }> {
  const agent = new Agent(world.url);
  return { agent, csrf: csrfOf(await (await agent.get('/sign-in')).text()) };
}

const emailOf = (role: Role) => `${role}-only@acme.example`;
const RESTRICTED = 'elsewhere@acme.example';

beforeAll(async () => {
  const prefix = `wtest-rbac-${randomBytes(4).toString('hex')}`;
  world = await startWebWorld({
    audited: true,
    env: { REDIS_URL: TEST_REDIS_URL, WARDEN_QUEUE_PREFIX: prefix },
    // Every unsafe request signs in afresh: far more than the default 10 a minute.
    server: { signInRateLimit: 100_000 },
  });
  transport = world.app.transport;
  registry = world.app.registry;
  const { db } = world.app.database;
  await addTenant(db, { name: 'elsewhere', baseUrl: 'https://elsewhere.example', tokenEnv: 'ELSEWHERE_TOKEN' }, 'test');
  fingerprint = (await listFindings(db, { tenant: TENANT }))[0]!.fingerprint;
  runId = (await listRuns(db, { tenant: TENANT, limit: 1 }))[0]!.id;
  approvalId = (await listApprovals(db, { tenant: TENANT, status: 'pending' }))[0]!.id;
  const [erasure] = await listErasureRequests(db, { tenants: [TENANT], status: 'verified', limit: 1, order: 'newest' });
  erasureId = erasure!.id;
  // The profile it was for: enqueueing it again returns it, and nothing runs.
  LATE_FORMS['POST /erasures'] = { tenant: TENANT, profile_id: erasure!.profile_id };
  LATE_JSON['POST /api/v1/erasures'] = { tenant: TENANT, profile_id: erasure!.profile_id };
  LATE_JSON['POST /api/v1/erasures/retry'] = { ids: [erasureId] };
  LATE_FORMS['POST /approvals/bulk-approve'] = { ids: String(approvalId) };
  LATE_JSON['POST /api/v1/approvals/approve'] = { ids: [approvalId] };
  const demoAdmin = (await findPersonByEmail(db, 'admins@demo.example'))!;
  const expiresAt = new Date(Date.now() + 86_400_000);
  linkTokens['GET'] = signApprovalLink(world.web.ctx.key, { approvalId, personId: demoAdmin.id, decision: 'approved', expiresAt });
  linkTokens['POST'] = signApprovalLink(world.web.ctx.key, { approvalId, personId: demoAdmin.id, decision: 'rejected', expiresAt });
  for (const role of ROLES) await world.person(emailOf(role), [role]);
  rotationId = (await openRotation(db, TENANT, 'barcode'))!.id;
  const link = await newRetrievalLink({ db, publicUrl: world.url }, (await getVersion(db, TENANT, 'webhook-signing', 'current'))!, (await findPersonByEmail(db, emailOf('admin')))!, new Date());
  retrievalToken = link.url.split('/').at(-1)!;
  await world.person(RESTRICTED, [...ROLES], ['elsewhere']);
  // Opened and closed at the terminal: its pack exists, and nothing can be decided any more.
  const reviews = reviewDeps(world.web.ctx);
  reviewId = (await openReview(reviews, { operator: 'cli:rbac-walk' }, { tenant: TENANT })).id;
  await closeReview(reviews, { operator: 'cli:rbac-walk' }, reviewId);
}, 180_000);

afterAll(async () => {
  await world?.close();
  if (transport !== undefined && registry !== undefined) await cleanQueues(transport, registry);
});

const KEYS = Object.keys(ROUTE_ACCESS);

/** Whether a declared route answers the entry's concrete request. */
function served(key: string): boolean {
  const { method, path } = concrete(key, ROUTE_ACCESS[key]!);
  return world.web.server.findRoute({ method: method, url: path.split('?')[0]! }) !== null;
}

describe('the RBAC walk', () => {
  it('walks a table of every kind of entry', () => {
    expect(KEYS.length).toBeGreaterThan(30);
    expect(new Set(KEYS.map((k) => ROUTE_ACCESS[k]!.tenant))).toEqual(new Set(['none', 'param', 'query', 'row']));
  });

  it.each(KEYS)('%s', async (key) => {
    const access = ROUTE_ACCESS[key]!;
    const { method, path } = concrete(key, access);
    if (!served(key)) {
      throw new Error(`${key} is in ROUTE_ACCESS, but no route answers ${method} ${path} on this server (not built on this branch yet?)`);
    }
    const unsafe = UNSAFE.has(method);
    const failures: string[] = [];
    const check = (who: string, answer: Answer, ok: boolean, expected: string) => {
      if (!ok) failures.push(`${who}: expected ${expected}, got ${answer.status} ${answer.type}${answer.location === null ? '' : ` → ${answer.location}`}`);
    };

    // Anonymous.
    const anon = await anonymous();
    const a = await send(key, access, anon.agent, anon.csrf);
    if (key === RECEIVER) {
      check('anonymous', a, unsigned(a), 'the receiver’s own 401: the delivery is not signed');
    } else if (access.who === 'public') {
      check('anonymous', a, a.status !== 401 && a.status !== 403 && a.status < 500, 'neither 401, 403 nor 5xx');
    } else if (isApiLike(path)) {
      check('anonymous', a, a.status === 401 && a.type.startsWith('application/problem+json'), '401 problem+json');
    } else if (!unsafe) {
      check('anonymous', a, a.status === 303 && (a.location ?? '').startsWith('/sign-in'), '303 to /sign-in');
    } else {
      check('anonymous', a, a.status === 401 || a.status === 403, '401 or 403');
    }

    // One role at a time.
    for (const role of ROLES) {
      const agent = await agentFor(emailOf(role), unsafe);
      const answer = await send(key, access, agent, unsafe ? await agent.csrf() : '');
      const allowed = access.who === 'public' || access.who.includes(role);
      if (!allowed) check(role, answer, answer.status === 403, '403');
      else if (key === RECEIVER) check(role, answer, unsigned(answer), 'the receiver’s own 401: a session is no signature');
      else if (key.includes(' /approvals/link/')) {
        const theirs = answer.status === 403 && answer.detail.includes('sent to another admin');
        check(role, answer, theirs, 'the action’s 403: the link was sent to another admin');
      }
      else if (!unsafe && access.who !== 'public') check(role, answer, answer.status < 400, 'a GET answered below 400');
      else check(role, answer, answer.status !== 401 && answer.status !== 403 && answer.status < 500, 'neither 401, 403 nor 5xx');
    }

    // Every role, but only another tenant: the demo tenant's routes do not exist for them.
    if (access.who !== 'public' && access.tenant !== 'none') {
      const agent = await agentFor(RESTRICTED, unsafe);
      const answer = await send(key, access, agent, unsafe ? await agent.csrf() : '');
      check(`restricted to another tenant (${access.tenant})`, answer, answer.status === 404, '404');
    }

    expect(failures, key).toEqual([]);
  });

  it('finds a route for every entry of ROUTE_ACCESS', () => {
    const missing = KEYS.filter((k) => !served(k));
    expect(missing, `ROUTE_ACCESS entries no route answers on this server: ${missing.join(', ')}`).toEqual([]);
  });
});
