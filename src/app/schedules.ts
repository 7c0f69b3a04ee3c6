/**
 * The schedules as `warden schedules` shows them (docs/operations.md
 * "Schedules"): with Redis, BullMQ's schedulers and the jobs waiting for their
 * next tick, flagged when a schedule has no scheduler, no next job or more
 * than one; without, the in-process runner's cron tasks as every runner
 * process plans them, with node-cron's next fire time.
 */
import { QueueSet } from '../queue/fleet.js';
import { nextFireTime, planSchedules, type ScheduleStatus } from '../queue/schedules.js';
import type { App } from './create-app.js';

export type { ScheduleStatus };

export async function listSchedules(app: App): Promise<ScheduleStatus[]> {
  if (app.transport === undefined) {
    return planSchedules(app.registry, await app.tenants()).map((s) => ({ ...s, next: nextFireTime(s.pattern, s.tz), nextJobs: null, problem: null }));
  }
  const queues = new QueueSet(app.transport, app.registry, {}, () => app.tenants());
  try {
    return await queues.listSchedules();
  } finally {
    await queues.close();
  }
}
