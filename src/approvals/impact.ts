/**
 * What acting on an approval would break, measured from the same snapshot the
 * audit judged (pure: no I/O), so that nobody approves blind
 * (docs/architecture.md "Approvals and remediation"):
 *
 * - removing a user deletes every API token that user created, on the
 *   platform: each live one is listed with its scopes, its last use and the
 *   integration it serves (the product name of its latest user agent), because
 *   that integration stops working the moment the user goes;
 * - revoking a token: its last uses (time, address, agent), newest first;
 * - disabling a webhook: the event that fires it, the host it sends to (never
 *   the whole url: it may carry a key) and its owner, because whatever
 *   receives its events there stops getting them;
 * - changing a user's roles (an access review's decision): the roles before
 *   and after, the account and its tokens staying.
 *
 * Staff accounts, tokens and webhooks only: no customer identifier and no
 * secret value (a token's id and name are not its secret).
 */
import { integrationFingerprint } from '../rules/tokens/usage.js';
import { isLiveToken, lastUsed } from '../rules/snapshot-index.js';
import { schemeOf, webhookHost } from '../rules/data/destinations.js';
import type { Snapshot, Token, Usage, User, Webhook } from '../rules/snapshot.js';
import { isoOrNull } from '../rules/time.js';
import { roleHandles } from '../rules/access/accounts.js';

/** How many of a token's latest uses an approval shows. */
export const LAST_USES_SHOWN = 5;

export interface TokenImpact {
  id: string;
  name: string | null;
  scopes: string[];
  last_used_at: string | null;
  /** The integration it serves: the product of its latest use's user agent, `unknown`, or null when never used. */
  integration: string | null;
}

export interface UserRemovalImpact {
  kind: 'remove_user';
  /** False when the account was not in the snapshot (nothing known to show). */
  found: boolean;
  user_id: string;
  email: string | null;
  roles: string[];
  /** Live users holding `admin` besides this one: 0 means this is the last admin. */
  other_admins: number;
  tokens_deleted: TokenImpact[];
}

export interface TokenRevocationImpact {
  kind: 'revoke_token';
  found: boolean;
  token_id: string;
  name: string | null;
  scopes: string[];
  owner_id: string | null;
  /** The owner's email, when the owner is a live user (self-approval is checked against it). */
  owner_email: string | null;
  integration: string | null;
  last_uses: { used_at: string; ip_address: string | null; user_agent: string | null }[];
}

export interface WebhookDisableImpact {
  kind: 'disable_webhook';
  /** False when the webhook was not in the snapshot or is off already (nothing to disable). */
  found: boolean;
  webhook_id: string;
  /** The event that fires it. */
  trigger: string | null;
  /** Where it sends: the host only, never the whole url (it may carry a key); null when the url has none. */
  host: string | null;
  /** The url's scheme, lower-cased (`http`), or null. */
  scheme: string | null;
  owner_id: string | null;
  /** The owner's email, when the owner is a live user (self-approval is checked against it). */
  owner_email: string | null;
}

/** What a role change does (an access review's revoke of one of several roles, or change to a lower one). */
export interface RoleChangeImpact {
  kind: 'change_role';
  /** False when the account was not there (nothing to change). */
  found: boolean;
  user_id: string;
  email: string | null;
  /** The account's roles before. */
  roles: string[];
  /** The role taken away. */
  remove_role: string;
  /** The role given in its place; null for a revoke of one of several roles. */
  add_role: string | null;
  /** The roles after the change. */
  roles_after: string[];
}

/** What a role change asks, as its approval keeps it: measured again against the live roles before acting. */
export type RoleChangeRequest = Pick<RoleChangeImpact, 'remove_role' | 'add_role'>;

export type Impact = UserRemovalImpact | TokenRevocationImpact | WebhookDisableImpact | RoleChangeImpact;

function latestUses(token: Token, n: number): Usage[] {
  return [...token.usage].sort((a, b) => b.used_at - a.used_at).slice(0, n);
}

function integrationOf(token: Token): string | null {
  const latest = latestUses(token, 1)[0];
  return latest === undefined ? null : integrationFingerprint(latest.user_agent);
}

function isAdmin(user: User): boolean {
  return user.roles.some((r) => r.handle.toLowerCase() === 'admin');
}

function isLiveUser(user: User, asOf: number): boolean {
  return user.deleted_at === null || user.deleted_at > asOf;
}

/**
 * The lookups impacts are measured with, built once per snapshot: an audit
 * measures thousands of impacts, and a scan of every user and token for each
 * one would be quadratic.
 */
