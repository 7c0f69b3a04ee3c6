/**
 * The seeded demo tenant. Like the public examples (test/fixtures/acme.snapshot.json
 * and data.snapshot.json) it triggers every rule family, but its instants are
 * relative to the moment it is built, so `warden demo` finds the same problems
 * whatever the date.
 *
 * It holds both sides: what the platform serves (users, tokens, audits,
 * profiles and their tags, webhooks) and what Warden keeps about the tenant
 * itself (directory, allowlist, locations, secrets, erasure requests, data
 * destinations, care register), which the demo imports.
 */
import { DAY_MS } from '../../rules/time.js';
import type { OmneoAudit, OmneoProfile, OmneoRole, OmneoToken, OmneoTransaction, OmneoUser, OmneoWebhook } from '../types.js';
import { snapshotWebhook } from '../gather.js';
import { generateProfile, transactionsFor } from './profiles.js';
import { PLATFORM_ROLES as ROLES } from './roles.js';
import { seededRandom } from './synthetic-tenant.js';
import type { AllowlistRow } from '../../allowlist/allowlist-csv.js';

export const DEMO_TENANT = 'demo';
/** The demo's care-register tag: the ledger's default for every tenant. */
const DEMO_CARE_TAG = 'handle-with-care';

export interface DirectoryPerson {
  email: string;
  name: string;
  status: 'active' | 'terminated';
  end_date: string | null;
  last_login_at: string | null;
}

export type { AllowlistRow };

export interface LocationRow {
  id: string;
  name: string;
  closed_at: string | null;
}

export interface SecretRow {
  name: string;
  kind: 'webhook-signing' | 'barcode' | 'api-token' | 'machine-password';
  current_version_created_at: string;
  pending_since: string | null;
}

export interface ErasureRequestRow {
  id: string;
  profile_id: number;
  received_at: string;
  status: 'received' | 'purging' | 'purged' | 'verified' | 'failed';
  verified_at: string | null;
}

/** What the platform holds: served by the simulator. */
export interface PlatformData {
  users: OmneoUser[];
  tokens: OmneoToken[];
  audits: OmneoAudit[];
  profiles: OmneoProfile[];
  transactions: OmneoTransaction[];
  /** Profiles deleted the standard (soft) way: hidden from the API, but not erased. */
  softDeletedProfileIds: number[];
  /** Webhook subscriptions: where the platform pushes customer data. */
  webhooks: OmneoWebhook[];
}

export interface DestinationRow {
  /** Lower-case; `*.S` for any subdomain of S. */
  host: string;
  note: string | null;
}

export interface CareRow {
  profile_id: string;
  reason: string;
  added_at: string;
}

/** What Warden keeps about the tenant itself: the demo imports it. */
export interface TenantSideData {
  directory: { people: DirectoryPerson[] };
  allowlist: AllowlistRow[];
  locations: LocationRow[];
  secrets: SecretRow[];
  erasure_requests: ErasureRequestRow[];
  data_destinations: DestinationRow[];
  /** The care register; its tag is the tenant's (`handle-with-care` unless set otherwise). */
  care_register: CareRow[];
}

export interface DemoTenant extends TenantSideData {
  tenant: string;
  platform: PlatformData;
}

/**
 * Builds the demo tenant as of `nowMs`.
 * @param extraProfiles - synthetic profiles added to the named ones (ids from 1001)
 */
