/**
 * The tenant snapshot of RULES.md, validated at the boundary.
 *
 * Parsing normalises as it validates, so the rules never re-check input: ids
 * become strings (`12` and `"12"` are the same id), timestamps become epoch
 * milliseconds, missing arrays become empty ones, unknown keys are dropped.
 * An allowlist `cidr` is kept as given (`unknown`): a bad one is finding NET-00,
 * not an input error.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseInstant } from './time.js';

// The schema checks shapes only. Normalising (ids to strings, timestamps to
// epoch ms, absent lists to empty ones) is a separate loop below: zod
// transforms cost ~6x a plain check, and a 100 000-account snapshot has
// millions of fields (see bench/check.bench.ts).
const timestamp = z.string();
const id = z.union([z.string(), z.number()]);
const text = z.string().nullish();
const list = <T extends z.ZodType>(item: T) => z.array(item).nullish();

const role = z.object({ id: id.nullish(), handle: z.string(), name: text });

const user = z.object({
  id,
  name: text,
  email: text,
  roles: list(role),
  created_at: timestamp,
  deleted_at: timestamp.nullish(),
});

const usage = z.object({ used_at: timestamp, ip_address: text, user_agent: text });

const token = z.object({
  id,
  user_id: id.nullish(),
  name: text,
  scopes: list(z.string()),
  revoked: z.boolean().nullish(),
  created_at: timestamp,
  expires_at: timestamp.nullish(),
  usage: list(usage),
});

const audit = z.object({
  id: id.nullish(),
  user_id: id.nullish(),
  event: text,
  auditable_type: text,
  auditable_id: id.nullish(),
  user_agent: text,
  created_at: timestamp,
});

const person = z.object({
  email: z.string(),
  name: text,
  status: text,
  end_date: timestamp.nullish(),
  last_login_at: timestamp.nullish(),
});

const allowlistEntry = z.object({
  // optional(): zod 4 reports an absent key under a bare unknown() as missing, and a missing cidr is NET-00.
  cidr: z.unknown().optional(),
  location_id: id.nullish(),
  approved_remote_access: z.boolean().nullish(),
  note: text,
});

const location = z.object({ id, name: text, closed_at: timestamp.nullish() });

export const SECRET_KINDS = ['webhook-signing', 'barcode', 'api-token', 'machine-password'] as const;
const secret = z.object({
  name: z.string().min(1),
  kind: z.enum(SECRET_KINDS),
  current_version_created_at: timestamp,
  pending_since: timestamp.nullish(),
});

export const ERASURE_STATUSES = ['received', 'purging', 'purged', 'verified', 'failed'] as const;
const erasureRequest = z.object({
  id,
  profile_id: id,
  received_at: timestamp,
  status: z.enum(ERASURE_STATUSES),
  verified_at: timestamp.nullish(),
});

/** The snapshot as JSON: what RULES.md "Snapshot (JSON)" allows. */
export const snapshotSchema = z.object({
  tenant: z.string().min(1),
  captured_at: timestamp.nullish(),
  omneo: z.object({ users: list(user), tokens: list(token), audits: list(audit) }).nullish(),
  directory: z.object({ people: list(person) }).nullish(),
  allowlist: list(allowlistEntry),
  locations: list(location),
  secrets: list(secret),
  erasure_requests: list(erasureRequest),
});

export type SnapshotJson = z.output<typeof snapshotSchema>;

/** Epoch milliseconds. */
export type Instant = number;

export interface Role {
  handle: string;
  name: string | null;
}
export interface User {
  id: string;
  name: string | null;
  email: string | null;
  roles: Role[];
  created_at: Instant;
  deleted_at: Instant | null;
}
export interface Usage {
  used_at: Instant;
  ip_address: string | null;
  user_agent: string | null;
}
export interface Token {
  id: string;
  user_id: string | null;
  name: string | null;
  scopes: string[];
  revoked: boolean;
  created_at: Instant;
  expires_at: Instant | null;
  usage: Usage[];
}
export interface Audit {
  user_id: string | null;
  event: string | null;
  auditable_type: string | null;
  auditable_id: string | null;
  user_agent: string | null;
  created_at: Instant;
}
export interface Person {
  email: string;
  name: string | null;
  status: string | null;
  end_date: Instant | null;
  last_login_at: Instant | null;
}
export interface AllowlistEntry {
  /** Exactly as given, possibly not a string at all: a bad one is finding NET-00. */
  cidr: unknown;
  location_id: string | null;
  approved_remote_access: boolean;
  note: string | null;
}
export interface Location {
  id: string;
  name: string | null;
  closed_at: Instant | null;
}
export interface Secret {
  name: string;
  kind: (typeof SECRET_KINDS)[number];
  current_version_created_at: Instant;
  pending_since: Instant | null;
}
export interface ErasureRequest {
  id: string;
  profile_id: string;
  received_at: Instant;
  status: (typeof ERASURE_STATUSES)[number];
  verified_at: Instant | null;
}
export interface Snapshot {
  tenant: string;
  captured_at: Instant | null;
  omneo: { users: User[]; tokens: Token[]; audits: Audit[] };
  /** Null when the snapshot has no directory at all. */
  directory: { people: Person[] } | null;
  allowlist: AllowlistEntry[];
  locations: Location[];
  secrets: Secret[];
  erasure_requests: ErasureRequest[];
}

/** Validates an already-parsed JSON value; throws {@link InputError} naming the first bad path. */
export function parseSnapshot(value: unknown): Snapshot {
  return normalize(validate(snapshotSchema, value, 'snapshot'));
}