export interface ImpactIndex {
  liveUsers: ReadonlyMap<string, User>;
  admins: number;
  /** Live tokens by owner, most recently used first. */
  liveTokensByOwner: ReadonlyMap<string, Token[]>;
  tokens: ReadonlyMap<string, Token>;
  webhooks: ReadonlyMap<string, Webhook>;
}

export function impactIndex(snapshot: Snapshot, asOf: number): ImpactIndex {
  const liveUsers = new Map<string, User>();
  let admins = 0;
  for (const u of snapshot.omneo.users) {
    if (!isLiveUser(u, asOf)) continue;
    liveUsers.set(u.id, u);
    if (isAdmin(u)) admins++;
  }
  const liveTokensByOwner = new Map<string, Token[]>();
  const tokens = new Map<string, Token>();
  for (const t of snapshot.omneo.tokens) {
    tokens.set(t.id, t);
    if (t.user_id === null || !isLiveToken(t, asOf)) continue;
    const list = liveTokensByOwner.get(t.user_id);
    if (list === undefined) liveTokensByOwner.set(t.user_id, [t]);
    else list.push(t);
  }
  for (const list of liveTokensByOwner.values()) list.sort((a, b) => (lastUsed(b) ?? -1) - (lastUsed(a) ?? -1) || a.id.localeCompare(b.id));
  const webhooks = new Map(snapshot.omneo.webhooks.map((w) => [w.id, w]));
  return { liveUsers, admins, liveTokensByOwner, tokens, webhooks };
}

export function userRemovalImpact(snapshot: Snapshot, userId: string, asOf: number, index: ImpactIndex = impactIndex(snapshot, asOf)): UserRemovalImpact {
  const user = index.liveUsers.get(userId);
  const tokens = (index.liveTokensByOwner.get(userId) ?? []).map((t) => ({
    id: t.id,
    name: t.name,
    scopes: [...t.scopes],
    last_used_at: isoOrNull(lastUsed(t)),
    integration: integrationOf(t),
  }));
  return {
    kind: 'remove_user',
    found: user !== undefined,
    user_id: userId,
    email: user?.email ?? null,
    roles: user?.roles.map((r) => r.handle.toLowerCase()) ?? [],
    other_admins: index.admins - (user !== undefined && isAdmin(user) ? 1 : 0),
    tokens_deleted: tokens,
  };
}

export function tokenRevocationImpact(snapshot: Snapshot, tokenId: string, asOf: number, index: ImpactIndex = impactIndex(snapshot, asOf)): TokenRevocationImpact {
  // A revoked or expired token is as good as gone: revoked by hand counts as done.
  const found = index.tokens.get(tokenId);
  const token = found !== undefined && isLiveToken(found, asOf) ? found : undefined;
  const owner = token?.user_id == null ? undefined : index.liveUsers.get(token.user_id);
  return {
    kind: 'revoke_token',
    found: token !== undefined,
    token_id: tokenId,
    name: token?.name ?? null,
    scopes: token === undefined ? [] : [...token.scopes],
    owner_id: token?.user_id ?? null,
    owner_email: owner?.email ?? null,
    integration: token === undefined ? null : integrationOf(token),
    last_uses:
      token === undefined
        ? []
        : latestUses(token, LAST_USES_SHOWN).map((u) => ({ used_at: new Date(u.used_at).toISOString(), ip_address: u.ip_address, user_agent: u.user_agent })),
  };
}

export function webhookDisableImpact(snapshot: Snapshot, webhookId: string, asOf: number, index: ImpactIndex = impactIndex(snapshot, asOf)): WebhookDisableImpact {
  // An inactive webhook sends nothing: off by hand counts as done, as a revoked token does.
  const found = index.webhooks.get(webhookId);
  const webhook = found?.is_active === true ? found : undefined;
  const owner = webhook?.user_id == null ? undefined : index.liveUsers.get(webhook.user_id);
  return {
    kind: 'disable_webhook',
    found: webhook !== undefined,
    webhook_id: webhookId,
    trigger: webhook?.trigger ?? null,
    host: webhook === undefined ? null : webhookHost(webhook.url),
    scheme: webhook === undefined ? null : schemeOf(webhook.url),
    owner_id: webhook?.user_id ?? null,
    owner_email: owner?.email ?? null,
  };
}

/** The roles an account has after `remove` is taken away and `add` given (once, in the platform's order). */
export function rolesAfter(roles: readonly string[], remove: string, add: string | null): string[] {
  const kept = roles.filter((r) => r !== remove);
  return add === null || kept.includes(add) ? kept : [...kept, add];
}

