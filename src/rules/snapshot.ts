/**
 * The tenant snapshot (docs/rules.md, "Snapshot format"), read and validated at the boundary.
 *
 * Reading normalises as it validates, so the rules never re-check input: ids
 * become strings (`12` and `"12"` are the same id), timestamps become epoch
 * milliseconds, absent lists become empty ones, unknown keys are dropped. An
 * allowlist `cidr` is kept exactly as given (`unknown`): a bad one is finding
 * NET-00, not an input error.
 *
 * Why a hand-written reader and not a zod schema, as everywhere else in Warden:
 * a 100 000-account snapshot has about a million objects. With zod (checking
 * shapes, then normalising in a second pass) validation alone took longer than
 * JSON.parse of the file, and keeping zod's copy alive doubled the heap, so
 * `warden check` missed its target of 3x a bare parse (bench/check.bench.ts).
 * This reader makes one pass and one copy. Its messages use the same words as
 * {@link validate} (src/validation.ts): `missing (expected string)`,
 * `expected string, got number`, `expected one of …`, `must not be empty`,
 * `not an ISO 8601 timestamp`.
 */
import { InputError } from '../errors.js';
import { kindOf } from '../validation.js';
import { parseInstant } from './time.js';


export const SECRET_KINDS = ['webhook-signing', 'barcode', 'api-token', 'machine-password'] as const;
export const PERSON_STATUSES = ['active', 'terminated'] as const;
export const ERASURE_STATUSES = ['received', 'purging', 'purged', 'verified', 'not_found', 'retained', 'failed'] as const;

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
  status: (typeof PERSON_STATUSES)[number];
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
  /** The request's own deadline (a calendar month, or an extension); null: receipt + `erasure_deadline_days`. */
  deadline_at: Instant | null;
}
/** A platform webhook subscription: where the platform pushes customer data. */
export interface Webhook {
  id: string;
  trigger: string | null;
  /** Exactly as given when it is a string; anything else (missing, null, a number) is null: no host, DAT-01. */
  url: string | null;
  /** `is_active` absent or null reads as true (docs/rules.md "Definitions": active webhook). */
  is_active: boolean;
  user_id: string | null;
}
/** A profile the care register names, as the platform has it now: its tags and nothing else. */
export interface Profile {
  id: string;
  /** `tags` missing or null: no tags. */
  tags: string[];
}
export interface DataDestination {
  /** `hooks.acme.example`, or `*.crm.example` for any subdomain of `crm.example`. */
  host: string;
}
export interface CareEntry {
  profile_id: string;
  reason: string | null;
  added_at: Instant | null;
}
export interface CareRegister {
  tag: string;
  profiles: CareEntry[];
}
export interface Snapshot {
  tenant: string;
  captured_at: Instant | null;
  omneo: { users: User[]; tokens: Token[]; audits: Audit[]; webhooks: Webhook[]; profiles: Profile[] };
  /** Null when the snapshot has no directory at all. */
  directory: { people: Person[] } | null;
  allowlist: AllowlistEntry[];
  locations: Location[];
  secrets: Secret[];
  erasure_requests: ErasureRequest[];
  data_destinations: DataDestination[];
  /** Null when the snapshot has no care register at all. */
  care_register: CareRegister | null;
}

/**
 * Validates an already-parsed JSON value and normalises it for the rules.
 * It takes ownership of `value`: the big lists are normalised in place, so
 * parse a value once (a second parse would find numbers where it reads
 * timestamps).
 * Throws an {@link InputError} naming the first bad path, e.g.
 * `snapshot.omneo.users[3].created_at: not an ISO 8601 timestamp`.
 */
