/**
 * A tenant's policy as people read it: the overrides it stores, each against
 * the default it replaces (docs/rules.md, "Policy"). Pure functions; the
 * validation is `parsePolicy`'s, the same as `warden check --policy`.
 */
import type { PolicyOverrides } from '../db/database.js';
import { DEFAULT_POLICY, parsePolicy, type Policy } from '../rules/policy.js';

export type PolicyKey = keyof Policy;

/** Every policy key, in the order of the defaults table. */
export const POLICY_KEYS = Object.keys(DEFAULT_POLICY) as PolicyKey[];

/**
 * Validates a policy document exactly as `warden check --policy` does (the same
 * InputError naming the key) and keeps only the keys it gives: a tenant stores
 * what it overrides, so a later change of a default still reaches it.
 */
export function policyOverrides(document: unknown): PolicyOverrides {
  const full = parsePolicy(document);
  const given = new Set(Object.keys(document as object));
  return Object.fromEntries(POLICY_KEYS.filter((k) => given.has(k)).map((k) => [k, full[k]]));
}

export interface PolicyRow {
  key: PolicyKey;
  /** What the rules use for this tenant. */
  value: number;
  default: number;
  /** Whether the tenant's policy gives this key (even with the default's value). */
  overridden: boolean;
}

/** One row per policy key: the value in force and the default. */
export function policyRows(overrides: PolicyOverrides): PolicyRow[] {
  return POLICY_KEYS.map((key) => {
    const given = overrides[key];
    return { key, value: given ?? DEFAULT_POLICY[key], default: DEFAULT_POLICY[key], overridden: given !== undefined };
  });
}

/**
 * One phrase for a digest or a terminal, e.g.
 * `the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3)`.
 */
export function describePolicy(overrides: PolicyOverrides): string {
  const changed = policyRows(overrides).filter((r) => r.overridden);
  if (changed.length === 0) return 'the defaults';
  return `the defaults, except ${changed.map((r) => `${r.key} = ${r.value} (default ${r.default})`).join(', ')}`;
}
