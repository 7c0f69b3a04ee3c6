/**
 * Which schedulers should exist: one per (scheduled job, tenant) in the
 * tenant's time zone, or one per fleet-wide job. Pure, so the BullMQ side
 * (upsertJobScheduler, idempotent by id) and the inline runner (node-cron)
 * fire exactly the same ticks.
 */
import cron from 'node-cron';
import type { TenantSchedule } from './envelope.js';
import type { JobRegistry } from './registry.js';

export interface PlannedSchedule {
  /** Stable scheduler id: upserting it again from any process changes nothing. */
  id: string;
  job: string;
  pattern: string;
  tz: string;
  tenant: string | null;
}

export function planSchedules(registry: JobRegistry, tenants: readonly TenantSchedule[]): PlannedSchedule[] {
  const plan: PlannedSchedule[] = [];
  const seen = new Map<string, number>();
  for (const entry of registry.schedules) {
    const def = registry.get(entry.job);
    // A job's first schedule has the bare id; further ones are numbered per job, so ids do not shift when other jobs change.
    const n = (seen.get(entry.job) ?? 0) + 1;
    seen.set(entry.job, n);
    const name = n === 1 ? entry.job : `${entry.job}#${n}`;
    if ((def.scope ?? 'tenant') === 'fleet') {
      plan.push({ id: `${name}@fleet`, job: entry.job, pattern: entry.pattern, tz: 'UTC', tenant: null });
      continue;
    }
    for (const t of tenants) {
      plan.push({ id: `${name}@${t.name}`, job: entry.job, pattern: entry.pattern, tz: t.timeZone ?? 'UTC', tenant: t.name });
    }
  }
  return plan;
}

/**
 * True for a scheduler id {@link planSchedules} makes for `job`
 * (`job@tenant`, `job#2@tenant`, `job@fleet`): the only ones Warden may delete.
 */
export function isOwnSchedulerId(job: string, id: string): boolean {
  if (!id.startsWith(job)) return false;
  return /^(#\d+)?@[^@]+$/.test(id.slice(job.length));
}

/** One schedule as `warden schedules` reports it. */
export interface ScheduleStatus extends PlannedSchedule {
  /** When it fires next, or null when nothing will fire it. */
  next: Date | null;
  /**
   * Jobs waiting for its next tick: exactly one is healthy (BullMQ); null
   * when the in-process runner fires it (node-cron, in each runner process).
   */
  nextJobs: number | null;
  /** What is wrong with it, or null: `no scheduler`, `no next job`, `N next jobs`. */
  problem: string | null;
}

/** The next instant `pattern` fires in `tz`, as node-cron (the inline runner) computes it. */
export function nextFireTime(pattern: string, tz: string): Date | null {
  const task = cron.createTask(pattern, () => undefined, { timezone: tz });
  try {
    // getNextRun() answers null for a task never started; getNextRuns walks the pattern whatever the task's state.
    return task.getNextRuns(1)[0] ?? null;
  } finally {
    void task.destroy();
  }
}

/** The problem of a BullMQ schedule, from whether its scheduler exists and how many next jobs it has. */
export function scheduleProblem(hasScheduler: boolean, nextJobs: number): string | null {
  if (!hasScheduler) return 'no scheduler';
  if (nextJobs === 0) return 'no next job';
  if (nextJobs > 1) return `${nextJobs} next jobs`;
  return null;
}
