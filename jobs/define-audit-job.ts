/**
 * What the five audit jobs share: a payload of ids only (`{}` for a scheduled
 * run), a tenant schedule, and {@link runAudit} of one rule family. Each job
 * file only names its family, its schedule and the observed rules it records.
 */
import { z } from 'zod';
import type { Observer } from '../src/audit/observers.js';
import { APPROVING_FAMILIES, runAudit } from '../src/audit/run-audit.js';
import { runIdOf } from '../src/db/job-runs.repository.js';
import { approvalEmails } from '../src/approvals/notify.js';
import { requireTenant, tenantPolicy } from '../src/db/tenants.repository.js';
import { DomainError, InputError } from '../src/errors.js';
import { defineJob, type JobContext, type JobDefinition } from '../src/queue/define-job.js';
import { PermanentJobError } from '../src/queue/errors.js';
import { parsePolicy } from '../src/rules/policy.js';
import type { Finding, RuleFamily } from '../src/rules/types.js';
import type { Tenant } from '../src/db/database.js';
import { requireApp, type AppDeps } from './job-deps.js';

/**
 * Audit payloads carry nothing: the tenant is the run's, the data is gathered
 * live. Strict, so that nobody smuggles personal data into a queue through them.
 */
export const auditPayload = z.strictObject({});

export interface AuditJobOptions {
  name: string;
  family: RuleFamily;
  /** Cron pattern, in the tenant's time zone. */
  schedule: string;
  /**
   * More work after the audit (e.g. the erasure sweep's deadline emails); its
   * counts join the run's. Done also when the audit failed (then best effort).
   * @defaultValue none
   */
  after?: (ctx: JobContext, app: AppDeps, tenant: string) => Promise<Record<string, number>>;
  /**
   * A safe fix the job makes itself once the audit has recorded its findings
   * (the data-handling job's care tags), given the tenant and the findings of
   * this run; its counts join the run's. Not done when the audit failed: it
   * acts on what this run saw, and its errors fail the run (retried).
   * @defaultValue none
   */
  remedy?: (ctx: JobContext, app: AppDeps, tenant: Tenant, findings: readonly Finding[]) => Promise<Record<string, number>>;
  /**
   * Observed rules of the family (src/audit/observers.ts, docs/rules.md
   * "Observed rules") the audit runs and records with the snapshot rules.
   * @defaultValue none
   */
  observe?: readonly Observer[];
}

/** An audit job, with the rule family it runs: its runs are the ones that see (and resolve) that family's findings. */
export interface AuditJobDefinition extends JobDefinition<typeof auditPayload> {
  readonly family: RuleFamily;
  /** The ids of the observed rules its runs record and resolve. */
  readonly observes: readonly string[];
}

export function defineAuditJob({ name, family, schedule, after, remedy, observe = [] }: AuditJobOptions): AuditJobDefinition {
  const job = defineJob({
    name,
    payload: auditPayload,
    schedule,
    scope: 'tenant',
    async run(_payload, ctx) {
      const app = requireApp(ctx.deps, name);
      if (ctx.tenant === null) throw new PermanentJobError(`job ${name} runs for a tenant, and this run has none`);
      const runId = await runIdOf(app.db, ctx.runId);
      if (runId === undefined) throw new PermanentJobError(`run ${ctx.runId} is not in the ledger`);
      try {
        // The tenant's stored overrides (`warden tenants set --policy`), checked again as `check --policy` does.
        const policy = parsePolicy(await tenantPolicy(app.db, ctx.tenant));
        const { counts, opened, findings } = await runAudit(app.db, ctx.tenant, {
          family,
          runId,
          policy,
          env: app.env,
          allowPrivateNetworks: app.allowPrivateNetworks,
          logger: ctx.log,
          observe,
          ...(app.client === undefined ? {} : { client: app.client }),
        });
        ctx.log.info({ family, ...counts }, 'audit recorded');
        if (APPROVING_FAMILIES.has(family)) {
          // One email per admin and run, listing the pending approvals that admin has not been sent yet; each sent once (ctx.once).
          const tenant = await requireTenant(app.db, ctx.tenant);
          const emails = await approvalEmails({ ...app, logger: ctx.log }, tenant, new Date());
          for (const email of emails) await ctx.once(`approval-email:${email.person.id}`, async () => ({ message_id: (await email.send()).messageId }));
          if (emails.length > 0) counts['approval_emails'] = emails.length;
          if (opened.length > 0 && emails.length === 0) ctx.log.warn({ approvals: opened.length }, 'approvals opened, and the tenant has no admin to ask them of: add one with warden people add');
        }
        if (remedy !== undefined) Object.assign(counts, await remedy(ctx, app, await requireTenant(app.db, ctx.tenant), findings));
        return after === undefined ? counts : { ...counts, ...(await after(ctx, app, ctx.tenant)) };
      } catch (err) {
        // What comes after the audit must not depend on it (the erasure sweep's deadline emails matter most
        // when the platform is down): it is done anyway, and the audit's error is the run's.
        if (after !== undefined) await after(ctx, app, ctx.tenant).catch((e: unknown) => ctx.log.warn({ error: (e as Error).message }, 'work after the audit failed too'));
        // A set-up problem (token variable unset, unknown tenant, bad directory
        // source) will not fix itself between retries: fail the run now, with the
        // error's safe message (it names the variable, never its value).
        if (err instanceof InputError || err instanceof DomainError) throw new PermanentJobError(err.message, { cause: err });
        throw err;
      }
    },
  });
  return Object.freeze({ ...job, family, observes: observe.map((o) => o.rule.id) });
}
