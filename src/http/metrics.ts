/**
 * `/metrics` in Prometheus text (prom-client): the numbers of src/app/metrics.ts
 * on a registry of this server's own (tests build several servers in one
 * process, and the default registry is global), with prom-client's process
 * metrics on the same registry. docs/operations.md "Serving".
 */
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { RUN_DURATION_BOUNDS, type WardenMetrics } from '../app/metrics.js';

type HistogramSnapshot = Awaited<ReturnType<Histogram<'kind'>['get']>>;

const HELP = 'How long finished runs (succeeded or failed) took, start to end, per job kind: every run the ledger holds';

/**
 * A histogram whose buckets the ledger counted (src/db/metrics.repository.ts
 * `runDurations`): prom-client's own histogram observes values one at a time,
 * in this process, and would forget them on restart.
 */
class LedgerHistogram extends Histogram<'kind'> {
  private data: WardenMetrics['durations'] = [];

  constructor(registry: Registry) {
    super({
      name: 'warden_job_run_duration_seconds',
      help: HELP,
      labelNames: ['kind'],
      buckets: [...RUN_DURATION_BOUNDS],
      registers: [registry],
    });
  }

  load(data: WardenMetrics['durations']): void {
    this.data = data;
  }

  override get(): Promise<HistogramSnapshot> {
    return Promise.resolve(this.snapshot());
  }

  /** What the registry calls when it writes the text format. */
  getForPromString(): Promise<HistogramSnapshot> {
    return Promise.resolve(this.snapshot());
  }

  private snapshot(): HistogramSnapshot {
    const name = 'warden_job_run_duration_seconds';
    const values: HistogramSnapshot['values'] = [];
    for (const { kind, buckets, count, sum } of this.data) {
      RUN_DURATION_BOUNDS.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { kind, le } as HistogramSnapshot['values'][number]['labels'], value: buckets[i] ?? 0 }));
      values.push({ metricName: `${name}_bucket`, labels: { kind, le: '+Inf' } as HistogramSnapshot['values'][number]['labels'], value: count });
      values.push({ metricName: `${name}_sum`, labels: { kind }, value: sum });
      values.push({ metricName: `${name}_count`, labels: { kind }, value: count });
    }
    // prom-client's typings give `type` as a numeric enum; at run time it is the word the text format writes.
    return { name, help: HELP, type: 'histogram', aggregator: 'sum', values } as unknown as HistogramSnapshot;
  }
}

export interface MetricsExporter {
  /** The Content-Type of {@link MetricsExporter.render}'s text. */
  readonly contentType: string;
  /** The exposition text of these numbers and the process metrics. Scrapes are written one at a time. */
  render(metrics: WardenMetrics): Promise<string>;
}

export function createMetricsExporter(): MetricsExporter {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const runs = new Gauge({ name: 'warden_job_runs', help: 'Runs in the ledger, by job kind and status', labelNames: ['kind', 'status'], registers });
  const durations = new LedgerHistogram(registry);
  const findings = new Gauge({ name: 'warden_open_findings', help: 'Open findings (unresolved, not suppressed), by tenant and severity', labelNames: ['tenant', 'severity'], registers });
  const approvals = new Gauge({ name: 'warden_pending_approvals', help: 'Approvals waiting for a decision, by tenant', labelNames: ['tenant'], registers });
  const erasures = new Gauge({ name: 'warden_erasure_requests', help: 'GDPR erasure requests, by status', labelNames: ['status'], registers });
  const waiting = new Gauge({ name: 'warden_queue_waiting_jobs', help: 'Jobs waiting in each queue: for a worker, or delayed (retries in backoff, and the next tick of each schedule)', labelNames: ['queue'], registers });

  const write = async (m: WardenMetrics): Promise<string> => {
    for (const g of [runs, findings, approvals, erasures, waiting]) g.reset();
    for (const r of m.runs) runs.set({ kind: r.kind, status: r.status }, r.runs);
    durations.load(m.durations);
    for (const f of m.openFindings) findings.set({ tenant: f.tenant, severity: f.severity }, f.findings);
    for (const a of m.pendingApprovals) approvals.set({ tenant: a.tenant }, a.approvals);
    for (const e of m.erasureRequests) erasures.set({ status: e.status }, e.requests);
    for (const q of m.waitingJobs ?? []) waiting.set({ queue: q.queue }, q.jobs);
    return registry.metrics();
  };
  // The gauges hold one scrape's numbers at a time (each reader may see other tenants): scrapes take turns.
  let turn: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    render(metrics) {
      const text = turn.then(() => write(metrics));
      turn = text.catch(() => undefined);
      return text;
    },
  };
}
