/**
 * A campaign's items (docs/architecture.md "Access reviews"): one per
 * (account, role) pair of the frozen snapshot, each pre-flagged with the
 * open access findings about its account (departed, unknown, inactive,
 * machine used interactively, machine combined with another role) and, on an
 * `admin` item, the tenant's too-many-admins finding; then ordered riskiest
 * first, so reviewers spend their time where the risk is.
 */
import type { Finding } from '../rules/types.js';
import { SEVERITY_RANK, type Severity } from '../rules/types.js';
import type { FrozenAccount, FrozenSnapshot } from './frozen-snapshot.js';

export interface ItemFlag {
  rule: string;
  severity: Severity;
  title: string;
}

export interface ItemDraft {
  user_id: string;
  email: string | null;
  name: string | null;
  role: string;
  machine: boolean;
  flags: ItemFlag[];
  risk: number;
}

/**
 * The roles a reviewer may change a role to, highest first: only the ones
 * below it on the platform's ladder. `machine` and roles Warden does not know
 * have none (revoke them instead).
 */
export const ROLE_LADDER = ['admin', 'manager', 'reporting'] as const;

export function lowerRoles(role: string): string[] {
  const at = (ROLE_LADDER as readonly string[]).indexOf(role);
  return at < 0 ? [] : ROLE_LADDER.slice(at + 1);
}

/** The rule flags an item of `role` on `account` carries: its account's findings, and ACC-06 on admin items. */
function flagsOf(account: FrozenAccount, role: string, byUser: ReadonlyMap<string, Finding[]>, tenantWide: readonly Finding[]): ItemFlag[] {
  const own = byUser.get(account.id) ?? [];
  const wide = role === 'admin' ? tenantWide.filter((f) => f.rule === 'ACC-06') : [];
  return [...own, ...wide]
    .map((f) => ({ rule: f.rule, severity: f.severity, title: f.title }))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.rule.localeCompare(b.rule));
}

/** The weight of a role when flags tie: what it can do if the account is misused. */
const ROLE_WEIGHT: Readonly<Record<string, number>> = { admin: 3, machine: 2, manager: 1 };

/**
 * How risky an item is, higher first: its worst flag dominates (critical 40,
 * high 30, medium 20, low 10), then the role's weight, then whether the
 * account holds live tokens.
 */
export function riskOf(flags: readonly ItemFlag[], role: string, liveTokens: number): number {
  const worst = flags.reduce((w, f) => Math.max(w, (4 - SEVERITY_RANK[f.severity]) * 10), 0);
  return worst + (ROLE_WEIGHT[role] ?? 0) + (liveTokens > 0 ? 1 : 0);
}

/** Orders items riskiest first, then by email, account id and role (stable and the same on every page). */
export function compareItems(a: Pick<ItemDraft, 'risk' | 'email' | 'user_id' | 'role'>, b: Pick<ItemDraft, 'risk' | 'email' | 'user_id' | 'role'>): number {
  return b.risk - a.risk || (a.email ?? '').localeCompare(b.email ?? '') || a.user_id.localeCompare(b.user_id) || a.role.localeCompare(b.role);
}

/**
 * The items of a campaign from its frozen snapshot and the access findings
 * judged on the same snapshot (suppressed ones already left out by the
 * caller). An account without any role is one item of role `none`, so that
 * nobody's access goes unreviewed.
 */
export function buildItems(frozen: FrozenSnapshot, findings: readonly Finding[]): ItemDraft[] {
  const byUser = new Map<string, Finding[]>();
  const tenantWide: Finding[] = [];
  for (const f of findings) {
    if (f.subject.type === 'user') {
      const list = byUser.get(f.subject.id);
      if (list) list.push(f);
      else byUser.set(f.subject.id, [f]);
    } else if (f.subject.type === 'tenant') tenantWide.push(f);
  }
  const items: ItemDraft[] = [];
  for (const account of frozen.accounts) {
    const roles = account.roles.length === 0 ? ['none'] : [...new Set(account.roles)];
    for (const role of roles) {
      const flags = flagsOf(account, role, byUser, tenantWide);
      items.push({ user_id: account.id, email: account.email, name: account.name, role, machine: account.machine, flags, risk: riskOf(flags, role, account.tokens.length) });
    }
  }
  return items.sort(compareItems);
}
