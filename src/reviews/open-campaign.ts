/**
 * Opening a campaign (docs/architecture.md "Access reviews"), shared by the
 * quarterly `access-review` job and `warden review open` / the campaigns page:
 * gather the tenant's accounts, tokens, audits and directory now, freeze them,
 * judge the access rules on that same snapshot (suppressed findings, an
 * accepted risk, flag nothing), draft the items riskiest first, assign each to
 * a reviewer, and write the campaign with its items in one transaction.
 */
import type { Environment } from '../config.js';
import type { ReviewCampaign, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { insertCampaign } from '../db/reviews.repository.js';
import { tenantPeopleWithRole } from '../db/people.repository.js';
import { activeSuppressions } from '../db/suppressions.repository.js';
import type { Logger } from '../log/logger.js';
import { FAMILY_PARTS } from '../audit/run-audit.js';
import { gatherOptionsOf, gatherTenantSnapshot, type GatherOptions } from '../audit/tenant-snapshot.js';
import { evaluate } from '../rules/engine.js';
import { parsePolicy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import { assignReviewers, type ReviewerPools } from './assign-reviewers.js';
import { addDays, localDate, startOfDay } from './calendar.js';
import { freezeSnapshot, snapshotCounts, snapshotSha256 } from './frozen-snapshot.js';
import { buildItems } from './review-items.js';

export interface OpenCampaignDeps {
  db: Db;
  env: Environment;
  /** @defaultValue none */
  allowPrivateNetworks?: readonly string[];
  /** @defaultValue the client's defaults */
  client?: GatherOptions['client'];
  logger?: Logger;
}

export interface OpenCampaignInput {
  /** Who opens it: a person's email, `cli:…`, or `warden` for the schedule. */
  by: string;
  /** `2027-Q1` when the schedule opens it (one per quarter); null by hand. */
  period: string | null;
  /** The due date in the tenant's time zone. @defaultValue opening date + the tenant's `review_due_days` */
  dueOn?: string;
  at: Date;
}

const lower = (emails: readonly string[]) => [...new Set(emails.map((e) => e.trim().toLowerCase()))];

/** The tenant's reviewer pools: its configured reviewers, else its admins; machine reviewers, else its engineers. */
export async function reviewerPools(db: Db, tenant: Tenant): Promise<ReviewerPools> {
  const emailsWith = async (role: string) => (await tenantPeopleWithRole(db, tenant.name, role)).map((p) => p.email);
  return {
    reviewers: lower(tenant.review_reviewers.length > 0 ? tenant.review_reviewers : await emailsWith('admin')),
    machineReviewers: lower(tenant.review_machine_reviewers.length > 0 ? tenant.review_machine_reviewers : await emailsWith('engineer')),
    compliance: lower([...(await emailsWith('compliance')), ...(tenant.recipients['compliance'] ?? [])]),
  };
}

/** The quarter an instant falls in, in the tenant's time zone: `2027-Q1`. */
export function quarterOf(at: Date, timeZone: string): string {
  const [year, month] = localDate(at, timeZone).split('-').map(Number) as [number, number];
  return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
}

/** Opens the tenant's campaign; a {@link CampaignConflictError} when one is not closed, or the quarter's exists. */
export async function openCampaign(deps: OpenCampaignDeps, tenant: Tenant, input: OpenCampaignInput): Promise<ReviewCampaign> {
  const { at } = input;
  const raw = await gatherTenantSnapshot(deps.db, tenant.name, {
    parts: FAMILY_PARTS.access,
    now: at,
    ...gatherOptionsOf(deps),
  });
  const snapshot = parseSnapshot(raw);
  const asOf = at.getTime();
  const frozen = freezeSnapshot(snapshot, asOf);
  const suppressed = new Set((await activeSuppressions(deps.db, tenant.name, at)).map((s) => s.fingerprint));
  const { findings } = evaluate(snapshot, parsePolicy(tenant.policy), asOf, ['access']);
  const drafts = buildItems(
    frozen,
    findings.filter((f) => !suppressed.has(f.fingerprint)),
  );
  const reviewers = assignReviewers(drafts, await reviewerPools(deps.db, tenant));
  const dueOn = input.dueOn ?? addDays(localDate(at, tenant.timezone), tenant.review_due_days);
  const counts = { ...snapshotCounts(frozen), items: drafts.length, flagged: drafts.filter((d) => d.flags.length > 0).length, unassigned: reviewers.filter((r) => r === null).length };
  return insertCampaign(
    deps.db,
    {
      tenant: tenant.name,
      period: input.period,
      opened_at: at,
      opened_by: input.by,
      due_on: dueOn,
      // Due by the end of the due date where the tenant is.
      due_at: startOfDay(addDays(dueOn, 1), tenant.timezone),
      grace_days: tenant.review_grace_days,
      no_response: tenant.review_no_response,
      snapshot: { ...frozen },
      snapshot_sha256: snapshotSha256(frozen),
      counts,
    },
    drafts.map((d, i) => ({ ...d, reviewer: reviewers[i] ?? null })),
  );
}
