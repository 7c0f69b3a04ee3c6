/**
 * Who may use each route: the one table the access hook (src/http/auth.hook.ts)
 * enforces, and the RBAC test walks (every route × every role × anonymous).
 * A route missing from this table refuses to register, so a new route cannot
 * be forgotten: the server does not start.
 *
 * `who`: `public` (no sign-in), or the roles of which a person needs one.
 * `tenant`: where the route's tenant is, so a person sees only their tenants:
 * - `none`: no tenant, or a list the handler filters by {@link visibleTenants};
 * - `param`: the `:tenant` path parameter, checked before the handler runs;
 * - `query`: the optional `?tenant=` filter, checked likewise (the handler filters lists);
 * - `row`: the handler checks the tenant of the row it loads, or of the row a
 *   body asks it to write (`canSeeTenant`, src/app/people.ts).
 * A tenant a person may not see answers 404, as one that does not exist.
 */
import { canSeeTenant } from '../app/people.js';
import { ROLES, type Person, type Role } from '../db/database.js';

export type TenantScope = 'none' | 'param' | 'query' | 'row';

export interface RouteAccess {
  who: 'public' | readonly Role[];
  tenant: TenantScope;
  /**
   * How a form or script signed in by cookie proves it came from Warden's own
   * pages (unsafe methods only; API keys need neither): `token`, the CSRF token
   * of every form; `same-origin`, the browser's `Sec-Fetch-Site` and `Origin`
   * headers, for bull-board's own scripts, which cannot carry a token;
   * `none`, for a machine's call that proves itself otherwise (the webhook
   * receiver: the platform's HMAC signature).
   * @defaultValue `token`
   */
  csrf?: 'token' | 'same-origin' | 'none';
  /**
   * Public routes only: `ignored` answers without looking at any credentials
   * (health checks must not touch the ledger, nor fail on a load balancer's
   * own `Authorization` header).
   * @defaultValue looked at: a signed-in visitor of the sign-in page is sent on
   */
  credentials?: 'ignored';
}

const ANYONE: RouteAccess = { who: 'public', tenant: 'none' };
const ANYONE_UNSEEN: RouteAccess = { who: 'public', tenant: 'none', credentials: 'ignored' };
const EVERY_ROLE = ROLES;
const READ = (tenant: TenantScope): RouteAccess => ({ who: EVERY_ROLE, tenant });
/**
 * Approvals are a governance record (who asked to remove whom, who decided,
 * why, what it broke): compliance reviews them and admins decide them.
 * Engineers run the fleet and see the findings behind them, but not the
 * decisions; the dashboards still count pending approvals for everyone.
 */
const REVIEW = (tenant: TenantScope): RouteAccess => ({ who: ['compliance', 'admin'], tenant });
/** Deciding: admins only (the action checks again that they are an admin of that tenant, and not deciding about themselves). */
const DECIDE = (tenant: TenantScope): RouteAccess => ({ who: ['admin'], tenant });
/**
 * GDPR erasure requests (docs/architecture.md "Erasure"): everyone reads them
 * (compliance answers for them, admins see what is purged from their tenants).
 * Engineers run the pipeline: they enqueue requests, extend a deadline and
 * retry failed ones, as `warden purge` does; an admin who also runs it holds
 * the engineer role too (approvals and the queue dashboard's actions are the
 * admins', the purge pipeline is not).
 */
const ERASE = (tenant: TenantScope): RouteAccess => ({ who: ['engineer'], tenant });
/**
 * Keeping a subject's data on purpose is a legal decision with a recorded
 * reason (a legal hold, an Art. 17(3) exemption): compliance's, as accepting a
 * finding's risk is. It is recorded with who decided.
 */
const RETAIN = (tenant: TenantScope): RouteAccess => ({ who: ['compliance'], tenant });
/**
 * Shared secrets (docs/architecture.md "Secrets on the web"): everyone reads
 * their status (never a value). Rotating and rolling back are for admins and
 * engineers: engineers run the integrations the secrets belong to, as they
 * run the purge pipeline, and admins answer for an incident (an emergency
 * rotation); compliance reviews the journal and the audit log. Reading a
 * value is admins' alone: a one-time link emailed to the admin who asked
 * (or who must install the new value), and the page it opens.
 */
