/**
 * What a rule is: its metadata (the contract a finding carries, and the text
 * docs/rules.md is generated from) and one pure check per subject.
 *
 * A rule does not loop: the engine walks each subject list once (live users,
 * live tokens, allowlist entries, secrets, erasure requests, the tenant) and
 * asks every rule of that subject type about each item, so adding a rule adds
 * no pass over a 100 000-account snapshot (bench/check.bench.ts). The engine,
 * not the rule, builds the finding from the rule's metadata, so a finding's
 * id, name, action and approval cannot disagree with the registry.
 */
import type { Policy } from './policy.js';
import type { RuleContext } from './snapshot-index.js';
import type { SubjectItems } from './subjects.js';
import type { Action, Evidence, RuleFamily, Severity, SnapshotSubjectType, SubjectType } from './types.js';

/** What a check reports about one subject; `undefined` when the rule does not fire. */
export interface Hit {
  title: string;
  evidence: Evidence;
  /** Only for a rule with an {@link RuleMeta.escalation}: the raised severity. */
  severity?: Severity;
}

export interface RuleMeta<S extends SubjectType = SubjectType> {
  /** `ACC-01`: the family's prefix and a number; findings sort by it. */
  id: string;
  /** `departed-staff-active`: kebab-case, stable, shown beside the id. */
  name: string;
  family: RuleFamily;
  severity: Severity;
  /** A higher severity the rule gives in a named case (NET-01: a /0 entry is critical). */
  escalation?: { severity: Severity; when: string };
  subject: S;
  action: Action;
  /** True when an admin must approve the action before Warden may carry it out. */
  requires_approval: boolean;
  /** One line: what the rule fires on. The rule table of docs/rules.md. */
  summary: string;
  /** Why it matters: the risk a compliance officer sees in it. */
  why: string;
  /** The policy keys the check reads (docs/rules.md lists each with its default). */
  policy: readonly (keyof Policy)[];
  /** Every evidence field, in the order findings carry them, with what it holds. */
  evidence: Readonly<Record<string, string>>;
}

export interface RuleOf<S extends SnapshotSubjectType> extends RuleMeta<S> {
  check(item: SubjectItems[S], ctx: RuleContext): Hit | undefined;
}

/** Any rule of the registry, whatever its subject type. */
export type Rule = { [S in SnapshotSubjectType]: RuleOf<S> }[SnapshotSubjectType];

/** Declares a rule; the subject type ties `check` to the item it receives. */
export function defineRule<S extends SnapshotSubjectType>(rule: RuleOf<S>): RuleOf<S> {
  return rule;
}
