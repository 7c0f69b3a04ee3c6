/**
 * What the tenants pages and `/api/v1/tenants` show, read once here so the
 * page and the JSON API show the same data (docs/architecture.md "The web
 * app"): the tenants a person may see with their open findings, one tenant's
 * dashboard (open findings by family and severity, the trend of each
 * family's audit job, the last run and next fire time of each job, pending
 * approvals) and its settings.
 *
 * The caller passes the tenants the person may see (`people.tenants`, null for
 * all): this layer knows nothing of requests. A tenant outside them answers
 * as one that does not exist ({@link UnknownTenantError}).
 *
 * Instants are ISO 8601 strings in UTC, as the API sends them; the time zone
 * they are shown in is the tenant's.
 */
import { auditJobs } from '../../jobs/index.js';
import {
  lastFinishedRuns,
  latestRun,
  openFindingTallies,
  pendingApprovalCounts,
  type OpenFindingTally,
  type VisibleTenants,
} from '../db/dashboard.repository.js';
import type { JobRun, JobRunStatus, Tenant } from '../db/database.js';
import { UnknownTenantError } from '../db/errors.js';
import type { Db } from '../db/executor.js';
import { getTenant, listTenants } from '../db/tenants.repository.js';
import { nextFireTime, planSchedules } from '../queue/schedules.js';
import type { JobRegistry } from '../queue/registry.js';
import { policyRows, type PolicyRow } from '../report/policy.format.js';
import { familyOf, RULE_FAMILIES } from '../rules/engine.js';
import { SEVERITIES, type RuleFamily, type Severity } from '../rules/types.js';

export type { VisibleTenants };

/** Runs of each family's audit job the trend covers. */
export const TREND_RUNS = 12;

export type SeverityCounts = Record<Severity, number>;

/** What the views read: the ledger and the job registry (for schedules). */
export interface ViewDeps {
  db: Db;
  registry: JobRegistry;
}

export interface TenantOverview {
  name: string;
  time_zone: string;
  /** Open findings by severity, suppressed ones left out. */
  open: SeverityCounts;
  open_total: number;
  /** Open findings under a suppression in force, counted apart. */
  suppressed: number;
  pending_approvals: number;
}

export interface FamilyCounts {
  family: RuleFamily;
  open: SeverityCounts;
  total: number;
  suppressed: number;
}

