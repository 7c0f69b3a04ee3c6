/**
 * The subjects findings are about: for each subject type, which items a rule
 * is asked about and how a finding names them (docs/rules.md, "Subjects").
 * Each list is walked once per evaluation, whatever the number of rules.
 */
import { parseCidr, type ParsedCidr } from './cidr.js';
import type { Account, LiveToken, RuleContext } from './snapshot-index.js';
import { webhookLabel } from './data/destinations.js';
import type { AllowlistEntry, CareEntry, ErasureRequest, Profile, Secret, Snapshot, Token, User, Webhook } from './snapshot.js';
import type { SnapshotSubjectType, Subject } from './types.js';

/** An allowlist entry with its place in the list and its address, parsed once for all NET rules. */
export interface AllowlistItem {
  entry: AllowlistEntry;
  position: number;
  /** Undefined when `cidr` is not a valid address or CIDR (NET-00). */
  cidr: ParsedCidr | undefined;
}

/** A care register entry, with the register's tag and the profile as the platform has it (undefined: absent). */
export interface CareItem {
  entry: CareEntry;
  tag: string;
  profile: Profile | undefined;
}

/** The item a check of each snapshot subject type receives. */
export interface SubjectItems {
  /** A live account with the facts the index worked out about it. */
  user: Account;
  /** A live token with its owner and latest use. */
  token: LiveToken;
  /** The whole snapshot: a tenant rule looks across it (ACC-06 counts admins). */
  tenant: Snapshot;
  allowlist_entry: AllowlistItem;
  secret: Secret;
  erasure_request: ErasureRequest;
  webhook: Webhook;
  profile: CareItem;
}

export interface SubjectSource<T> {
  /** Calls `visit` with every item rules of this type are asked about, in snapshot order. */
  forEach(ctx: RuleContext, visit: (item: T) => void): void;
  subject(item: T): Subject;
}

/** How titles and tables name an account: its name, else `user ID`. */
export function userLabel(user: User): string {
  return user.name ?? `user ${user.id}`;
}

/** How titles and tables name a token: its name, else its id. */
export function tokenLabel(token: Token): string {
  return token.name ?? token.id;
}

/**
 * The subject id of an allowlist entry is its `cidr` exactly as given. An entry
 * without a string `cidr` has nothing to name it by, so it is named by its position.
 */
export function entryId({ entry, position }: AllowlistItem): string {
  return typeof entry.cidr === 'string' ? entry.cidr : `allowlist[${position}]`;
}

function entrySubject(item: AllowlistItem): Subject {
  const id = entryId(item);
  const label = item.entry.location_id === null ? id : `${id} (${item.entry.location_id})`;
  return { type: 'allowlist_entry', id, label };
}

export const SUBJECT_SOURCES: { readonly [S in SnapshotSubjectType]: SubjectSource<SubjectItems[S]> } = {
  // Live users only, each id once (the index keeps the first one listed).
  user: {
    forEach: (ctx, visit) => ctx.index.accounts.forEach((a) => visit(a)),
    subject: ({ user }) => ({ type: 'user', id: user.id, label: userLabel(user) }),
  },
  // Live tokens only: a revoked or expired token can do no harm.
  token: {
    forEach: ({ index }, visit) => index.liveTokens.forEach((t) => visit(t)),
    subject: ({ token }) => ({ type: 'token', id: token.id, label: tokenLabel(token) }),
  },
  tenant: {
    forEach: (ctx, visit) => visit(ctx.snapshot),
    subject: (s) => ({ type: 'tenant', id: s.tenant, label: s.tenant }),
  },
  allowlist_entry: {
    forEach: ({ snapshot }, visit) =>
      snapshot.allowlist.forEach((entry, position) => visit({ entry, position, cidr: parseCidr(entry.cidr) })),
    subject: entrySubject,
  },
  secret: {
    forEach: ({ snapshot }, visit) => snapshot.secrets.forEach((s) => visit(s)),
    subject: (s) => ({ type: 'secret', id: s.name, label: s.name }),
  },
  erasure_request: {
    forEach: ({ snapshot }, visit) => snapshot.erasure_requests.forEach((r) => visit(r)),
    subject: (r) => ({ type: 'erasure_request', id: r.id, label: r.id }),
  },
  // Active webhooks only: an inactive one sends nothing (every DAT rule is about active ones).
  webhook: {
    forEach: ({ snapshot }, visit) => {
      for (const h of snapshot.omneo.webhooks) if (h.is_active) visit(h);
    },
    subject: (h) => ({ type: 'webhook', id: h.id, label: webhookLabel(h) }),
  },
  // The profiles the care register names, each looked up in what the platform has now.
  profile: {
    forEach: ({ snapshot, index }, visit) => {
      const register = snapshot.care_register;
      if (register === null) return;
      for (const entry of register.profiles) visit({ entry, tag: register.tag, profile: index.profiles.get(entry.profile_id) });
    },
    subject: ({ entry }) => ({ type: 'profile', id: entry.profile_id, label: `profile ${entry.profile_id}` }),
  },
};
