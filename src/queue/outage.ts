/**
 * One log line per outage of a service (Redis, Postgres), not one per retry:
 * ioredis, BullMQ and `pg` report every failed reconnection attempt, which
 * during a minute-long outage is a flood of identical stack traces
 * (docs/operations.md "Services down").
 */
import type { Logger } from '../log/logger.js';

/** Error codes and messages of a connection that dropped or could not be made (as opposed to a failing command). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const CONNECTION_MESSAGES = /connection is closed|stream isn't writeable|connection terminated|connection ended|reached the max retries per request|socket closed|ended by the other party|timeout exceeded when trying to connect/i;

/** True when `err` says the connection is gone rather than that a command failed. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (Array.isArray(e?.errors)) return e.errors.some(isConnectionError);
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

export interface OutageMessages {
  /** Logged (warn) when the service is first seen lost, e.g. `Redis unreachable, pausing`. */
  lost: string;
  /** Logged (info) when it answers again, e.g. `Redis back, resuming`. */
  back: string;
}

/** Tracks whether a service is down and logs each change once. */
export class ServiceOutage {
  private downSince: number | undefined;

  constructor(
    private readonly log: Logger,
    /** Named in each line (as `dependency`: the logger's `service` is Warden itself), e.g. `redis`. */
    private readonly service: string,
    private readonly messages: OutageMessages,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** The service failed: one warn line when it was up, nothing while it stays down. */
  lost(err: unknown): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    const e = err as { code?: unknown; message?: unknown };
    const reason = typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
    this.log.warn({ dependency: this.service, reason }, this.messages.lost);
  }

  /** The service answered: one info line when it was down. */
  restored(): void {
    if (this.downSince === undefined) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = undefined;
    this.log.info({ dependency: this.service, downMs }, this.messages.back);
  }
}
