/**
 * Warden's one ioredis connection factory: every BullMQ queue and worker is
 * built on a client made here, so TLS, Sentinel and Cluster are configured in
 * one place (docs/operations.md "Environment": `REDIS_URL`, `REDIS_SENTINELS`,
 * `REDIS_CLUSTER_NODES`).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsOptions } from 'node:tls';

/** A `host:port` pair of a Sentinel or a Cluster seed node. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is and how to reach it. */
export interface RedisConnectionOptions {
  /**
   * `redis://[user:pass@]host:port[/db]`, or `rediss://…` for TLS. With
   * sentinels or cluster nodes it gives only the credentials, database and TLS.
   */
  url: string;
  /**
   * Redis Sentinels to ask for the master of {@link sentinelName}.
   * @defaultValue undefined: a single server at `url`
   */
  sentinels?: readonly RedisNode[];
  /**
   * The master group the sentinels watch.
   * @defaultValue `'mymaster'`
   */
  sentinelName?: string;
  /**
   * Seed nodes of a Redis Cluster.
   * @defaultValue undefined: a single server at `url`
   */
  clusterNodes?: readonly RedisNode[];
  /**
   * Extra TLS options (e.g. `ca` of a private CA), used when `url` is `rediss://`.
   * @defaultValue undefined: the system's trusted CAs, certificates verified
   */
  tls?: TlsOptions;
}

/**
 * What the client is for. A worker blocks on Redis and must never give up on a
 * command (`maxRetriesPerRequest: null`, which BullMQ requires of a worker's
 * connection); a producer such as the CLI should rather fail fast when Redis is down.
 */
export type RedisRole = 'worker' | 'producer';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
};

/** The ioredis options of one server (or of each node, for a cluster or sentinel set-up), from the URL and the role. */
export function redisOptions(options: RedisConnectionOptions, role: RedisRole): RedisOptions {
  const url = new URL(options.url);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  return {
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(db === undefined || Number.isNaN(db) ? {} : { db }),
    ...(url.protocol === 'rediss:' ? { tls: { ...options.tls } } : {}),
    ...ROLE_OPTIONS[role],
  };
}

/** One ioredis client (a `Cluster` for cluster nodes). Its owner closes it with `quit()` or `disconnect()`. */
export function createRedis(options: RedisConnectionOptions, role: RedisRole): Redis | Cluster {
  const server = redisOptions(options, role);
  if (options.clusterNodes !== undefined) {
    const { maxRetriesPerRequest, enableOfflineQueue, ...node } = server;
    const cluster: ClusterOptions = {
      redisOptions: node,
      ...(maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest }),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      // A cluster behind NAT or TLS answers with addresses the certificate does not name: keep the seed's hostname.
      ...(server.tls === undefined ? {} : { dnsLookup: (address, callback) => callback(null, address) }),
    };
    return new Cluster(options.clusterNodes.map((n) => ({ ...n })), cluster);
  }
  if (options.sentinels !== undefined) {
    const { host: _host, port: _port, ...rest } = server;
    return new Redis({
      ...rest,
      sentinels: options.sentinels.map((n) => ({ ...n })),
      name: options.sentinelName ?? 'mymaster',
      ...(server.tls === undefined ? {} : { sentinelTLS: server.tls, enableTLSForSentinelMode: true }),
    });
  }
  return new Redis(server);
}