const ROTATE = (tenant: TenantScope): RouteAccess => ({ who: ['admin', 'engineer'], tenant });
const REVEAL = (tenant: TenantScope): RouteAccess => ({ who: ['admin'], tenant });
/**
 * The tenant's own records of where customer data may go and who is handled
 * with care (docs/operations.md "Data destinations and the care register"):
 * everyone sees the destinations; the care register's reasons are for those
 * who answer for the customers, compliance and admins (src/app/data-records.ts
 * `CARE_REGISTER_READERS`); replacing either is an admin's.
 */
const CARE_READ = (tenant: TenantScope): RouteAccess => ({ who: ['compliance', 'admin'], tenant });
const RECORD_WRITE = (tenant: TenantScope): RouteAccess => ({ who: ['admin'], tenant });
/**
 * Access reviews (docs/architecture.md "Access reviews"): everyone may read
 * the campaigns of their tenants and decide or delegate, since a reviewer is
 * whoever the tenant names (by default its admins, and its engineers for
 * machine accounts); the action lets only an item's reviewer decide it.
 * Opening and closing a campaign are for compliance officers and admins,
 * whom the action checks again for that tenant.
 */
const CAMPAIGN = (tenant: TenantScope): RouteAccess => ({ who: ['compliance', 'admin'], tenant });

