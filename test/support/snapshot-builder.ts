/**
 * A small typed builder of tenant snapshots for rule tests. It produces the JSON
 * shape of docs/rules.md "Snapshot format" (so a test reads like the contract) and runs it through
 * parseSnapshot and parsePolicy, so validation is exercised on every case.
 * Defaults are chosen so that an entity built with no overrides triggers no
 * rule of its own family; a test then changes only the field it is about.
 */
import { evaluate } from '../../src/rules/engine.js';
import { parsePolicy, type Policy } from '../../src/rules/policy.js';
import { parseSnapshot, type Snapshot } from '../../src/rules/snapshot.js';
import type { CheckResult, Finding } from '../../src/rules/types.js';

export const DAY_MS = 86_400_000;
/** The as-of instant every rule test audits at, unless it says otherwise. */
export const AS_OF = '2026-11-29T00:00:00.000Z';
export const AS_OF_MS = Date.parse(AS_OF);

/** The ISO instant `days` days (plus `extraMs`) before as-of; negative values lie after it. */
export function daysAgo(days: number, extraMs = 0): string {
  return new Date(AS_OF_MS - days * DAY_MS - extraMs).toISOString();
}

/** The ISO instant `ms` milliseconds after as-of (negative: before). */
export function afterAsOf(ms: number): string {
  return new Date(AS_OF_MS + ms).toISOString();
}

export type Id = number | string;

export interface RoleJson {
  id?: Id | null;
  handle: string;
  name?: string | null;
}
export interface UserJson {
  id: Id;
  name?: string | null;
  email?: string | null;
  roles?: RoleJson[];
  created_at?: string;
  updated_at?: string;
  deleted_at?: string | null;
}
export interface UsageJson {
  used_at: string;
  ip_address?: string | null;
  user_agent?: string | null;
}
export interface TokenJson {
  id: Id;
  user_id?: Id | null;
  client_id?: Id | null;
  name?: string | null;
  scopes?: string[];
  revoked?: boolean;
  created_at?: string;
  updated_at?: string;
  expires_at?: string | null;
  usage?: UsageJson[];
}
export interface AuditJson {
  id?: Id;
  user_id?: Id | null;
  event?: string;
  auditable_type?: string;
  auditable_id?: Id | null;
  ip_address?: string | null;
  user_agent?: string | null;
  token_name?: string | null;
  created_at?: string;
}
export interface PersonJson {
  email: string;
  name?: string | null;
  status?: string;
  end_date?: string | null;
  last_login_at?: string | null;
}
export interface AllowlistJson {
  cidr?: unknown;
  location_id?: Id | null;
  approved_remote_access?: boolean;
}
export interface LocationJson {
  id: Id;
  name?: string | null;
  closed_at?: string | null;
}
export interface SecretJson {
  name: string;
  kind?: string;
  current_version_created_at?: string;
  pending_since?: string | null;
}
export interface ErasureJson {
  id: Id;
  profile_id?: Id;
  received_at?: string;
  status?: string;
  verified_at?: string | null;
  deadline_at?: string | null;
}

export interface WebhookJson {
  id?: unknown;
  trigger?: string | null;
  /** `unknown`: a url that is missing, null or a number is DAT-01, not an input error. */
  url?: unknown;
  is_active?: unknown;
  user_id?: Id | null;
  created_at?: string;
  updated_at?: string;
}
export interface ProfileJson {
  id?: unknown;
  tags?: unknown;
}
export interface DestinationJson {
  host?: unknown;
}
export interface CareEntryJson {
  profile_id?: unknown;
  reason?: string | null;
  added_at?: string | null;
}
export interface CareRegisterJson {
  tag?: unknown;
  profiles?: CareEntryJson[];
}

export interface SnapshotJson {
  tenant: string;
  captured_at?: string;
  omneo?: { users?: UserJson[]; tokens?: TokenJson[]; audits?: AuditJson[]; webhooks?: WebhookJson[]; profiles?: ProfileJson[] };
  directory?: { people: PersonJson[] };
  allowlist?: AllowlistJson[];
  locations?: LocationJson[];
  secrets?: SecretJson[];
  erasure_requests?: ErasureJson[];
  data_destinations?: DestinationJson[];
  care_register?: CareRegisterJson | null;
}

/** The user id {@link SnapshotBuilder.webhook} gives a webhook's owner: add `.machine({ id: HOOK_OWNER })` for a clean one. */
export const HOOK_OWNER = 31;
/** The tag {@link SnapshotBuilder.care} gives a new register, and {@link SnapshotBuilder.profile} gives a profile. */
export const CARE_TAG = 'handle-with-care';

export const role = (handle: string): RoleJson => ({ id: null, handle, name: handle });

export class SnapshotBuilder {
  private readonly doc: SnapshotJson;
  private auditSeq = 1;

  constructor(tenant = 'acme') {
    this.doc = { tenant };
  }

  private omneo() {
    return (this.doc.omneo ??= {});
  }

  /** A live manager created 10 days ago: inside the new-account grace, so not inactive. */
  user(u: UserJson): this {
    (this.omneo().users ??= []).push({
      name: `User ${String(u.id)}`,
      email: `user${String(u.id)}@acme.example`,
      roles: [role('manager')],
      created_at: daysAgo(10),
      updated_at: daysAgo(10),
      deleted_at: null,
      ...u,
    });
    return this;
  }

  /** A live machine account (`roles: [machine]`) with an integration address. */
  machine(u: UserJson): this {
    return this.user({ roles: [role('machine')], email: `bot${String(u.id)}@integrations.acme.example`, ...u });
  }

