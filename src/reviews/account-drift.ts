/**
 * What changed on an account between a campaign's frozen snapshot and the
 * platform now (docs/architecture.md "Approvals and remediation"): measured
 * when the approval a review decision asked for is carried out, shown in its
 * re-check and recorded on the item, so the evidence says what the reviewer
 * saw and what Warden found. Pure.
 */
import type { FrozenAccount } from './frozen-snapshot.js';

/** Only what differs: an empty drift is an account as the reviewer saw it. */
export interface AccountDrift {
  /** The account is no longer on the platform. */
  account_gone?: true;
  /** Its roles differ (as sets), then and now, in the platform's order. */
  roles?: { then: string[]; now: string[] };
  email?: { then: string | null; now: string | null };
  /** Live API tokens it has now that the snapshot did not show (a removal would delete them). */
  tokens_gained?: { id: string; name: string | null }[];
}

/** The live account as the re-check read it. */
export interface LiveAccount {
  email: string | null;
  /** Role handles, lower-cased. */
  roles: readonly string[];
  /** Its live tokens; undefined when they were not read (a role change reads the users only). */
  tokens?: readonly { id: string; name: string | null }[];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x)) && b.every((x) => a.includes(x));

/** How `live` (undefined: gone) differs from the frozen account. */
export function accountDrift(frozen: FrozenAccount, live: LiveAccount | undefined): AccountDrift {
  if (live === undefined) return { account_gone: true };
  const drift: AccountDrift = {};
  if (!sameSet(frozen.roles, live.roles)) drift.roles = { then: [...frozen.roles], now: [...live.roles] };
  if (frozen.email !== live.email) drift.email = { then: frozen.email, now: live.email };
  if (live.tokens !== undefined) {
    const shown = new Set(frozen.tokens.map((t) => t.id));
    const gained = live.tokens.filter((t) => !shown.has(t.id)).map((t) => ({ id: t.id, name: t.name }));
    if (gained.length > 0) drift.tokens_gained = gained;
  }
  return drift;
}

export function hasDrift(drift: AccountDrift): boolean {
  return Object.keys(drift).length > 0;
}

/** The drift in words, for the re-check's reason: `roles admin → admin, manager; 1 token gained`. */
export function driftWords(drift: AccountDrift): string {
  if (drift.account_gone === true) return 'the account is gone';
  const parts: string[] = [];
  const list = (roles: readonly string[]) => (roles.length === 0 ? 'none' : roles.join(', '));
  if (drift.roles !== undefined) parts.push(`roles ${list(drift.roles.then)} → ${list(drift.roles.now)}`);
  if (drift.email !== undefined) parts.push('email changed');
  if (drift.tokens_gained !== undefined) parts.push(`${drift.tokens_gained.length} live API token(s) gained`);
  return parts.join('; ');
}