/**
 * Turns checked JSON into the rules' input. Timestamps are checked here, where
 * the path is known, so a bad one is reported as
 * `snapshot.omneo.users[3].created_at: not an ISO 8601 timestamp`.
 */
function normalize(json: SnapshotJson): Snapshot {
  const at = (value: string, path: string): Instant => {
    const ms = parseInstant(value);
    if (ms === undefined) throw new InputError(path, 'not an ISO 8601 timestamp');
    return ms;
  };
  const atOrNull = (value: string | null | undefined, path: string): Instant | null =>
    value === null || value === undefined ? null : at(value, path);
  const idOrNull = (value: string | number | null | undefined): string | null =>
    value === null || value === undefined ? null : String(value);

  const o = json.omneo;
  const users = (o?.users ?? []).map((u, i) => ({
    id: String(u.id),
    name: u.name ?? null,
    email: u.email ?? null,
    roles: (u.roles ?? []).map((r) => ({ handle: r.handle, name: r.name ?? null })),
    created_at: at(u.created_at, `snapshot.omneo.users[${i}].created_at`),
    deleted_at: atOrNull(u.deleted_at, `snapshot.omneo.users[${i}].deleted_at`),
  }));
  const tokens = (o?.tokens ?? []).map((t, i) => ({
    id: String(t.id),
    user_id: idOrNull(t.user_id),
    name: t.name ?? null,
    scopes: t.scopes ?? [],
    revoked: t.revoked === true,
    created_at: at(t.created_at, `snapshot.omneo.tokens[${i}].created_at`),
    expires_at: atOrNull(t.expires_at, `snapshot.omneo.tokens[${i}].expires_at`),
    usage: (t.usage ?? []).map((u, j) => ({
      used_at: at(u.used_at, `snapshot.omneo.tokens[${i}].usage[${j}].used_at`),
      ip_address: u.ip_address ?? null,
      user_agent: u.user_agent ?? null,
    })),
  }));
  const audits = (o?.audits ?? []).map((a, i) => ({
    user_id: idOrNull(a.user_id),
    event: a.event ?? null,
    auditable_type: a.auditable_type ?? null,
    auditable_id: idOrNull(a.auditable_id),
    user_agent: a.user_agent ?? null,
    created_at: at(a.created_at, `snapshot.omneo.audits[${i}].created_at`),
  }));
  const directory = json.directory
    ? {
        people: (json.directory.people ?? []).map((p, i) => ({
          email: p.email,
          name: p.name ?? null,
          status: p.status ?? null,
          end_date: atOrNull(p.end_date, `snapshot.directory.people[${i}].end_date`),
          last_login_at: atOrNull(p.last_login_at, `snapshot.directory.people[${i}].last_login_at`),
        })),
      }
    : null;
  return {
    tenant: json.tenant,
    captured_at: atOrNull(json.captured_at, 'snapshot.captured_at'),
    omneo: { users, tokens, audits },
    directory,
    allowlist: (json.allowlist ?? []).map((e) => ({
      cidr: e.cidr,
      location_id: idOrNull(e.location_id),
      approved_remote_access: e.approved_remote_access === true,
      note: e.note ?? null,
    })),
    locations: (json.locations ?? []).map((l, i) => ({
      id: String(l.id),
      name: l.name ?? null,
      closed_at: atOrNull(l.closed_at, `snapshot.locations[${i}].closed_at`),
    })),
    secrets: (json.secrets ?? []).map((s, i) => ({
      name: s.name,
      kind: s.kind,
      current_version_created_at: at(s.current_version_created_at, `snapshot.secrets[${i}].current_version_created_at`),
      pending_since: atOrNull(s.pending_since, `snapshot.secrets[${i}].pending_since`),
    })),
    erasure_requests: (json.erasure_requests ?? []).map((r, i) => ({
      id: String(r.id),
      profile_id: String(r.profile_id),
      received_at: at(r.received_at, `snapshot.erasure_requests[${i}].received_at`),
      status: r.status,
      verified_at: atOrNull(r.verified_at, `snapshot.erasure_requests[${i}].verified_at`),
    })),
  };
}

/** Runs a zod schema and turns its first issue into one {@link InputError}. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const fast = schema.safeParse(value);
  if (fast.success) return fast.data;
  // Parse again with the offending inputs attached: only on failure, it costs.
  const result = schema.safeParse(value, { reportInput: true });
  const issue = firstIssue(result.error?.issues ?? fast.error.issues);
  if (issue.code === 'unrecognized_keys') {
    throw new InputError(formatPath(root, [...issue.path, issue.keys[0]!]), 'unknown key');
  }
  throw new InputError(formatPath(root, issue.path), describeIssue(issue));
}

function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  // A union reports its branches' issues nested; the first leaf says the most.
  const first = issues[0]!;
  if (first.code === 'invalid_union' && first.errors[0]?.[0]) {
    const inner = first.errors[0][0];
    if (inner.code === 'invalid_type') return { ...first, message: describeUnion(first) };
    return { ...inner, path: [...first.path, ...inner.path] };
  }
  return first;
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors
    .map((branch) => (branch[0]?.code === 'invalid_type' ? branch[0].expected : undefined))
    .filter((x): x is NonNullable<typeof x> => x !== undefined);
  return `expected ${expected.join(' or ')}, got ${kindOf(issue.input)}`;
}

/** Renders a zod path the way a person reads JSON: `snapshot.omneo.users[3].created_at`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${kindOf(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : issue.message;
    case 'invalid_union':
      return describeUnion(issue);
    default:
      return issue.message;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