export interface RunRef {
  id: number;
  status: JobRunStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ScheduleView {
  job: string;
  /** Cron pattern, in `time_zone`. */
  pattern: string;
  time_zone: string;
  /** The next tick, or null when the pattern never fires again. */
  next_fire_at: string | null;
}

export interface JobStatusView {
  kind: string;
  /** The rule family an audit job checks; null for other jobs (the digest). */
  family: RuleFamily | null;
  last_run: RunRef | null;
  schedules: ScheduleView[];
  /** The soonest of its schedules' next ticks; null when it has none. */
  next_fire_at: string | null;
}

export interface TrendPoint {
  run_id: number;
  status: JobRunStatus;
  finished_at: string;
  /** Findings of the family the run found (open after it, suppressed ones included); null when it reported no counts (it failed). */
  findings: number | null;
  created: number | null;
  persisting: number | null;
  resolved: number | null;
}

export interface FamilyTrend {
  family: RuleFamily;
  /** The audit job of the family. */
  kind: string;
  /** Its last {@link TREND_RUNS} finished runs (by their tick), oldest first. */
  points: TrendPoint[];
}

export interface TenantDashboard {
  tenant: string;
  time_zone: string;
  generated_at: string;
  open: {
    families: FamilyCounts[];
    /** All families together. */
    total: SeverityCounts;
    open_total: number;
    suppressed: number;
  };
  pending_approvals: number;
  jobs: JobStatusView[];
  trend: FamilyTrend[];
}

export interface RecipientsCount {
  audience: string;
  /** How many addresses: the addresses themselves stay out of pages and the API. */
  count: number;
}

export interface TenantSettings {
  name: string;
  /** The platform's host; the rest of the URL is not shown. */
  platform_host: string | null;
  /** The name of the variable holding the platform token (never its value). */
  token_variable: string;
  time_zone: string;
  /** `csv` or `scim` (the path or URL is not shown), or null without a directory. */
  directory: string | null;
  recipients: RecipientsCount[];
  policy: PolicyRow[];
  schedules: ScheduleView[];
  created_at: string;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function zeroCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

const isSeverity = (s: string): s is Severity => (SEVERITIES as readonly string[]).includes(s);

function sum(counts: SeverityCounts): number {
  return SEVERITIES.reduce((n, s) => n + counts[s], 0);
}

/** The family of a ledger row's rule; undefined for one no registered family claims. */
function familyOfRule(rule: string): RuleFamily | undefined {
  try {
    return familyOf(rule);
  } catch {
    return undefined;
  }
}

function canSee(visible: VisibleTenants, name: string): boolean {
  return visible === null || visible.includes(name);
}

/** The tenant, when it exists and the person may see it; {@link UnknownTenantError} otherwise, alike. */
async function visibleTenant(db: Db, name: string, visible: VisibleTenants): Promise<Tenant> {
  const tenant = canSee(visible, name) ? await getTenant(db, name) : undefined;
  if (tenant === undefined) throw new UnknownTenantError(name);
  return tenant;
}

/** Names of the tenants the person may see, in name order. */
export async function visibleTenantNames(db: Db, visible: VisibleTenants): Promise<string[]> {
  return (await listTenants(db)).map((t) => t.name).filter((n) => canSee(visible, n));
}

/** The tenants the person may see, each with its open findings by severity and its pending approvals. */
export async function listTenantOverviews(db: Db, visible: VisibleTenants, at: Date): Promise<TenantOverview[]> {
  const tenants = (await listTenants(db)).filter((t) => canSee(visible, t.name));
  const names = tenants.map((t) => t.name);
  const tallies = await openFindingTallies(db, names, at);
  const approvals = await pendingApprovalCounts(db, names);
  return tenants.map((t) => {
    const open = zeroCounts();
    let suppressed = 0;
    for (const row of tallies) {
      if (row.tenant !== t.name) continue;
      if (row.suppressed) suppressed += row.count;
      else if (isSeverity(row.severity)) open[row.severity] += row.count;
    }
    return { name: t.name, time_zone: t.timezone, open, open_total: sum(open), suppressed, pending_approvals: approvals.get(t.name) ?? 0 };
  });
}

function familyCounts(tallies: readonly OpenFindingTally[]): TenantDashboard['open'] {
  const byFamily = new Map<RuleFamily, FamilyCounts>(RULE_FAMILIES.map((f) => [f, { family: f, open: zeroCounts(), total: 0, suppressed: 0 }]));
  for (const row of tallies) {
    const family = familyOfRule(row.rule);
    const entry = family === undefined ? undefined : byFamily.get(family);
    if (entry === undefined) continue;
    if (row.suppressed) entry.suppressed += row.count;
    else if (isSeverity(row.severity)) entry.open[row.severity] += row.count;
  }
  const families = [...byFamily.values()];
  const total = zeroCounts();
  for (const f of families) {
    f.total = sum(f.open);
    for (const s of SEVERITIES) total[s] += f.open[s];
  }
  return { families, total, open_total: sum(total), suppressed: families.reduce((n, f) => n + f.suppressed, 0) };
}

function runRef(run: JobRun): RunRef {
  return { id: run.id, status: run.status, created_at: run.created_at.toISOString(), started_at: iso(run.started_at), finished_at: iso(run.finished_at) };
}

/** The schedules of the tenant's jobs as every runner plans them, each with its next tick in the tenant's time zone. */
function tenantSchedules(registry: JobRegistry, tenant: Tenant): ScheduleView[] {
  return planSchedules(registry, [{ name: tenant.name, timeZone: tenant.timezone }])
    .filter((s) => s.tenant === tenant.name)
    .map((s) => ({ job: s.job, pattern: s.pattern, time_zone: s.tz, next_fire_at: iso(nextFireTime(s.pattern, s.tz)) }));
}

const countOf = (run: JobRun, key: string): number | null => {
  const value = run.counts?.[key];
  return typeof value === 'number' ? value : null;
};

/** One tenant's dashboard. */
export async function tenantDashboard(deps: ViewDeps, name: string, visible: VisibleTenants, at: Date): Promise<TenantDashboard> {
  const { db, registry } = deps;
  const tenant = await visibleTenant(db, name, visible);
  const open = familyCounts(await openFindingTallies(db, [name], at));
  const pending = (await pendingApprovalCounts(db, [name])).get(name) ?? 0;

  // The jobs that run per tenant; one indexed look-up each, however long the tenant's history.
  const schedules = tenantSchedules(registry, tenant);
  const kinds = registry.names.filter((k) => (registry.get(k).scope ?? 'tenant') === 'tenant');
  const familyOfJob = new Map<string, RuleFamily>(auditJobs.map((j) => [j.name, j.family]));
  const jobs: JobStatusView[] = [];
  for (const kind of kinds) {
    const own = schedules.filter((s) => s.job === kind);
    const next = own.map((s) => s.next_fire_at).filter((n): n is string => n !== null).sort()[0] ?? null;
    const last = await latestRun(db, name, kind);
    jobs.push({ kind, family: familyOfJob.get(kind) ?? null, last_run: last === undefined ? null : runRef(last), schedules: own, next_fire_at: next });
  }

  const trend: FamilyTrend[] = [];
  for (const family of RULE_FAMILIES) {
    for (const job of auditJobs.filter((j) => j.family === family && registry.has(j.name))) {
      const runs = await lastFinishedRuns(db, name, job.name, TREND_RUNS);
      trend.push({
        family,
        kind: job.name,
        points: runs.map((r) => ({
          run_id: r.id,
          status: r.status,
          finished_at: r.finished_at!.toISOString(),
          findings: countOf(r, 'findings'),
          created: countOf(r, 'created'),
          persisting: countOf(r, 'persisting'),
          resolved: countOf(r, 'resolved'),
        })),
      });
    }
  }

  return { tenant: name, time_zone: tenant.timezone, generated_at: at.toISOString(), open, pending_approvals: pending, jobs, trend };
}

/** The platform's host, or null for a URL that does not parse. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** One tenant's settings, without secrets or addresses. */
export async function tenantSettings(deps: ViewDeps, name: string, visible: VisibleTenants): Promise<TenantSettings> {
  const tenant = await visibleTenant(deps.db, name, visible);
  return {
    name: tenant.name,
    platform_host: hostOf(tenant.base_url),
    token_variable: tenant.token_env,
    time_zone: tenant.timezone,
    directory: tenant.directory === null ? null : tenant.directory.split(':', 1)[0]!,
    recipients: Object.entries(tenant.recipients)
      .map(([audience, emails]) => ({ audience, count: Array.isArray(emails) ? emails.length : 0 }))
      .sort((a, b) => a.audience.localeCompare(b.audience)),
    policy: policyRows(tenant.policy),
    schedules: tenantSchedules(deps.registry, tenant),
    created_at: tenant.created_at.toISOString(),
  };
}