/** Keyed by `METHOD /url` as the route was declared; `/admin/queues/*` covers bull-board's routes. */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // Operations.
  'GET /healthz': ANYONE_UNSEEN,
  'GET /readyz': ANYONE_UNSEEN,
  // The platform's deliveries: signed with the tenant's webhook secret, which is the whole proof.
  'POST /webhooks/omneo/:tenant': { who: 'public', tenant: 'none', credentials: 'ignored', csrf: 'none' },
  'GET /metrics': { who: ['admin', 'engineer'], tenant: 'none' },
  'GET /admin/queues/*': { who: ['admin', 'engineer'], tenant: 'none' },
  'POST /admin/queues/*': { who: ['admin'], tenant: 'none', csrf: 'same-origin' },
  'PUT /admin/queues/*': { who: ['admin'], tenant: 'none', csrf: 'same-origin' },
  'PATCH /admin/queues/*': { who: ['admin'], tenant: 'none', csrf: 'same-origin' },
  'DELETE /admin/queues/*': { who: ['admin'], tenant: 'none', csrf: 'same-origin' },

  // Signing in and out.
  'GET /assets/app.css': ANYONE_UNSEEN,
  'GET /sign-in': ANYONE,
  'POST /sign-in': ANYONE,
  'GET /sign-in/link': ANYONE,
  'POST /sign-in/link': ANYONE,
  'POST /sign-in/code': ANYONE,
  'POST /sign-out': READ('none'),

  // Pages.
  'GET /': READ('none'),
  'GET /tenants': READ('none'),
  'GET /tenants/:tenant': READ('param'),
  'GET /tenants/:tenant/settings': READ('param'),
  'GET /findings': READ('query'),
  'GET /findings.csv': READ('query'),
  'GET /findings/:tenant/:fingerprint': READ('param'),
  'POST /findings/:tenant/:fingerprint/suppress': { who: ['compliance'], tenant: 'param' },
  'POST /findings/:tenant/:fingerprint/unsuppress': { who: ['compliance'], tenant: 'param' },
  'GET /runs': READ('query'),
  'GET /runs/:id': READ('row'),
  'GET /approvals': REVIEW('query'),
  'GET /approvals/:id': REVIEW('row'),
  'POST /approvals/:id/decision': DECIDE('row'),
  'POST /approvals/bulk-approve': DECIDE('none'),
  // An emailed link is its own credential (signed, bound to one admin, once, 7 days); a signed-in other person is refused by the action.
  'GET /approvals/link/:token': ANYONE,
  'POST /approvals/link/:token': ANYONE,
  'GET /erasures': READ('query'),
  'POST /erasures': ERASE('row'),
  'GET /erasures/:id': READ('row'),
  'POST /erasures/:id/extend': ERASE('row'),
  'POST /erasures/:id/retain': RETAIN('row'),
  'POST /erasures/:id/retry': ERASE('row'),
  'GET /secrets': READ('query'),
  'GET /secrets/rotations/:id': READ('row'),
  'POST /secrets/:tenant/:name/rotate': ROTATE('param'),
  'POST /secrets/:tenant/:name/rollback': ROTATE('param'),
  'POST /secrets/:tenant/:name/retrieval-link': REVEAL('param'),
  // The link's own check (its admin, once, an hour) is the action's; a link that opens nothing answers one neutral 404.
  'GET /secrets/retrieve/:token': REVEAL('none'),
  'POST /secrets/retrieve/:token': REVEAL('none'),
  'GET /data': READ('query'),
  'POST /data/:tenant/destinations': RECORD_WRITE('param'),
  'POST /data/:tenant/care-register': RECORD_WRITE('param'),
  'GET /reviews': READ('query'),
  'POST /reviews': CAMPAIGN('row'),
  'GET /reviews/:id': READ('row'),
  'GET /reviews/:id/queue': READ('row'),
  'POST /reviews/:id/decisions': READ('row'),
  'POST /reviews/:id/bulk-keep': READ('row'),
  'POST /reviews/:id/delegations': READ('row'),
  'POST /reviews/:id/close': CAMPAIGN('row'),
  'GET /reviews/:id/pack/:file': READ('row'),

  // JSON API.
  'GET /api/v1/openapi.json': ANYONE_UNSEEN,
  'GET /api/v1/me': READ('none'),
  'GET /api/v1/tenants': READ('none'),
  'GET /api/v1/tenants/:tenant': READ('param'),
  'GET /api/v1/findings': READ('query'),
  'GET /api/v1/findings/:tenant/:fingerprint': READ('param'),
  'PUT /api/v1/findings/:tenant/:fingerprint/suppression': { who: ['compliance'], tenant: 'param' },
  'DELETE /api/v1/findings/:tenant/:fingerprint/suppression': { who: ['compliance'], tenant: 'param' },
  'GET /api/v1/runs': READ('query'),
  'GET /api/v1/runs/:id': READ('row'),
  'GET /api/v1/approvals': REVIEW('query'),
  'GET /api/v1/approvals/:id': REVIEW('row'),
  'POST /api/v1/approvals/:id/approve': DECIDE('row'),
  'POST /api/v1/approvals/:id/reject': DECIDE('row'),
  'POST /api/v1/approvals/approve': DECIDE('none'),
  'GET /api/v1/erasures': READ('query'),
  'POST /api/v1/erasures': ERASE('row'),
  'GET /api/v1/erasures/status': READ('query'),
  'GET /api/v1/erasures/:id': READ('row'),
  'GET /api/v1/erasures/:id/certificate': READ('row'),
  'POST /api/v1/erasures/:id/extend': ERASE('row'),
  'POST /api/v1/erasures/:id/retain': RETAIN('row'),
  'POST /api/v1/erasures/retry': ERASE('row'),
  // No route reads a value: the one-time retrieval page is the only way.
  'GET /api/v1/secrets': READ('query'),
  'POST /api/v1/secrets/:tenant/:name/rotate': ROTATE('param'),
  'POST /api/v1/secrets/:tenant/:name/rollback': ROTATE('param'),
  'GET /api/v1/secrets/rotations/:id': READ('row'),
  'GET /api/v1/tenants/:tenant/destinations': READ('param'),
  'PUT /api/v1/tenants/:tenant/destinations': RECORD_WRITE('param'),
  'GET /api/v1/tenants/:tenant/care-register': CARE_READ('param'),
  'PUT /api/v1/tenants/:tenant/care-register': RECORD_WRITE('param'),
  'GET /api/v1/reviews': READ('query'),
  'POST /api/v1/reviews': CAMPAIGN('row'),
  'GET /api/v1/reviews/:id': READ('row'),
  'GET /api/v1/reviews/:id/items': READ('row'),
  'POST /api/v1/reviews/:id/decisions': READ('row'),
  'POST /api/v1/reviews/:id/delegations': READ('row'),
  'POST /api/v1/reviews/:id/close': CAMPAIGN('row'),
  'GET /api/v1/reviews/:id/pack': READ('row'),
  'GET /api/v1/reviews/:id/pack/:file': READ('row'),
  'GET /api/v1/reviews/:id/trail': READ('row'),
};

const PREFIXED = '/admin/queues';

/** The access of a declared route (HEAD as GET); undefined when the table has no entry. */
export function accessOf(method: string, url: string): RouteAccess | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  if (url === PREFIXED || url.startsWith(`${PREFIXED}/`)) return ROUTE_ACCESS[`${m} ${PREFIXED}/*`];
  return ROUTE_ACCESS[`${m} ${url}`];
}

/** Whether a person holds one of the roles. */
export function hasRole(person: Pick<Person, 'roles'>, roles: readonly Role[]): boolean {
  return person.roles.some((r) => roles.includes(r));
}

/** The tenants a person may see among `all`. */
export function visibleTenants(person: Pick<Person, 'tenants'>, all: readonly string[]): string[] {
  return all.filter((t) => canSeeTenant(person, t));
}
