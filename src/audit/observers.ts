/**
 * What an audit run observes besides its snapshot: for each observed rule
 * (src/rules/observed/, docs/rules.md "Observed rules"), how its observation
 * is read from the ledger. An audit job names the observers of its family
 * (jobs/define-audit-job.ts `observe`); `runAudit` (./run-audit.ts) records their
 * findings with the snapshot rules' in one call, so they are created,
 * persist and resolve as every finding does.
 */
import type { Db } from '../db/executor.js';
import { refusalsWithin } from '../db/webhook-deliveries.repository.js';
import { evaluateObserved } from '../rules/engine.js';
import { HOOK_01_WINDOW_MS, hook01 } from '../rules/observed/hook-01-webhook-signature-failures.js';
import type { ObservedRuleMeta, ObservedRuleOf } from '../rules/observed/observed-rule.js';
import type { Finding } from '../rules/types.js';

export interface Observer {
  readonly rule: ObservedRuleMeta;
  /** The rule's findings for the tenant as of `now`, fingerprinted. */
  findings(db: Db, tenant: string, now: Date): Promise<Finding[]>;
}

/** An observer of `rule`: `gather` reads the observation, the rule (pure) judges it. */
function defineObserver<O>(rule: ObservedRuleOf<O>, gather: (db: Db, tenant: string, now: Date) => Promise<O>): Observer {
  return {
    rule,
    async findings(db, tenant, now) {
      return evaluateObserved(rule, await gather(db, tenant, now), tenant, now.getTime());
    },
  };
}

/** HOOK-01: the deliveries the webhook receiver refused in the rule's window. */
export const webhookSignatureFailures: Observer = defineObserver(hook01, async (db, tenant, now) => {
  const rows = await refusalsWithin(db, tenant, { after: new Date(now.getTime() - HOOK_01_WINDOW_MS), until: now });
  return rows.map((r) => ({ reason: r.reason, at: r.received_at.getTime() }));
});
