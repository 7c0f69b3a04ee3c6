/**
 * Where the queues live: a Redis URL and a key prefix. BullMQ opens (and
 * closes) its own ioredis clients from these options, so no caller has to
 * track connections.
 */
import type { ConnectionOptions } from 'bullmq';

/** Redis the fleet talks to. */
export interface QueueTransport {
  /** `redis://host:port/db`; a database index in the path isolates a whole test. */
  url: string;
  /**
   * Key prefix of every queue; a test uses its own so it can obliterate its
   * queues without touching anyone else's.
   * @defaultValue `'warden'`
   */
  prefix?: string;
}

export const DEFAULT_PREFIX = 'warden';

/** The transport named by `REDIS_URL`, or undefined when Redis is not configured (embedded mode). */
export function transportFromEnv(env: NodeJS.ProcessEnv, prefix?: string): QueueTransport | undefined {
  const url = env.REDIS_URL?.trim();
  if (url === undefined || url === '') return undefined;
  return prefix === undefined ? { url } : { url, prefix };
}

/**
 * BullMQ connection options. Workers block on Redis and must never give up on
 * a command (`maxRetriesPerRequest: null`, as BullMQ requires); a producer such
 * as the CLI should rather fail fast when Redis is down.
 */
export function connectionOptions(transport: QueueTransport, role: 'worker' | 'producer'): ConnectionOptions {
  return role === 'worker'
    ? { url: transport.url, maxRetriesPerRequest: null }
    : { url: transport.url, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

export function prefixOf(transport: QueueTransport): string {
  return transport.prefix ?? DEFAULT_PREFIX;
}
