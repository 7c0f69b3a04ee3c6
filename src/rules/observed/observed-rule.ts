/**
 * What an observed rule is: the metadata of a snapshot rule (src/rules/rule.ts)
 * and one pure check of something Warden itself observed (its webhook
 * receiver's refusals, what `warden scan` found in files), not of a tenant
 * snapshot. They are not part of `warden check`, whose input is a snapshot
 * and nothing else (docs/rules.md "Observed rules"): an audit job gathers
 * the observation from the ledger and records the findings with its family's,
 * or `warden scan` records those of what it read in a run of its own.
 *
 * As for a snapshot rule, the engine (`evaluateObserved` in src/rules/engine.ts),
 * not the rule, builds the finding from the metadata, so a finding's id, name,
 * action and approval cannot disagree with the registry.
 */
import type { Hit, RuleMeta } from '../rule.js';
import type { Subject, SubjectType } from '../types.js';

/** What a check reports about one subject it names, of the rule's subject type. */
export interface ObservedHit<S extends SubjectType = SubjectType> extends Hit {
  subject: Subject & { type: S };
}

/** What a check is told besides the observation. */
export interface ObservedContext {
  tenant: string;
  /** The instant judged at, epoch milliseconds. */
  asOf: number;
}

/**
 * The metadata of an observed rule: a rule's, without policy keys (the
 * tenant policy is the snapshot contract's, shared/RULES.md; an observed
 * rule's thresholds are constants of its file, stated in its summary).
 */
export interface ObservedRuleMeta<S extends SubjectType = SubjectType> extends Omit<RuleMeta<S>, 'policy'> {
  /** What Warden observed that the rule reads, and where it is kept (docs/rules.md). */
  observes: string;
}

export interface ObservedRuleOf<O, S extends SubjectType = SubjectType> extends ObservedRuleMeta<S> {
  /** Pure: the same observation and context give the same hits; none when the rule does not fire. */
  check(observed: O, ctx: ObservedContext): readonly ObservedHit<S>[];
}

/**
 * Any observed rule of the registry, whatever it observes: its check takes
 * `never`, so only code that has the rule's own type (its observer) can call it.
 */
export type ObservedRule = ObservedRuleOf<never>;

/** Declares an observed rule; the observation type ties `check` to what its observer gathers. */
export function defineObservedRule<O, S extends SubjectType>(rule: ObservedRuleOf<O, S>): ObservedRuleOf<O, S> {
  return rule;
}
