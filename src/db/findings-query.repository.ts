/**
 * The reads behind the findings pages and API (src/app/findings-view.ts):
 * findings across several tenants with their suppression state, one finding,
 * the audit-log entries about it, and the runs of a job kind within a time
 * window. Nothing here writes.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import type { AuditLogRow, Database, FindingRow, JobRun, Suppression } from './database.js';
import type { Db } from './executor.js';

/**
 * Which findings a state selects; the first three split `all` without overlap:
 * - `open`: unresolved, and under no suppression in force;
 * - `suppressed`: unresolved, under a suppression in force;
 * - `resolved`: resolved (suppressed or not: nothing is left to hide).
 */
export const FINDING_STATES = ['open', 'suppressed', 'resolved', 'all'] as const;
export type FindingStateFilter = (typeof FINDING_STATES)[number];

export interface FindingsQuery {
  /** Only findings of these tenants (an empty list selects nothing). */
  tenants: readonly string[];
  /** Only these rule ids. */
  rules?: readonly string[];
  severity?: string;
  state: FindingStateFilter;
  /** The instant suppressions are judged at. */
  at: Date;
}

export interface QueriedFinding extends FindingRow {
  /** When the suppression in force at the instant asked about ends; null when none is. */
  suppressed_until: Date | null;
}

/** The severity order of the digests: critical first. */
const SEVERITY_ORDER = sql<number>`case findings.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end`;

/** The filtered findings joined to the suppression in force at `q.at` (at most one: one row per finding). */
function filtered(db: Db, q: FindingsQuery) {
  let query = db
    .selectFrom('findings')
    .leftJoin('suppressions', (join) =>
      join
        .onRef('suppressions.tenant', '=', 'findings.tenant')
        .onRef('suppressions.fingerprint', '=', 'findings.fingerprint')
        .on('suppressions.expires_at', '>', q.at),
    )
    // `in ('')` rather than `in ()`, which is not SQL: an empty list selects nothing.
    .where('findings.tenant', 'in', q.tenants.length > 0 ? [...q.tenants] : ['']);
  if (q.rules !== undefined) query = query.where('findings.rule', 'in', q.rules.length > 0 ? [...q.rules] : ['']);
  if (q.severity !== undefined) query = query.where('findings.severity', '=', q.severity);
  const unresolved = (eb: ExpressionBuilder<Database, 'findings' | 'suppressions'>) => eb('findings.resolved_at', 'is', null);
  if (q.state === 'open') query = query.where(unresolved).where('suppressions.id', 'is', null);
  if (q.state === 'suppressed') query = query.where(unresolved).where('suppressions.id', 'is not', null);
  if (q.state === 'resolved') query = query.where('findings.resolved_at', 'is not', null);
  return query;
}

/** How many findings the query selects. */
export async function countQueriedFindings(db: Db, q: FindingsQuery): Promise<number> {
  const row = await filtered(db, q).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return row.n;
}

/**
 * The findings the query selects, most severe first, then by tenant, rule,
 * subject id and fingerprint (a total order: pages never overlap or skip).
 * @param page - `limit` and `offset`; @defaultValue every row
 */
export async function queryFindings(db: Db, q: FindingsQuery, page: { limit?: number; offset?: number } = {}): Promise<QueriedFinding[]> {
  let query = filtered(db, q)
    .selectAll('findings')
    .select('suppressions.expires_at as suppressed_until')
    .orderBy(SEVERITY_ORDER)
    .orderBy('findings.tenant')
    .orderBy('findings.rule')
    .orderBy('findings.subject_id')
    .orderBy('findings.fingerprint');
  if (page.limit !== undefined) query = query.limit(page.limit);
  if (page.offset !== undefined && page.offset > 0) query = query.offset(page.offset);
  return query.execute();
}

/** One finding of a tenant, or undefined. */
export function findFinding(db: Db, tenant: string, fingerprint: string): Promise<FindingRow | undefined> {
  return db.selectFrom('findings').selectAll().where('tenant', '=', tenant).where('fingerprint', '=', fingerprint).executeTakeFirst();
}

/** The suppression of one finding, in force or expired (at most one per finding), or undefined. */
export function findSuppression(db: Db, tenant: string, fingerprint: string): Promise<Suppression | undefined> {
  return db.selectFrom('suppressions').selectAll().where('tenant', '=', tenant).where('fingerprint', '=', fingerprint).executeTakeFirst();
}

/**
 * Audit-log entries about one subject (e.g. `finding:TENANT/FINGERPRINT`), oldest first.
 * @param limit - @defaultValue 200
 */
export function auditEntriesAbout(db: Db, subject: string, limit = 200): Promise<AuditLogRow[]> {
  return db.selectFrom('audit_log').selectAll().where('subject', '=', subject).orderBy('id').limit(limit).execute();
}

export interface RunsWithinQuery {
  tenant: string;
  kind: string;
  /** Runs that finished at or after this instant… */
  from: Date;
  /** …and started at or before this one. */
  to: Date;
  /** @defaultValue 100 */
  limit?: number;
}

/**
 * Succeeded runs of one kind for a tenant whose span (started → finished)
 * meets the window `from`…`to`, newest first, with how many there are in all.
 */
export async function succeededRunsWithin(db: Db, q: RunsWithinQuery): Promise<{ runs: JobRun[]; total: number }> {
  const base = db
    .selectFrom('job_runs')
    .where('tenant', '=', q.tenant)
    .where('kind', '=', q.kind)
    .where('status', '=', 'succeeded')
    .where('finished_at', '>=', q.from)
    .where('started_at', '<=', q.to);
  const [runs, count] = await Promise.all([
    base.selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(q.limit ?? 100).execute(),
    base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { runs, total: count.n };
}