export function demoTenant({ nowMs = Date.now(), seed = 'demo', extraProfiles = 50 } = {}): DemoTenant {
  const ago = (days: number) => new Date(nowMs - days * DAY_MS).toISOString();
  const user = (id: number, name: string, email: string, roles: OmneoRole[], createdDays: number): OmneoUser => ({
    id,
    name,
    email,
    roles: roles.map((r) => ({ ...r })),
    created_at: ago(createdDays),
    updated_at: ago(createdDays),
  });
  const token = (
    id: string,
    userId: number,
    name: string,
    scopes: string[],
    createdDays: number,
    usage: [days: number, ip: string, agent: string][],
    extra: Partial<OmneoToken> = {},
  ): OmneoToken => ({
    id,
    user_id: userId,
    client_id: 3,
    name,
    scopes,
    revoked: false,
    created_at: ago(createdDays),
    updated_at: ago(createdDays),
    expires_at: null,
    usage: usage.map(([days, ip, agent]) => ({ used_at: ago(days), ip_address: ip, user_agent: agent })),
    ...extra,
  });
  const audit = (id: number, userId: number, event: string, type: string, auditableId: number, agent: string, days: number): OmneoAudit => ({
    id,
    user_id: userId,
    event,
    auditable_type: type,
    auditable_id: auditableId,
    ip_address: '203.0.113.7',
    profile_id: type === 'Profile' ? auditableId : null,
    token_name: null,
    user_agent: agent,
    created_at: ago(days),
  });

  const { admin, manager, reporting, machine } = ROLES;
  const users = [
    user(1, 'Ann Lee', 'ann.lee@demo.example', [admin], 400),
    // Departed (terminated in the directory), still an admin, and owns a token: ACC-01, TOK-05.
    user(2, 'Bob Stone', 'Bob.Stone@demo.example', [admin], 380),
    // Last active 120 days ago: ACC-03.
    user(3, 'Cara Diaz', 'cara.diaz@demo.example', [manager], 300),
    // Soft-deleted profile 777, which has an open erasure request: PRV-03.
    user(4, 'Dan Wu', 'dan.wu@demo.example', [reporting], 200),
    user(5, 'Eve Park', 'eve.park@demo.example', [manager], 10),
    user(6, 'pos-sync', 'pos-sync@integrations.demo.example', [machine], 500),
    // Machine and manager at once: ACC-05.
    user(7, 'loyalty-bridge', 'loyalty@integrations.demo.example', [machine, manager], 450),
    // A machine account that is a person in the directory and browses: ACC-04.
    user(8, 'Fay Cole', 'fay.cole@demo.example', [machine], 100),
    // End date passed though still "active" in HR: ACC-01.
    user(9, 'Gus Hill', 'gus.hill@demo.example', [admin], 150),
    // The fourth live admin: ACC-06.
    user(10, 'Hal Moss', 'hal.moss@demo.example', [admin], 120),
    // Not in the directory: ACC-02.
    user(12, 'Temp Contractor', 'contractor@agency.example', [reporting], 60),
  ];
  const tokens = [
    token('tok_pos', 6, 'pos-sync', ['read-profiles', 'update-profiles'], 200, [
      [1, '203.0.113.7', 'PosSync/4.2'],
      [3, '198.51.100.9', 'PosSync/4.2'],
    ]),
    // Wildcard scope, used by two integrations: TOK-04, TOK-03.
    token('tok_loy', 7, 'loyalty-bridge', ['*'], 40, [
      [2, '203.0.113.20', 'LoyaltyBridge/1.0'],
      [4, '192.0.2.44', 'curl/8.5.0'],
    ]),
    // Unused for 45 days: TOK-02; owner departed: TOK-05.
    token('tok_bob', 2, 'bob-export', ['read-profiles'], 60, [[45, '203.0.113.8', 'python-requests/2.31']]),
    token('tok_old_rev', 6, 'old-pos', ['read-profiles'], 700, [], { revoked: true }),
    token('tok_exp', 6, 'expired', ['read-profiles'], 100, [], { expires_at: ago(1) }),
    // A human's token: TOK-06.
    token('tok_ann', 1, 'ann-reporting', ['read-reports'], 20, [[1, '203.0.113.9', 'Mozilla/5.0']]),
    // Owner gone: TOK-07; 95 days old: TOK-01.
    token('tok_orphan', 99, 'legacy-erp', ['read-transactions'], 95, [[5, '203.0.113.50', 'ERPConnector/7']]),
  ];
  const audits = [
    audit(1, 1, 'updated', 'Profile', 501, 'Mozilla/5.0 (Macintosh)', 3),
    audit(2, 3, 'updated', 'Profile', 502, 'Mozilla/5.0 (Windows NT 10.0)', 120),
    audit(3, 8, 'updated', 'Setting', 9, 'Mozilla/5.0 (X11; Linux x86_64)', 12),
    audit(4, 5, 'created', 'Profile', 503, 'Mozilla/5.0', 2),
    audit(5, 9, 'updated', 'Profile', 504, 'Mozilla/5.0', 30),
    audit(6, 12, 'updated', 'Profile', 505, 'Mozilla/5.0', 20),
    audit(7, 4, 'deleted', 'Profile', 777, 'Mozilla/5.0', 8),
  ];

  const random = seededRandom(`${seed}:profiles`);
  const named: [number, string, string][] = [
    [501, 'Mia', 'Chen'],
    [502, 'Noah', 'Patel'],
    [503, 'Olivia', 'Rossi'],
    [504, 'Liam', 'Murphy'],
    [505, 'Ava', 'Nguyen'],
    [777, 'Zoe', 'Walker'],
    [901, 'Ella', 'Brown'],
    [902, 'Jack', 'Smith'],
    [905, 'Ruby', 'Jones'],
  ];
  const profiles = named.map(([id, first, last]) => generateProfile(id, random, ago, first, last));
  for (let i = 0; i < extraProfiles; i++) profiles.push(generateProfile(1001 + i, random, ago));
  // The care register's profiles, as in the public data example (58 is not on the platform: CARE-02).
  // Drawn from their own sequence, so the profiles above stay what they were.
  const careRandom = seededRandom(`${seed}:care`);
  const cared: [number, string, string, string[]][] = [
    [55, 'Iris', 'Grant', [' Handle-With-Care', 'vip']], // tag match ignores case and spaces: no finding
    [56, 'Owen', 'Reid', ['vip']], // CARE-01
    [57, 'Nina', 'Shaw', []], // CARE-01
  ];
  for (const [id, first, last, tags] of cared) profiles.push({ ...generateProfile(id, careRandom, ago, first, last), tags });

  // Where the platform pushes customer data, as in the public data example.
  const webhook = (id: number, trigger: string, url: string, userId: number | null, isActive = true): OmneoWebhook => ({
    id,
    trigger,
    url,
    namespace: null,
    user_id: userId,
    is_active: isActive,
    retry_daily: false,
    retry_hourly: true,
    queue: null,
    condition: null,
    created_at: ago(200),
    updated_at: ago(200),
  });
  const webhooks = [
    webhook(1, 'profile.updated', 'https://hooks.demo.example/omneo', 6),
    // Plain http, with a key in its query that must never be printed: DAT-01.
    webhook(2, 'transaction.created', 'http://reports.demo.example/ingest?key=demo-report-key', 6),
    // Owned by a human (Cara Diaz, a manager): DAT-03.
    webhook(3, 'profile.created', 'https://eu.crm.example/in', 3),
    // Not an approved destination: DAT-02.
    webhook(4, 'profile.updated', 'https://paste.example.net/x', 6),
    // Inactive: no finding, though insecure and ownerless.
    webhook(5, 'profile.updated', 'http://legacy.demo.example/old', 99, false),
    // The bare name does not match `*.crm.example`: DAT-02; its owner is gone: DAT-03.
    webhook(6, 'order.created', 'https://crm.example/orders', 99),
  ];

  return {
    tenant: DEMO_TENANT,
    platform: {
      users,
      tokens,
      audits,
      profiles,
      transactions: transactionsFor(profiles, random, ago),
      softDeletedProfileIds: [777],
      webhooks,
    },
    directory: {
      people: [
        person('ann.lee@demo.example', 'Ann Lee'),
        person('bob.stone@demo.example', 'Bob Stone', { status: 'terminated', end_date: ago(29) }),
        person('cara.diaz@demo.example', 'Cara Diaz'),
        person('dan.wu@demo.example', 'Dan Wu'),
        person('eve.park@demo.example', 'Eve Park'),
        person('fay.cole@demo.example', 'Fay Cole'),
        person('gus.hill@demo.example', 'Gus Hill', { end_date: ago(14) }),
        person('hal.moss@demo.example', 'Hal Moss', { last_login_at: ago(2) }),
      ],
    },
    allowlist: [
      row('203.0.113.0/24', 'store-01'),
      row('198.51.100.0/22', 'store-02'), // too broad: NET-01
      row('192.0.2.17', null, true, 'head office VPN exit'),
      row('192.0.2.64/26', 'store-09'), // names no known location: NET-02
      row('10.20.0.0/16', 'store-03'), // private, too broad, closed store: NET-01, NET-03, NET-04
      row('2001:db8:100::/40', 'store-01'),
      row('0.0.0.0/0', null, true, 'temporary, during the migration'), // NET-01 critical
      row('300.1.2.3/24', 'store-01'), // not an address: NET-00
    ],
    locations: [
      { id: 'store-01', name: 'Sydney CBD', closed_at: null },
      { id: 'store-02', name: 'Parramatta', closed_at: null },
      { id: 'store-03', name: 'Newtown', closed_at: ago(152) },
    ],
    secrets: [
      { name: 'webhook-signing', kind: 'webhook-signing', current_version_created_at: ago(120), pending_since: null }, // SEC-01
      { name: 'barcode', kind: 'barcode', current_version_created_at: ago(15), pending_since: ago(10) }, // SEC-02
      { name: 'pos-sync-password', kind: 'machine-password', current_version_created_at: ago(30), pending_since: null },
    ],
    erasure_requests: [
      { id: 'er-1001', profile_id: 901, received_at: ago(35), status: 'received', verified_at: null }, // PRV-01
      { id: 'er-1002', profile_id: 902, received_at: ago(26), status: 'purging', verified_at: null }, // PRV-02
      { id: 'er-1003', profile_id: 903, received_at: ago(40), status: 'verified', verified_at: ago(20) },
      { id: 'er-1004', profile_id: 777, received_at: ago(9), status: 'received', verified_at: null }, // PRV-03
      { id: 'er-1005', profile_id: 905, received_at: ago(3), status: 'failed', verified_at: null }, // PRV-04
    ],
    data_destinations: [
      { host: 'hooks.demo.example', note: 'our own integration hub' },
      { host: '*.crm.example', note: 'the CRM, any region' },
    ],
    care_register: [
      { profile_id: '55', reason: 'vulnerable customer', added_at: ago(270) },
      { profile_id: '56', reason: 'complaint in progress', added_at: ago(210) },
      { profile_id: '57', reason: 'staff member', added_at: ago(210) },
      { profile_id: '58', reason: 'vulnerable customer', added_at: ago(210) },
    ],
  };
}