/**
 * The request of a role change from its approval's stored impact. Throws when
 * it has none: a role change cannot be measured, acted on or verified without
 * knowing which role goes and which comes.
 */
export function roleChangeRequest(stored: Readonly<Record<string, unknown>> | undefined): RoleChangeRequest {
  const remove = stored?.['remove_role'];
  const add = stored?.['add_role'] ?? null;
  if (typeof remove !== 'string' || remove === '' || (add !== null && (typeof add !== 'string' || add === ''))) {
    throw new Error('a role change needs its request: the role taken away (remove_role) and the one given (add_role, or null)');
  }
  return { remove_role: remove, add_role: add };
}

/** A role change measured on `snapshot`'s live user: its roles now, and what they become. */
export function roleChangeImpact(snapshot: Snapshot, userId: string, asOf: number, index: ImpactIndex, request: RoleChangeRequest): RoleChangeImpact {
  const user = index.liveUsers.get(userId);
  const roles = user === undefined ? [] : roleHandles(user);
  return {
    kind: 'change_role',
    found: user !== undefined,
    user_id: userId,
    email: user?.email ?? null,
    roles,
    remove_role: request.remove_role,
    add_role: request.add_role,
    roles_after: user === undefined ? [] : rolesAfter(roles, request.remove_role, request.add_role),
  };
}

// The impacts in words, one sentence a line, for the approval page and email: an approver reads what breaks, not a JSON document.

export function userRemovalSentences(i: UserRemovalImpact): string[] {
  const lines: string[] = [];
  if (!i.found) lines.push('The account was not found when this was requested.');
  if (i.roles.includes('admin')) {
    lines.push(i.other_admins === 0 ? 'This is the tenant’s last admin: Warden will not remove it.' : `It holds the admin role; ${i.other_admins} other admin(s) remain.`);
  }
  if (i.tokens_deleted.length === 0) lines.push('It owns no live API token: removing it breaks no integration.');
  else {
    lines.push(`Removing it also deletes its ${i.tokens_deleted.length} live API token(s); every integration using them stops working until it gets a new token:`);
    for (const t of i.tokens_deleted) {
      const used = t.last_used_at === null ? 'never used' : `last used ${t.last_used_at}`;
      const by = t.integration === null ? '' : ` by ${t.integration}`;
      lines.push(`• ${t.name ?? t.id} (scopes ${t.scopes.join(', ') || 'none'}), ${used}${by}`);
    }
  }
  return lines;
}

export function tokenRevocationSentences(i: TokenRevocationImpact): string[] {
  const lines: string[] = [];
  if (!i.found) lines.push('The token was not found when this was requested.');
  if (i.last_uses.length === 0) lines.push('The token has never been used: revoking it breaks nothing seen.');
  else {
    lines.push(`Whatever uses this token${i.integration === null ? '' : ` (${i.integration})`} stops working when it is revoked. Its last uses:`);
    for (const u of i.last_uses) lines.push(`• ${u.used_at} from ${u.ip_address ?? 'an unknown address'} (${u.user_agent ?? 'no user agent'})`);
  }
  return lines;
}

export function webhookDisableSentences(i: WebhookDisableImpact): string[] {
  if (!i.found) return ['The webhook was not found, or was already switched off, when this was requested.'];
  const events = i.trigger === null ? 'its events' : `its ${i.trigger} events`;
  const where = i.host === null ? 'a url without a host' : i.scheme === 'https' ? i.host : `${i.host}, unencrypted (${i.scheme ?? 'no scheme'})`;
  const owner = i.owner_email ?? (i.owner_id === null ? 'no user' : `user ${i.owner_id}, not a live account`);
  return [
    `Disabling it stops the platform sending ${events} to ${where}: whatever receives them there gets no more updates.`,
    'Warden switches it off (is_active false) and does not delete it: its settings stay on the platform.',
    `It belongs to ${owner}.`,
  ];
}

export function roleChangeSentences(i: RoleChangeImpact): string[] {
  if (!i.found) return ['The account was not found when this was requested.'];
  const who = i.email ?? `user ${i.user_id}`;
  const kept = i.roles_after.filter((r) => r !== i.add_role);
  const keeps = kept.length > 0 ? `; keeps ${kept.join(', ')}` : i.add_role === null ? '; it is left with no role' : '';
  return [
    i.add_role === null ? `Takes the role ${i.remove_role} from ${who}${keeps}.` : `Changes ${who}’s role ${i.remove_role} to ${i.add_role}${keeps}.`,
    'The account and its API tokens stay: only its roles change.',
  ];
}