export function parseSnapshot(value: unknown): Snapshot {
  const root = object(value, 'snapshot');
  const tenant = nonEmpty(root.tenant, 'snapshot.tenant');
  const omneo = optObject(root.omneo, 'snapshot.omneo');
  const directory = optObject(root.directory, 'snapshot.directory');
  return {
    tenant,
    captured_at: optInstant(root.captured_at, 'snapshot.captured_at'),
    omneo: {
      users: list(omneo?.users, 'snapshot.omneo.users', readUser),
      tokens: list(omneo?.tokens, 'snapshot.omneo.tokens', readToken),
      audits: list(omneo?.audits, 'snapshot.omneo.audits', readAudit),
      webhooks: list(omneo?.webhooks, 'snapshot.omneo.webhooks', readWebhook),
      profiles: list(omneo?.profiles, 'snapshot.omneo.profiles', readProfile),
    },
    directory: directory === null ? null : { people: list(directory.people, 'snapshot.directory.people', readPerson) },
    allowlist: list(root.allowlist, 'snapshot.allowlist', readAllowlistEntry),
    locations: list(root.locations, 'snapshot.locations', readLocation),
    secrets: list(root.secrets, 'snapshot.secrets', readSecret),
    erasure_requests: list(root.erasure_requests, 'snapshot.erasure_requests', readErasureRequest),
    data_destinations: list(root.data_destinations, 'snapshot.data_destinations', readDestination),
    care_register: readCareRegister(root.care_register),
  };
}

// Each reader gets the item and its place in its list; a path is only built
// when something is wrong, so the happy path allocates nothing extra. A list
// inside an item (a user's roles, a token's scopes and usage) has a place of
// its own, made once and reused for every item: its path, built up front for
// every item, was ~300 000 strings thrown away at 100 000 accounts.
type Read<T> = (item: unknown, at: Where) => T;
interface Where {
  /** The item this list belongs to; undefined for a list at a fixed path. */
  readonly parent: Where | undefined;
  /** The list's path when it has no parent, else its key in the parent's item. */
  readonly name: string;
  /** The item being read. */
  index: number;
  /** The places of the lists inside this list's items (see {@link inner}). */
  nested?: Where[];
}
const listPath = (w: Where): string => (w.parent === undefined ? w.name : here(w.parent, w.name));
const itemPath = (w: Where) => `${listPath(w)}[${w.index}]`;
const here = (w: Where, key: string) => `${itemPath(w)}.${key}`;

/**
 * The place of the list under `key` in the item `w` is reading. Reading is
 * depth first and synchronous, so one place per key serves every item: its
 * parent's index is the right one whenever its path is built.
 */
function inner(w: Where, key: string): Where {
  const nested = (w.nested ??= []);
  for (const n of nested) if (n.name === key) return n;
  const n: Where = { parent: w, name: key, index: 0 };
  nested.push(n);
  return n;
}

// The three big lists (users, tokens with their usage, audits) are normalised
// in place: JSON.parse's objects are already in the old generation, and
// building fresh copies of a million objects cost more in garbage collection
// than all the rules together (bench/check.bench.ts).
function readUser(item: unknown, w: Where): User {
  const u = object(item, w);
  u.id = id(u.id, w, 'id');
  u.name = optString(u.name, w, 'name');
  u.email = optString(u.email, w, 'email');
  u.roles = list(u.roles, inner(w, 'roles'), readRole);
  u.created_at = instant(u.created_at, w, 'created_at');
  u.deleted_at = optInstant(u.deleted_at, w, 'deleted_at');
  return u as unknown as User;
}

function readRole(item: unknown, w: Where): Role {
  const r = object(item, w);
  checkOptId(r.id, w, 'id');
  r.handle = string(r.handle, w, 'handle');
  r.name = optString(r.name, w, 'name');
  return r as unknown as Role;
}

function readToken(item: unknown, w: Where): Token {
  const t = object(item, w);
  t.id = id(t.id, w, 'id');
  t.user_id = optId(t.user_id, w, 'user_id');
  t.name = optString(t.name, w, 'name');
  t.scopes = list(t.scopes, inner(w, 'scopes'), readString);
  t.revoked = optBoolean(t.revoked, w, 'revoked');
  t.created_at = instant(t.created_at, w, 'created_at');
  t.expires_at = optInstant(t.expires_at, w, 'expires_at');
  t.usage = list(t.usage, inner(w, 'usage'), readUsage);
  return t as unknown as Token;
}

