/** What a job carries on the transport: the tenant and the payload, nothing else. */
export interface Envelope {
  tenant: string | null;
  payload: unknown;
  /** Epoch ms of the tick, when reconcile re-enqueues a scheduled run. */
  scheduledFor?: number;
  /** The run id, when it cannot be the job id (BullMQ refuses `:` in custom ids; scheduler run ids have them). */
  runId?: string;
}

/** A tenant whose scheduled jobs fire in its own time zone. */
export interface TenantSchedule {
  name: string;
  /** IANA zone, e.g. `Australia/Sydney`. @defaultValue `'UTC'` */
  timeZone?: string;
}

/**
 * The tenants to schedule for: a fixed list, or a function that reads the
 * current list (from the ledger) each time the schedules are ensured, so a
 * tenant added or removed while workers run is picked up by the next reconcile.
 */
export type TenantSource = readonly TenantSchedule[] | (() => Promise<readonly TenantSchedule[]>);

export function readTenants(source: TenantSource | undefined): Promise<readonly TenantSchedule[]> {
  if (source === undefined) return Promise.resolve([]);
  return typeof source === 'function' ? source() : Promise.resolve(source);
}
