/**
 * Which schedulers should exist: one per (scheduled job, tenant) in the
 * tenant's time zone, or one per fleet-wide job. Pure, so the BullMQ side
 * (upsertJobScheduler, idempotent by id) and the inline runner (node-cron)
 * fire exactly the same ticks.
 */
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
  registry.schedules.forEach((entry, index) => {
    const def = registry.get(entry.job);
    // The definition's own schedule keeps a short id; extra ones are numbered so two patterns never collide.
    const suffix = def.schedule === entry.pattern && index === registry.schedules.findIndex((e) => e.job === entry.job) ? '' : `#${index}`;
    if ((def.scope ?? 'tenant') === 'fleet') {
      plan.push({ id: `${entry.job}${suffix}@fleet`, job: entry.job, pattern: entry.pattern, tz: 'UTC', tenant: null });
      return;
    }
    for (const t of tenants) {
      plan.push({ id: `${entry.job}${suffix}@${t.name}`, job: entry.job, pattern: entry.pattern, tz: t.timeZone ?? 'UTC', tenant: t.name });
    }
  });
  return plan;
}