const readString: Read<string> = (item, w) => string(item, w);

function readUsage(item: unknown, w: Where): Usage {
  const u = object(item, w);
  u.used_at = instant(u.used_at, w, 'used_at');
  u.ip_address = optString(u.ip_address, w, 'ip_address');
  u.user_agent = optString(u.user_agent, w, 'user_agent');
  return u as unknown as Usage;
}

function readAudit(item: unknown, w: Where): Audit {
  const a = object(item, w);
  checkOptId(a.id, w, 'id');
  a.user_id = optId(a.user_id, w, 'user_id');
  a.event = optString(a.event, w, 'event');
  a.auditable_type = optString(a.auditable_type, w, 'auditable_type');
  a.auditable_id = optId(a.auditable_id, w, 'auditable_id');
  a.user_agent = optString(a.user_agent, w, 'user_agent');
  a.created_at = instant(a.created_at, w, 'created_at');
  return a as unknown as Audit;
}

function readPerson(item: unknown, w: Where): Person {
  const p = object(item, w);
  return {
    email: string(p.email, w, 'email'),
    name: optString(p.name, w, 'name'),
    // An enum, not free text: a status spelt otherwise ("Terminated", "left") would silently hide a departure.
    status: oneOf(p.status, PERSON_STATUSES, w, 'status'),
    end_date: optInstant(p.end_date, w, 'end_date'),
    last_login_at: optInstant(p.last_login_at, w, 'last_login_at'),
  };
}

function readAllowlistEntry(item: unknown, w: Where): AllowlistEntry {
  const e = object(item, w);
  return {
    cidr: e.cidr,
    location_id: optId(e.location_id, w, 'location_id'),
    approved_remote_access: optBoolean(e.approved_remote_access, w, 'approved_remote_access'),
    note: optString(e.note, w, 'note'),
  };
}

function readLocation(item: unknown, w: Where): Location {
  const l = object(item, w);
  return { id: id(l.id, w, 'id'), name: optString(l.name, w, 'name'), closed_at: optInstant(l.closed_at, w, 'closed_at') };
}

function readSecret(item: unknown, w: Where): Secret {
  const s = object(item, w);
  const name = nonEmpty(s.name, w, 'name');
  return {
    name,
    kind: oneOf(s.kind, SECRET_KINDS, w, 'kind'),
    current_version_created_at: instant(s.current_version_created_at, w, 'current_version_created_at'),
    pending_since: optInstant(s.pending_since, w, 'pending_since'),
  };
}

function readErasureRequest(item: unknown, w: Where): ErasureRequest {
  const r = object(item, w);
  return {
    id: id(r.id, w, 'id'),
    profile_id: id(r.profile_id, w, 'profile_id'),
    received_at: instant(r.received_at, w, 'received_at'),
    status: oneOf(r.status, ERASURE_STATUSES, w, 'status'),
    verified_at: optInstant(r.verified_at, w, 'verified_at'),
    deadline_at: optInstant(r.deadline_at, w, 'deadline_at'),
  };
}

function readWebhook(item: unknown, w: Where): Webhook {
  const h = object(item, w);
  return {
    id: id(h.id, w, 'id'),
    trigger: optString(h.trigger, w, 'trigger'),
    // Not an input error: a url the platform holds but nobody can parse is the finding (DAT-01), not a reason to audit nothing.
    url: typeof h.url === 'string' ? h.url : null,
    is_active: h.is_active === null || h.is_active === undefined ? true : boolean(h.is_active, w, 'is_active'),
    user_id: optId(h.user_id, w, 'user_id'),
  };
}

function readProfile(item: unknown, w: Where): Profile {
  const p = object(item, w);
  return { id: id(p.id, w, 'id'), tags: list(p.tags, inner(w, 'tags'), readString) };
}

function readDestination(item: unknown, w: Where): DataDestination {
  const d = object(item, w);
  return { host: nonEmpty(d.host, w, 'host') };
}