/** The demo as a whole snapshot (docs/rules.md "Snapshot format"): platform records as the API serves them plus the tenant side. */
export function demoSnapshot(tenant: DemoTenant, capturedAt?: string): Record<string, unknown> {
  const { users, tokens, audits, webhooks, profiles } = tenant.platform;
  const cared = new Set(tenant.care_register.map((c) => c.profile_id));
  // A copy, as a file would give it: parseSnapshot normalises its input in place.
  return structuredCopy({
    tenant: tenant.tenant,
    ...(capturedAt ? { captured_at: capturedAt } : {}),
    omneo: {
      users,
      tokens,
      audits,
      webhooks: webhooks.map(snapshotWebhook),
      // As gathering keeps them: the register's profiles the platform has, tags only.
      profiles: profiles.filter((p) => cared.has(String(p.id))).map((p) => ({ id: p.id, tags: p.tags ?? [] })),
    },
    directory: tenant.directory,
    allowlist: tenant.allowlist,
    locations: tenant.locations,
    secrets: tenant.secrets,
    erasure_requests: tenant.erasure_requests,
    data_destinations: tenant.data_destinations.map((d) => ({ host: d.host })),
    care_register: { tag: DEMO_CARE_TAG, profiles: tenant.care_register },
  });
}

function structuredCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function person(email: string, name: string, extra: Partial<DirectoryPerson> = {}): DirectoryPerson {
  return { email, name, status: 'active', end_date: null, last_login_at: null, ...extra };
}

function row(cidr: string, locationId: string | null, remote = false, note: string | null = null): AllowlistRow {
  return { cidr, location_id: locationId, approved_remote_access: remote, note };
}
