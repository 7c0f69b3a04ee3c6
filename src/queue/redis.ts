/**
 * Warden's one ioredis connection factory: every BullMQ queue and worker is
 * built on a client made here, so TLS, Sentinel and Cluster are configured in
 * one place (docs/operations.md "Environment": `REDIS_URL`, `REDIS_SENTINELS`,
 * `REDIS_CLUSTER_NODES`).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { connectionReason, ServiceUnavailableError } from '../errors.js';

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

/** How long a command waits for Redis at start-up before it gives up (docs/operations.md "Services down"). */
export const REDIS_CHECK_TIMEOUT_MS = 5_000;

/** Where Redis is looked for, for messages: `host:port` of the server, the sentinels or the cluster's seeds; never credentials. */
export function redisAddress(options: RedisConnectionOptions): string {
  const nodes = options.clusterNodes ?? options.sentinels;
  if (nodes !== undefined) return nodes.map((n) => `${n.host}:${n.port}`).join(',');
  const url = new URL(options.url);
  return `${url.hostname}:${url.port === '' ? 6379 : url.port}`;
}

/**
 * One bounded attempt to reach Redis (connect and PING), made before a command
 * writes anything: a producer or a worker would otherwise retry for ever,
 * printing a stack trace per attempt. Never retries.
 * @param timeoutMs - how long the attempt may take. @defaultValue {@link REDIS_CHECK_TIMEOUT_MS}
 * @throws ServiceUnavailableError naming `REDIS_URL` (or `REDIS_SENTINELS`, `REDIS_CLUSTER_NODES`)
 */
export async function checkRedis(options: RedisConnectionOptions, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<void> {
  const variable = options.clusterNodes !== undefined ? 'REDIS_CLUSTER_NODES' : options.sentinels !== undefined ? 'REDIS_SENTINELS' : 'REDIS_URL';
  const server = redisOptions(options, 'producer');
  const once: RedisOptions = { ...server, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 };
  let client: Redis | Cluster;
  if (options.clusterNodes !== undefined) {
    const { maxRetriesPerRequest: _m, enableOfflineQueue: _e, ...node } = once;
    client = new Cluster(options.clusterNodes.map((n) => ({ ...n })), { redisOptions: node, lazyConnect: true, clusterRetryStrategy: () => null });
  } else if (options.sentinels !== undefined) {
    const { host: _host, port: _port, ...rest } = once;
    client = new Redis({
      ...rest,
      sentinels: options.sentinels.map((n) => ({ ...n })),
      name: options.sentinelName ?? 'mymaster',
      sentinelRetryStrategy: () => null,
      ...(server.tls === undefined ? {} : { sentinelTLS: server.tls, enableTLSForSentinelMode: true }),
    });
  } else {
    client = new Redis(once);
  }
  let lastError: unknown;
  // Each failed attempt is also an 'error' event: without a listener ioredis prints it with its stack.
  client.on('error', (err: unknown) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timedOut]);
  } catch (err) {
    const reason = connectionReason(err);
    // ioredis rejects with "Connection is closed." once it gave up; the socket's own error says why.
    throw new ServiceUnavailableError(variable, redisAddress(options), lastError !== undefined && /closed/i.test(reason) ? connectionReason(lastError) : reason);
  } finally {
    clearTimeout(timer);
    // A client that already gave up is closed: disconnecting it again would leave ioredis's 2 s close timer running.
    if (client.status !== 'end') client.disconnect();
  }
}
