/**
 * A synthetic tenant of any size, as a snapshot (docs/rules.md "Snapshot format"): the benchmarks' input
 * and the simulator's large tenants. The same seed always gives the same tenant,
 * and every rule family fires on a share of it, as it would on a real tenant
 * that nobody has audited for a while.
 */
import { PLATFORM_ROLES as ROLES } from './roles.js';

/** Options of {@link syntheticTenant}. */
export interface SyntheticTenantOptions {
  /** Seeds the generator; the same seed and size give the same tenant. @defaultValue `'bench'` */
  seed?: string;
  /** Number of platform accounts. @defaultValue `100_000` */
  users?: number;
  /** Tenant name. @defaultValue `'synthetic'` */
  tenant?: string;
  /** The instant the data is laid out around (ages are relative to it). @defaultValue 2026-11-29T00:00:00Z */
  asOf?: number;
}

/** mulberry32: tiny, fast and good enough to lay out test data reproducibly. */
export function seededRandom(seed: string): () => number {
  let a = 0x9e3779b9;
  for (let i = 0; i < seed.length; i++) a = Math.imul(a ^ seed.charCodeAt(i), 0x85ebca6b) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const AGENTS = ['PosSync/4.2', 'LoyaltyBridge/1.0', 'ERPConnector/7', 'python-requests/2.31', 'curl/8.5.0'];

export function syntheticTenant(options: SyntheticTenantOptions = {}) {
  const { seed = 'bench', users: userCount = 100_000, tenant = 'synthetic' } = options;
  const asOf = options.asOf ?? Date.UTC(2026, 10, 29);
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const ago = (maxDays: number) => new Date(asOf - int(maxDays * DAY)).toISOString();

  const users = [];
  const people = [];
  const machineIds: number[] = [];
  for (let id = 1; id <= userCount; id++) {
    const r = rnd();
    const machine = r < 0.1;
    const role = machine ? ROLES.machine : r < 0.12 ? ROLES.admin : r < 0.6 ? ROLES.manager : ROLES.reporting;
    const roles = machine && rnd() < 0.05 ? [ROLES.machine, ROLES.manager] : [role];
    const email = machine ? `integration-${id}@integrations.${tenant}.example` : `staff-${id}@${tenant}.example`;
    if (machine) machineIds.push(id);
    users.push({
      id,
      name: machine ? `integration-${id}` : `Staff ${id}`,
      email: rnd() < 0.02 ? `  ${email.toUpperCase()} ` : email,
      roles,
      created_at: ago(900),
      updated_at: ago(30),
      deleted_at: rnd() < 0.03 ? ago(60) : null,
    });
    if (!machine && rnd() < 0.97) {
      const departed = rnd() < 0.05;
      people.push({
        email,
        name: `Staff ${id}`,
        status: departed && rnd() < 0.5 ? 'terminated' : 'active',
        end_date: departed ? ago(120).slice(0, 10) : null,
        last_login_at: rnd() < 0.3 ? ago(120) : null,
      });
    }
  }

  const tokens = [];
  for (let i = 1; i <= userCount; i++) {
    const owner = rnd() < 0.7 && machineIds.length > 0 ? pick(machineIds) : 1 + int(userCount + 200);
    const usage = [];
    const uses = int(4);
    const agent = pick(AGENTS);
    for (let u = 0; u < uses; u++) {
      usage.push({
        used_at: ago(90),
        ip_address: `203.0.${int(256)}.${int(256)}`,
        user_agent: rnd() < 0.05 ? pick(AGENTS) : agent,
      });
    }
    tokens.push({
      id: `tok_${i.toString(36)}`,
      user_id: rnd() < 0.5 ? owner : String(owner),
      client_id: 1 + int(20),
      name: `integration-token-${i}`,
      scopes: rnd() < 0.02 ? ['*'] : ['read-profiles', 'update-profiles'],
      revoked: rnd() < 0.1,
      created_at: ago(400),
      updated_at: ago(30),
      expires_at: rnd() < 0.2 ? ago(-200) : null,
      usage,
    });
  }

  const audits = [];
  const auditCount = userCount * 3;
  for (let id = 1; id <= auditCount; id++) {
    const soft = rnd() < 0.001;
    audits.push({
      id,
      user_id: rnd() < 0.05 ? null : 1 + int(userCount),
      event: soft ? 'deleted' : pick(['created', 'updated', 'updated']),
      auditable_type: soft ? 'Profile' : pick(['Profile', 'Profile', 'Transaction', 'Setting']),
      auditable_id: 1 + int(userCount * 10),
      ip_address: `198.51.100.${int(256)}`,
      profile_id: null,
      token_name: null,
      user_agent: rnd() < 0.6 ? 'Mozilla/5.0 (Windows NT 10.0)' : pick(AGENTS),
      created_at: ago(200),
    });
  }

  const locationCount = Math.max(3, Math.floor(userCount / 200));
  const locations = [];
  for (let i = 1; i <= locationCount; i++) {
    locations.push({ id: `store-${i}`, name: `Store ${i}`, closed_at: rnd() < 0.05 ? ago(365).slice(0, 10) : null });
  }
  const allowlist = [];
  const allowlistCount = Math.max(8, Math.floor(userCount / 20));
  for (let i = 0; i < allowlistCount; i++) {
    const r = rnd();
    const cidr =
      r < 0.01
        ? `300.${int(256)}.0.0/24`
        : r < 0.03
          ? `10.${int(256)}.0.0/16`
          : r < 0.05
            ? `2001:db8:${int(65536).toString(16)}::/40`
            : `${100 + int(100)}.${int(256)}.${int(256)}.0/${24 + int(5)}`;
    allowlist.push({
      cidr,
      location_id: rnd() < 0.03 ? null : `store-${1 + int(locationCount + 10)}`,
      approved_remote_access: rnd() < 0.02,
    });
  }

  const secrets = [
    { name: 'webhook-signing', kind: 'webhook-signing', current_version_created_at: ago(200), pending_since: null },
    { name: 'barcode', kind: 'barcode', current_version_created_at: ago(60), pending_since: ago(20) },
  ];
  const erasure_requests = [];
  const statuses = ['received', 'purging', 'purged', 'verified', 'verified', 'failed'] as const;
  for (let i = 1; i <= Math.max(5, Math.floor(userCount / 50)); i++) {
    const status = pick(statuses);
    erasure_requests.push({
      id: `er-${i}`,
      profile_id: 1 + int(userCount * 10),
      received_at: ago(45),
      status,
      verified_at: status === 'verified' ? ago(5) : null,
    });
  }

  return {
    tenant,
    captured_at: new Date(asOf).toISOString(),
    omneo: { users, tokens, audits },
    directory: { people },
    allowlist,
    locations,
    secrets,
    erasure_requests,
  };
}

export type SyntheticTenant = ReturnType<typeof syntheticTenant>;
