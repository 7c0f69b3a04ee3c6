import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { transportOf } from '../../../src/app/create-app.js';
import { prefixOf } from '../../../src/queue/connection.js';
import { redisOptions } from '../../../src/queue/redis.js';

describe('the ioredis factory options', () => {
  it('reads credentials, database and TLS from the URL; the role decides retries', () => {
    expect(redisOptions({ url: 'rediss://app:p%40ss@cache.example:6380/3' }, 'worker')).toEqual({
      host: 'cache.example',
      port: 6380,
      username: 'app',
      password: 'p@ss',
      db: 3,
      tls: {},
      maxRetriesPerRequest: null,
    });
    expect(redisOptions({ url: 'redis://127.0.0.1' }, 'producer')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
  });

  it('takes sentinels or cluster nodes from the environment, never both, and hash-tags a cluster prefix', () => {
    const sentinel = loadConfig({ REDIS_URL: 'redis://:pw@ignored', REDIS_SENTINELS: 's1:26379, s2:26379', REDIS_SENTINEL_NAME: 'queue' });
    expect(transportOf(sentinel)).toEqual({
      url: 'redis://:pw@ignored',
      prefix: 'warden',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelName: 'queue',
    });
    const cluster = transportOf(loadConfig({ REDIS_URL: 'rediss://c', REDIS_CLUSTER_NODES: 'n1:7000' }), '-demo')!;
    expect(prefixOf(cluster)).toBe('{warden-demo}');
    expect(() => loadConfig({ REDIS_URL: 'redis://x', REDIS_SENTINELS: 's:1', REDIS_CLUSTER_NODES: 'n:2' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'n:2' })).toThrow('REDIS_CLUSTER_NODES: needs REDIS_URL');
    expect(() => loadConfig({ REDIS_URL: 'redis://x', REDIS_SENTINELS: 'nope' })).toThrow('REDIS_SENTINELS: expected host:port,host:port');
    expect(transportOf(loadConfig({}))).toBeUndefined();
  });
});
