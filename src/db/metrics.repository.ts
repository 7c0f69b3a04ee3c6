/**
 * The ledger's numbers behind `/metrics` (src/app/metrics.ts), grouped in SQL
 * and read at scrape time: nothing is kept in the process, so every replica of
 * the web app answers the same. Nothing here writes.
 */
import { sql } from 'kysely';
import type { ErasureRequestStatus, JobRunStatus } from './database.js';
import type { Db } from './executor.js';
import { suppressedAt } from './findings.repository.js';

/**
 * Which tenants to count: a list (an empty one counts nothing), or null for
 * every tenant. Runs without a tenant (`reconcile`) count only under null.
 */
export type TenantFilter = readonly string[] | null;

/** The values of `tenant in (…)`: `in ('')` rather than `in ()`, which is not SQL, so an empty list counts nothing. */
function inList(tenants: readonly string[]): string[] {
  return tenants.length > 0 ? [...tenants] : [''];
}

export interface RunCount {
  kind: string;
  status: JobRunStatus;
  runs: number;
}

/** Runs in the ledger by kind and status. */
export async function countRunsByKindAndStatus(db: Db, tenants: TenantFilter): Promise<RunCount[]> {
  let query = db
    .selectFrom('job_runs')
    .select(['kind', 'status', sql<number>`count(*)::int`.as('runs')])
    .groupBy(['kind', 'status']);
  if (tenants !== null) query = query.where('tenant', 'in', inList(tenants));
  return query.orderBy('kind').orderBy('status').execute();
}

export interface DurationHistogram {
  kind: string;
  /** Cumulative: `buckets[i]` runs took at most `bounds[i]` seconds. */
  buckets: number[];
  /** Finished runs of the kind. */
  count: number;
  /** Their durations added up, in seconds. */
  sum: number;
}

/**
 * How long finished runs (succeeded or failed) took, from their start to
 * their end, per kind: cumulative bucket counts under each bound (seconds),
 * computed in SQL. It counts the runs the ledger holds, however old.
 * @param bounds - upper bounds in seconds, ascending
 */
export async function runDurations(db: Db, bounds: readonly number[], tenants: TenantFilter): Promise<DurationHistogram[]> {
  const seconds = sql<number>`extract(epoch from (finished_at - started_at))`;
  let query = db
    .selectFrom('job_runs')
    .select([
      'kind',
      sql<number>`count(*)::int`.as('count'),
      sql<number>`coalesce(sum(${seconds}), 0)::float8`.as('sum'),
      // One filtered count per bound: a bound is a number we chose, passed as a parameter.
      sql<number[]>`array[${sql.join(bounds.map((b) => sql`count(*) filter (where ${seconds} <= ${b}::float8)::int`))}]`.as('buckets'),
    ])
    .where('status', 'in', ['succeeded', 'failed'])
    .where('started_at', 'is not', null)
    .where('finished_at', 'is not', null)
    .groupBy('kind');
  if (tenants !== null) query = query.where('tenant', 'in', inList(tenants));
  const rows = await query.orderBy('kind').execute();
  return rows.map((r) => ({ kind: r.kind, count: r.count, sum: Number(r.sum), buckets: r.buckets.map(Number) }));
}

export interface OpenFindingCount {
  tenant: string;
  severity: string;
  findings: number;
}

/** Unresolved findings under no suppression in force at `at`, by tenant and severity. */
export async function countOpenFindings(db: Db, at: Date, tenants: TenantFilter): Promise<OpenFindingCount[]> {
  let query = db
    .selectFrom('findings')
    .select(['tenant', 'severity', sql<number>`count(*)::int`.as('findings')])
    .where('resolved_at', 'is', null)
    .where((eb) => eb.not(suppressedAt(eb, at)))
    .groupBy(['tenant', 'severity']);
  if (tenants !== null) query = query.where('tenant', 'in', inList(tenants));
  return query.orderBy('tenant').orderBy('severity').execute();
}

/** Approvals waiting for a decision (status `pending`), by tenant. */
export async function countPendingApprovals(db: Db, tenants: TenantFilter): Promise<{ tenant: string; approvals: number }[]> {
  let query = db
    .selectFrom('approvals')
    .select(['tenant', sql<number>`count(*)::int`.as('approvals')])
    .where('status', '=', 'pending')
    .groupBy('tenant');
  if (tenants !== null) query = query.where('tenant', 'in', inList(tenants));
  return query.orderBy('tenant').execute();
}

/** Erasure requests by status. */
export async function countErasureRequests(db: Db, tenants: TenantFilter): Promise<{ status: ErasureRequestStatus; requests: number }[]> {
  let query = db
    .selectFrom('erasure_requests')
    .select(['status', sql<number>`count(*)::int`.as('requests')])
    .groupBy('status');
  if (tenants !== null) query = query.where('tenant', 'in', inList(tenants));
  return query.orderBy('status').execute();
}
