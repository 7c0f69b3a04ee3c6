/**
 * What `/metrics` reports (docs/operations.md "Serving"), read at scrape time:
 * the ledger's runs, run durations, open findings, pending approvals and
 * erasure requests (src/db/metrics.repository.ts), and the jobs waiting in
 * each queue when jobs go through Redis. Every label a series can have is
 * reported, at 0 when nothing is there, so a series never vanishes and a
 * query never needs `or vector(0)`. src/http/metrics.ts writes it out.
 */
import { ERASURE_REQUEST_STATUSES, JOB_RUN_STATUSES, type ErasureRequestStatus, type JobRunStatus } from '../db/database.js';
import type { Db } from '../db/executor.js';
import {
  countErasureRequests,
  countOpenFindings,
  countPendingApprovals,
  countRunsByKindAndStatus,
  runDurations,
  type DurationHistogram,
  type TenantFilter,
} from '../db/metrics.repository.js';
import { listTenants } from '../db/tenants.repository.js';
import type { QueueSet } from '../queue/fleet.js';
import type { ServiceOutage } from '../queue/outage.js';
import { waitingJobs, type QueueWaiting } from '../queue/queue-stats.js';
import { SEVERITIES } from '../rules/types.js';
import { canSeeTenant } from './people.js';

/** Upper bounds (seconds) of the run duration histogram: an audit takes seconds, a large tenant's minutes. */
export const RUN_DURATION_BOUNDS: readonly number[] = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export interface WardenMetrics {
  /** Every (kind, status): the registry's kinds and any other kind the ledger holds. */
  runs: { kind: string; status: JobRunStatus; runs: number }[];
  /** Finished runs' durations per kind, under {@link RUN_DURATION_BOUNDS}. */
  durations: DurationHistogram[];
  /** Every (visible tenant, severity). */
  openFindings: { tenant: string; severity: string; findings: number }[];
  /** Every visible tenant. */
  pendingApprovals: { tenant: string; approvals: number }[];
  /** Every status. */
  erasureRequests: { status: ErasureRequestStatus; requests: number }[];
  /** Every queue; undefined without Redis, or when Redis did not answer in time. */
  waitingJobs: QueueWaiting[] | undefined;
}

export interface ReadMetricsOptions {
  /** The tenants the reader may see (their person's list), or null for all. */
  tenants: TenantFilter;
  /** Job kinds reported even before their first run (the registry's names). */
  kinds: readonly string[];
  /** The queues, when jobs go through Redis. @defaultValue none: no waiting jobs */
  queues?: QueueSet;
  /** Suppressions are judged at this instant. */
  at: Date;
  /**
   * Told when the queues do not answer (one warning per outage, not one per scrape) and when
   * they answer again; the ledger's numbers are reported either way.
   */
  queueOutage: Pick<ServiceOutage, 'lost' | 'restored'>;
  /**
   * How long the queues may take to answer.
   * @defaultValue 2000
   */
  queueTimeoutMs?: number;
}

export async function readMetrics(db: Db, options: ReadMetricsOptions): Promise<WardenMetrics> {
  const { tenants } = options;
  const [allTenants, runs, durations, findings, approvals, erasures, waiting] = await Promise.all([
    listTenants(db),
    countRunsByKindAndStatus(db, tenants),
    runDurations(db, RUN_DURATION_BOUNDS, tenants),
    countOpenFindings(db, options.at, tenants),
    countPendingApprovals(db, tenants),
    countErasureRequests(db, tenants),
    options.queues === undefined ? undefined : queueWaiting(options.queues, options.queueTimeoutMs ?? 2000, options.queueOutage),
  ]);
  const visible = allTenants.map((t) => t.name).filter((name) => canSeeTenant({ tenants }, name));
  const kinds = [...new Set([...options.kinds, ...runs.map((r) => r.kind)])].sort();
  const runsOf = new Map(runs.map((r) => [`${r.kind}\n${r.status}`, r.runs]));
  const findingsOf = new Map(findings.map((f) => [`${f.tenant}\n${f.severity}`, f.findings]));
  const approvalsOf = new Map(approvals.map((a) => [a.tenant, a.approvals]));
  const erasuresOf = new Map(erasures.map((e) => [e.status, e.requests]));
  return {
    runs: kinds.flatMap((kind) => JOB_RUN_STATUSES.map((status) => ({ kind, status, runs: runsOf.get(`${kind}\n${status}`) ?? 0 }))),
    durations,
    openFindings: visible.flatMap((tenant) => SEVERITIES.map((severity) => ({ tenant, severity, findings: findingsOf.get(`${tenant}\n${severity}`) ?? 0 }))),
    pendingApprovals: visible.map((tenant) => ({ tenant, approvals: approvalsOf.get(tenant) ?? 0 })),
    erasureRequests: ERASURE_REQUEST_STATUSES.map((status) => ({ status, requests: erasuresOf.get(status) ?? 0 })),
    waitingJobs: waiting,
  };
}

/** The queues' waiting jobs, or undefined when Redis does not answer within `ms`. */
async function queueWaiting(queues: QueueSet, ms: number, outage: ReadMetricsOptions['queueOutage']): Promise<QueueWaiting[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    const result = await Promise.race([waitingJobs(queues), timedOut]);
    if (result === undefined) outage.lost(new Error(`no answer in ${ms} ms`));
    else outage.restored();
    return result;
  } catch (err) {
    outage.lost(err);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