  /** A live token created a day ago, never used, narrow scope. */
  token(t: TokenJson): this {
    (this.omneo().tokens ??= []).push({
      client_id: 3,
      name: `token-${String(t.id)}`,
      scopes: ['read-profiles'],
      revoked: false,
      created_at: daysAgo(1),
      updated_at: daysAgo(1),
      expires_at: null,
      usage: [],
      ...t,
    });
    return this;
  }

  audit(a: AuditJson): this {
    (this.omneo().audits ??= []).push({
      id: this.auditSeq++,
      user_id: null,
      event: 'updated',
      auditable_type: 'Profile',
      auditable_id: 1,
      ip_address: '203.0.113.7',
      user_agent: 'PosSync/4.2',
      token_name: null,
      created_at: daysAgo(1),
      ...a,
    });
    return this;
  }

  /** An active directory person (adds an empty directory if there was none). */
  person(p: PersonJson): this {
    (this.doc.directory ??= { people: [] }).people.push({ name: null, status: 'active', end_date: null, last_login_at: null, ...p });
    return this;
  }

  /** A directory with no people at all. */
  emptyDirectory(): this {
    this.doc.directory ??= { people: [] };
    return this;
  }

  /** An entry mapped to no store but approved for remote access: only its cidr matters. */
  allow(e: AllowlistJson): this {
    (this.doc.allowlist ??= []).push({ location_id: null, approved_remote_access: true, ...e });
    return this;
  }

  location(l: LocationJson): this {
    (this.doc.locations ??= []).push({ name: `Store ${String(l.id)}`, closed_at: null, ...l });
    return this;
  }

  /** A webhook-signing secret rotated a day ago with no rotation pending. */
  secret(s: SecretJson): this {
    (this.doc.secrets ??= []).push({ kind: 'webhook-signing', current_version_created_at: daysAgo(1), pending_since: null, ...s });
    return this;
  }

  /** A request received a day ago, still `received`, for a profile nobody soft-deleted. */
  erasure(r: ErasureJson): this {
    (this.doc.erasure_requests ??= []).push({ profile_id: 900, received_at: daysAgo(1), status: 'received', verified_at: null, ...r });
    return this;
  }

  /**
   * An active https webhook to `hooks.acme.example`, owned by user {@link HOOK_OWNER}:
   * it fires nothing once that user is a live machine user and the host is approved (or no
   * destination is listed).
   */
  webhook(h: WebhookJson): this {
    (this.omneo().webhooks ??= []).push({
      trigger: 'profile.updated',
      url: 'https://hooks.acme.example/omneo',
      is_active: true,
      user_id: HOOK_OWNER,
      created_at: daysAgo(10),
      updated_at: daysAgo(10),
      ...h,
    });
    return this;
  }

  /** A profile as the platform has it now, tagged {@link CARE_TAG}. */
  profile(p: ProfileJson): this {
    (this.omneo().profiles ??= []).push({ tags: [CARE_TAG], ...p });
    return this;
  }

  /** Approved destinations, one entry per host (`*.S` for the subdomains of S). */
  destination(...hosts: string[]): this {
    (this.doc.data_destinations ??= []).push(...hosts.map((host) => ({ host })));
    return this;
  }

  /**
   * Care register entries (each with a reason, added 30 days ago). The first call makes the
   * register, with `tag` (default {@link CARE_TAG}); `care([])` makes an empty one. A `tag`
   * given later replaces the register's.
   */
  care(entries: CareEntryJson[], tag?: unknown): this {
    const register = (this.doc.care_register ??= { tag: CARE_TAG, profiles: [] });
    if (tag !== undefined) register.tag = tag;
    (register.profiles ??= []).push(...entries.map((e) => ({ reason: 'vulnerable customer', added_at: daysAgo(30), ...e })));
    return this;
  }

  /** Changes the raw JSON document, for what the typed helpers cannot say (a key left out, a wrong type). */
  edit(change: (doc: SnapshotJson) => void): this {
    change(this.doc);
    return this;
  }

  /**
   * A copy of the JSON document built so far, as a file would give it: nothing
   * shared (parseSnapshot normalises its input in place).
   */
  json(): SnapshotJson {
    return JSON.parse(JSON.stringify(this.doc)) as SnapshotJson;
  }

  parse(): Snapshot {
    return parseSnapshot(this.json());
  }

  /** Validates the snapshot and the policy overrides, then runs every rule. */
  check(policy: Record<string, unknown> = {}, asOf: number = AS_OF_MS): CheckResult {
    return evaluate(this.parse(), parsePolicy(policy), asOf);
  }
}

export const snapshot = (tenant?: string): SnapshotBuilder => new SnapshotBuilder(tenant);

/** The findings of one rule. */
export function byRule(result: CheckResult, rule: string): Finding[] {
  return result.findings.filter((f) => f.rule === rule);
}

/** The subject ids one rule fired for, sorted. */
export function subjectsOf(result: CheckResult, rule: string): string[] {
  return byRule(result, rule)
    .map((f) => f.subject.id)
    .sort();
}

/** The one finding of `rule` for `subjectId`; fails the test when there is none or more than one. */
export function only(result: CheckResult, rule: string, subjectId: string): Finding {
  const hits = result.findings.filter((f) => f.rule === rule && f.subject.id === subjectId);
  if (hits.length !== 1) throw new Error(`expected exactly one ${rule} for ${subjectId}, got ${hits.length}`);
  return hits[0]!;
}

export type { Policy };
