/**
 * What the runs pages and `/api/v1/runs` show: job runs from the ledger,
 * filtered and paginated, newest first, and one run. The caller passes the
 * tenants the person may see (null for all); runs without a tenant (fleet
 * jobs such as `reconcile`) are visible to everyone signed in. One run is
 * returned whatever its tenant: the caller checks it (tenant scope `row`).
 *
 * An error is shown as recorded: runs record ids and safe messages only,
 * never secret values or customer identifiers (docs/architecture.md "A run's life").
 */
import { pageRuns, type VisibleTenants } from '../db/dashboard.repository.js';
import type { JobRun, JobRunStatus } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { getRun } from '../db/job-runs.repository.js';

/** Runs on one page. */
export const RUNS_PER_PAGE = 50;

export interface RunView {
  id: number;
  kind: string;
  /** Null for a fleet-wide job. */
  tenant: string | null;
  status: JobRunStatus;
  /** Attempts started so far. */
  attempts: number;
  /** The scheduler tick it is for, or when it was asked for. */
  scheduled_for: string;
  /** When it became a ledger row. */
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** From the last attempt's start to its end; null until it has both. */
  duration_ms: number | null;
  /** What the job reported, e.g. `{ findings: 12, resolved: 3 }`; empty until it ends. */
  counts: Record<string, number>;
  error: string | null;
}

export interface RunFilter {
  tenant?: string | undefined;
  kind?: string | undefined;
  status?: JobRunStatus | undefined;
  /** 1-based. @defaultValue 1 */
  page?: number | undefined;
}

export interface RunsPage {
  runs: RunView[];
  page: number;
  per_page: number;
  /** Runs matching the filter, on every page. */
  total: number;
  /** Pages in all (at least 1). */
  pages: number;
}

export function runView(run: JobRun): RunView {
  const started = run.started_at;
  const finished = run.finished_at;
  return {
    id: run.id,
    kind: run.kind,
    tenant: run.tenant,
    status: run.status,
    attempts: run.attempts,
    scheduled_for: run.scheduled_for.toISOString(),
    created_at: run.created_at.toISOString(),
    started_at: started?.toISOString() ?? null,
    finished_at: finished?.toISOString() ?? null,
    duration_ms: started !== null && finished !== null ? Math.max(0, finished.getTime() - started.getTime()) : null,
    counts: run.counts ?? {},
    error: run.error,
  };
}

/** One page of the runs the person may see, newest recorded first. A tenant filter outside `visible` matches nothing. */
export async function listRunsView(db: Db, visible: VisibleTenants, filter: RunFilter): Promise<RunsPage> {
  const page = filter.page ?? 1;
  const { runs, total } = await pageRuns(db, {
    visible,
    tenant: filter.tenant,
    kind: filter.kind,
    status: filter.status,
    limit: RUNS_PER_PAGE,
    offset: (page - 1) * RUNS_PER_PAGE,
  });
  return { runs: runs.map(runView), page, per_page: RUNS_PER_PAGE, total, pages: Math.max(1, Math.ceil(total / RUNS_PER_PAGE)) };
}

/** One run by id ({@link NotFoundError} when there is none); whether the person may see its tenant is the caller's check. */
export async function findRunView(db: Db, id: number): Promise<RunView> {
  return runView(await getRun(db, id));
}
