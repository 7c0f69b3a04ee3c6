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

const instant = z.string().transform((value, ctx) => {
  const ms = parseInstant(value);
  if (ms === undefined) {
    ctx.issues.push({ code: 'custom', message: 'not an ISO 8601 timestamp', input: value });
    return z.NEVER;
  }
  return ms;
});
const optionalInstant = instant.nullish().transform((v) => v ?? null);
const id = z.union([z.string(), z.number()]).transform(String);
const optionalId = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? null : String(v)));
const text = z.string().nullish().transform((v) => v ?? null);
const list = <T extends z.ZodType>(item: T) => z.array(item).nullish().transform((v) => v ?? []);

const role = z.object({ id: optionalId, handle: z.string(), name: text });

const user = z.object({
  id,
  name: text,
  email: text,
  roles: list(role),
  created_at: instant,
  deleted_at: optionalInstant,
});

const usage = z.object({ used_at: instant, ip_address: text, user_agent: text });

const token = z.object({
  id,
  user_id: optionalId,
  client_id: optionalId,
  name: text,
  scopes: list(z.string()),
  revoked: z.boolean().nullish().transform((v) => v === true),
  created_at: instant,
  expires_at: optionalInstant,
  usage: list(usage),
});

const audit = z.object({
  id: optionalId,
  user_id: optionalId,
  event: text,
  auditable_type: text,
  auditable_id: optionalId,
  user_agent: text,
  created_at: instant,
});

const person = z.object({
  email: z.string(),
  name: text,
  status: text,
  end_date: optionalInstant,
  last_login_at: optionalInstant,
});

const allowlistEntry = z.object({
  cidr: z.unknown(),
  location_id: optionalId,
  approved_remote_access: z.boolean().nullish().transform((v) => v === true),
  note: text,
});

const location = z.object({ id, name: text, closed_at: optionalInstant });

export const SECRET_KINDS = ['webhook-signing', 'barcode', 'api-token', 'machine-password'] as const;
const secret = z.object({
  name: z.string().min(1),
  kind: z.enum(SECRET_KINDS),
  current_version_created_at: instant,
  pending_since: optionalInstant,
});

export const ERASURE_STATUSES = ['received', 'purging', 'purged', 'verified', 'failed'] as const;
const erasureRequest = z.object({
  id,
  profile_id: id,
  received_at: instant,
  status: z.enum(ERASURE_STATUSES),
  verified_at: optionalInstant,
});

export const snapshotSchema = z.object({
  tenant: z.string().min(1),
  captured_at: optionalInstant,
  omneo: z
    .object({ users: list(user), tokens: list(token), audits: list(audit) })
    .nullish()
    .transform((v) => v ?? { users: [], tokens: [], audits: [] }),
  directory: z
    .object({ people: list(person) })
    .nullish()
    .transform((v) => v ?? null),
  allowlist: list(allowlistEntry),
  locations: list(location),
  secrets: list(secret),
  erasure_requests: list(erasureRequest),
});

export type Snapshot = z.output<typeof snapshotSchema>;
export type User = Snapshot['omneo']['users'][number];
export type Token = Snapshot['omneo']['tokens'][number];
export type Audit = Snapshot['omneo']['audits'][number];
export type Person = NonNullable<Snapshot['directory']>['people'][number];
export type AllowlistEntry = Snapshot['allowlist'][number];
export type Location = Snapshot['locations'][number];
export type Secret = Snapshot['secrets'][number];
export type ErasureRequest = Snapshot['erasure_requests'][number];

/** Validates an already-parsed JSON value; throws {@link InputError} naming the first bad path. */
export function parseSnapshot(value: unknown): Snapshot {
  return validate(snapshotSchema, value, 'snapshot');
}

/** Runs a zod schema and turns its first issue into one {@link InputError}. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
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
