/**
 * Every rule, in two ordered lists: {@link RULES}, the rules of a tenant
 * snapshot (`warden check`, shared/RULES.md), and {@link OBSERVED_RULES}, the
 * rules of what Warden itself observed. The rule ids, the families, the lookup
 * by id and docs/rules.md are all derived from them. Adding a rule is one file
 * in its family's folder (or in observed/) and one line here.
 */
import { acc01 } from './access/acc-01-departed-staff-active.js';
import { acc02 } from './access/acc-02-unknown-account.js';
import { acc03 } from './access/acc-03-inactive-account.js';
import { acc04 } from './access/acc-04-machine-role-interactive.js';
import { acc05 } from './access/acc-05-machine-role-combined.js';
import { acc06 } from './access/acc-06-too-many-admins.js';
import { care01 } from './data/care-01-care-tag-missing.js';
import { care02 } from './data/care-02-care-profile-missing.js';
import { dat01 } from './data/dat-01-webhook-insecure.js';
import { dat02 } from './data/dat-02-webhook-unapproved-destination.js';
import { dat03 } from './data/dat-03-webhook-owner-not-machine.js';
import { hook01 } from './observed/hook-01-webhook-signature-failures.js';
import { leak01 } from './observed/leak-01-secret-in-file.js';
import type { ObservedRule } from './observed/observed-rule.js';
import { net00 } from './network/net-00-allowlist-invalid-entry.js';
import { net01 } from './network/net-01-allowlist-too-broad.js';
import { net02 } from './network/net-02-allowlist-unmapped.js';
import { net03 } from './network/net-03-allowlist-closed-location.js';
import { net04 } from './network/net-04-allowlist-private-range.js';
import { prv01 } from './privacy/prv-01-erasure-overdue.js';
import { prv02 } from './privacy/prv-02-erasure-due-soon.js';
import { prv03 } from './privacy/prv-03-erasure-by-soft-delete.js';
import { prv04 } from './privacy/prv-04-erasure-failed.js';
import type { Rule } from './rule.js';
import { sec01 } from './secrets/sec-01-secret-age.js';
import { sec02 } from './secrets/sec-02-secret-rotation-stuck.js';
import { tok01 } from './tokens/tok-01-token-age.js';
import { tok02 } from './tokens/tok-02-token-unused.js';
import { tok03 } from './tokens/tok-03-token-shared.js';
import { tok04 } from './tokens/tok-04-token-wildcard-scope.js';
import { tok05 } from './tokens/tok-05-token-owner-departed.js';
import { tok06 } from './tokens/tok-06-token-on-human-account.js';
import { tok07 } from './tokens/tok-07-token-orphaned.js';
import type { RuleFamily } from './types.js';

/** All rules, family by family, each family in id order. */
export const RULES: readonly Rule[] = [
  acc01, acc02, acc03, acc04, acc05, acc06,
  tok01, tok02, tok03, tok04, tok05, tok06, tok07,
  net00, net01, net02, net03, net04,
  sec01, sec02,
  prv01, prv02, prv03, prv04,
  care01, care02, dat01, dat02, dat03,
];

/**
 * The rules of what Warden itself observed, not of a snapshot (docs/rules.md
 * "Observed rules"): its webhook receiver's refusals, and the secrets
 * `warden scan` found in files. Not in {@link RULES}, so `warden check`
 * neither runs nor lists them (its input is a snapshot and nothing else);
 * HOOK-01 is observed and recorded by the audit job of its family
 * (src/audit/observers.ts), LEAK-01 by `warden scan` itself (src/app/scan.ts).
 * Each in a family of {@link RULES}.
 */
export const OBSERVED_RULES: readonly ObservedRule[] = [hook01, leak01];

/** A rule of either list: what the ledger's findings name. */
export type RegisteredRule = Rule | ObservedRule;

/** The families, in the order their first rule appears in {@link RULES}. */
export const RULE_FAMILIES: readonly RuleFamily[] = [...new Set(RULES.map((r) => r.family))];

/** The snapshot rule ids of each family, in registry order: what `evaluate` runs for a family. */
export const RULE_IDS: Readonly<Record<RuleFamily, readonly string[]>> = idsByFamily(RULES);

/**
 * Every rule id of each family, snapshot rules then observed ones: the rules
 * whose findings the ledger holds (the findings page's rule and family filters).
 */
export const ALL_RULE_IDS: Readonly<Record<RuleFamily, readonly string[]>> = idsByFamily([...RULES, ...OBSERVED_RULES]);

function idsByFamily(rules: readonly RegisteredRule[]): Record<RuleFamily, string[]> {
  const ids = {} as Record<RuleFamily, string[]>;
  for (const family of RULE_FAMILIES) ids[family] = [];
  for (const rule of rules) {
    const family: string[] | undefined = ids[rule.family];
    if (family === undefined) throw new Error(`rule ${rule.id}: no snapshot rule is of its family ${rule.family}`);
    family.push(rule.id);
  }
  return ids;
}

const BY_ID = new Map<string, RegisteredRule>([...RULES, ...OBSERVED_RULES].map((r) => [r.id, r]));

/** The rule with this id, snapshot or observed, or undefined. */
export function ruleById(id: string): RegisteredRule | undefined {
  return BY_ID.get(id);
}

// A rule id is its family's prefix and a number (`ACC-01`); the prefixes come
// from the registry, so a ledger row of a rule since retired still has a family.
const FAMILY_BY_PREFIX = new Map([...RULES, ...OBSERVED_RULES].map((r) => [prefixOf(r.id), r.family]));

function prefixOf(id: string): string {
  const dash = id.indexOf('-');
  return dash === -1 ? id : id.slice(0, dash);
}

/**
 * The family a rule id belongs to, from its prefix. Throws for a prefix no
 * registered rule has: such an id was never written by this engine.
 */
export function familyOf(rule: string): RuleFamily {
  const family = FAMILY_BY_PREFIX.get(prefixOf(rule));
  if (family === undefined) throw new Error(`unknown rule id ${JSON.stringify(rule)}`);
  return family;
}
