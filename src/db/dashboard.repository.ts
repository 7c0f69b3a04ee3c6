/**
 * Read queries of the web app's tenants dashboard and runs pages
 * (src/app/tenants-view.ts, src/app/runs-view.ts): tallies and pages counted
 * by the database, so a page costs a few statements whatever the ledger's size.
 * Nothing here writes.
 *
 * `visible` is the list of tenants a person may see, or null for all of them
 * (`people.tenants`); a run without a tenant (a fleet job such as `reconcile`)
 * is visible to everyone.
 */
import { sql } from 'kysely';
import type { JobRun, JobRunStatus } from './database.js';
import type { Db } from './executor.js';
import { suppressedAt } from './findings.repository.js';

/** Tenants a reader may see; null: all. */
export type VisibleTenants = readonly string[] | null;

/** Open findings of one tenant, rule and severity, suppressed or not. */
export interface OpenFindingTally {
  tenant: string;
  rule: string;
  severity: string;
  /** Under a suppression in force at the instant asked about. */
  suppressed: boolean;
  count: number;
}

/** Open findings counted by tenant, rule, severity and whether a suppression covers them at `at`. */
export async function openFindingTallies(db: Db, visible: VisibleTenants, at: Date): Promise<OpenFindingTally[]> {
  if (visible !== null && visible.length === 0) return [];
  const rows = await db
    .selectFrom('findings')
    .select((eb) => [
      'findings.tenant',
      'findings.rule',
      'findings.severity',
      suppressedAt(eb, at).as('suppressed'),
      sql<number>`count(*)::int`.as('count'),
    ])
    .where('findings.resolved_at', 'is', null)
    .$if(visible !== null, (q) => q.where('findings.tenant', 'in', [...visible!]))
    .groupBy(['findings.tenant', 'findings.rule', 'findings.severity', 'suppressed'])
    .execute();
  return rows.map((r) => ({ tenant: r.tenant, rule: r.rule, severity: r.severity, suppressed: Boolean(r.suppressed), count: Number(r.count) }));
}

/** Pending approvals per tenant (tenants with none are absent). */
export async function pendingApprovalCounts(db: Db, visible: VisibleTenants): Promise<Map<string, number>> {
  if (visible !== null && visible.length === 0) return new Map();
  const rows = await db
    .selectFrom('approvals')
    .select(['tenant', sql<number>`count(*)::int`.as('n')])
    .where('status', '=', 'pending')
    .$if(visible !== null, (q) => q.where('tenant', 'in', [...visible!]))
    .groupBy('tenant')
    .execute();
  return new Map(rows.map((r) => [r.tenant, Number(r.n)]));
}

/**
 * The tenant's latest run of a kind, by its tick (index `job_runs_tenant_kind_idx`:
 * one index probe however many runs the tenant has).
 */
export function latestRun(db: Db, tenant: string, kind: string): Promise<JobRun | undefined> {
  return db
    .selectFrom('job_runs')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('kind', '=', kind)
    .orderBy('scheduled_for', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The tenant's last `limit` finished runs (succeeded or failed) of a kind, by
 * their tick, oldest first: the dashboard's trend. Walks the same index.
 */
export async function lastFinishedRuns(db: Db, tenant: string, kind: string, limit: number): Promise<JobRun[]> {
  const rows = await db
    .selectFrom('job_runs')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('kind', '=', kind)
    .where('status', 'in', ['succeeded', 'failed'])
    .where('finished_at', 'is not', null)
    .orderBy('scheduled_for', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

export interface RunsPageQuery {
  visible: VisibleTenants;
  tenant?: string | undefined;
  kind?: string | undefined;
  status?: JobRunStatus | undefined;
  limit: number;
  offset: number;
}

/** One page of runs, newest recorded first, and how many runs match in all. */
export async function pageRuns(db: Db, query: RunsPageQuery): Promise<{ runs: JobRun[]; total: number }> {
  const { visible } = query;
  const filtered = db
    .selectFrom('job_runs')
    .$if(visible !== null, (q) =>
      q.where((eb) => (visible!.length === 0 ? eb('tenant', 'is', null) : eb.or([eb('tenant', 'is', null), eb('tenant', 'in', [...visible!])]))),
    )
    .$if(query.tenant !== undefined, (q) => q.where('tenant', '=', query.tenant!))
    .$if(query.kind !== undefined, (q) => q.where('kind', '=', query.kind!))
    .$if(query.status !== undefined, (q) => q.where('status', '=', query.status!));
  // One after the other: `db` may be a transaction, one connection.
  // Newest recorded first: ids are drawn in that order, and the primary key walks it without a sort.
  const runs = await filtered.selectAll().orderBy('id', 'desc').limit(query.limit).offset(query.offset).execute();
  const count = await filtered.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return { runs, total: Number(count.n) };
}
