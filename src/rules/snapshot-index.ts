/**
 * Lookups built once per evaluation so that every rule is a single pass over
 * its own list: the whole check is linear in the size of the snapshot.
 */
import type { Policy } from './policy.js';
import { approvedHosts, type ApprovedHosts } from './data/destinations.js';
import type { Location, Person, Profile, Snapshot, Token, User } from './snapshot.js';

export interface RuleContext {
  snapshot: Snapshot;
  policy: Policy;
  /** The as-of instant, epoch milliseconds. */
  asOf: number;
  index: SnapshotIndex;
}

/**
 * What the rules ask about one live account, worked out once. One record per
 * account, not one map per fact: a rule, an audit or a token then costs one
 * lookup by id where it cost up to four (the lookups, not the work, were most
 * of the index's time at 100 000 accounts: bench/check.bench.ts).
 */
export interface Account {
  user: User;
  /** The directory person that makes the account departed; undefined when it is not. */
  departed: Person | undefined;
  /** It holds the `machine` role. */
  machine: boolean;
  /** Its email matches a directory person's (docs/rules.md, "Definitions": email match). */
  inDirectory: boolean;
  /** Its live tokens, in snapshot order. */
  liveTokens: readonly LiveToken[];
  /** Latest activity (audits, token usage, SSO login); null when never active. */
  lastActivity: number | null;
  /** Latest audit with a browser user agent; null when none. */
  lastBrowserAudit: number | null;
}

/** A live token (not revoked, not expired) with what the token rules ask about it, worked out once. */
export interface LiveToken {
  token: Token;
  /** The live account its `user_id` names; undefined when none does (or it is null). */
  owner: Account | undefined;
  /** Its latest `used_at`; null when never used. */
  lastUsed: number | null;
}

export interface SnapshotIndex {
  /** Live accounts (`deleted_at` absent or null) by id, in snapshot order; the first one listed wins. */
  accounts: Map<string, Account>;
  /** Live tokens, in snapshot order. */
  liveTokens: LiveToken[];
  /** Profile ids with a soft-delete audit (`deleted` on a `Profile`). */
  softDeletedProfiles: Set<string>;
  locations: Map<string, Location>;
  /** `omneo.profiles` by id (the first one listed wins). */
  profiles: Map<string, Profile>;
  /** `data_destinations`, read once for every webhook. */
  approvedHosts: ApprovedHosts;
}

/** Email match (docs/rules.md, "Definitions"): `trim(lowercase(email))`; blank matches nothing. */
export function emailKey(email: string | null): string | null {
  if (email === null) return null;
  const key = email.toLowerCase().trim();
  return key === '' ? null : key;
}

export function isLiveToken(token: Token, asOf: number): boolean {
  return !token.revoked && (token.expires_at === null || token.expires_at > asOf);
}

export function isMachine(user: User): boolean {
  return user.roles.some((r) => r.handle.toLowerCase() === 'machine');
}

export function isDepartedPerson(person: Person, asOf: number): boolean {
  return person.status === 'terminated' || (person.end_date !== null && person.end_date <= asOf);
}

/** A token's latest `used_at`, or null when it was never used. */
export function lastUsed(token: Token): number | null {
  let latest: number | null = null;
  for (const u of token.usage) if (latest === null || u.used_at > latest) latest = u.used_at;
  return latest;
}

/** No live tokens: shared by every account that has none, and replaced (never changed) when one turns up. */
const NO_TOKENS: readonly LiveToken[] = Object.freeze([]);

const later = (seen: number | null, value: number) => (seen === null || value > seen ? value : seen);

export function buildIndex(snapshot: Snapshot, asOf: number): SnapshotIndex {
  const { users, tokens, audits } = snapshot.omneo;
  const accounts = new Map<string, Account>();
  for (const user of users) {
    if (user.deleted_at !== null || accounts.has(user.id)) continue;
    const account: Account = {
      user,
      departed: undefined,
      machine: isMachine(user),
      inDirectory: false,
      liveTokens: NO_TOKENS,
      lastActivity: null,
      lastBrowserAudit: null,
    };
    accounts.set(user.id, account);
  }

  // Departed people by normalised email: the first one listed wins for evidence.
  const departedByEmail = new Map<string, Person>();
  const directoryEmails = new Set<string>();
  const lastLoginByEmail = new Map<string, number>();
  for (const p of snapshot.directory?.people ?? []) {
    const key = emailKey(p.email);
    if (key === null) continue;
    directoryEmails.add(key);
    if (isDepartedPerson(p, asOf) && !departedByEmail.has(key)) departedByEmail.set(key, p);
    if (p.last_login_at !== null) lastLoginByEmail.set(key, later(lastLoginByEmail.get(key) ?? null, p.last_login_at));
  }

  for (const account of accounts.values()) {
    const key = emailKey(account.user.email);
    if (key === null) continue;
    account.inDirectory = directoryEmails.has(key);
    account.departed = departedByEmail.get(key);
    const login = lastLoginByEmail.get(key);
    if (login !== undefined) account.lastActivity = later(account.lastActivity, login);
  }

  // Only live accounts' facts are kept: no rule asks about a deleted one.
  const softDeletedProfiles = new Set<string>();
  for (const a of audits) {
    const account = a.user_id === null ? undefined : accounts.get(a.user_id);
    if (account !== undefined) {
      account.lastActivity = later(account.lastActivity, a.created_at);
      if (a.user_agent?.startsWith('Mozilla/')) account.lastBrowserAudit = later(account.lastBrowserAudit, a.created_at);
    }
    if (a.event === 'deleted' && a.auditable_type === 'Profile' && a.auditable_id !== null) {
      softDeletedProfiles.add(a.auditable_id);
    }
  }

  const liveTokens: LiveToken[] = [];
  for (const token of tokens) {
    const owner = token.user_id === null ? undefined : accounts.get(token.user_id);
    const used = lastUsed(token);
    if (owner !== undefined && used !== null) owner.lastActivity = later(owner.lastActivity, used);
    if (!isLiveToken(token, asOf)) continue;
    const live: LiveToken = { token, owner, lastUsed: used };
    liveTokens.push(live);
    if (owner === undefined) continue;
    // Readonly to the rules; the index alone appends, to the array it made itself.
    if (owner.liveTokens === NO_TOKENS) owner.liveTokens = [live];
    else (owner.liveTokens as LiveToken[]).push(live);
  }

  const locations = new Map<string, Location>();
  for (const l of snapshot.locations) if (!locations.has(l.id)) locations.set(l.id, l);

  const profiles = new Map<string, Profile>();
  for (const p of snapshot.omneo.profiles) if (!profiles.has(p.id)) profiles.set(p.id, p);

  return {
    accounts,
    liveTokens,
    softDeletedProfiles,
    locations,
    profiles,
    approvedHosts: approvedHosts(snapshot.data_destinations),
  };
}
