/**
 * A run ledger held in memory: the inline runner's fallback when no database
 * is wired in, and the benchmark's way to measure the adapter alone.
 */
import type { FinalStatus, NewRun, RunCounts, RunLedger, RunRecord } from './run-ledger.js';

export class MemoryRunLedger implements RunLedger {
  private readonly runs = new Map<string, RunRecord>();

  createRun(run: NewRun): Promise<boolean> {
    if (this.runs.has(run.id)) return Promise.resolve(false);
    this.runs.set(run.id, {
      ...run,
      status: 'queued',
      attempts: 0,
      queuedAt: new Date(),
      startedAt: null,
      finishedAt: null,
      counts: {},
      error: null,
    });
    return Promise.resolve(true);
  }

  markRunning(id: string, attempt: number, leaseMs: number): Promise<boolean> {
    const run = this.runs.get(id);
    const leaseLive = run?.status === 'running' && run.startedAt !== null && Date.now() - run.startedAt.getTime() <= leaseMs;
    if (!run || run.status === 'succeeded' || run.status === 'failed' || leaseLive) return Promise.resolve(false);
    Object.assign(run, { status: 'running', attempts: Math.max(run.attempts, attempt), startedAt: new Date() });
    return Promise.resolve(true);
  }

  finish(id: string, status: FinalStatus | 'queued', counts: RunCounts, error: string | null): Promise<void> {
    const run = this.runs.get(id);
    if (run) Object.assign(run, { status, counts, error, finishedAt: status === 'queued' ? null : new Date() });
    return Promise.resolve();
  }

  listUnfinished(): Promise<RunRecord[]> {
    return Promise.resolve(
      [...this.runs.values()].filter((r) => r.status === 'queued' || r.status === 'running').map((r) => ({ ...r })),
    );
  }

  listRecent(limit: number): Promise<RunRecord[]> {
    return Promise.resolve([...this.runs.values()].reverse().slice(0, limit).map((r) => ({ ...r })));
  }

  get(id: string): Promise<RunRecord | undefined> {
    const run = this.runs.get(id);
    return Promise.resolve(run && { ...run });
  }
}

/** A ledger that records nothing: only for measuring the adapter's own cost. */
export class NullRunLedger implements RunLedger {
  createRun(): Promise<boolean> {
    return Promise.resolve(true);
  }
  markRunning(): Promise<boolean> {
    return Promise.resolve(true);
  }
  finish(): Promise<void> {
    return Promise.resolve();
  }
  listUnfinished(): Promise<RunRecord[]> {
    return Promise.resolve([]);
  }
  listRecent(): Promise<RunRecord[]> {
    return Promise.resolve([]);
  }
  get(): Promise<RunRecord | undefined> {
    return Promise.resolve(undefined);
  }
}
