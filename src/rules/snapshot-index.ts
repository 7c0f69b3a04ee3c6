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

export interface SnapshotIndex {
  /** Users whose `deleted_at` is absent or null, by id. */
  liveUsers: Map<string, User>;
  /** Live users who are departed, with the directory person that makes them so. */
  departedUsers: Map<string, Person>;
  /** Ids of live machine users. */
  machineUsers: Set<string>;
  /** Departed directory people by normalised email (the first one listed wins for evidence). */
  departedByEmail: Map<string, Person>;
  /** Every normalised email in the directory. */
  directoryEmails: Set<string>;
  /** Live tokens by owner id. */
  liveTokensByOwner: Map<string, Token[]>;
  /** Latest activity (audits, token usage, SSO login) by user id. */
  lastActivity: Map<string, number>;
  /** Latest audit with a browser user agent, by user id. */
  lastBrowserAudit: Map<string, number>;
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

function raise(map: Map<string, number>, key: string, value: number): void {
  const seen = map.get(key);
  if (seen === undefined || value > seen) map.set(key, value);
}

export function buildIndex(snapshot: Snapshot, asOf: number): SnapshotIndex {
  const { users, tokens, audits } = snapshot.omneo;
  const liveUsers = new Map<string, User>();
  for (const u of users) if (u.deleted_at === null && !liveUsers.has(u.id)) liveUsers.set(u.id, u);

  const departedByEmail = new Map<string, Person>();
  const directoryEmails = new Set<string>();
  const lastLoginByEmail = new Map<string, number>();
  for (const p of snapshot.directory?.people ?? []) {
    const key = emailKey(p.email);
    if (key === null) continue;
    directoryEmails.add(key);
    if (isDepartedPerson(p, asOf) && !departedByEmail.has(key)) departedByEmail.set(key, p);
    if (p.last_login_at !== null) raise(lastLoginByEmail, key, p.last_login_at);
  }

  const lastActivity = new Map<string, number>();
  const lastBrowserAudit = new Map<string, number>();
  const softDeletedProfiles = new Set<string>();
  for (const a of audits) {
    if (a.user_id !== null) {
      raise(lastActivity, a.user_id, a.created_at);
      if (a.user_agent?.startsWith('Mozilla/')) raise(lastBrowserAudit, a.user_id, a.created_at);
    }
    if (a.event === 'deleted' && a.auditable_type === 'Profile' && a.auditable_id !== null) {
      softDeletedProfiles.add(a.auditable_id);
    }
  }

  const liveTokensByOwner = new Map<string, Token[]>();
  for (const t of tokens) {
    if (t.user_id === null) continue;
    const used = lastUsed(t);
    if (used !== null) raise(lastActivity, t.user_id, used);
    if (!isLiveToken(t, asOf)) continue;
    const owned = liveTokensByOwner.get(t.user_id);
    if (owned) owned.push(t);
    else liveTokensByOwner.set(t.user_id, [t]);
  }

  // Per-user facts every rule asks about, worked out once.
  const departedUsers = new Map<string, Person>();
  const machineUsers = new Set<string>();
  for (const u of liveUsers.values()) {
    if (isMachine(u)) machineUsers.add(u.id);
    const key = emailKey(u.email);
    if (key === null) continue;
    const departed = departedByEmail.get(key);
    if (departed !== undefined) departedUsers.set(u.id, departed);
    const login = lastLoginByEmail.get(key);
    if (login !== undefined) raise(lastActivity, u.id, login);
  }

  const locations = new Map<string, Location>();
  for (const l of snapshot.locations) if (!locations.has(l.id)) locations.set(l.id, l);

  const profiles = new Map<string, Profile>();
  for (const p of snapshot.omneo.profiles) if (!profiles.has(p.id)) profiles.set(p.id, p);

  return {
    liveUsers,
    departedUsers,
    machineUsers,
    departedByEmail,
    directoryEmails,
    liveTokensByOwner,
    lastActivity,
    lastBrowserAudit,
    softDeletedProfiles,
    locations,
    profiles,
    approvedHosts: approvedHosts(snapshot.data_destinations),
  };
}
