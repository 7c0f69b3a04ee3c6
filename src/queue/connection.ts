/**
 * Where the queues live: Redis (see redis.ts, the one ioredis factory) and a
 * key prefix. Every BullMQ queue and worker is built on a client made by
 * {@link createRedis}; whoever makes one closes it (QueueSet, Fleet).
 */
import type { RedisConnectionOptions } from './redis.js';

/** Redis the fleet talks to, and the key prefix of its queues. */
export interface QueueTransport extends RedisConnectionOptions {
  /**
   * Key prefix of every queue; a test uses its own so it can obliterate its
   * queues without touching anyone else's. On a Redis Cluster it is wrapped in
   * braces (a hash tag), so each queue's keys share one slot as BullMQ requires.
   * @defaultValue `'warden'`
   */
  prefix?: string;
}

export const DEFAULT_PREFIX = 'warden';

export function prefixOf(transport: QueueTransport): string {
  const prefix = transport.prefix ?? DEFAULT_PREFIX;
  return transport.clusterNodes !== undefined && !prefix.startsWith('{') ? `{${prefix}}` : prefix;
}