function readCareRegister(value: unknown): CareRegister | null {
  const register = optObject(value, 'snapshot.care_register');
  if (register === null) return null;
  const tag = nonEmpty(register.tag, 'snapshot.care_register.tag');
  return { tag, profiles: list(register.profiles, 'snapshot.care_register.profiles', readCareEntry) };
}

function readCareEntry(item: unknown, w: Where): CareEntry {
  const e = object(item, w);
  return {
    profile_id: id(e.profile_id, w, 'profile_id'),
    reason: optString(e.reason, w, 'reason'),
    added_at: optInstant(e.added_at, w, 'added_at'),
  };
}

// Field readers. `at` is either a full path or the item's place plus a key.
type At = string | Where;
const pathOf = (at: At, key?: string) => (typeof at === 'string' ? at : key === undefined ? itemPath(at) : here(at, key));

function fail(path: string, problem: string): never {
  throw new InputError(path, problem);
}

function wrongType(value: unknown, expected: string, at: At, key?: string): never {
  fail(pathOf(at, key), value === undefined ? `missing (expected ${expected})` : `expected ${expected}, got ${kindOf(value)}`);
}

function object(value: unknown, at: At, key?: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) wrongType(value, 'object', at, key);
  return value as Record<string, unknown>;
}

function optObject(value: unknown, at: At, key?: string): Record<string, unknown> | null {
  return value === null || value === undefined ? null : object(value, at, key);
}

function string(value: unknown, at: At, key?: string): string {
  if (typeof value !== 'string') wrongType(value, 'string', at, key);
  return value;
}

function nonEmpty(value: unknown, at: At, key?: string): string {
  const s = string(value, at, key);
  if (s === '') fail(pathOf(at, key), 'must not be empty');
  return s;
}

function optString(value: unknown, at: At, key: string): string | null {
  return value === null || value === undefined ? null : string(value, at, key);
}

function optBoolean(value: unknown, at: At, key: string): boolean {
  return value === null || value === undefined ? false : boolean(value, at, key);
}

function boolean(value: unknown, at: At, key: string): boolean {
  if (typeof value !== 'boolean') wrongType(value, 'boolean', at, key);
  return value;
}

/** A number that names an id (`12` and `"12"` are the same id): any finite one. */
const isNumericId = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function id(value: unknown, at: At, key: string): string {
  if (typeof value === 'string') return value;
  if (isNumericId(value)) return String(value);
  return wrongType(value, 'string or number', at, key);
}

function optId(value: unknown, at: At, key: string): string | null {
  return value === null || value === undefined ? null : id(value, at, key);
}

/** {@link optId} for an id nothing reads: checked, not turned into a string (300 000 audit ids would be garbage). */
function checkOptId(value: unknown, at: At, key: string): void {
  if (value === null || value === undefined || typeof value === 'string' || isNumericId(value)) return;
  wrongType(value, 'string or number', at, key);
}

function instant(value: unknown, at: At, key?: string): Instant {
  const ms = parseInstant(string(value, at, key));
  if (ms === undefined) fail(pathOf(at, key), 'not an ISO 8601 timestamp');
  return ms;
}

function optInstant(value: unknown, at: At, key?: string): Instant | null {
  return value === null || value === undefined ? null : instant(value, at, key);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], at: At, key: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  if (typeof value !== 'string') wrongType(value, 'string', at, key);
  return fail(pathOf(at, key), `expected one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
}

/**
 * An optional list at `place` (a fixed path, or see {@link inner}): absent or
 * null is empty; each item read with its place, into the same array (see the
 * note on in-place normalisation above).
 */
function list<T>(value: unknown, place: string | Where, read: Read<T>): T[] {
  if (value === null || value === undefined) return [];
  const w: Where = typeof place === 'string' ? { parent: undefined, name: place, index: 0 } : place;
  if (!Array.isArray(value)) wrongType(value, 'array', listPath(w));
  const items = value as unknown[];
  for (let i = 0; i < items.length; i++) {
    w.index = i;
    items[i] = read(items[i], w);
  }
  return items as T[];
}
